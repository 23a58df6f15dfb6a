"""Data migrations, run on rows made with the models as they were before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .conftest import make_user

BEFORE, AFTER = ("registrations", "0002_one_occupancy_per_person"), ("registrations", "0003_rooms_in_one_form")


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    """Each test leaves the database at its migration's state: the later tests need every
    migration's columns (a migration added after these tests' targets failed the rest)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("places")  # an earlier transactional test's flush emptied the streets
def test_rooms_are_put_in_one_form_unless_the_holder_has_that_room_already():
    owner = make_user("landlord_m", "13812340077")
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    House = executor.loader.project_state([BEFORE]).apps.get_model("registrations", "House")
    plate = {"owner_id": owner.pk, "street_id": "440304004", "building_code": "4403040040012"}
    made = {
        room: House.objects.create(
            **plate,
            room=room,
            building_name="福田花园",
            address="福田路",
            housing_type="rented",
            created_at=timezone.now(),
        ).pk
        for room in ("ｐ１", "B2", "b2", "101", "C 3")
    }
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])
    rooms = dict(House.objects.filter(pk__in=made.values()).values_list("pk", "room"))
    # ｐ１ becomes P1; b2 stays, for its holder already has B2 (one house each).
    assert {room: rooms[pk] for room, pk in made.items()} == {
        "ｐ１": "P1",
        "B2": "B2",
        "b2": "b2",
        "101": "101",
        "C 3": "C3",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("places")
def test_photo_receipts_already_used_belong_to_their_applications_person():
    before, after = ("applications", "0006_deadline_moot"), ("applications", "0007_photo_receipts")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    apps = executor.loader.project_state([before]).apps
    Person, Application = apps.get_model("applications", "Person"), apps.get_model("applications", "Application")
    now = timezone.now()
    people = [
        Person.objects.create(id_number=number, name=name, created_at=now)
        for number, name in (("11010519491231002X", "甲"), ("430102199003071234", "乙"))
    ]
    for n, (person, receipt) in enumerate(((people[0], "PZOLD0001"), (people[1], "PZOLD0002"))):
        Application.objects.create(
            reference=f"SZ260101OLD{n:03d}",
            kind="first",
            route="residence_employment",
            status="withdrawn",
            channel="online",
            delivery_method="pickup",
            delivery_address="",
            photo_receipt=receipt,
            reason="",
            fee_amount=0,
            payment_status="not_required",
            portrait_captured=False,
            materials_checked=False,
            self_check={},
            accepted_on=now.date(),
            due_date_provisional=False,
            decision_outcome="",
            decision_reasons=[],
            reply_text="",
            created_at=now,
            updated_at=now,
            acceptance_point_id="44030400401",
            person=person,
            document="{}",
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([after])
    PhotoReceipt = executor.loader.project_state([after]).apps.get_model("applications", "PhotoReceipt")
    bound = dict(PhotoReceipt.objects.values_list("number", "person__id_number"))
    assert bound == {"PZOLD0001": "11010519491231002X", "PZOLD0002": "430102199003071234"}
