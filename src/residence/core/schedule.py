"""A year's official schedule of statutory holidays and make-up working days (RULES §8), read from
a CSV file in the form of `data/cn-statutory-days-2025-2026.csv`: `date,working_day,name,notice`,
one row per day that differs from the week's rule (weekend days of a holiday may be listed too).

Pure: the file's text in, the days by year and every bad row out. An outsider could enter a year
only day by day in the admin, and the admin took a Saturday made a working day with no name and
no notice, and a year marked published with nothing official entered.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .calendar_seed import FIRST_YEAR, LAST_YEAR
from .validators import parse_date, plain_text_problem, text_problem

HEADER = ["date", "working_day", "name", "notice"]
YEARS = (dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31))
MAX_ROWS = 2000  # every day of five years, and more: a schedule lists a few dozen a year


@dataclass(frozen=True)
class Day:
    working: bool
    name: str
    notice: str


@dataclass
class Schedule:
    years: dict[int, dict[dt.date, Day]] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)


def by_default_working(day: dt.date) -> bool:
    return day.weekday() < 5


def day_problem(day: dt.date, working: bool, name: str, notice: str) -> str | None:
    """Why a day cannot be entered so, or None: a day that departs from the week's rule is a
    holiday or a make-up working day, named, with the notice that declares it; a weekday listed
    as a working day says nothing."""
    if working and by_default_working(day):
        return _("%(date)s is a weekday, a working day without being listed: list holidays and make-up days only.") % {
            "date": day.isoformat()
        }
    for value, limit, missing in (
        (name, 100, _("Name the holiday (or, for a make-up working day, the holiday it makes up for).")),
        (notice, 300, _("Give the notice that declares this day (its address or title).")),
    ):
        if problem := text_problem(value, limit, missing) or plain_text_problem(value):
            return str(problem)
    return None


def read_schedule(text: str) -> Schedule:
    """The days of the file by year, and every bad row as (line, reason); the header is line 1.
    A header other than HEADER refuses the file whole (ValidationError)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(reader, [])]
    if header != HEADER:
        raise ValidationError(_("The first line must be the header: %(header)s.") % {"header": ",".join(HEADER)})
    schedule, seen = Schedule(), {}
    for line, row in enumerate(reader, 2):
        if not any(cell.strip() for cell in row):
            continue
        if line > MAX_ROWS + 1:
            schedule.problems.append((line, _("A schedule has at most %(n)d rows.") % {"n": MAX_ROWS}))
            break
        if len(row) != len(HEADER):
            schedule.problems.append((line, _("A row has 4 cells: date, working_day, name, notice.")))
            continue
        date_text, working_text, name, notice = (cell.strip() for cell in row)
        try:
            day = parse_date(date_text, YEARS)
        except ValidationError as error:
            schedule.problems.append((line, error.messages[0]))
            continue
        if working_text not in ("0", "1"):
            schedule.problems.append((line, _("working_day is 1 (a working day) or 0 (a day off).")))
            continue
        if day in seen:
            schedule.problems.append(
                (line, _("%(date)s is already on line %(line)d.") % {"date": date_text, "line": seen[day]})
            )
            continue
        seen[day] = line
        if problem := day_problem(day, working_text == "1", name, notice):
            schedule.problems.append((line, problem))
            continue
        schedule.years.setdefault(day.year, {})[day] = Day(working_text == "1", name, notice)
    if not seen and not schedule.problems:
        schedule.problems.append((1, _("The file lists no days.")))
    return schedule
