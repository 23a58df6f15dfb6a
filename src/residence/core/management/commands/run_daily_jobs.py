import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from residence.applications import jobs as application_jobs
from residence.core import clock, limits, workdays
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
        terminated = application_jobs.payments_expire(day)
        self.stdout.write(f"{day}: {terminated} unpaid application(s) terminated")
        batched = application_jobs.production_batch(day)
        self.stdout.write(f"{day}: {batched} approved application(s) put in the production batch of the day")
        # "Due tomorrow" is the next working day: a Friday reminds of Monday's items.
        tomorrow = workdays.add_working_days(day, 1).date
        reminded = application_jobs.deadlines_remind(day, tomorrow)
        self.stdout.write(f"{day}: {reminded} step(s) due {tomorrow} reminded")
        escalated = application_jobs.deadlines_escalate(day)
        self.stdout.write(f"{day}: {escalated} overdue step(s) escalated to the supervisors")
