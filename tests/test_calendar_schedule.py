"""Entering a year's official schedule (RULES §8): the operator command and the admin refuse
what no schedule says, and change nothing then (an outsider published a year of a package's
guesses with one click, and saved a Saturday made a working day with no name or notice)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from residence.core.calendar_seed import OFFICIAL_CSV
from residence.core.models import CalendarDay, CalendarState, CalendarYear

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat


def load(path):
    out, err = StringIO(), StringIO()
    try:
        call_command("load_calendar", str(path), stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def days_of(year):
    return list(CalendarDay.objects.filter(date__year=year).order_by("date").values_list("date", "working", "name"))


def test_the_published_schedules_load_as_the_rules_give_them():
    """The official 2025–2026 file, entered again: RULES §8's dates stand, nothing else moves."""
    before = {year: days_of(year) for year in (2025, 2026)}
    code, out, _err = load(OFFICIAL_CSV)
    assert code == 0 and "2026 年：列出休息日 33 天、调休工作日 6 天" in out
    assert {year: days_of(year) for year in (2025, 2026)} == before
    working = dict(CalendarDay.objects.filter(date__year=2026).values_list("date", "working"))
    assert all(
        working[D(d)] for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
    )
    assert not any(working[D("2026-02-15") + dt.timedelta(days=i)] for i in range(9))
    assert not any(working[D("2026-10-01") + dt.timedelta(days=i)] for i in range(7))


BAD_ROWS = [
    ("2027-01-04,1,元旦,通知", "is a weekday, a working day without being listed"),
    ("2027-01-09,1,,通知", "Name the holiday"),
    ("2027-01-11,0,元旦,", "Give the notice"),
    ("２027-02-01,0,春节,通知", "half-width digits"),
    ("2027-02-30,0,春节,通知", "does not exist in the calendar"),
    ("2027-02-08,2,春节,通知", "working_day is 1"),
    ("2027-02-09,0,=cmd,通知", "do not start the text with"),
    ("2027-02-10,0,春节", "A row has 4 cells"),
    ("9999-01-01,0,春节,通知", "Give a date from 1949-01-01 to 2120-12-31"),
    ("2027-01-01,0,元旦,通知", "2027-01-01 is already on line 2"),
]


def test_a_bad_schedule_is_refused_row_by_row_and_changes_nothing(tmp_path, settings):
    settings.LANGUAGE_CODE = "en"
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,working_day,name,notice\n2027-01-01,0,元旦,通知\n" + "\n".join(row for row, _said in BAD_ROWS) + "\n",
        encoding="utf-8",
    )
    before, version = days_of(2027), CalendarState.objects.get().version
    code, _out, err = load(path)
    assert code == 1
    for line, (_row, said) in enumerate(BAD_ROWS, 3):
        assert f"line {line}: " in err and said in err.split(f"line {line}: ")[1].split("\n")[0]
    assert f"rejected: {len(BAD_ROWS)} bad row(s); nothing was applied" in err
    assert days_of(2027) == before and CalendarState.objects.get().version == version
    assert CalendarYear.objects.get(year=2027).published is False


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"date,working\n", "The first line must be the header"), (b"date,working_day,name,notice\n", "lists no days")],
)
def test_a_file_that_is_no_schedule_is_refused(tmp_path, settings, content, said):
    settings.LANGUAGE_CODE = "en"
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    code, _out, err = load(path)
    assert code == 1 and said in err


def test_a_file_that_leaves_out_entered_days_drops_them_only_when_told(tmp_path, settings):
    """An outsider's one-day amendment, loaded alone, wiped National Day and the Spring Festival
    from the official 2026 and left the year marked official."""
    settings.LANGUAGE_CODE = "en"
    amendment = tmp_path / "fix2026.csv"
    amendment.write_text("date,working_day,name,notice\n2026-10-08,0,国庆节,通知\n", encoding="utf-8")
    before = days_of(2026)
    code, _out, err = load(amendment)
    assert code == 1 and "2026: the file leaves out 39 day(s) already entered from an official notice" in err
    assert "such as 2026-01-01 (元旦)" in err and "--replace" in err and "line 1" not in err
    assert days_of(2026) == before
    out = StringIO()
    call_command("load_calendar", str(amendment), "--replace", stdout=out)
    assert "2026: 1 days off and 0 make-up working days listed; published" in out.getvalue()
    assert (
        not CalendarDay.objects.get(date=D("2026-10-01")).notice
        and CalendarDay.objects.get(date=D("2026-10-01")).working
    )
