from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from residence.core.encodings import decode
from residence.core.schedule import MAX_ROWS, read_schedule
from residence.core.services import calendar_year_load

MAX_BYTES = 200 * MAX_ROWS


class Command(BaseCommand):
    help = (
        "Enter the official schedule of statutory holidays and make-up working days of one or more years "
        "from a CSV file (date,working_day,name,notice, as shared/data/cn-statutory-days-2025-2026.csv) and "
        "publish those years; stored deadlines are recomputed. All-or-nothing; exit 1 when rejected."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        data = path.read_bytes()[: MAX_BYTES + 1]
        try:
            if len(data) > MAX_BYTES:
                raise ValidationError(_("The file is too large for a schedule."))
            schedule = read_schedule(decode(data))
        except ValidationError as e:
            self.stderr.write("; ".join(e.messages))
            self.stderr.write(_("rejected: nothing was applied"))
            raise SystemExit(1) from None
        if schedule.problems:
            for line, reason in schedule.problems:
                self.stderr.write(_("line %(line)d: %(reason)s") % {"line": line, "reason": reason})
            self.stderr.write(_("rejected: %(n)d bad row(s); nothing was applied") % {"n": len(schedule.problems)})
            raise SystemExit(1)
        with transaction.atomic():  # every year of the file, or none
            said = [self._load(year, days) for year, days in sorted(schedule.years.items())]
        self.stdout.write("\n".join(said))

    def _load(self, year: int, days: dict) -> str:
        changed = calendar_year_load(year=year, days=days)
        off = sum(1 for day in days.values() if not day.working)
        return f"{year}: {off} days off and {len(days) - off} make-up working days listed; " + (
            "published, stored deadlines recomputed" if changed else "unchanged"
        )
