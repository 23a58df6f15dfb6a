"""The permits' daily sweeps (RULES §9, DESIGN §How 4), run by `core.jobs.daily_jobs_run`:
suspend the permits whose endorsement lapsed, cancel those suspended for two years, and remind
the holders when their window opens and 30 and 7 days before it closes.

Each sweep is set-based, chunk by chunk in the order of a partial index (`permit_active_due`,
`permit_suspended`): one transaction per chunk holds

- the change itself, one `UPDATE … WHERE id IN (the next chunk) RETURNING …` (the reminders
  only read their chunk),
- the history rows and the audit events (`INSERT … SELECT` from the returned rows, passed as
  arrays: `unnest` on PostgreSQL, `json_each` on SQLite),
- the holders' in-app messages and their SMS rows (`queued`),
- the sweep's progress (SweepRun: rows processed, the last (date, id) done).

The SMS deliveries are queued once the chunk commits. A worker killed mid-way loses only the
chunk in flight (rolled back whole); a rerun resumes after the last committed chunk, and the
conditions of the UPDATE exclude rows already done, so nothing is suspended, cancelled,
recorded or told twice. A finished suspension or cancellation sweep run again makes a new pass
from the start, which finds only what became due since (a permit imported or corrected after the
day's run: an outsider's stayed active until a date never run before); a finished reminder sweep
run again tells only the holders of permits imported or changed since (`updated_at`).

The only per-row Python work is per chunk, on its returned rows: the blind index of the ID
number (HMAC, `audit.services.person_index`, kept in Python so the key never travels in SQL)
and the parameters of the messages of holders with an account.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from residence.accounts.models import User
from residence.applications.models import CARD_KINDS, OPEN_STATUSES, Application, Person
from residence.audit.models import AuditEvent, AuditEventType
from residence.core import clock
from residence.notifications.catalogue import SMS
from residence.notifications.models import Message, SmsMessage
from residence.notifications.services import deliver_many_on_commit, sms_text
from residence.records.models import Identity

from . import rules
from .models import Endorsement, Permit, PermitEvent, SweepRun

logger = logging.getLogger("residence.permits")

SUSPEND = "permits_suspend"
CANCEL = "permits_cancel"
# Reminder sweeps: name → days from the day of the sweep to the anniversary (endorsed_until).
# The window opens 60 days before the anniversary; it closes the day before it, so "30 days
# before it closes" is 31 days before the anniversary.
REMINDERS = {
    "permits_window_open": rules.WINDOW_DAYS,
    "permits_window_closing_30": 31,
    "permits_window_closing_7": 8,
}
# A reminder day the daily job did not run is caught up by the next run, this far back at most.
REMINDER_CATCH_UP_DAYS = 30
A, S, C = Permit.Status.ACTIVE, Permit.Status.SUSPENDED, Permit.Status.CANCELLED
CANCEL_REASON = "suspended_two_years"


def chunk_size() -> int:
    return max(1, int(getattr(settings, "PERMIT_SWEEP_CHUNK", 5000)))


def cancellation_cutoff(day: dt.date) -> dt.date:
    """The latest `suspended_on` whose cancellation day (rules.cancellation_day) is on or before
    `day`: the same date two years back, or 29 February when `day` is 28 February and that year
    was a leap year (suspended 29 Feb 2024 → cancelled 28 Feb 2026)."""
    try:
        cutoff = day.replace(year=day.year - rules.CANCEL_AFTER_YEARS)
    except ValueError:  # 29 February two years after a leap year
        cutoff = day.replace(year=day.year - rules.CANCEL_AFTER_YEARS, day=28)
    following = cutoff + dt.timedelta(days=1)
    return following if rules.cancellation_day(following) <= day else cutoff


# SQL helpers: the portable parts of the statements and the one branch per engine.


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model) -> str:
    return _q(model._meta.db_table)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _json_object() -> str:
    return "jsonb_build_object" if _pg() else "json_object"


def _day(value) -> str | dt.date:
    return connection.ops.adapt_datefield_value(value)


def _time(value) -> str | dt.datetime:
    return connection.ops.adapt_datetimefield_value(value)


def _cancellation_day(column: str) -> str:
    """SQL for rules.cancellation_day of a date column: the same date two years later, 29 February
    to 28 February (PostgreSQL's interval arithmetic does that; SQLite's would give 1 March)."""
    years = rules.CANCEL_AFTER_YEARS
    if _pg():
        return f"CAST({column} + INTERVAL '{years} years' AS date)"
    return (
        f"CASE WHEN strftime('%%m-%%d', {column}) = '02-29' THEN date({column}, '-1 day', '+{years} years') "
        f"ELSE date({column}, '+{years} years') END"
    )


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _rows_source(columns: dict[str, str], rows: list[tuple]) -> tuple[str, list]:
    """A FROM item `s` with the given columns (name → PostgreSQL type) holding `rows`, and its
    parameters: one array per column (`unnest`) on PostgreSQL, one JSON array on SQLite."""
    names = list(columns)
    if _pg():
        arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
        return f"unnest({arrays}) AS s({', '.join(names)})", [list(col) for col in zip(*rows, strict=True)]
    picks = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, name in enumerate(names))
    return f"(SELECT {picks} FROM json_each(%s)) AS s", [json.dumps(rows, default=str)]  # noqa: S608


def _insert_select(model, columns: list[str], exprs: list[str], params: list, source: dict, rows: list, returning=""):
    """INSERT INTO model's table (columns) SELECT exprs FROM the rows; `params` are the
    expressions' own. Returns the RETURNING rows when asked."""
    if not rows:
        return []
    from_item, source_params = _rows_source(source, rows)
    sql = (
        f"INSERT INTO {_table(model)} ({', '.join(_q(c) for c in columns)}) SELECT {', '.join(exprs)} FROM {from_item}"  # noqa: S608
    )
    if returning:
        sql += f" RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params + source_params)
        return cursor.fetchall() if returning else []


def _blind_index(id_numbers: list[str]) -> list[str]:
    """audit.services.person_index of each number (the same HMAC, in one pass over the chunk)."""
    key = settings.ID_INDEX_KEY.encode()
    return [hmac.digest(key, number.encode(), hashlib.sha256).hex() for number in id_numbers]


# What each chunk writes besides the change itself.


def _history(rows: list[tuple], *, kind: str, at: dt.datetime, details: str) -> None:
    """One PermitEvent per row; `rows` are (permit id, the day it took effect, detail value as
    text): the day workflow.event_day gives, not the day the sweep ran."""
    _insert_select(
        PermitEvent,
        ["permit_id", "kind", "on", "at", "actor_id", "data"],
        ["s.permit_id", "%s", "s.effective_on", "%s", "NULL", f"{_json_object()}('{details}', s.detail)"],
        [kind, _time(at)],
        {"permit_id": "bigint", "effective_on": "date", "detail": "text"},
        [(pk, on.isoformat(), detail) for pk, on, detail in rows],
    )


def _audit(rows: list[tuple], *, action: str, status_from: str, status_to: str, at: dt.datetime, details: str):
    """One audit event per row, as workflow.permit_transition writes it; `rows` are
    (ID number, permit number, detail value as text)."""
    indexed = [
        (index, number, detail)
        for index, (_id_number, number, detail) in zip(_blind_index([r[0] for r in rows]), rows, strict=True)
    ]
    data = (
        f"{_json_object()}('permit', s.number, 'action', '{action}', 'status_from', '{status_from}', "
        f"'status_to', '{status_to}', '{details}', s.detail)"
    )
    _insert_select(
        AuditEvent,
        ["type", "at", "actor_id", "actor_key_id", "subject_id", "person_index", "address", "data"],
        ["%s", "%s", "NULL", "NULL", "NULL", "s.person_index", "''", data],
        [AuditEventType.PERMIT_CHANGED.value, _time(at)],
        {"person_index": "text", "number": "text", "detail": "text"},
        indexed,
    )


def _holders(id_numbers: list[str]) -> dict[str, tuple[int | None, str, str]]:
    """The active account verified as each holder (accounts.User.person): ID number → (user id,
    phone, language). A holder with no account is reached by SMS at the mobile last given on an
    application (applications.Person), user id None: an outsider's counter applicant, without an
    account, heard nothing of endorsing until the permit was suspended."""
    if not id_numbers:
        return {}
    from_item, params = _rows_source({"id_number": "text"}, [(n,) for n in set(id_numbers)])
    sql = (
        f"SELECT i.id_number, u.id, u.phone, u.language FROM {_table(User)} u "  # noqa: S608
        f"JOIN {_table(Identity)} i ON i.id = u.person_id "
        f"WHERE u.is_active = %s AND i.id_number IN (SELECT s.id_number FROM {from_item})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, *params])
        holders = {row[0]: (row[1], row[2] or "", row[3]) for row in cursor.fetchall()}
        missing = [(n,) for n in set(id_numbers) if n not in holders]
        if missing:
            from_item, params = _rows_source({"id_number": "text"}, missing)
            cursor.execute(
                f"SELECT p.id_number, p.phone FROM {_table(Person)} p "  # noqa: S608
                f"WHERE p.phone <> %s AND p.id_number IN (SELECT s.id_number FROM {from_item})",
                ["", *params],
            )
            holders.update((id_number, (None, phone, "")) for id_number, phone in cursor.fetchall())
    return holders


def _tell(notices: list[tuple[str, dict]], *, key: str, at: dt.datetime) -> int:
    """The holders' notices of a chunk, as notifications.services.notice_send writes them: an in-app
    message to the holder's account and an SMS to its number, queued; `notices` are
    (ID number, params). The SMS deliveries are queued once the chunk commits.
    Returns how many holders were told."""
    holders = _holders([n[0] for n in notices])
    messages, texts, told = [], [], 0
    for id_number, params in notices:
        holder = holders.get(id_number)
        if holder is None:
            continue
        user_id, phone, language = holder
        told += 1
        if user_id is not None:
            messages.append((user_id, json.dumps(params, ensure_ascii=False)))
        if phone and key in SMS:
            texts.append((phone, sms_text(key, language=language, has_account=user_id is not None, **params)))
    params_expr = "s.params::jsonb" if _pg() else "s.params"
    _insert_select(
        Message,
        ["user_id", "key", "params", "created_at", "read_at"],
        ["s.user_id", "%s", params_expr, "%s", "NULL"],
        [key, _time(at)],
        {"user_id": "bigint", "params": "text"},
        messages,
    )
    queued = _insert_select(
        SmsMessage,
        [
            "to",
            "purpose",
            "text",
            "address",
            "sent_at",
            "status",
            "reason",
            "secret",
            "attempts",
            "last_attempt_at",
            "last_error",
            "delivered_at",
        ],
        ["s.phone", "'permit'", "s.text", "''", "%s", "%s", "''", "''", "0", "NULL", "''", "NULL"],
        [_time(at), SmsMessage.Status.QUEUED.value],
        {"phone": "text", "text": "text"},
        texts,
        returning="id",
    )
    if queued:
        # A broker that cannot be reached leaves them `queued`: sms_requeue_stale sends them.
        deliver_many_on_commit([row[0] for row in queued])
    return told


# The sweeps.

Step = Callable[[dt.date, SweepRun, int], tuple[int, tuple | None, int]]


def _sweep(name: str, day: dt.date, step: Step, *, again: bool = False) -> int:
    """Run `step` chunk by chunk for (name, day), each chunk in one transaction with the
    SweepRun's progress. `step(day, run, limit)` does one chunk after the run's position and
    answers (rows taken, the last (date, id) taken or None, count to report). Returns the count
    of this run. A finished sweep does nothing (0), or, `again`, a new pass from the start: a
    sweep whose conditions exclude the rows done already, or that reads `run.changed_since`."""
    try:
        run, _created = SweepRun.objects.get_or_create(name=name, date=day, defaults={"started_at": clock.now()})
    except IntegrityError:  # another worker created it between our read and our write
        run = SweepRun.objects.get(name=name, date=day)
    if run.finished_at is not None:
        if not again:
            return 0
        # Only the run that finds it finished starts the new pass; a second one at once takes turns.
        SweepRun.objects.filter(pk=run.pk, finished_at=run.finished_at).update(
            finished_at=None, position_on=None, position_id=0, changed_since=run.finished_at
        )
    limit, total = chunk_size(), 0
    while True:
        with transaction.atomic():
            # Two workers on the same sweep take turns chunk by chunk, each after the other's commit.
            run = SweepRun.objects.select_for_update().get(pk=run.pk)
            if run.finished_at is not None:
                break
            taken, last, count = step(day, run, limit)
            changes = {"processed": F("processed") + taken}
            if last is not None:
                changes.update(position_on=last[0], position_id=last[1])
            if taken < limit:
                changes["finished_at"] = clock.now()
            SweepRun.objects.filter(pk=run.pk).update(**changes)
        total += count
        if taken < limit:
            return total
    return total


def _after(column: str, position_on, position_id: int) -> tuple[str, list]:
    """The keyset condition (column, id) > (position) of a resumed sweep, with its parameters."""
    if position_on is None:
        return "", []
    return f" AND ({column}, id) > (%s, %s)", [_day(position_on), position_id]


def _window_params(number: str, until: dt.date, window: tuple[dt.date, dt.date]) -> dict:
    """A permit's notice parameters: its number, anniversary and the window it is told of."""
    opens, closes = window
    return {
        "number": number,
        "endorsed_until": until.isoformat(),
        "opens": opens.isoformat(),
        "closes": closes.isoformat(),
    }


def _suspend_chunk(day, run, limit):
    now = clock.now()
    after, after_params = _after("endorsed_until", run.position_on, run.position_id)
    # The outer conditions are checked again on a row another transaction changed meanwhile, the
    # subquery's are not: a late endorsement committed while the sweep waited for its row moved
    # `endorsed_until` a year on, and the permit was suspended from that new day (an outsider).
    # A permit whose endorsement, asked for in time (before the anniversary: one asked late holds
    # nothing off), waits for a department's check that is not yet overdue is not suspended
    # (RULES §9: it was not left unendorsed); the next day's sweep sees it again. Once the check
    # is overdue it is (an outsider found a check nobody answered kept a permit valid for ever); a
    # confirmation then restores it as in time.
    sql = (
        f"UPDATE {_table(Permit)} SET status = %s, suspended_on = endorsed_until, updated_at = %s "  # noqa: S608
        f"WHERE status = %s AND endorsed_until <= %s AND id IN (SELECT id FROM {_table(Permit)} p "
        f"WHERE status = %s AND endorsed_until <= %s{after} AND NOT EXISTS (SELECT 1 FROM {_table(Endorsement)} e "
        f"WHERE e.{_q('permit_id')} = p.{_q('id')} AND e.{_q('outcome')} = %s AND e.{_q('due_on')} >= %s "
        f"AND e.{_q('requested_on')} < p.endorsed_until) "
        "ORDER BY endorsed_until, id LIMIT %s) "
        "RETURNING id, id_number, number, endorsed_until"
    )
    params = [
        S,
        _time(now),
        A,
        _day(day),
        A,
        _day(day),
        *after_params,
        Endorsement.Outcome.PENDING.value,
        _day(day),
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(pk, id_number, number, _as_date(until)) for pk, id_number, number, until in cursor.fetchall()]
    if not rows:
        return 0, None, 0
    _history(
        [(r[0], r[3], r[3].isoformat()) for r in rows],
        kind=PermitEvent.Kind.SUSPENDED,
        at=now,
        details="suspended_on",
    )
    _audit(
        [(r[1], r[2], r[3].isoformat()) for r in rows],
        action="suspend",
        status_from=A,
        status_to=S,
        at=now,
        details="suspended_on",
    )
    # A permit lapsed two years ago or more (an import, or days the job did not run) is cancelled by
    # the same run, which tells the holder so: a "suspended, endorse by" with a past date would not
    # help (an outsider got both at once).
    # A holder whose in-time endorsement waits on an overdue check has nothing to do: told so, not
    # "endorse by", which would answer that a check is under way (an outsider).
    asked = dict(
        Endorsement.objects.filter(permit_id__in=[r[0] for r in rows], outcome=Endorsement.Outcome.PENDING).values_list(
            "permit_id", "requested_on"
        )
    )
    notices, waiting = [], []
    for pk, id_number, number, until in rows:
        if pk in asked:
            waiting.append((id_number, {"number": number, "asked": asked[pk].isoformat()}))
        elif rules.cancellation_day(until) > day:
            notices.append((id_number, _window_params(number, until, rules.late_window(until))))
    renewals = dict(
        Application.objects.filter(
            person__id_number__in=[n[0] for n in notices], kind__in=CARD_KINDS, status__in=OPEN_STATUSES
        ).values_list("person__id_number", "reference")
    )
    _tell([n for n in notices if n[0] not in renewals], key="permit_suspended", at=now)
    _tell(
        [(n[0], {**n[1], "reference": renewals[n[0]]}) for n in notices if n[0] in renewals],
        key="permit_suspended_card_waits",
        at=now,
    )
    _tell(waiting, key="permit_suspended_check_overdue", at=now)
    last = max((r[3], r[0]) for r in rows)
    return len(rows), last, len(rows)


def _cancel_chunk(day, run, limit):
    now = clock.now()
    after, after_params = _after("suspended_on", run.position_on, run.position_id)
    sql = (
        f"UPDATE {_table(Permit)} SET status = %s, cancelled_on = {_cancellation_day('suspended_on')}, "  # noqa: S608
        "cancel_reason = %s, updated_at = %s "
        f"WHERE status = %s AND id IN (SELECT id FROM {_table(Permit)} "
        f"WHERE status = %s AND suspended_on <= %s{after} ORDER BY suspended_on, id LIMIT %s) "
        "RETURNING id, id_number, number, endorsed_until, suspended_on, cancelled_on"
    )
    params = [C, CANCEL_REASON, _time(now), S, S, _day(cancellation_cutoff(day)), *after_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [(r[0], r[1], r[2], _as_date(r[3]), _as_date(r[4]), _as_date(r[5])) for r in cursor.fetchall()]
    if not rows:
        return 0, None, 0
    _history([(r[0], r[5], CANCEL_REASON) for r in rows], kind=PermitEvent.Kind.CANCELLED, at=now, details="reason")
    _audit(
        [(r[1], r[2], CANCEL_REASON) for r in rows],
        action="cancel",
        status_from=S,
        status_to=C,
        at=now,
        details="reason",
    )
    notices = [
        (id_number, {"number": number, "endorsed_until": until.isoformat(), "opens": "", "closes": ""})
        for _pk, id_number, number, until, _suspended_on, _cancelled_on in rows
    ]
    _tell(notices, key="permit_cancelled", at=now)
    last = max((r[4], r[0]) for r in rows)
    return len(rows), last, len(rows)


def _reminder_days(name: str, day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days whose reminders a run of `day` sends: `day`, and the days since the last finished
    run that were never run (an outsider skipped a day and its holders were never told), at most
    REMINDER_CATCH_UP_DAYS back. None when a later day's run has already covered this one."""
    runs = SweepRun.objects.filter(name=name, finished_at__isnull=False)
    if runs.filter(date__gt=day).exists():
        return None
    last = runs.filter(date__lt=day).order_by("-date").values_list("date", flat=True).first()
    since = day - dt.timedelta(days=REMINDER_CATCH_UP_DAYS)
    if last is None:
        since = day
    elif last + dt.timedelta(days=1) > since:
        since = last + dt.timedelta(days=1)
    return since, day


def _reminder_step(days_before: int, days: tuple[dt.date, dt.date] | None) -> Step:
    # Of the reminders a caught-up run owes one holder, only the most urgent is sent (an outsider
    # got the 30-day and the 7-day reminder together, twice the same words).
    urgent = [d for d in REMINDERS.values() if d < days_before]
    sooner = max(urgent) if urgent else 0

    def step(day, run, limit):
        if days is None:
            return 0, None, 0
        after, after_params = _after("endorsed_until", run.position_on, run.position_id)
        changed_since = run.changed_since
        first, last = (d + dt.timedelta(days=days_before) for d in days)
        first = max(first, day + dt.timedelta(days=sooner + 1))
        # A window that has closed meanwhile is past reminding: the suspension says the rest. A day
        # run again tells only the permits imported or changed since its previous pass (`changed_since`).
        # A holder whose endorsement waits for a department's check has endorsed: not reminded (an
        # outsider's was told "today is the last day to endorse" while the police checked).
        changed, changed_params = (" AND updated_at > %s", [_time(changed_since)]) if changed_since else ("", [])
        sql = (
            f"SELECT id, id_number, number, endorsed_until FROM {_table(Permit)} p "  # noqa: S608
            f"WHERE status = %s AND endorsed_until >= %s AND endorsed_until <= %s AND endorsed_until > %s{after}"
            f"{changed} AND NOT EXISTS (SELECT 1 FROM {_table(Endorsement)} e "
            f"WHERE e.{_q('permit_id')} = p.{_q('id')} AND e.{_q('outcome')} = %s) "
            "ORDER BY endorsed_until, id LIMIT %s"
        )
        pending = Endorsement.Outcome.PENDING.value
        with connection.cursor() as cursor:
            cursor.execute(sql, [A, _day(first), _day(last), _day(day), *after_params, *changed_params, pending, limit])
            rows = [(pk, id_number, number, _as_date(until)) for pk, id_number, number, until in cursor.fetchall()]
        if not rows:
            return 0, None, 0
        told = _tell_windows([r[1:] for r in rows], day, opening=days_before == rules.WINDOW_DAYS)
        return len(rows), max((r[3], r[0]) for r in rows), told

    return step


def _tell_windows(rows: list[tuple[str, str, dt.date]], day: dt.date, *, opening: bool = False) -> int:
    """Tell the holders of (ID number, permit number, endorsed_until) of their window as of `day`:
    that it opens, or how many days it has left. Returns how many were told."""
    notices = {"permit_window_open": [], "permit_window_closing": [], "permit_window_last_day": []}
    for id_number, number, until in rows:
        window = rules.endorsement_window(until)
        left = (window[1] - day).days
        # A caught-up reminder on the window's last day says so (an outsider's said "0 days left").
        key = "permit_window_open" if opening else ("permit_window_closing" if left else "permit_window_last_day")
        notices[key].append((id_number, {**_window_params(number, until, window), "days": left}))
    return sum(_tell(group, key=key, at=clock.now()) for key, group in notices.items() if group)


def past_last_reminder(endorsed_until: dt.date, day: dt.date) -> bool:
    """Whether a permit brought in active on `day` has missed its window's last reminder (7 days
    before it closes) and not yet lapsed: no sweep would tell its holder before the suspension."""
    return endorsed_until - dt.timedelta(days=REMINDERS["permits_window_closing_7"]) < day < endorsed_until


def remind_imported(rows: list[tuple[str, str, dt.date]], day: dt.date) -> int:
    """Tell the holders of permits imported on `day` past their last reminder (past_last_reminder)
    as that reminder tells: their first word was the suspension (an outsider's migrated permits).
    `rows`: (ID number, number, endorsed_until)."""
    return _tell_windows(rows, day)


def permits_suspend(day: dt.date) -> int:
    """Suspend every active permit whose anniversary (endorsed_until) is on or before `day`, from
    that anniversary (RULES §9). Returns how many this run suspended."""
    return _sweep(SUSPEND, day, _suspend_chunk, again=True)


def day_total(name: str, day: dt.date) -> int:
    """Rows the sweep `name` has taken for `day` in all its runs: a run resumed after a crash, or
    two at once, each count only their own part."""
    return SweepRun.objects.filter(name=name, date=day).values_list("processed", flat=True).first() or 0


def permits_cancel(day: dt.date) -> int:
    """Cancel every permit suspended for two years on `day` (rules.cancellation_day)."""
    return _sweep(CANCEL, day, _cancel_chunk, again=True)


def permits_remind(day: dt.date) -> dict[str, int]:
    """Remind the holders whose window opens on `day`, or closes in 30 or 7 days. Returns the
    holders told per reminder. A day run again tells the holders of permits imported or changed
    since its previous pass, and no one twice (an outsider's permit imported after the day's run
    never had its 7-day reminder); so does a second run started at once, which takes part in the
    first's pass or makes one after it (an outsider's two runs each made a whole pass)."""
    told = {}
    for name, days_before in REMINDERS.items():
        told[name] = _sweep(name, day, _reminder_step(days_before, _reminder_days(name, day)), again=True)
    return told
