"""core.limits on the database at hand (SQLite in one run of CI, PostgreSQL in the other);
the parallel behaviour is in test_races.py."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone, translation

from residence.core import limits
from residence.core.errors import AccountLocked, RateLimited
from residence.core.models import LimitCounter

from .conftest import midday

pytestmark = pytest.mark.django_db


def test_the_limit_th_event_is_the_last_let_through_and_a_refusal_is_not_counted():
    hits = [limits.hit("s", "k", limit=3, window=60) for _ in range(3)]
    assert [h.count for h in hits] == [1, 2, 3]
    with pytest.raises(RateLimited) as caught:
        limits.hit("s", "k", limit=3, window=60)
    assert 0 < caught.value.retry_after <= 60
    assert len(LimitCounter.objects.get(scope="s", key="k").events) == 3


def test_a_sliding_window_frees_one_event_at_a_time():
    with time_machine.travel(midday(), tick=False) as traveller:
        limits.hit("s", "k", limit=2, window=60)
        traveller.shift(dt.timedelta(seconds=30))
        limits.hit("s", "k", limit=2, window=60)
        with pytest.raises(RateLimited) as caught:
            limits.hit("s", "k", limit=2, window=60)
        assert caught.value.retry_after == 30
        traveller.shift(dt.timedelta(seconds=31))
        assert limits.hit("s", "k", limit=2, window=60).count == 2


def test_a_daily_quota_resets_at_local_midnight(settings):
    settings.FROZEN_TODAY = ""
    late = dt.datetime(2026, 3, 2, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(late, tick=False) as traveller:
        limits.hit("d", "k", limit=1, window=limits.DAILY)
        with pytest.raises(RateLimited) as caught:
            limits.hit("d", "k", limit=1, window=limits.DAILY)
        assert caught.value.retry_after == 60
        traveller.shift(dt.timedelta(minutes=2))
        assert limits.hit("d", "k", limit=1, window=limits.DAILY).count == 1


def test_keys_and_scopes_are_separate():
    limits.hit("s", "a", limit=1, window=60)
    limits.hit("s", "b", limit=1, window=60)
    limits.hit("t", "a", limit=1, window=60)
    assert LimitCounter.objects.count() == 3


def test_release_takes_back_exactly_that_event():
    first = limits.hit("s", "k", limit=2, window=60)
    limits.hit("s", "k", limit=2, window=60)
    limits.release(first)
    assert limits.hit("s", "k", limit=2, window=60).count == 2


def test_a_hit_in_a_transaction_that_rolls_back_is_not_counted():
    with pytest.raises(RuntimeError), transaction.atomic():
        limits.hit("s", "k", limit=1, window=60)
        raise RuntimeError
    assert limits.hit("s", "k", limit=1, window=60).count == 1


def test_block_when_full_blocks_once_and_refuses_with_the_blocks_error():
    for _ in range(2):
        limits.hit("u", "k", limit=2, window=60)
    assert limits.block_when_full("u", "k", limit=3, window=60, seconds=900) == (False, False)
    limits.hit("u", "k", limit=3, window=60)
    assert limits.block_when_full("u", "k", limit=3, window=60, seconds=900) == (True, True)
    assert limits.block_when_full("u", "k", limit=3, window=60, seconds=900) == (True, False)
    with pytest.raises(AccountLocked) as caught:
        limits.hit("u", "k", limit=3, window=60, error=AccountLocked)
    assert 899 <= caught.value.retry_after <= 900
    limits.reset("u", "k")
    assert limits.hit("u", "k", limit=3, window=60, error=AccountLocked).count == 1


def test_prune_forgets_idle_counters_but_keeps_blocks():
    with time_machine.travel(midday(), tick=False) as traveller:
        limits.hit("s", "idle", limit=1, window=60)
        limits.hit("u", "blocked", limit=1, window=60)
        limits.block_when_full("u", "blocked", limit=1, window=60, seconds=3600)
        traveller.shift(dt.timedelta(minutes=10))
        assert limits.prune(before=timezone.now() - dt.timedelta(minutes=5)) == 1
    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["blocked"]


def test_run_daily_jobs_prunes_idle_counters_and_is_idempotent(settings):
    import io

    from django.core.management import call_command

    settings.FROZEN_TODAY = ""
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        limits.hit("s", "old", limit=1, window=60)
    limits.hit("s", "fresh", limit=1, window=60)
    out = io.StringIO()
    call_command("run_daily_jobs", "--date", "2026-03-05", stdout=out)
    assert "清理闲置限额计数 1 个" in out.getvalue()
    call_command("run_daily_jobs", "--date", "2026-03-05", stdout=out)
    assert "清理闲置限额计数 0 个" in out.getvalue()
    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["fresh"]


def test_run_daily_jobs_refuses_a_day_to_come_and_spares_live_counters(settings):
    import io

    from django.core.management import CommandError, call_command

    settings.FROZEN_TODAY = "2026-03-02"
    for _ in range(4):
        limits.hit("login_user", "demo", limit=5, window=900)
    # In the operator's language, as the other commands' refusals are (Chinese by default).
    with translation.override("zh-hans"), pytest.raises(CommandError, match="2026-03-03 晚于今天（2026-03-02）"):
        call_command("run_daily_jobs", "--date", "2026-03-03", stdout=io.StringIO())
    with pytest.raises(CommandError):  # an empty date (a script's unset variable) is no date, not today
        call_command("run_daily_jobs", "--date", "", stdout=io.StringIO())
    call_command("run_daily_jobs", "--date", "2026-03-02", stdout=io.StringIO())
    # A run for a day gone by prunes nothing that is live either.
    call_command("run_daily_jobs", "--date", "2026-02-01", stdout=io.StringIO())
    limits.hit("login_user", "demo", limit=5, window=900)  # the fifth
    with pytest.raises(limits.RateLimited):
        limits.hit("login_user", "demo", limit=5, window=900)
    # Jobs run ahead with FROZEN_TODAY in the future, beside a server on the real date: the
    # server's live counters and locks stay (an outsider's lock went with "28 pruned").
    LimitCounter.objects.all().delete()
    settings.FROZEN_TODAY = ""
    for _ in range(5):
        limits.hit("login_user", "live", limit=5, window=900)
    settings.FROZEN_TODAY = "2028-12-06"
    out = io.StringIO()
    call_command("run_daily_jobs", "--date", "2028-12-06", stdout=out)
    assert "清理闲置限额计数 0 个" in out.getvalue()
    settings.FROZEN_TODAY = ""
    with pytest.raises(limits.RateLimited):
        limits.hit("login_user", "live", limit=5, window=900)
