"""Rooms in the one form core.validators.normalize_room gives (full-width made half-width, letters
upper-cased, spaces and invisible characters dropped), so that a plate typed either way finds its house. A room whose normal form another
house of the same holder, street and building already has is left as it is (one house each)."""

from django.db import migrations

from residence.core.validators import room_key


def normalize_rooms(apps, schema_editor):
    House = apps.get_model("registrations", "House")
    rows = House.objects.values_list("pk", "owner_id", "street_id", "building_code", "room")
    for pk, owner, street, code, room in rows.iterator(chunk_size=2000):
        normal = room_key(room)
        if normal == room or len(normal) > 30:
            continue
        same = House.objects.filter(owner_id=owner, street_id=street, building_code=code, room=normal)
        if not same.exists():
            House.objects.filter(pk=pk).update(room=normal)


class Migration(migrations.Migration):
    dependencies = [("registrations", "0002_one_occupancy_per_person")]

    operations = [migrations.RunPython(normalize_rooms, migrations.RunPython.noop)]
