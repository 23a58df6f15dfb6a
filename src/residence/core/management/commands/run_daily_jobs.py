from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.core import clock
from residence.core.jobs import daily_jobs_run
from residence.core.validators import parse_date, sentences


class Command(BaseCommand):
    help = "Run every daily job as of a date (default today); running it twice changes nothing the second time."

    def add_arguments(self, parser):
        parser.add_argument("--date", default=None, help="YYYY-MM-DD; the jobs run as of the start of that day")

    def handle(self, *args, date, **options):
        # An empty --date (a script's unset variable) is refused, not taken for today.
        try:
            day = parse_date(date) if date is not None else clock.today()
        except ValidationError as e:
            raise CommandError(sentences(e.messages)) from None
        if day > clock.today():
            raise CommandError(
                _("%(day)s is after today (%(today)s): the daily jobs run as of today or a day that has passed.")
                % {"day": day.isoformat(), "today": clock.today().isoformat()}
            )
        daily_jobs_run(day, report=self.stdout.write)
