"""Login sessions: one live login per account (web and API together)."""

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core import clock

from ..models import Kind, LoginSession, Status, User


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@transaction.atomic
def session_start(*, user: User, channel: str, remember: bool, address: str = "", user_agent: str = "") -> tuple:
    """Complete a login: end every older login of the account, start this one.

    The account row is locked, so of racing logins the last to get here is the live one.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    # Staff work at shared counters: their logins always end when idle (an outsider's staff login
    # with "remember me" outlived the idle timeout for 14 days).
    remember = remember and user.kind != Kind.STAFF
    now = clock.now()
    older = list(LoginSession.objects.filter(user=user, ended_at__isnull=True).values_list("pk", flat=True))
    if older:
        LoginSession.objects.filter(pk__in=older).update(ended_at=now, end_reason=LoginSession.EndReason.REPLACED)
        for pk in older:
            audit_record(type=AuditEventType.SESSION_REPLACED, actor=user, subject=user, address=address, session=pk)
    token = secrets.token_urlsafe(32)
    session = LoginSession.objects.create(
        user=user,
        channel=channel,
        token_hash=hash_token(token),
        remember=remember,
        created_at=now,
        last_seen_at=now,
        address=address,
        user_agent=(user_agent or "")[:300],
    )
    User.objects.filter(pk=user.pk).update(last_login=now)
    audit_record(
        type=AuditEventType.LOGIN, actor=user, subject=user, address=address, channel=channel, session=session.pk
    )
    return session, token


def session_expiry(session: LoginSession) -> dt.datetime:
    if session.remember:
        return session.created_at + dt.timedelta(seconds=settings.REMEMBER_SECONDS)
    return session.last_seen_at + dt.timedelta(seconds=settings.IDLE_TIMEOUT_SECONDS)


def usable(user: User) -> bool:
    """Whether the account may sign in at all (neither switched off nor disabled)."""
    return user.is_active and user.status != Status.DISABLED


def session_touch(session: LoginSession) -> str:
    """Check a session on use; returns "" when live, else why it is not (an EndReason).

    A session of an account switched off ends there and then, so switching the account on
    again does not bring old logins back. last_seen is written at most once a minute, so a
    busy client costs no write per request.
    """
    if session.ended_at is not None:
        return session.end_reason
    user = session.user
    now = clock.now()
    reason = ""
    if not usable(user):
        reason = LoginSession.EndReason.DISABLED
    elif now >= session_expiry(session):
        reason = LoginSession.EndReason.EXPIRED
    if reason:
        LoginSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=now, end_reason=reason)
        return reason
    # A write a minute at most, or a quarter of a shorter idle time (an outsider's 40 seconds
    # signed out a reader who was busy all along).
    if (now - session.last_seen_at).total_seconds() > min(60, settings.IDLE_TIMEOUT_SECONDS / 4):
        LoginSession.objects.filter(pk=session.pk).update(last_seen_at=now)
        session.last_seen_at = now
    return ""


def session_keep_alive(session: LoginSession) -> None:
    """Count now as activity, to the second (the page's warning before the idle sign-out: its
    "stay signed in" must give the whole idle time again, not less a minute)."""
    now = clock.now()
    LoginSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(last_seen_at=now)
    session.last_seen_at = now


def idle_seconds_left(session: LoginSession) -> int | None:
    """Seconds until a session not remembered is signed out for idleness; None for one that is."""
    if session.remember:
        return None
    return max(0, int((session_expiry(session) - clock.now()).total_seconds()))


@transaction.atomic
def session_end(*, session: LoginSession, address: str = "") -> bool:
    """End a login; False when it had ended already (a racing logout or login got there first)."""
    ended = LoginSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=clock.now(), end_reason=LoginSession.EndReason.LOGOUT
    )
    if ended:
        audit_record(
            type=AuditEventType.LOGOUT, actor=session.user, subject=session.user, address=address, session=session.pk
        )
    return bool(ended)


def sessions_end_all(*, user: User, reason: str) -> None:
    LoginSession.objects.filter(user=user, ended_at__isnull=True).update(ended_at=clock.now(), end_reason=reason)
