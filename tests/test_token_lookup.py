import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.forms.models import model_to_dict

from residence.accounts.models import LoginSession
from residence.accounts.selectors import session_by_token_hash
from residence.accounts.services import real_name_verify
from residence.core import db

from .test_account_changes import identity

pytestmark = pytest.mark.django_db


def test_token_lookup_matches_the_orm_field_for_field(signed_in, citizen):
    number = identity()
    real_name_verify(user=citizen, name="张伟", id_number=number)
    orm = LoginSession.objects.select_related("user", "user__person").get(ended_at__isnull=True)
    fast = session_by_token_hash(orm.token_hash)
    # Every field matches; the ones not read in the query load on access (deferred).
    assert model_to_dict(fast) == model_to_dict(orm)
    assert fast.created_at == orm.created_at and fast.created_at.tzinfo is not None
    assert model_to_dict(fast.user) == model_to_dict(orm.user)
    assert model_to_dict(fast.user.person) == model_to_dict(orm.user.person)
    assert fast.user.person.id_number == number and fast.user.date_joined == orm.user.date_joined
    assert session_by_token_hash("0" * 64) is None


def test_token_lookup_without_a_person(signed_in):
    session = LoginSession.objects.get(ended_at__isnull=True)
    assert session_by_token_hash(session.token_hash).user.person is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_token_lookup_is_planned_once_per_connection(signed_in, django_assert_num_queries):
    session = LoginSession.objects.get(ended_at__isnull=True)
    threshold = connection.connection.prepare_threshold
    assert threshold is not None, "prepared statements are off on the test database"
    for _ in range(threshold + 1):
        with django_assert_num_queries(1):
            assert session_by_token_hash(session.token_hash).pk == session.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%token_hash%"])
        prepared = [row[0] for row in cursor.fetchall()]
    assert len(prepared) == 1 and "accounts_loginsession" in prepared[0]


def test_me_payload_keys_are_the_documented_schema(db):
    from residence.accounts.api import MeSerializer, me_payload
    from residence.accounts.services import staff_create
    from residence.places.models import AcceptancePoint

    from .conftest import make_user

    documented = set(MeSerializer().fields)
    citizen = make_user()
    org = make_user("org_me", "15811110000", kind="organisation", name="单位", credit_code="91440300MA5D4X7K8N")
    clerk = staff_create(
        username="clerk_me",
        password="Testing2026pass",
        phone="13900000000",
        role="clerk",
        point=AcceptancePoint.objects.first(),
    )
    for user in (citizen, org, clerk):
        assert set(me_payload(user)) <= documented
    assert set(me_payload(clerk)) - set(me_payload(citizen)) == {"role", "point", "department"}
    assert me_payload(org)["organisation"]["credit_code"] == "91440300MA5D4X7K8N"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's")
def test_token_lookup_keeps_its_cursor_per_connection_and_follows_a_reconnect(transactional_db):
    from residence.accounts.models import Channel
    from residence.accounts.services import session_start

    from .conftest import make_user

    session, _token = session_start(user=make_user(), channel=Channel.API, remember=False)
    assert session_by_token_hash(session.token_hash).pk == session.pk
    wrapper = connections[DEFAULT_DB_ALIAS]
    kept = db._cursors[wrapper]
    assert session_by_token_hash(session.token_hash).pk == session.pk and db._cursors[wrapper] is kept
    connection.close()  # as CONN_MAX_AGE does between requests
    found = session_by_token_hash(session.token_hash)
    assert db._cursors[wrapper] is not kept
    assert found.pk == session.pk and found.user.username == "citizen1" and found.created_at.tzinfo is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the kept cursor is PostgreSQL's")
def test_token_lookup_goes_through_installed_execute_wrappers(signed_in):
    session = LoginSession.objects.get(ended_at__isnull=True)
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert session_by_token_hash(session.token_hash).pk == session.pk
    assert len(seen) == 1 and "token_hash" in seen[0]
