from django.db import migrations


def forwards(apps, schema_editor):
    from residence.core.calendar_seed import seed_calendar

    seed_calendar(apps.get_model("core", "CalendarYear"), apps.get_model("core", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_calendar")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
