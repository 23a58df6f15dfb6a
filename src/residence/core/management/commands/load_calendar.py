from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from residence.core.encodings import decode
from residence.core.management import input_file
from residence.core.schedule import MAX_ROWS, read_schedule
from residence.core.services import calendar_year_dropped, calendar_year_load, deadlines_recompute

MAX_BYTES = 200 * MAX_ROWS


def dropped_problem(year: int, gone: list) -> str:
    """A file that leaves out entered days of its year would drop them: a one-day amendment
    loaded alone wiped an official year's holidays (an outsider's)."""
    return _(
        "%(year)s: the file leaves out %(count)d day(s) already entered from an official notice, such as "
        "%(date)s (%(name)s). A file gives a year's whole schedule: add them, or give --replace to drop them."
    ) % {"year": year, "count": len(gone), "date": gone[0].date.isoformat(), "name": gone[0].name}


class Command(BaseCommand):
    help = (
        "Enter the official schedule of statutory holidays and make-up working days of one or more years "
        "from a CSV file (date,working_day,name,notice, as shared/data/cn-statutory-days-2025-2026.csv) and "
        "publish those years; stored deadlines are recomputed. All-or-nothing; exit 1 when rejected."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="drop the year's entered holidays and make-up days that the file leaves out",
        )

    def handle(self, *args, file, replace=False, **options):
        path = input_file(file)
        with path.open("rb") as f:  # no more than a schedule can be (an outsider's 3 GB file was read whole)
            data = f.read(MAX_BYTES + 1)
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
        # Of the file as a whole, not of a line (an outsider's was said to be on the header's).
        dropping = [
            (year, gone)
            for year, days in sorted(schedule.years.items())
            if (gone := calendar_year_dropped(year=year, days=days))
        ]
        if dropping and not replace:
            for year, gone in dropping:
                self.stderr.write(dropped_problem(year, gone))
            self.stderr.write(_("rejected: nothing was applied"))
            raise SystemExit(1)
        with transaction.atomic():  # every year of the file, or none
            said = [self._load(year, days) for year, days in sorted(schedule.years.items())]
        self.stdout.write("\n".join(said))
        # Loaded again after a recompute was cut short (an outsider's died of a deadlock after the
        # calendar was saved), the file changes nothing: the deadlines left stale are finished here.
        if stale := deadlines_recompute():
            self.stdout.write(_("%(n)d deadline(s) left on an earlier calendar recomputed") % {"n": stale})

    def _load(self, year: int, days: dict) -> str:
        changed = calendar_year_load(year=year, days=days)
        off = sum(1 for day in days.values() if not day.working)
        said = {"year": year, "off": off, "on": len(days) - off}
        if changed:
            return (
                _(
                    "%(year)d: %(off)d days off and %(on)d make-up working days listed; published, stored deadlines "
                    "recomputed"
                )
                % said
            )
        return _("%(year)d: %(off)d days off and %(on)d make-up working days listed; unchanged") % said
