"""Every write to accounts, by concern; each is importable from here."""

from .accounts import (
    account_create,
    account_language_remember,
    account_problems,
    real_name_allowed,
    real_name_verify,
    staff_create,
    staff_disable,
    staff_point_set,
    stated_language,
)
from .challenges import challenge_create, dummy_phone_mask
from .credentials import (
    LoginResult,
    VerifyResult,
    auth_login,
    auth_sms_resend,
    auth_sms_verify,
    password_change,
    password_reset_confirm,
    password_reset_start,
    phone_apply,
    phone_change_at_counter,
    phone_change_start,
    username_reminder,
)
from .organisations import organisation_activate, organisation_decline
from .sessions import hash_token, session_end, session_expiry, session_start, session_touch, sessions_end_all

__all__ = [
    "LoginResult",
    "VerifyResult",
    "account_create",
    "account_language_remember",
    "account_problems",
    "auth_login",
    "auth_sms_resend",
    "auth_sms_verify",
    "challenge_create",
    "dummy_phone_mask",
    "hash_token",
    "organisation_activate",
    "organisation_decline",
    "password_change",
    "password_reset_confirm",
    "password_reset_start",
    "phone_apply",
    "phone_change_at_counter",
    "phone_change_start",
    "real_name_allowed",
    "real_name_verify",
    "session_end",
    "session_expiry",
    "session_start",
    "session_touch",
    "sessions_end_all",
    "staff_create",
    "staff_disable",
    "staff_point_set",
    "stated_language",
    "username_reminder",
]
