from django.db import migrations, models


def forwards(apps, schema_editor):
    from residence.places.loader import load_street_english_names

    load_street_english_names(apps.get_model("places", "Street"))


class Migration(migrations.Migration):
    dependencies = [("places", "0003_verbose_names")]

    operations = [
        migrations.AddField(
            model_name="street",
            name="name_en",
            field=models.CharField(blank=True, max_length=60, verbose_name="English name"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
