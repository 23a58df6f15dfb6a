"""Audit: people without an account are subjects by a blind index; keys are actors; staff
access to personal data is logged; the records admin shows masked numbers and changes nothing."""

import io
import json

import pytest
from django.core.management import call_command

from residence.accounts.services import staff_create
from residence.audit.models import AuditEvent
from residence.audit.selectors import audit_events_about_person
from residence.audit.services import person_index
from residence.places.models import AcceptancePoint
from residence.records.models import Identity

from .conftest import PASSWORD, Api
from .idnumbers import NOT_IN_RECORDS, ZHANG_WEI
from .test_account_changes import identity
from .test_exchange import IDENTITY_ROW, key_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(db):
    return staff_create(
        username="audit_clerk",
        password=PASSWORD,
        phone="13900004444",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )


def test_who_looked_at_a_person_without_an_account(clerk, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api = Api().login("audit_clerk", phone="13900004444")
    for number in (ZHANG_WEI, NOT_IN_RECORDS):
        body = {"name": "张伟", "id_number": number, "route": "talent"}
        assert api.post("/api/v1/eligibility-checks", body).status_code == 200
    seen = list(audit_events_about_person(id_number=NOT_IN_RECORDS))
    assert [(e.type, e.actor) for e in seen] == [("personal_data_viewed", clerk)]
    assert len(audit_events_about_person(id_number=ZHANG_WEI)) == 1
    # The log holds the blind index, never the number itself.
    stored = json.dumps(list(AuditEvent.objects.values("data", "person_index")), ensure_ascii=False)
    assert NOT_IN_RECORDS not in stored and NOT_IN_RECORDS[:6] + "********" not in stored


def test_api_keys_are_audited_and_act_as_the_actor_of_their_imports():
    key = key_for("police")
    created = AuditEvent.objects.get(type="api_key_created")
    assert created.actor_key.prefix == key.split(".")[0] and created.data == {"department": "police"}
    Api().client.post(
        "/api/v1/exchange/identities",
        data=json.dumps([IDENTITY_ROW]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert AuditEvent.objects.get(type="records_imported").actor_key == created.actor_key
    call_command("revoke_api_key", key.split(".")[0], stdout=io.StringIO())
    assert AuditEvent.objects.get(type="api_key_revoked").actor_key == created.actor_key


@pytest.fixture
def admin_client(client):
    from residence.accounts.models import User

    from .conftest import last_code

    User.objects.create_superuser(username="rec_admin", password="Admin2026pass", phone="13900008887", kind="staff")
    client.post("/accounts/login/", {"platform": "permit", "username": "rec_admin", "password": "Admin2026pass"})
    client.post("/accounts/login/verify/", {"code": last_code("13900008887")})
    return client


def test_the_admin_shows_no_ones_identity_record(admin_client):
    """DESIGN: the administrator keeps the calendar, the places and the settings; an outsider read
    a person's whole population record in the admin."""
    identity()
    assert admin_client.get("/admin/").status_code == 200
    assert admin_client.get("/admin/records/identity/").status_code == 404
    assert admin_client.get(f"/admin/records/identity/{Identity.objects.get().pk}/change/").status_code == 404
    assert "/admin/records/" not in admin_client.get("/admin/").content.decode()


def test_the_audit_admin_finds_a_person_by_id_number(admin_client, clerk, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    Api().login("audit_clerk", phone="13900004444").post(
        "/api/v1/eligibility-checks", {"name": "张伟", "id_number": NOT_IN_RECORDS, "route": "talent"}
    )
    page = admin_client.get(f"/admin/audit/auditevent/?q={NOT_IN_RECORDS}").content.decode()
    # The clerk's check, and this search itself, on record (an outsider's admin searches left none).
    assert "audit_clerk" in page and "2 条结果" in page
    [search] = AuditEvent.objects.filter(type="personal_data_viewed", data__what="audit_trail")
    assert search.actor.is_superuser and search.person_index == person_index(NOT_IN_RECORDS)


def test_staff_actions_say_where_from_and_every_read_by_production_or_the_courier_is_on_record(settings):
    """An outsider found every staff action recorded with no address, a permit issued by nobody,
    and production's and the courier's API reads of a case not recorded at all."""
    from .applications import application_body, citizen_api, confirm_all, eligible_records, staff_apis

    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    app = api.post(
        "/api/v1/applications", application_body(delivery={"method": "courier", "address": "深圳市福田区福华路 8 号"})
    ).json()
    staff = staff_apis(["police", "insurance", "reviewer", "production", "courier"])
    confirm_all(staff, app)
    url = f"/api/v1/staff/applications/{app['id']}"
    assert staff.reviewer.post(f"{url}/approve", {}).status_code == 200
    for action in ("produce", "dispatch"):
        assert staff.production.post(f"{url}/{action}", {}).status_code == 200
    assert staff.courier.get(url).status_code == 200 and staff.production.get(url).status_code == 200
    assert staff.courier.post(f"{url}/deliver", {"identity_checked": True}).status_code == 200
    changes = AuditEvent.objects.filter(type="application_changed").exclude(data__action="submit")
    assert changes.count() == 6 and all(e.address.startswith("10.3.") for e in changes)  # staff_apis' addresses
    issued = AuditEvent.objects.get(type="permit_issued")
    assert issued.actor.username == "staff_courier" and issued.address.startswith("10.3.")
    reads = AuditEvent.objects.filter(type="personal_data_viewed", data__what="application")
    assert {e.actor.username for e in reads} >= {"staff_courier", "staff_production"}


def test_the_admin_offers_no_django_groups_and_no_english_model_names(admin_client):
    assert admin_client.get("/admin/auth/group/").status_code == 404
    html = admin_client.get("/admin/").content.decode()
    text = __import__("re").sub(r"<[^>]+>", " ", html.split("<main")[1] if "<main" in html else html)
    assert "Model name" not in text and "Identity" not in text and "Calendar" not in text


def test_every_detail_the_platform_records_has_a_label_for_the_supervisor():
    """An outsider's supervisor read "valid", "upload", "after" and "audit_trail" among labels in
    words: every keyword an audit event is written with, and every `what` of a look at personal
    data, is named (found in the code itself, so that a new one without a label fails here)."""
    import ast
    from pathlib import Path

    from residence.audit.templatetags.audit_details import LABELS, LOOKED_AT, PASSWORD_FORMS, RECORD_KINDS, VALUES
    from residence.records.importing import KINDS

    keys, said = set(), {"what": set(), "where": set(), "purpose": set(), "step": set()}
    for path in (Path(__file__).resolve().parents[1] / "src" / "residence").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None) and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
            if name in ("audit_record", "personal_data_viewed"):
                keys.update(keyword.arg for keyword in node.keywords)
            # Every `what=`/`where=` given as words, and a view's `what = "…"` (applications.api).
            for keyword in getattr(node, "keywords", []) if isinstance(node, ast.Call) else []:
                queried = name in ("filter", "exclude", "get")  # a query's step="…" is no audit detail
                if keyword.arg in said and isinstance(keyword.value, ast.Constant) and not queried:
                    said[keyword.arg].add(keyword.value.value)
            named_what = isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["what"]
            if named_what and isinstance(node.value, ast.Constant) and node.value.value:
                said["what"].add(node.value.value)
    keys -= {None, "type", "actor", "actor_key", "subject", "person", "address"}  # columns, not details
    assert {"upload", "valid", "after", "what"} <= keys  # the scan finds them
    assert {"audit_trail", "receipt"} <= said["what"] and "login" in said["where"]
    assert sorted(keys - set(LABELS)) == []
    assert sorted(said["what"] - set(LOOKED_AT)) == [] and sorted(said["where"] - set(PASSWORD_FORMS)) == []
    # An SMS's purpose and a written reply's step, in words too (an outsider read "username_reminder").
    assert {"username_reminder", "permit"} <= said["purpose"] and "requested" in said["step"]
    assert sorted(said["purpose"] - set(VALUES["purpose"])) == [] and sorted(said["step"] - set(VALUES["step"])) == []
    assert set(KINDS) <= set(RECORD_KINDS)  # an import's kind as its command names it ("talents")


def test_a_look_at_a_family_member_is_named_in_words():
    """An outsider's Chinese trail read "身份: family member" among values in Chinese."""
    from django.utils import translation

    from residence.audit.templatetags.audit_details import audit_value

    with translation.override("zh-hans"):
        assert audit_value("family member", "as") == "同住亲属 (family member)"


def test_a_card_renewals_keys_are_named_in_words():
    """An outsider's trail read "card_serial: C00000000011" and "old_card_collected: not stated"
    among labels in Chinese."""
    from django.utils import translation

    from residence.audit.templatetags.audit_details import audit_label, audit_value

    with translation.override("zh-hans"):
        assert audit_label("card_serial") == "证卡序列号" and audit_label("old_card_collected") == "旧证已收回"
        assert audit_value("not stated", "old_card_collected") == "未说明 (not stated)"
        assert audit_value("yes", "old_card_collected") == "是 (yes)"
