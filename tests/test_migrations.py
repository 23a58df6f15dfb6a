"""Data migrations, run on rows made with the models as they were before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .conftest import make_user

BEFORE, AFTER = ("registrations", "0002_one_occupancy_per_person"), ("registrations", "0003_rooms_in_one_form")


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
