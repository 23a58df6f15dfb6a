from django.db import migrations


def forwards(apps, schema_editor):
    from residence.places.loader import load_places

    load_places(apps.get_model("places", "District"), apps.get_model("places", "Street"),
                apps.get_model("places", "AcceptancePoint"))


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
