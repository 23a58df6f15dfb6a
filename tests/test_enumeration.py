"""Nothing in an answer tells whether an account exists: password reset (start, resend,
confirm) and sign-up answer alike for a real and an unknown username, past every limit."""

import datetime as dt
import re

import phonenumbers
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from residence.accounts.models import User
from residence.notifications import sms
from residence.notifications.models import SmsMessage

from .conftest import PASSWORD, Api, error_code, last_code, make_user, midday

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password-reset"


def shape(response):
    """What a client can tell from an answer: the status, the body's keys and its error code."""
    body = response.json() if response.content else {}
    code = body.get("error", {}).get("code") if isinstance(body, dict) else None
    keys = sorted(body) if isinstance(body, dict) else None
    return response.status_code, tuple(keys) if keys is not None else None, code, response.get("Retry-After")


@pytest.fixture
def real(db):
    return make_user("real_person", "13812340000")


def test_reset_answers_alike_past_the_numbers_daily_limit(real):
    api = Api()
    known = [shape(api.post(RESET, {"username": "real_person"})) for _ in range(12)]
    unknown = [shape(api.post(RESET, {"username": "ghost_person"})) for _ in range(12)]
    assert known == unknown == [(202, ("challenge", "phone_masked"), None, None)] * 12
    # Three reset codes went to the real number (a reset's day per number); the nine over that
    # were logged as not sent.
    assert sum(1 for m in sms.outbox if m["to"] == "13812340000") == 3
    assert SmsMessage.objects.filter(to="13812340000", status="not_sent", reason="limit").count() == 9


def test_reset_answers_alike_past_the_addresss_hourly_limit(real, settings):
    settings.LIMIT_SMS_PER_ADDRESS_HOUR = 2
    api = Api(address="10.20.20.20")
    answers = [shape(api.post(RESET, {"username": name})) for name in ["ghost_a", "ghost_b"] + ["real_person"] * 2]
    assert set(answers) == {(202, ("challenge", "phone_masked"), None, None)}
    assert not sms.outbox  # the unknown usernames used up the address's hour too


def test_the_unknown_mask_is_stable_and_plausible(db, settings):
    settings.LIMIT_SMS_PER_ADDRESS_HOUR = 1000
    api = Api()
    first = api.post(RESET, {"username": "ghost_person"}).json()["phone_masked"]
    assert first == api.post(RESET, {"username": "GHOST_PERSON"}).json()["phone_masked"]
    # As varied as real numbers' (an outsider told real accounts by masks that all began 13):
    # every network's prefixes, each one a real mobile prefix (checked here by phonenumbers).
    masks = [api.post(RESET, {"username": f"ghost_{i}"}).json()["phone_masked"] for i in range(200)]
    assert all(len(m) == 11 and m[3:7] == "****" and m[7:].isdigit() for m in masks)
    assert {m[:2] for m in masks} >= {"13", "15", "17", "18", "19"}
    assert len({m[:3] for m in masks}) > 30 and len({m[7:] for m in masks}) > 150
    for prefix in {m[:3] for m in masks}:
        assert any(
            phonenumbers.number_type(phonenumbers.parse(prefix + rest, "CN")) == phonenumbers.PhoneNumberType.MOBILE
            for rest in ("00000000", "12345678", "56781234", "99999999")
        ), prefix


def test_second_resend_answers_alike(real):
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        challenges = {
            name: api.post(RESET, {"username": name}).json()["challenge"] for name in ("real_person", "ghost")
        }
        traveller.shift(dt.timedelta(seconds=61))
        first = {n: shape(api.post("/api/v1/auth/sms-resend", {"challenge": c})) for n, c in challenges.items()}
        second = {n: shape(api.post("/api/v1/auth/sms-resend", {"challenge": c})) for n, c in challenges.items()}
    assert first["real_person"] == first["ghost"] == (202, (), None, None)
    assert second["real_person"][:3] == second["ghost"][:3] == (429, ("error",), "rate_limited")


def test_resends_past_the_daily_limit_are_silent_for_a_reset(real):
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        challenge = api.post(RESET, {"username": "real_person"}).json()["challenge"]
        answers = []
        for _ in range(11):
            traveller.shift(dt.timedelta(seconds=61))
            answers.append(api.post("/api/v1/auth/sms-resend", {"challenge": challenge}).status_code)
    assert answers == [202] * 11
    assert sum(1 for m in sms.outbox if m["to"] == "13812340000") == 3


def test_an_unknown_usernames_resends_meet_the_limits_a_real_numbers_do(real):
    # Counted by the challenge, an unknown username's resends never met a limit and took the
    # longer way of an SMS within it, while a real number past its day took the short one (an
    # outsider timed the difference): counted by the username's stand-in, both meet the day alike.
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        challenges = [api.post(RESET, {"username": name}).json()["challenge"] for name in ("real_person", "ghost")]
        for _ in range(5):
            traveller.shift(dt.timedelta(seconds=61))
            for challenge in challenges:
                assert api.post("/api/v1/auth/sms-resend", {"challenge": challenge}).status_code == 202
    refused = SmsMessage.objects.filter(reason="limit")
    assert refused.filter(to="13812340000").count() == refused.filter(to="").count() == 3


def test_a_reset_past_the_numbers_day_does_the_work_an_unknown_usernames_does(real):
    # An outsider used up a real number's three reset codes, then timed its resets against fresh
    # unknown usernames': the real one's, not sent, skipped the delivery steps the stand-in takes.
    # The same statements now, counted here (time follows the work).
    api = Api()
    for _ in range(3):
        api.post(RESET, {"username": "real_person"})

    def statements(username):
        """The statements of one reset, each as its verb and its table; savepoints aside, and the
        limit counters' UPDATEs (a refused count writes nothing: the one difference left, a
        statement of a row already locked and read)."""
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            assert api.post(RESET, {"username": username}).status_code == 202
        kept = [
            (query["sql"].split()[0], re.search(r'"(\w+_\w+)"', query["sql"]).group(1))
            for query in captured.captured_queries
            if not query["sql"].startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
        ]
        return [statement for statement in kept if statement != ("UPDATE", "core_limitcounter")]

    assert statements("real_person") == statements("fresh_ghost")


def test_confirm_answers_alike_until_the_code_is_right(real):
    api = Api()
    known = api.post(RESET, {"username": "real_person"}).json()["challenge"]
    unknown = api.post(RESET, {"username": "ghost_person"}).json()["challenge"]
    code = last_code("13812340000")
    wrong = "000000" if code != "000000" else "111111"
    # A password like the username would be refused for the real account only: it must not
    # show before the code is right.
    for challenge in (known, unknown):
        response = api.post(RESET + "/confirm", {"challenge": challenge, "code": wrong, "new_password": "real_person1"})
        assert shape(response) == (400, ("error",), "invalid_code", None)
        assert response.json()["error"]["tries_left"] == 4
    generic = [
        api.post(RESET + "/confirm", {"challenge": c, "code": wrong, "new_password": "short"}) for c in (known, unknown)
    ]
    assert {shape(r) for r in generic} == {(400, ("error",), "invalid", None)}
    # With the right code the likeness is refused and the code stays usable.
    similar = api.post(RESET + "/confirm", {"challenge": known, "code": code, "new_password": "real_person1"})
    assert similar.status_code == 400 and "new_password" in similar.json()["error"]["fields"]
    done = api.post(RESET + "/confirm", {"challenge": known, "code": code, "new_password": "Brand2026new"})
    assert done.status_code == 204
    real.refresh_from_db()
    assert real.check_password("Brand2026new")


def test_signup_probes_for_taken_names_count_against_the_address(real, settings):
    settings.LIMIT_SIGNUPS_PER_ADDRESS_HOUR = 3
    api = Api(address="10.21.21.21")
    body = {"kind": "individual", "password": PASSWORD, "consent": True}
    probes = [
        api.post("/api/v1/accounts", {**body, "username": "real_person", "phone": f"1381234010{i}"}) for i in range(3)
    ]
    assert [error_code(r) for r in probes] == ["duplicate_username"] * 3
    fourth = api.post("/api/v1/accounts", {**body, "username": "real_person", "phone": "13812340109"})
    assert fourth.status_code == 429 and error_code(fourth) == "rate_limited"
    fresh = api.post("/api/v1/accounts", {**body, "username": "brand_new", "phone": "13812340110"})
    assert fresh.status_code == 429
    assert not User.objects.filter(username="brand_new").exists()


def test_bad_fields_are_answered_without_counting(settings, db):
    settings.LIMIT_SIGNUPS_PER_ADDRESS_HOUR = 1
    api = Api(address="10.22.22.22")
    for _ in range(3):
        assert api.post("/api/v1/accounts", {"kind": "individual", "username": "x"}).status_code == 400
    ok = {"kind": "individual", "username": "fine_user", "password": PASSWORD, "phone": "13812340200", "consent": True}
    assert api.post("/api/v1/accounts", ok).status_code == 201


def test_an_unknown_usernames_reset_goes_through_the_same_delivery_steps(real):
    """Without a broker the SMS is delivered inline, after the commit and before the answer: an
    unknown username's stand-in goes through the same statements (all but the gateway), so the
    real username's reset no longer answers measurably later (docs/performance.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = Api()
    for username in ("real_person", "ghost_person"):  # the limit counters exist from here on
        assert api.post(RESET, {"username": username}).status_code == 202
    statements = {}
    for username in ("real_person", "ghost_person"):
        with CaptureQueriesContext(connection) as queries:
            assert api.post(RESET, {"username": username}).status_code == 202
        statements[username] = [query["sql"].split()[0] for query in queries]
    assert statements["real_person"] == statements["ghost_person"]
    assert statements["real_person"].count("UPDATE") >= 4  # counters, then the delivery's claim and end
    ghost = SmsMessage.objects.filter(to="").latest("id")
    assert (ghost.status, ghost.reason, ghost.attempts) == ("not_sent", "no_account", 1)
    assert [m["to"] for m in sms.outbox] == ["13812340000", "13812340000"]
