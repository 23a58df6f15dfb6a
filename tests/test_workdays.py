import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from residence.core import workdays
from residence.core.models import CalendarDay, CalendarYear
from residence.core.services import DEADLINE_RECOMPUTERS, calendar_day_set, calendar_year_publish

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def add(start, n):
    return workdays.add_working_days(D(start), n)


def test_the_start_day_does_not_count():
    assert add("2026-03-02", 1).date == D("2026-03-03")
    assert add("2026-03-02", 5) == (D("2026-03-09"), False)


def test_across_spring_festival_2026_with_make_up_saturdays():
    assert workdays.is_working_day(D("2026-02-14")) and workdays.is_working_day(D("2026-02-28"))
    assert not any(workdays.is_working_day(D("2026-02-15") + dt.timedelta(days=i)) for i in range(9))
    assert add("2026-02-13", 1).date == D("2026-02-14")
    assert add("2026-02-14", 1).date == D("2026-02-24")
    assert add("2026-02-12", 3).date == D("2026-02-24")


def test_across_spring_festival_2025():
    assert workdays.is_working_day(D("2025-01-26")) and workdays.is_working_day(D("2025-02-08"))
    assert add("2025-01-27", 1).date == D("2025-02-05")


def test_across_national_day_and_landing_on_a_make_up_day():
    assert add("2026-09-30", 1).date == D("2026-10-08")
    assert add("2026-10-09", 1).date == D("2026-10-10")
    assert add("2025-09-26", 1).date == D("2025-09-28")
    assert add("2025-09-30", 1).date == D("2025-10-09")
    assert add("2025-10-10", 1).date == D("2025-10-11")


def test_working_days_between():
    assert workdays.working_days_between(D("2026-02-13"), D("2026-02-24")) == 2
    assert workdays.working_days_between(D("2026-03-02"), D("2026-03-02")) == 0


def test_years_without_an_official_schedule_are_provisional():
    assert CalendarYear.objects.filter(published=True).count() == 2
    assert add("2026-12-30", 1) == (D("2026-12-31"), False)
    assert add("2026-12-31", 1).provisional is True
    assert add("2024-05-06", 1).provisional is True
    assert add("2024-12-31", 1).provisional is False


def test_publishing_a_year_clears_provisional_and_runs_the_recompute_hook(django_capture_on_commit_callbacks):
    seen = []

    def hook():
        seen.append(workdays.add_working_days(D("2026-12-31"), 1))
        return 0

    DEADLINE_RECOMPUTERS.append(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            calendar_year_publish(year=2027)
        assert add("2026-12-31", 1).provisional is False and seen == [(D("2027-01-04"), False)]
        with django_capture_on_commit_callbacks(execute=True):
            calendar_day_set(date=D("2027-01-04"), working=False, name="test")
        assert add("2026-12-31", 1).date == D("2027-01-05") and seen[1:] == [(D("2027-01-05"), False)]
    finally:
        DEADLINE_RECOMPUTERS.remove(hook)


def test_the_whole_range_is_stored():
    assert CalendarDay.objects.filter(date__year=1949).count() == 365
    assert workdays.add_working_days(D("2100-12-31"), 3650).date.year > 2100


@settings(max_examples=300, deadline=None)
@given(start=st.dates(D("1949-01-01"), D("2100-12-31")), n=st.integers(1, 3650))
def test_properties_of_add_working_days(start, n):
    result = workdays.add_working_days(start, n).date
    assert result > start
    assert workdays.is_working_day(result)
    assert workdays.working_days_between(start, result) == n
    assert workdays.working_days_between(start, result - dt.timedelta(days=1)) == n - 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30&add=5", "from"),
        ("from=1948-12-31&add=5", "from"),
        ("from=2101-01-01&add=1", "from"),
        ("add=5", "from"),
        ("from=2026-03-02&add=0", "add"),
        ("from=2026-03-02&add=3651", "add"),
        ("from=2026-03-02&add=x", "add"),
        ("from=2026-03-02&add=%EF%BC%95", "add"),
        ("from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-03-02&add=5", "from"),
        ("from=9999-06-01&add=5", "from"),
        ("from=2026-03-02", "add"),
        ("from=2100-12-31&add=1", "add"),  # the answer would be 2101-01-03
        ("from=2095-01-01&add=3650", "add"),
    ],
)
def test_working_days_api_rejects_bad_queries(api, query, field):
    response = api.get("/api/v1/working-days?" + query)
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_an_answer_past_the_calendar_says_so_on_add(api):
    # The field named was `add` but its message spoke of a date ("give a date from … to …").
    response = api.get("/api/v1/working-days?from=2100-12-31&add=1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["fields"] == {
        "add": ["Counted from 2100-12-31, that many working days end after 2100-12-31: give fewer."]
    }


def test_working_days_api(api):
    response = api.get("/api/v1/working-days?from=2026-03-02&add=5")
    assert response.status_code == 200 and response.json() == {"date": "2026-03-09", "provisional": False}
    assert api.get("/api/v1/working-days?from=2026-12-20&add=30").json()["provisional"] is True


@settings(max_examples=300, deadline=None)
@given(start=st.dates(D("2020-01-01"), D("2030-12-31")), n=st.integers(1, 400))
def test_provisional_means_some_day_after_start_lies_in_an_unpublished_year(start, n):
    published = set(CalendarYear.objects.filter(published=True).values_list("year", flat=True))
    deadline = workdays.add_working_days(start, n)
    days_after = (start + dt.timedelta(days=i) for i in range(1, (deadline.date - start).days + 1))
    assert deadline.provisional == any(day.year not in published for day in days_after)


def test_an_administrator_publishes_a_year_in_the_admin(client):
    from residence.accounts.models import User

    from .conftest import last_code

    User.objects.create_superuser(username="cal_admin", password="Admin2026pass", phone="13900008888", kind="staff")
    client.post("/accounts/login/", {"platform": "permit", "username": "cal_admin", "password": "Admin2026pass"})
    client.post("/accounts/login/verify/", {"code": last_code("13900008888")})
    assert client.get("/admin/core/calendaryear/").status_code == 200
    calendar_day_set(date=D("2027-01-01"), working=False, name="元旦", notice="国办发明电〔2026〕1号")
    response = client.post("/admin/core/calendaryear/", {"action": "publish", "_selected_action": ["2027"]})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).published
    assert add("2026-12-31", 1).provisional is False


def test_a_calendar_changed_by_another_worker_is_seen_at_once():
    from residence.core.models import CalendarState

    assert add("2026-12-31", 1).date == D("2027-01-04")
    # Another worker's change: rows and a new version stamp committed, nothing said to this
    # process. Without the stamp the cached table stays (it is a cache); with it, it is rebuilt.
    CalendarDay.objects.filter(date=D("2027-01-04")).update(working=False)
    assert add("2026-12-31", 1).date == D("2027-01-04")
    CalendarState.objects.update(version="another-workers-change")
    assert add("2026-12-31", 1).date == D("2027-01-05")
