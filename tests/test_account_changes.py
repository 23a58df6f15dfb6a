import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from residence.accounts.models import LoginSession, User
from residence.audit.models import AuditEvent
from residence.core.errors import Forbidden, Invalid, RateLimited
from residence.records.services import records_import_rows

from .conftest import PASSWORD, Api, error_code, last_code, make_user
from .idnumbers import with_check

pytestmark = pytest.mark.django_db


def identity(body17="43010219900307123", name="张伟", shenzhen_hukou="0"):
    number = with_check(body17)
    records_import_rows(
        "identities",
        [
            {
                "id_number": number,
                "name": name,
                "sex": "M" if int(body17[16]) % 2 else "F",  # the 17th digit's parity (GB 11643)
                "ethnicity": "汉",
                "birth_date": f"{body17[6:10]}-{body17[10:12]}-{body17[12:14]}",
                "hukou_address": "",
                "shenzhen_hukou": shenzhen_hukou,
            }
        ],
    )
    return number


# --- password reset ---------------------------------------------------------------------


def test_password_reset_with_a_code_to_the_bound_mobile(citizen, api):
    start = api.post("/api/v1/auth/password-reset", {"username": "Citizen1"})
    assert start.status_code == 202 and start.json()["phone_masked"] == "138****5678"
    body = {"challenge": start.json()["challenge"], "code": last_code(citizen.phone), "new_password": "Brand2026new"}
    assert api.post("/api/v1/auth/password-reset/confirm", body).status_code == 204
    assert Api().post("/api/v1/auth/login", {"username": "citizen1", "password": "Brand2026new"}).status_code == 202
    assert AuditEvent.objects.filter(type="password_reset", subject=citizen).exists()


def test_a_reset_code_is_written_in_the_holders_language_not_the_askers(citizen):
    from residence.notifications import sms

    def reset_sms():
        sms.outbox.clear()
        chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
        assert Api().post("/api/v1/auth/password-reset", {"username": "citizen1"}, **chinese).status_code == 202
        [text] = [m["text"] for m in sms.outbox if m["to"] == citizen.phone]
        return text

    User.objects.filter(pk=citizen.pk).update(language="en")
    text = reset_sms()
    assert "Your password reset code is" in text and "重置密码" not in text
    User.objects.filter(pk=citizen.pk).update(language="")  # none of its own: the asking page's
    assert "重置密码验证码" in reset_sms()


def test_an_account_disabled_after_the_reset_code_was_sent_is_not_changed(citizen, api):
    start = api.post("/api/v1/auth/password-reset", {"username": "citizen1"}).json()
    body = {"challenge": start["challenge"], "code": last_code(citizen.phone), "new_password": "Brand2026new"}
    User.objects.filter(pk=citizen.pk).update(status="disabled")
    refused = api.post("/api/v1/auth/password-reset/confirm", body)
    assert refused.status_code == 403 and "disabled" in refused.json()["error"]["message"]
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD) and not AuditEvent.objects.filter(type="password_reset").exists()


def test_a_login_ended_by_a_reset_is_told_so_not_that_it_signed_out(citizen, signed_in, api):
    """An outsider's token, ended by someone else's reset, was told "You have signed out"."""
    from django.test import Client

    from .test_web import web_login

    assert signed_in.get("/api/v1/me").status_code == 200
    start = api.post("/api/v1/auth/password-reset", {"username": "citizen1"}).json()
    body = {"challenge": start["challenge"], "code": last_code(citizen.phone), "new_password": "Brand2026new"}
    assert api.post("/api/v1/auth/password-reset/confirm", body).status_code == 204
    ended = signed_in.get("/api/v1/me")
    assert ended.status_code == 401 and "password was reset" in ended.json()["error"]["message"]
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.cookies["django_language"] = "en"
    assert web_login(browser, "citizen1", password="Brand2026new", phone=citizen.phone).status_code == 302
    start = api.post("/api/v1/auth/password-reset", {"username": "citizen1"}).json()
    body = {"challenge": start["challenge"], "code": last_code(citizen.phone), "new_password": "Other2026new"}
    assert api.post("/api/v1/auth/password-reset/confirm", body).status_code == 204
    page = browser.get("/account/", follow=True)
    assert page.redirect_chain[-1][0] == "/accounts/signed-out/?reason=password&next=%2Faccount%2F"
    assert "password of this account was reset" in page.content.decode()


def test_a_forgotten_username_is_sent_to_the_bound_number_and_the_answer_tells_nothing(citizen, api):
    """An outsider who forgot the username found no way back."""
    from django.test import Client

    from residence.notifications import sms

    known = api.post("/api/v1/auth/username-reminder", {"phone": "138 1234 5678"})
    unknown = api.post("/api/v1/auth/username-reminder", {"phone": "13712340000"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (202, b"")
    assert [m["to"] for m in sms.outbox] == ["13812345678"] and "citizen1" in sms.outbox[0]["text"]
    # Anyone may ask: a few a day per number, within its ten, then silently nothing.
    answers = [api.post("/api/v1/auth/username-reminder", {"phone": "13812345678"}).status_code for _ in range(4)]
    assert answers == [202] * 4 and len([m for m in sms.outbox if m["to"] == "13812345678"]) == 3
    assert error_code(api.post("/api/v1/auth/username-reminder", {"phone": "12345"})) == "invalid"
    # Its own few, apart from the reset codes: three resets tried first leave the reminder its day
    # (an outsider who had tried them was sent nothing).
    other = "13812345679"
    make_user("citizen9", phone=other)
    for _ in range(3):
        assert api.post("/api/v1/auth/password-reset", {"username": "citizen9"}).status_code == 202
    assert api.post("/api/v1/auth/username-reminder", {"phone": other}).status_code == 202
    assert [m for m in sms.outbox if m["to"] == other][-1]["text"].count("citizen9") == 1
    # On the web, from the sign-in page.
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.cookies["django_language"] = "en"
    assert 'href="/accounts/forgot-username/"' in browser.get("/accounts/login/").content.decode()
    page = browser.post("/accounts/forgot-username/", {"phone": "13712340001"}).content.decode()
    assert 'data-testid="reminder-sent"' in page and "137****0001" in page


def test_a_reset_ends_a_change_of_mobile_asked_before_it(citizen, signed_in, api):
    """Whoever held the account asked for a change to their own number; the holder's reset must
    leave them no code to finish it with."""
    asked = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900007778", "password": PASSWORD}).json()
    change_code = last_code("15900007778")
    start = api.post("/api/v1/auth/password-reset", {"username": "citizen1"}).json()
    body = {"challenge": start["challenge"], "code": last_code(citizen.phone), "new_password": "Brand2026new"}
    assert api.post("/api/v1/auth/password-reset/confirm", body).status_code == 204
    late = Api().post("/api/v1/auth/sms-verify", {"challenge": asked["challenge"], "code": change_code})
    assert error_code(late) == "challenge_expired"
    citizen.refresh_from_db()
    assert citizen.phone == "13812345678"


def test_password_reset_does_not_tell_whether_the_username_exists(citizen, api):
    known = api.post("/api/v1/auth/password-reset", {"username": "citizen1"})
    unknown = api.post("/api/v1/auth/password-reset", {"username": "nobody_at_all"})
    assert known.status_code == unknown.status_code == 202
    assert set(known.json()) == set(unknown.json()) == {"challenge", "phone_masked"}
    assert len(unknown.json()["phone_masked"]) == 11 and "****" in unknown.json()["phone_masked"]
    body = {"challenge": unknown.json()["challenge"], "code": "123456", "new_password": "Brand2026new"}
    assert error_code(api.post("/api/v1/auth/password-reset/confirm", body)) == "invalid_code"


def test_password_reset_rejects_a_weak_password_and_keeps_the_old_one(citizen, api):
    start = api.post("/api/v1/auth/password-reset", {"username": "citizen1"}).json()
    body = {"challenge": start["challenge"], "code": last_code(citizen.phone), "new_password": "weak"}
    response = api.post("/api/v1/auth/password-reset/confirm", body)
    assert response.status_code == 400 and "new_password" in response.json()["error"]["fields"]
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_password_reset_ends_live_logins(signed_in, citizen):
    api = Api()
    start = api.post("/api/v1/auth/password-reset", {"username": "citizen1"}).json()
    api.post(
        "/api/v1/auth/password-reset/confirm",
        {"challenge": start["challenge"], "code": last_code(citizen.phone), "new_password": "Brand2026new"},
    )
    assert signed_in.get("/api/v1/me").status_code == 401


# --- change password --------------------------------------------------------------------


def test_change_password(signed_in, citizen):
    response = signed_in.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "Other2026pass"})
    assert response.status_code == 204
    citizen.refresh_from_db()
    assert citizen.check_password("Other2026pass")
    assert AuditEvent.objects.filter(type="password_changed").count() == 1
    # The same change sent again (a double tap, a retry): done already, not "the password is wrong".
    again = signed_in.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "Other2026pass"})
    assert again.status_code == 409 and "just been changed" in again.json()["error"]["message"]
    # Long after the change, the old one is a wrong password, as ever.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        other = signed_in.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "Third2026pass"})
        assert other.status_code == 400 and "old_password" in other.json()["error"]["fields"]
        # The replaced hash is kept no longer than it serves: the daily jobs forget it.
        from residence.accounts.services.credentials import previous_passwords_forget

        citizen.refresh_from_db()
        assert citizen.previous_password
        assert previous_passwords_forget() == 1
    citizen.refresh_from_db()
    assert citizen.previous_password == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"old_password": "Wrong2026pass", "new_password": "Other2026pass"}, "old_password"),
        ({"old_password": PASSWORD, "new_password": "abc"}, "new_password"),
        ({"old_password": PASSWORD, "new_password": "citizen1a"}, "new_password"),
        ({"old_password": PASSWORD}, "new_password"),
        ({"old_password": PASSWORD, "new_password": PASSWORD}, "new_password"),  # no change: an outsider's 204
    ],
)
def test_change_password_bad_input_changes_nothing(signed_in, citizen, body, field):
    response = signed_in.post("/api/v1/me/password", body)
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD) and citizen.password_changed_at is None


# --- change mobile ----------------------------------------------------------------------


def test_change_mobile_needs_password_and_a_code_to_the_new_number(signed_in, citizen):
    from residence.notifications import sms

    old = citizen.phone
    response = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900001234", "password": PASSWORD})
    assert response.status_code == 202
    code = last_code("15900001234")
    assert code is not None
    sms.outbox.clear()
    verified = signed_in.post("/api/v1/auth/sms-verify", {"challenge": response.json()["challenge"], "code": code})
    assert verified.status_code == 200
    citizen.refresh_from_db()
    assert citizen.phone == "15900001234" and citizen.sms_required
    # The old number is told, with the new one masked (an outsider's stolen password alone moved
    # an account to another phone, its owner told nothing).
    [told] = sms.outbox
    assert told["to"] == old and "159****1234" in told["text"] and "15900001234" not in told["text"]
    assert Api().post("/api/v1/auth/login", {"username": "citizen1", "password": PASSWORD}).status_code == 202
    assert AuditEvent.objects.filter(type="phone_changed").count() == 1


def test_a_newer_change_of_mobile_voids_the_older_ones_code(signed_in, citizen):
    """An outsider asked for two new numbers and confirmed both codes, both told 200; the account
    kept one. The newest asked for is the one a code confirms."""
    first = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900001234", "password": PASSWORD}).json()
    first_code = last_code("15900001234")
    second = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900005678", "password": PASSWORD}).json()
    older = signed_in.post("/api/v1/auth/sms-verify", {"challenge": first["challenge"], "code": first_code})
    assert older.status_code == 400 and error_code(older) == "challenge_expired"
    answer = {"challenge": second["challenge"], "code": last_code("15900005678")}
    newer = signed_in.post("/api/v1/auth/sms-verify", answer)
    assert newer.status_code == 200
    citizen.refresh_from_db()
    assert citizen.phone == "15900005678"
    assert AuditEvent.objects.filter(type="phone_changed").count() == 1


def test_change_mobile_wrong_password_or_taken_number(signed_in, citizen):
    make_user("other_user", "15900009999")
    wrong = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900001234", "password": "Wrong2026pass"})
    assert wrong.status_code == 400 and "password" in wrong.json()["error"]["fields"]
    taken = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900009999", "password": PASSWORD})
    assert taken.status_code == 409 and error_code(taken) == "duplicate_phone"
    # Named at its field, as a sign-up's duplicate_phone is (an outsider's client found no field).
    assert taken.json()["error"]["fields"] == {"phone": [taken.json()["error"]["message"]]}
    bad = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "12345", "password": PASSWORD})
    assert bad.status_code == 400 and "phone" in bad.json()["error"]["fields"]
    citizen.refresh_from_db()
    assert citizen.phone == "13812345678"


def test_a_change_of_mobile_cannot_ask_numbers_one_by_one_whether_they_have_an_account(signed_in, citizen):
    """An outsider's account sent 201 numbers and learnt from each 409 which had an account."""
    for n in range(6):
        make_user(f"bound_user{n}", f"1590000900{n}")
    # A number bound to nobody does not count toward the day's taken numbers.
    assert signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900005678", "password": PASSWORD}).status_code == 202
    answers = [
        signed_in.call("PUT", "/api/v1/me/phone", {"phone": f"1590000900{n}", "password": PASSWORD}) for n in range(6)
    ]
    assert [a.status_code for a in answers] == [409] * 5 + [429]
    assert error_code(answers[5]) == "rate_limited" and answers[5]["Retry-After"]
    # The day used up, a number bound to nobody gets the same answer: the answer tells nothing.
    free = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900001234", "password": PASSWORD})
    assert free.status_code == 429 and free.json() == answers[5].json()
    citizen.refresh_from_db()
    assert citizen.phone == "13812345678"


def test_changes_to_a_strangers_number_leave_its_owner_codes_to_sign_in(signed_in, citizen):
    # An outsider's account asked twelve times to change to a number bound to nobody yet: ten codes
    # went to it, and the number's owner, signing up that day, got 429 at the first sign-in.
    from residence.notifications import sms

    answers = [
        signed_in.call("PUT", "/api/v1/me/phone", {"phone": "13712345678", "password": PASSWORD}).status_code
        for _ in range(5)
    ]
    assert answers == [202, 202, 202, 429, 429]
    assert sum(1 for m in sms.outbox if m["to"] == "13712345678") == 3  # LIMIT_CHANGE_SMS_PER_PHONE_DAY
    owner = Api()
    assert (
        owner.post(
            "/api/v1/accounts",
            {
                "kind": "individual",
                "username": "owner01",
                "password": PASSWORD,
                "phone": "13712345678",
                "consent": True,
            },
        ).status_code
        == 201
    )
    assert owner.post("/api/v1/auth/login", {"username": "owner01", "password": PASSWORD}).status_code == 202
    assert sum(1 for m in sms.outbox if m["to"] == "13712345678") == 4


def test_clerk_changes_a_lost_mobile_at_the_counter_against_the_verified_identity(citizen, signed_in):
    """An outsider's clerk moved any account to any number with a tick in a box (no document number
    asked, no code to the new number), took it over by a password reset, and the lost phone stayed
    signed in."""
    from residence.accounts.services import (
        phone_change_at_counter,
        phone_change_at_counter_confirm,
        real_name_verify,
        staff_create,
    )
    from residence.core.errors import InvalidCode
    from residence.notifications.models import SmsMessage
    from residence.places.models import AcceptancePoint

    from .conftest import committed

    clerk = staff_create(
        username="clerk_x", password=PASSWORD, phone="13900003333", role="clerk", point=AcceptancePoint.objects.first()
    )

    def start(number, phone="15900004444"):
        return committed(
            lambda: phone_change_at_counter(
                actor=clerk, username="citizen1", phone=phone, identity_checked=True, document_number=number
            )
        )

    with pytest.raises(Invalid) as unverified:
        start("11010519491231002X")
    assert "not passed real-name verification" in str(unverified.value.fields["document_number"])
    number = identity()
    real_name_verify(user=citizen, name="张伟", id_number=number)
    for wrong, said in (("11010519491231002X", "does not match"), ("", "Enter the ID number"), ("12345", "17 digits")):
        with pytest.raises(Invalid) as refused:
            start(wrong)
        assert said in str(refused.value.fields["document_number"])
    with pytest.raises(Invalid) as same:  # no change to the number it has (an outsider's was "changed")
        start(number, phone="13812345678")
    assert "already the account's bound mobile number" in str(same.value.fields["phone"])
    # Codes asked from the lost phone before the visit: a reset, a change of mobile.
    lost_phone = signed_in
    asked_change = lost_phone.call("PUT", "/api/v1/me/phone", {"phone": "15900007777", "password": PASSWORD}).json()
    asked_reset = Api().post("/api/v1/auth/password-reset", {"username": "citizen1"}).json()
    reset_code = last_code("13812345678")
    # A number typed in another form is said so, not "does not match" (an outsider).
    with pytest.raises(Invalid) as full_width:
        start(number.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    assert "half-width" in str(full_width.value.fields["document_number"])
    challenge = start(f"{number[:6]} {number[6:14]} {number[14:].lower()}")  # in groups, as on the card
    # Nothing is bound until the holder tells the clerk the code the new phone received.
    citizen.refresh_from_db()
    assert citizen.phone == "13812345678" and signed_in.get("/api/v1/me").status_code == 200
    code = last_code("15900004444")
    wrong_code = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidCode):
        phone_change_at_counter_confirm(actor=clerk, challenge=challenge.public_id, code=wrong_code)
    with pytest.raises(Forbidden):
        phone_change_at_counter_confirm(actor=citizen, challenge=challenge.public_id, code=code)
    committed(
        lambda: phone_change_at_counter_confirm(actor=clerk, challenge=challenge.public_id, code=code, note="ID card")
    )
    citizen.refresh_from_db()
    assert citizen.phone == "15900004444" and citizen.sms_required
    event = AuditEvent.objects.get(type="phone_changed")
    assert event.actor == clerk and event.data["at_counter"] is True and event.data["note"] == "ID card"
    # The lost phone's login ends, saying why; the old number is told, in case it was not the holder.
    ended = signed_in.get("/api/v1/me")
    assert ended.status_code == 401 and "changed at a counter" in ended.json()["error"]["message"]
    (warning,) = SmsMessage.objects.filter(to="13812345678", purpose="account").values_list("text", flat=True)
    assert "159****4444" in warning
    # The codes sent to the old number before the visit no longer work (an outsider's thief took
    # the account back with them).
    answer = {"challenge": asked_change["challenge"], "code": last_code("15900007777")}
    assert error_code(lost_phone.post("/api/v1/auth/sms-verify", answer)) == "challenge_expired"
    reset = {"challenge": asked_reset["challenge"], "code": reset_code, "new_password": "Thief2026pass"}
    assert error_code(Api().post("/api/v1/auth/password-reset/confirm", reset)) == "challenge_expired"
    citizen.refresh_from_db()
    assert citizen.phone == "15900004444" and citizen.check_password(PASSWORD)
    # Whoever had the lost phone may know the password: every login needs a code to the new number
    # until the holder changes it (an outsider signed in with it once the holder had signed in once).
    login = {"username": "citizen1", "password": PASSWORD}
    Api().login("citizen1", phone="15900004444")  # the first sign-in, with its code
    for _ in range(2):
        answer = Api().post("/api/v1/auth/login", login)
        assert answer.status_code == 202 and answer.json()["phone_masked"] == "159****4444"
    from .conftest import CommittingClient
    from .test_web import web_login

    browser = CommittingClient(HTTP_ACCEPT_LANGUAGE="en")
    browser.cookies["django_language"] = "en"
    assert web_login(browser, "citizen1", phone="15900004444").status_code == 302
    assert 'data-testid="password-change-due"' in browser.get("/account/").content.decode()
    holder = Api().login("citizen1", phone="15900004444")
    changed = holder.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": "Holder2026new"})
    assert changed.status_code == 204
    assert Api().post("/api/v1/auth/login", {**login, "password": "Holder2026new"}).status_code == 200


def test_an_organisations_mobile_is_changed_at_the_counter_against_its_credit_code(db):
    from residence.accounts.services import phone_change_at_counter, phone_change_at_counter_confirm, staff_create
    from residence.places.models import AcceptancePoint

    from .conftest import committed

    org = make_user("org_y", "15811118888", kind="organisation", name="单位", credit_code="91440300MA5D4X7K8N")
    clerk = staff_create(
        username="clerk_y", password=PASSWORD, phone="13900003334", role="clerk", point=AcceptancePoint.objects.first()
    )
    with pytest.raises(Invalid):
        phone_change_at_counter(
            actor=clerk,
            username="org_y",
            phone="15900004445",
            identity_checked=True,
            document_number="91440300MA5D4X7K9N",
        )
    challenge = committed(
        lambda: phone_change_at_counter(
            actor=clerk,
            username="org_y",
            phone="15900004445",
            identity_checked=True,
            document_number="91440300ma5d4x7k8n",
        )
    )
    phone_change_at_counter_confirm(actor=clerk, challenge=challenge.public_id, code=last_code("15900004445"))
    org.refresh_from_db()
    assert org.phone == "15900004445"


# --- real name --------------------------------------------------------------------------


def test_real_name_verification(signed_in, citizen):
    number = identity()
    response = signed_in.post("/api/v1/me/real-name", {"name": " 张伟 ", "id_number": number.lower()})
    assert response.status_code == 200 and response.json() == {"real_name_verified": True}
    me = signed_in.get("/api/v1/me").json()
    assert me["real_name_verified"] is True and me["person"]["name"] == "张伟"
    assert me["person"]["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert AuditEvent.objects.filter(type="real_name_verified", subject=citizen).exists()


def test_real_name_order_of_checks(signed_in, citizen):
    number = identity()
    mine_other = identity("44030419900101555", "王芳")
    bad = signed_in.post(
        "/api/v1/me/real-name",
        {"name": "张伟", "id_number": number[:17] + "0" if number[17] != "0" else number[:17] + "1"},
    )
    assert bad.status_code == 400 and error_code(bad) == "invalid" and "id_number" in bad.json()["error"]["fields"]
    wrong_name = signed_in.post("/api/v1/me/real-name", {"name": "李四", "id_number": number})
    assert wrong_name.status_code == 400 and error_code(wrong_name) == "name_mismatch"
    absent = with_check("44030419850505333")
    not_in_records = signed_in.post("/api/v1/me/real-name", {"name": "张伟", "id_number": absent})
    assert not_in_records.status_code == 400 and error_code(not_in_records) == "name_mismatch"
    other = Api().login(make_user("second_one", "15900005555").username, phone="15900005555")
    assert other.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number}).status_code == 200
    taken = signed_in.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number})
    assert taken.status_code == 409 and error_code(taken) == "identity_taken"
    assert "acceptance point" in taken.json()["error"]["message"]  # a way forward, not only the refusal
    assert signed_in.post("/api/v1/me/real-name", {"name": "王芳", "id_number": mine_other}).status_code == 200
    again = signed_in.post("/api/v1/me/real-name", {"name": "王芳", "id_number": mine_other})
    assert again.status_code == 409 and error_code(again) == "already_verified"


def test_real_name_accepts_hukou_and_hong_kong_identities(signed_in):
    number = identity("81000019920505456", "黄志明")
    assert signed_in.post("/api/v1/me/real-name", {"name": "黄志明", "id_number": number}).status_code == 200


def test_real_name_at_most_five_failures_a_day(signed_in, citizen):
    number = identity()
    for left in (4, 3, 2, 1, 0):
        failed = signed_in.post("/api/v1/me/real-name", {"name": "李四", "id_number": number})
        assert error_code(failed) == "name_mismatch" and failed.json()["error"]["tries_left"] == left
        said = failed.json()["error"]["message"]
        assert (f"{left} tr" in said) if left else ("No tries are left today" in said)
    response = signed_in.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number})
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    # Said as the day's attempts used up, not "too many requests" (an outsider).
    said = response.json()["error"]["message"]
    assert said == "Today's real-name verification attempts are used up: try again tomorrow."
    citizen.refresh_from_db()
    assert citizen.person_id is None


def test_real_name_identity_taken_counts_as_a_failure(signed_in, citizen):
    """Uncounted, the 409 told anyone with a list of names and ID numbers who has an account."""
    number = identity()
    holder = Api().login(make_user("holder_one", "15900006666").username, phone="15900006666")
    assert holder.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number}).status_code == 200
    for _ in range(5):
        taken = signed_in.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number})
        assert taken.status_code == 409 and error_code(taken) == "identity_taken"
    sixth = signed_in.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number})
    assert sixth.status_code == 429 and error_code(sixth) == "rate_limited"
    failed = AuditEvent.objects.filter(type="real_name_failed", subject=citizen)
    assert failed.count() == 5 and {e.data["reason"] for e in failed} == {"taken"}


# --- messages ---------------------------------------------------------------------------


def test_messages_unread_count_and_mark_read(signed_in, citizen):
    body = signed_in.get("/api/v1/me/messages").json()
    assert body["unread"] == 1 and len(body["results"]) == 1 and body["results"][0]["read"] is False
    message_id = body["results"][0]["id"]
    assert signed_in.post(f"/api/v1/me/messages/{message_id}/read").status_code == 204
    assert signed_in.get("/api/v1/me/messages").json()["unread"] == 0


def test_other_peoples_messages_are_404(signed_in):
    other = make_user("another_one", "15900006666")
    their = other.messages.get()
    response = signed_in.post(f"/api/v1/me/messages/{their.pk}/read")
    assert response.status_code == 404 and error_code(response) == "not_found"
    their.refresh_from_db()
    assert their.read_at is None


def test_only_one_live_session_after_any_sequence(citizen):
    clients = [Api().login("citizen1", phone=citizen.phone) for _ in range(3)]
    assert [c.get("/api/v1/me").status_code for c in clients] == [401, 401, 200]
    assert LoginSession.objects.filter(user=citizen, ended_at__isnull=True).count() == 1
    assert User.objects.get(pk=citizen.pk).last_login is not None


def test_only_an_individuals_account_passes_real_name_verification(db):
    number = identity()
    org = make_user(
        "org_identity", "15811117777", kind="organisation", name="深圳某公司", credit_code="91440300MA5D4X7K8N"
    )
    api = Api().login(org.username, phone=org.phone)
    response = api.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number})
    assert response.status_code == 403 and error_code(response) == "permission_denied"
    org.refresh_from_db()
    assert org.person_id is None
    person = make_user("the_person", "15811118888")
    assert (
        Api()
        .login("the_person", phone="15811118888")
        .post("/api/v1/me/real-name", {"name": "张伟", "id_number": number})
        .status_code
        == 200
    )
    person.refresh_from_db()
    assert person.person.id_number == number


def test_the_mobile_change_answer_shows_the_new_number(signed_in, citizen):
    start = signed_in.call("PUT", "/api/v1/me/phone", {"phone": "15900001234", "password": PASSWORD})
    verified = signed_in.post(
        "/api/v1/auth/sms-verify", {"challenge": start.json()["challenge"], "code": last_code("15900001234")}
    )
    assert verified.status_code == 200 and verified.json() == {"phone_masked": "159****1234"}


def test_the_counter_change_of_mobile_on_the_desk_asks_for_the_document_then_the_code(citizen):
    from residence.accounts.services import real_name_verify

    from .test_desk_pages import desk

    number = identity()
    real_name_verify(user=citizen, name="张伟", id_number=number)
    clerk = desk("clerk")
    form = {"username": "Citizen1", "document_number": number, "phone": "15900004446", "identity_checked": "on"}
    wrong = clerk.post("/staff/phone/", {**form, "document_number": "11010519491231002X"})
    assert wrong.status_code == 200 and "does not match the identity this account verified" in wrong.content.decode()
    # A username no account can have is a typing slip, said beside the field (an outsider's "ab!c"
    # and "zhang wei" were a 500).
    for typed in ("ab!c", "zhang wei", "\u0661\u0662\u0663\u0664"):
        slip = clerk.post("/staff/phone/", {**form, "username": typed})
        assert slip.status_code == 200 and "4–30" in slip.content.decode(), typed
    started = clerk.post("/staff/phone/", {**form, "note": "lost phone"})
    assert started.status_code == 302 and started["Location"] == "/staff/phone/verify/"
    page = clerk.get("/staff/phone/verify/").content.decode()
    assert "159****4446" in page and 'data-testid="lost-phone"' not in page
    citizen.refresh_from_db()
    assert citizen.phone == "13812345678"
    done = clerk.post("/staff/phone/verify/", {"code": last_code("15900004446")})
    assert done.status_code == 302 and done["Location"] == "/staff/"
    citizen.refresh_from_db()
    assert citizen.phone == "15900004446"
    assert AuditEvent.objects.get(type="phone_changed").data["note"] == "lost phone"


def test_the_counter_desk_is_no_way_to_try_id_numbers_or_numbers_on_accounts(citizen, settings):
    """An outsider's clerk tried 50 ID numbers on one account and 50 mobile numbers, none limited
    or on record."""
    from residence.accounts.services import phone_change_at_counter, real_name_verify

    from .test_desk_pages import desk

    number = identity()
    real_name_verify(user=citizen, name="张伟", id_number=number)
    desk("clerk")
    clerk = User.objects.get(username="desk_clerk")
    settings.LIMIT_COUNTER_MISMATCHES_PER_DAY = 3

    def attempt(document, phone="15900004447", username="citizen1"):
        try:
            phone_change_at_counter(
                actor=clerk, username=username, phone=phone, identity_checked=True, document_number=document
            )
        except (Invalid, RateLimited) as exc:
            return exc
        return None

    tries = [attempt(with_check(f"43010219900301{n}12")) for n in range(3)]
    assert [type(t).__name__ for t in tries] == ["Invalid"] * 3
    used_up = [attempt(number), attempt(number, username="nobody_here")]  # the right number too, now
    assert all(isinstance(t, RateLimited) and t.status == 429 for t in used_up)
    assert used_up[0].message == used_up[1].message
    looks = AuditEvent.objects.filter(type="personal_data_viewed", actor=clerk, data__what="counter_phone")
    assert looks.count() == 3 and all(e.data["refused"] == ["document_number"] for e in looks)
