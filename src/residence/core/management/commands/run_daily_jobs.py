import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from residence.core import clock, limits
from residence.core.validators import parse_date


class Command(BaseCommand):
    help = "Run every daily job as of a date (default today); running it twice changes nothing the second time."

    def add_arguments(self, parser):
        parser.add_argument("--date", default="", help="YYYY-MM-DD; the jobs run as of the start of that day")

    def handle(self, *args, date, **options):
        try:
            day = parse_date(date) if date else clock.today()
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        start = dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
        # Limit counters untouched for a day hold no event in any window (the longest is a day).
        pruned = limits.prune(before=start - dt.timedelta(days=1))
        self.stdout.write(f"{day}: {pruned} idle limit counter(s) pruned")
