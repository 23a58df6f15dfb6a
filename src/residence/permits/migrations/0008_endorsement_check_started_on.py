from django.db import migrations, models
from django.db.models import F


def first_checks_started_when_asked(apps, schema_editor):
    """A pending check no department has answered yet is the first, begun the day it was asked for;
    one passed on to a later department began on a day not kept, and keeps its due date."""
    Endorsement = apps.get_model("permits", "Endorsement")
    Endorsement.objects.filter(outcome="pending", answered_by__isnull=True).update(check_started_on=F("requested_on"))


class Migration(migrations.Migration):
    dependencies = [
        ("permits", "0007_sweep_run_changed_since"),
    ]

    operations = [
        migrations.AddField(
            model_name="endorsement",
            name="check_started_on",
            field=models.DateField(blank=True, null=True, verbose_name="check started on"),
        ),
        migrations.RunPython(first_checks_started_when_asked, migrations.RunPython.noop),
    ]
