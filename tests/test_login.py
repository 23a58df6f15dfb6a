import datetime as dt
import io

import pytest
import time_machine

from residence.accounts.models import LoginSession, SmsChallenge, User
from residence.audit.models import AuditEvent
from residence.notifications import sms
from residence.notifications.models import SmsMessage

from .conftest import PASSWORD, Api, error_code, last_code, make_user, midday

pytestmark = pytest.mark.django_db


def login(api, username="citizen1", password=PASSWORD, **extra):
    return api.post("/api/v1/auth/login", {"username": username, "password": password, **extra})


def test_first_login_needs_an_sms_code_then_not_again(citizen):
    api = Api()
    first = login(api)
    assert first.status_code == 202 and first.json()["phone_masked"] == "138****5678"
    code = last_code(citizen.phone)
    verified = api.post("/api/v1/auth/sms-verify", {"challenge": first.json()["challenge"], "code": code})
    assert verified.status_code == 200 and verified.json()["token"]
    second = login(Api())
    assert second.status_code == 200 and second.json()["token"]
    assert AuditEvent.objects.filter(type="sms_verified", subject=citizen).count() == 1


def test_codes_and_tokens_are_stored_hashed(citizen):
    api = Api()
    challenge = login(api).json()["challenge"]
    code = last_code(citizen.phone)
    token = api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": code}).json()["token"]
    row = SmsChallenge.objects.get(public_id=challenge)
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert not LoginSession.objects.filter(token_hash=token).exists()
    assert code not in SmsMessage.objects.get().text


def test_sms_outbox_text_contains_the_six_digit_code(citizen):
    login(Api())
    assert len(sms.outbox) == 1 and sms.outbox[0]["to"] == citizen.phone
    assert last_code(citizen.phone) in sms.outbox[0]["text"]


def test_staff_need_a_code_at_every_login(db):
    from residence.accounts.services import staff_create

    staff_create(username="clerk_one", password=PASSWORD, phone="13900001111", role="courier")
    for _ in range(2):
        api = Api()
        response = login(api, "clerk_one")
        assert response.status_code == 202
        api.login("clerk_one", phone="13900001111")


def test_wrong_code_tells_the_tries_left_and_dies_after_five(citizen):
    api = Api()
    challenge = login(api).json()["challenge"]
    right = last_code(citizen.phone)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1, 0):
        response = api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": wrong})
        assert response.status_code == 400 and error_code(response) == "invalid_code"
        assert response.json()["error"]["tries_left"] == left
    assert "0" not in response.json()["error"]["message"]  # no "0 tries left": the code is spent
    response = api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": right})
    assert response.status_code == 400 and error_code(response) == "challenge_expired"
    assert not LoginSession.objects.exists()


def test_a_code_typed_in_full_width_digits_is_refused_without_using_a_try(citizen):
    api = Api()
    challenge = login(api).json()["challenge"]
    right = last_code(citizen.phone)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in right)  # ０-９
    response = api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": full_width})
    assert response.status_code == 400 and "code" in response.json()["error"]["fields"]
    assert SmsChallenge.objects.get(public_id=challenge).tries == 0
    assert api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": right}).status_code == 200


def test_code_expires_after_five_minutes(citizen):
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        challenge = login(api).json()["challenge"]
        traveller.shift(dt.timedelta(minutes=5, seconds=1))
        response = api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": last_code(citizen.phone)})
    assert response.status_code == 400 and error_code(response) == "challenge_expired"


def test_resend_no_sooner_than_60_seconds(citizen):
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        challenge = login(api).json()["challenge"]
        early = api.post("/api/v1/auth/sms-resend", {"challenge": challenge})
        assert early.status_code == 429 and int(early["Retry-After"]) <= 60
        # The wait is said once, by Retry-After (a page adds "try again in N seconds").
        assert early.json()["error"]["message"] == "A new code can be sent once every 60 seconds."
        first_code = last_code(citizen.phone)
        traveller.shift(dt.timedelta(seconds=61))
        assert api.post("/api/v1/auth/sms-resend", {"challenge": challenge}).status_code == 202
        assert len(sms.outbox) == 2
        response = api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": last_code(citizen.phone)})
    assert response.status_code == 200
    assert first_code is not None


def test_at_most_ten_sms_a_day_per_number(citizen):
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        challenge = login(api).json()["challenge"]
        for _ in range(9):
            traveller.shift(dt.timedelta(seconds=61))
            assert api.post("/api/v1/auth/sms-resend", {"challenge": challenge}).status_code == 202
        traveller.shift(dt.timedelta(seconds=61))
        response = api.post("/api/v1/auth/sms-resend", {"challenge": challenge})
        # A sign-in refused for it too; each refusal is on record (an outsider's supervisor, out of
        # SMS for the day, was refused four sign-ins the audit trail never showed).
        again = login(Api())
    assert response.status_code == 429 and error_code(response) == "rate_limited" and response["Retry-After"]
    assert again.status_code == 429 and error_code(again) == "rate_limited"
    # Which limit, in words (an outsider's read "too many requests, try later", twice over).
    assert again.json()["error"]["message"] == (
        "As many text messages as a mobile number may receive in a day have been sent to this one: try again tomorrow."
    )
    assert len(sms.outbox) == 10
    refused = AuditEvent.objects.filter(type="sms_not_sent").order_by("id")
    assert [(e.subject, e.data) for e in refused] == [
        (citizen, {"purpose": "login", "to": "138****5678"}),
        (citizen, {"purpose": "login", "to": "138****5678"}),
    ]
    assert [e.address for e in refused] == ["10.1.1.1", "10.1.1.1"]
    assert SmsChallenge.objects.count() == 1  # the first sign-in's: the refused one's is undone


def test_resets_asked_by_anyone_leave_the_owner_codes_to_sign_in(citizen):
    # An outsider's ten resets of a known username used up the number's ten SMS, and its owner,
    # with the right password, got 429 until midnight.
    with time_machine.travel(midday(), tick=False) as traveller:
        for n in range(10):
            traveller.shift(dt.timedelta(seconds=61))
            reset = Api(address=f"10.8.{n}.1").post("/api/v1/auth/password-reset", {"username": "citizen1"})
            assert reset.status_code == 202
            challenge = {"challenge": reset.json()["challenge"]}
            resend = Api(address=f"10.8.{n}.2").post("/api/v1/auth/sms-resend", challenge)
            assert resend.status_code == 429  # within 60 s of its code: not sent, and not counted
        assert len(sms.outbox) == 3
        traveller.shift(dt.timedelta(seconds=61))
        resent = Api(address="10.8.99.1").post("/api/v1/auth/sms-resend", challenge)
        assert resent.status_code == 202 and len(sms.outbox) == 3  # a resend is a reset's code too
        api = Api()
        first = login(api)
        assert first.status_code == 202
        verified = api.post(
            "/api/v1/auth/sms-verify", {"challenge": first.json()["challenge"], "code": last_code(citizen.phone)}
        )
    assert verified.status_code == 200 and len(sms.outbox) == 4
    assert SmsMessage.objects.filter(purpose="password_reset", reason="limit").count() == 8


def test_sms_per_address_limit(db, settings):
    settings.LIMIT_SMS_PER_ADDRESS_HOUR = 2
    for n in range(3):
        make_user(f"user_{n}", f"1381234000{n}")
    api = Api(address="10.7.7.7")
    assert login(api, "user_0").status_code == 202
    assert login(api, "user_1").status_code == 202
    response = login(api, "user_2")
    assert response.status_code == 429 and error_code(response) == "rate_limited"


def test_five_wrong_passwords_lock_the_username_for_fifteen_minutes(citizen):
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        for _ in range(4):
            assert error_code(login(api, password="Wrong2026pass")) == "invalid_credentials"
        fifth = login(api, password="Wrong2026pass")
        assert fifth.status_code == 429 and error_code(fifth) == "account_locked"
        locked = login(api, "CITIZEN1")
        assert locked.status_code == 429 and error_code(locked) == "account_locked"
        assert 0 < int(locked["Retry-After"]) <= 15 * 60
        traveller.shift(dt.timedelta(minutes=15, seconds=1))
        assert login(api).status_code == 202
    assert AuditEvent.objects.filter(type="account_locked").count() == 1
    assert AuditEvent.objects.filter(type="login_failed").count() == 5


def test_unknown_usernames_lock_the_same_way(db):
    api = Api()
    for _ in range(4):
        assert login(api, "nobody_here").status_code == 401
    assert error_code(login(api, "nobody_here")) == "account_locked"


def test_failures_per_address_are_limited_across_usernames(db, settings):
    settings.LIMIT_LOGIN_FAILURES_PER_ADDRESS = 3
    api = Api(address="10.5.5.5")
    for n in range(3):
        assert login(api, f"nobody_{n}").status_code == 401
    response = login(api, "nobody_9")
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    assert login(Api(address="10.5.5.6"), "nobody_9").status_code == 401


def test_attempts_on_a_locked_username_do_not_count_against_the_address(db, settings):
    # They compare no password, so they tell an attacker nothing: API.md's address limit
    # counts wrong passwords.
    settings.LIMIT_LOGIN_FAILURES_PER_ADDRESS = 6
    api = Api(address="10.5.5.7")
    for _ in range(4):
        assert login(api, "nobody_here").status_code == 401
    for _ in range(10):
        assert error_code(login(api, "nobody_here")) == "account_locked"
    assert login(api, "nobody_else").status_code == 401  # the 6th wrong password
    assert error_code(login(api, "nobody_more")) == "rate_limited"


def test_forwarded_for_is_believed_only_from_trusted_proxies(db, settings, client):
    from residence.core.middleware import ClientAddressMiddleware

    def address(remote, forwarded, proxies):
        settings.TRUSTED_PROXIES = proxies
        request = type("R", (), {"META": {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}})()
        return ClientAddressMiddleware(lambda r: None).client_address(request)

    assert address("10.0.0.2", "1.2.3.4", []) == "10.0.0.2"
    assert address("10.0.0.2", "1.2.3.4", ["10.0.0.0/8"]) == "1.2.3.4"
    assert address("10.0.0.2", "6.6.6.6, 1.2.3.4", ["10.0.0.0/8"]) == "1.2.3.4"
    assert address("8.8.8.8", "1.2.3.4", ["10.0.0.0/8"]) == "8.8.8.8"
    # Not an address (an outsider's forged log columns): the proxy's own, never the text.
    assert address("10.0.0.2", '1.1.1.1 "evil" 200', ["10.0.0.0/8"]) == "10.0.0.2"
    assert address("10.0.0.2", "6.6.6.6, junk", ["10.0.0.0/8"]) == "10.0.0.2"
    assert address("10.0.0.2", "junk, 1.2.3.4", ["10.0.0.0/8"]) == "1.2.3.4"
    assert address("10.0.0.2", "2001:db8::1", ["10.0.0.0/8"]) == "2001:db8::1"


def test_a_new_login_replaces_the_older_one(signed_in):
    newer = Api().login("citizen1")
    old = signed_in.get("/api/v1/me")
    assert old.status_code == 401 and error_code(old) == "session_replaced"
    assert newer.get("/api/v1/me").status_code == 200
    assert LoginSession.objects.filter(ended_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(type="session_replaced").count() == 1


def test_idle_token_expires_after_thirty_minutes(citizen):
    with time_machine.travel(midday(), tick=False) as traveller:
        api = Api().login("citizen1", phone=citizen.phone)
        traveller.shift(dt.timedelta(minutes=29))
        assert api.get("/api/v1/me").status_code == 200
        traveller.shift(dt.timedelta(minutes=29))
        assert api.get("/api/v1/me").status_code == 200
        traveller.shift(dt.timedelta(minutes=31))
        response = api.get("/api/v1/me")
    assert response.status_code == 401 and error_code(response) == "session_expired"


def test_remember_keeps_the_token_fourteen_days(citizen):
    with time_machine.travel(midday(), tick=False) as traveller:
        api = Api().login("citizen1", phone=citizen.phone, remember=True)
        traveller.shift(dt.timedelta(days=13, hours=23))
        assert api.get("/api/v1/me").status_code == 200
        traveller.shift(dt.timedelta(hours=2))
        assert error_code(api.get("/api/v1/me")) == "session_expired"


def test_logout_ends_the_token(signed_in):
    assert signed_in.post("/api/v1/auth/logout").status_code == 204
    assert signed_in.get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(type="logout").count() == 1


def test_me_shape(signed_in, citizen):
    me = signed_in.get("/api/v1/me").json()
    assert me == {
        "id": citizen.pk,
        "username": "citizen1",
        "kind": "individual",
        "status": "active",
        "phone_masked": "138****5678",
        "real_name_verified": False,
        "person": None,
    }


def test_me_for_staff_has_role_point_department(db):
    from residence.accounts.services import staff_create
    from residence.places.models import AcceptancePoint

    point = AcceptancePoint.objects.first()
    staff_create(username="clerk_two", password=PASSWORD, phone="13900002222", role="clerk", point=point)
    me = Api().login("clerk_two", phone="13900002222").get("/api/v1/me").json()
    assert me["kind"] == "staff" and me["role"] == "clerk" and me["point"]["code"] == point.code
    assert me["department"] is None


def test_no_token_is_401_not_authenticated(api):
    response = api.get("/api/v1/me")
    assert response.status_code == 401 and error_code(response) == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_bad_login_bodies_are_400(api):
    for body in (
        {},
        {"username": "a"},
        {"username": 1, "password": 2},
        {"username": "a", "password": "b", "remember": "yes"},
    ):
        response = api.post("/api/v1/auth/login", body)
        assert response.status_code == 400 and error_code(response) == "invalid"
    response = api.post("/api/v1/auth/sms-verify", {"challenge": "nope", "code": "123456"})
    assert response.status_code == 400 and error_code(response) == "challenge_expired"
    response = api.post("/api/v1/auth/sms-verify", {"challenge": "nope", "code": "12"})
    assert response.status_code == 400 and "code" in response.json()["error"]["fields"]
    assert not User.objects.exists()


def test_a_resend_does_not_give_a_challenge_more_tries(citizen):
    api = Api()
    with time_machine.travel(midday(), tick=False) as traveller:
        challenge = login(api).json()["challenge"]
        wrong = "000000" if last_code(citizen.phone) != "000000" else "111111"
        for _ in range(3):
            api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": wrong})
        traveller.shift(dt.timedelta(seconds=61))
        assert api.post("/api/v1/auth/sms-resend", {"challenge": challenge}).status_code == 202
        wrong = "000000" if last_code(citizen.phone) != "000000" else "111111"
        lefts = [
            api.post("/api/v1/auth/sms-verify", {"challenge": challenge, "code": wrong})
            .json()["error"]
            .get("tries_left")
            for _ in range(3)
        ]
    assert lefts == [1, 0, None]


def test_look_alike_usernames_are_refused_at_the_door_and_spend_nobodys_tries(db):
    from residence.accounts.services import staff_create

    staff_create(username="demo_supervisor", password=PASSWORD, phone="13900001234", role="supervisor")
    api = Api()
    for name in ("demo_ſupervisor", "ｄｅｍｏ_supervisor", "demo_supervisor\u200b"):
        response = login(api, name, password="Wrong2026pass")
        assert response.status_code == 400 and "username" in response.json()["error"]["fields"]
    assert not AuditEvent.objects.filter(type="login_failed").exists()
    assert login(api, "DEMO_SUPERVISOR").status_code == 202


def test_wrong_passwords_on_change_password_and_change_mobile_count_like_logins(signed_in, citizen):
    for _ in range(2):
        response = signed_in.post(
            "/api/v1/me/password", {"old_password": "Wrong2026pass", "new_password": "New2026pass"}
        )
        assert response.status_code == 400 and "old_password" in response.json()["error"]["fields"]
    for _ in range(2):
        response = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900001234", "password": "Wrong2026pass"})
        assert response.status_code == 400 and "password" in response.json()["error"]["fields"]
    fifth = signed_in.post("/api/v1/me/password", {"old_password": "Wrong2026pass", "new_password": "New2026pass"})
    assert fifth.status_code == 429 and error_code(fifth) == "account_locked"
    right = signed_in.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "New2026pass"})
    assert right.status_code == 429 and error_code(right) == "account_locked"
    assert error_code(login(Api())) == "account_locked"
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_a_right_password_does_not_forgive_earlier_failures(citizen):
    api = Api()
    for _ in range(4):
        login(api, password="Wrong2026pass")
    assert login(api).status_code == 202
    assert error_code(login(api, password="Wrong2026pass")) == "account_locked"


def test_a_disabled_accounts_token_stops_working_at_once(signed_in, citizen):
    assert signed_in.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=citizen.pk).update(status="disabled")
    response = signed_in.get("/api/v1/me")
    assert response.status_code == 401 and error_code(response) == "not_authenticated"
    assert "disabled" in response.json()["error"]["message"]
    User.objects.filter(pk=citizen.pk).update(status="active", is_active=False)
    assert signed_in.get("/api/v1/me").status_code == 401


def test_a_disabled_accounts_browser_is_signed_out(client, citizen):
    from .test_web import web_login

    web_login(client)
    assert client.get("/account/").status_code == 200
    User.objects.filter(pk=citizen.pk).update(status="disabled")
    response = client.get("/account/")
    assert response.status_code == 302 and "reason=disabled" in response["Location"]
    said = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="signed-out-disabled"' in said and "Please contact a counter." in said


def test_a_disabled_staff_members_browser_is_told_to_ask_the_supervisor(client):
    """An outsider's disabled staff member was sent to a counter, as a citizen would be."""
    from residence.accounts.services import staff_disable

    from .applications import STAFF, staff_member
    from .test_web import web_login

    staff_member("clerk", "desk")
    assert web_login(client, "desk_clerk", phone=STAFF["clerk"][1]).status_code == 302
    assert client.get("/staff/").status_code == 200
    staff_disable(username="desk_clerk", reason="调岗")
    response = client.get("/staff/")
    said = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ask your supervisor if this is wrong." in said and "contact a counter" not in said


def test_the_admin_never_checks_a_password_itself(client, citizen):
    User.objects.create_superuser(username="root_admin", password="Admin2026pass", phone="13900009999", kind="staff")
    anonymous = client.post("/admin/login/", {"username": "root_admin", "password": "Admin2026pass"})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    from .test_web import web_login

    web_login(client)
    for _ in range(3):
        guess = client.post("/admin/login/", {"username": "root_admin", "password": "Admin2026pass"})
        assert guess.status_code == 403
    assert client.session["_auth_user_id"] == str(citizen.pk)
    assert not AuditEvent.objects.filter(type="login", subject__username="root_admin").exists()


def test_switching_a_disabled_account_on_again_does_not_revive_its_old_logins(signed_in, citizen):
    User.objects.filter(pk=citizen.pk).update(status="disabled")
    assert signed_in.get("/api/v1/me").status_code == 401
    User.objects.filter(pk=citizen.pk).update(status="active")
    response = signed_in.get("/api/v1/me")
    assert response.status_code == 401 and "disabled" in response.json()["error"]["message"]
    assert LoginSession.objects.get(user=citizen).end_reason == "disabled"
    assert Api().login("citizen1").get("/api/v1/me").status_code == 200


def test_a_disabled_account_with_the_right_password_is_told_so_and_a_wrong_one_is_not(citizen):
    """An outsider's ended sub-account was told its password was wrong, and each try counted
    towards the lockout. Only the right password learns that the account is disabled."""
    User.objects.filter(pk=citizen.pk).update(status="disabled")
    api = Api()
    wrong = login(api, password="Wrong2026pass")
    assert wrong.status_code == 401 and error_code(wrong) == "invalid_credentials"
    for _ in range(6):  # the right password is no failure: no lockout however often
        right = login(api)
        assert right.status_code == 403 and error_code(right) == "permission_denied"
        assert "disabled" in right.json()["error"]["message"]
    assert not LoginSession.objects.filter(user=citizen).exists()


def test_an_operator_disables_a_staff_account_at_once_and_on_record(db):
    """A supervisor found no way to end a departing clerk's access but an unrecorded database edit."""
    from django.core.management import CommandError, call_command

    from residence.accounts.services import staff_create

    staff_create(username="leaving_clerk", password=PASSWORD, phone="13900009999", role="verifier", department="police")
    api = Api("10.9.9.9").login("leaving_clerk", phone="13900009999")
    assert api.get("/api/v1/me").status_code == 200
    with pytest.raises(CommandError):
        call_command("disable_staff", "--username", "leaving_clerk", "--reason", "")
    with pytest.raises(CommandError):
        call_command("disable_staff", "--username", "citizen_nobody", "--reason", "left")
    call_command("disable_staff", "--username", "LEAVING_CLERK", "--reason", "调离岗位 2026-11-29")
    assert api.get("/api/v1/me").status_code == 401
    [event] = AuditEvent.objects.filter(type="account_disabled")
    assert event.actor is None and event.data["reason"] == "调离岗位 2026-11-29" and event.data["kind"] == "staff"
    refused = login(Api("10.9.9.9"), username="leaving_clerk")
    assert refused.status_code == 403 and "staff account has been disabled" in refused.json()["error"]["message"]
    assert User.objects.get(username="leaving_clerk").phone is None  # the number is free again
    again = io.StringIO()
    call_command("disable_staff", "--username", "leaving_clerk", "--reason", "again", stdout=again)
    assert "was already disabled: nothing changed" in again.getvalue()
    assert AuditEvent.objects.filter(type="account_disabled").count() == 1


def test_the_last_system_administrator_is_not_disabled(db):
    """An outsider disabled demo_admin, the only superuser: the admin was locked out for good."""
    from django.core.management import CommandError, call_command

    from residence.accounts.models import Kind

    first = User.objects.create_superuser(username="admin_one", password=PASSWORD, kind=Kind.STAFF, phone="13900007771")
    with pytest.raises(CommandError, match="最后一个系统管理员"):
        call_command("disable_staff", "--username", "admin_one", "--reason", "left")
    assert User.objects.get(pk=first.pk).is_active
    User.objects.create_superuser(username="admin_two", password=PASSWORD, kind=Kind.STAFF, phone="13900007772")
    call_command("disable_staff", "--username", "admin_one", "--reason", "left", stdout=io.StringIO())
    assert not User.objects.get(pk=first.pk).is_active


def test_a_staff_login_always_ends_when_idle(db):
    """An outsider's staff login with "remember" outlived the idle timeout for 14 days."""
    from residence.accounts.services import staff_create

    staff_create(username="counter_clerk", password=PASSWORD, phone="13900008888", role="verifier", department="police")
    with time_machine.travel(midday(), tick=False) as traveller:
        api = Api("10.9.9.8").login("counter_clerk", phone="13900008888", remember=True)
        traveller.shift(dt.timedelta(minutes=31))
        response = api.get("/api/v1/me")
    assert response.status_code == 401 and error_code(response) == "session_expired"
