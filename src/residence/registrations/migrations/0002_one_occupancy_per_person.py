from django.db import migrations, models


def keep_latest(apps, schema_editor):
    """A person listed in several houses lives in the one they moved into last."""
    Occupancy = apps.get_model("registrations", "Occupancy")
    latest = {}
    for pk, id_number in Occupancy.objects.order_by("since", "id").values_list("pk", "id_number").iterator():
        latest[id_number] = pk
    Occupancy.objects.exclude(pk__in=list(latest.values())).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="occupancy",
            name="one_occupancy_per_house",
        ),
        migrations.RunPython(keep_latest, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="occupancy",
            constraint=models.UniqueConstraint(fields=("id_number",), name="one_occupancy_per_person"),
        ),
    ]
