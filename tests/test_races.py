"""Every limit and uniqueness rule under parallel requests, on PostgreSQL: each thread is a
client with its own database connection, all released at once by a barrier.

SQLite serialises whole write transactions (IMMEDIATE), so these races cannot happen there;
the same code runs on both (DESIGN §How 10)."""

import contextlib
import json
import random
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from residence.accounts.models import LoginSession, Organisation, SmsChallenge, User
from residence.accounts.services import staff_create
from residence.audit.models import AuditEvent
from residence.eligibility.models import EligibilityCheck
from residence.notifications import sms
from residence.notifications.models import SmsMessage
from residence.places.models import AcceptancePoint
from residence.records.models import Identity

from .conftest import PASSWORD, Api, error_code, last_code, make_user
from .idnumbers import ZHANG_WEI
from .test_account_changes import identity
from .test_eligibility_api import load_records
from .test_exchange import IDENTITY_ROW, key_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("places"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)"),
]


def race(n, action):
    barrier = threading.Barrier(n)
    results = [None] * n
    errors = []

    def worker(i):
        try:
            barrier.wait()
            results[i] = action(i)
        except Exception as e:  # a crash in a thread must fail the test, not vanish
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def statuses(responses):
    return Counter(r.status_code for r in responses)


def test_racing_logins_leave_exactly_one_live_session():
    user = make_user("racer_one", "13811112222")
    User.objects.filter(pk=user.pk).update(sms_required=False)
    clients = [Api(address=f"10.3.3.{i}") for i in range(6)]

    def login(i):
        response = clients[i].post("/api/v1/auth/login", {"username": "racer_one", "password": PASSWORD})
        clients[i].token = response.json()["token"]
        return response.status_code

    assert race(6, login) == [200] * 6
    answers = [c.get("/api/v1/me").status_code for c in clients]
    assert answers.count(200) == 1 and answers.count(401) == 5
    assert LoginSession.objects.filter(user=user, ended_at__isnull=True).count() == 1


def test_twenty_parallel_passwords_are_five_checks_and_the_rest_locked():
    user = make_user("target_one", "13811113333")
    User.objects.filter(pk=user.pk).update(sms_required=False)
    # The right password is the last of twenty; at most five of them are ever compared.
    passwords = ["Wrong2026pass"] * 19 + [PASSWORD]
    responses = race(
        20,
        lambda i: Api(address=f"10.6.{i}.1").post(
            "/api/v1/auth/login", {"username": "target_one", "password": passwords[i]}
        ),
    )
    counts = statuses(responses)
    assert counts[401] <= 5 and counts[401] + counts[200] + counts[429] == 20
    assert all(error_code(r) == "account_locked" for r in responses if r.status_code == 429)
    # Only compared passwords are audited as failures: five at most, whatever the order.
    assert AuditEvent.objects.filter(type="login_failed").count() <= 5
    if counts[200] == 0:
        # The right password came too late to be compared: the username is locked now.
        locked = Api().post("/api/v1/auth/login", {"username": "target_one", "password": PASSWORD})
        assert locked.status_code == 429 and error_code(locked) == "account_locked"


def test_parallel_wrong_passwords_from_one_address_stop_at_the_address_limit(settings):
    settings.LIMIT_LOGIN_FAILURES_PER_ADDRESS = 8
    responses = race(
        16, lambda i: Api(address="10.8.8.8").post("/api/v1/auth/login", {"username": f"nobody_{i}", "password": "x1"})
    )
    counts = statuses(responses)
    assert counts == {401: 8, 429: 8}
    assert {error_code(r) for r in responses if r.status_code == 429} == {"rate_limited"}


def test_parallel_wrong_passwords_on_change_password_lock_like_logins(signed_in_pg):
    api, user = signed_in_pg
    responses = race(
        10, lambda i: api.post("/api/v1/me/password", {"old_password": "Wrong2026pass", "new_password": "Other2026pw"})
    )
    counts = statuses(responses)
    assert counts[400] <= 5 and counts[429] >= 5
    assert AuditEvent.objects.filter(type="login_failed", data__where="password_change").count() <= 5
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_two_parallel_password_changes_one_wins_the_other_is_409(signed_in_pg):
    """An outsider's two changes with the same old password were both told 204; one of the two
    new passwords then did not work."""
    api, user = signed_in_pg
    new = ["NewPassA2026x", "NewPassB2026y"]
    responses = race(2, lambda i: api.post("/api/v1/me/password", {"old_password": PASSWORD, "new_password": new[i]}))
    assert statuses(responses) == {204: 1, 409: 1}
    won = new[[r.status_code for r in responses].index(204)]
    user.refresh_from_db()
    assert user.check_password(won) and AuditEvent.objects.filter(type="password_changed").count() == 1


def test_ten_parallel_sends_of_one_password_change_change_it_once_and_lock_nothing(signed_in_pg):
    """An outsider's ten raced copies of one change got one 204, six 409 and three 429, and the
    account was then locked for 15 minutes: the 409s had been counted as wrong passwords."""
    api, user = signed_in_pg
    body = {"old_password": PASSWORD, "new_password": "NewPassA2026x"}
    responses = race(10, lambda i: api.post("/api/v1/me/password", body))
    counts = statuses(responses)
    # Ten at once are five more than the lockout lets compare at a time (counted before comparing,
    # so that parallel guesses stop at five): those are refused for now, and nothing else.
    assert counts[204] == 1 and set(counts) <= {204, 409, 429}, [r.content for r in responses if r.status_code == 400]
    assert AuditEvent.objects.filter(type="login_failed").count() == 0
    assert Api("10.9.9.1").post(
        "/api/v1/auth/login", {"username": user.username, "password": "NewPassA2026x"}
    ).status_code in (200, 202)


def test_two_parallel_changes_of_mobile_leave_one_code_that_works(signed_in_pg):
    api, user = signed_in_pg
    phones = ["15900001111", "15900002222"]
    started = race(2, lambda i: api.call("PUT", "/api/v1/me/phone", {"phone": phones[i], "password": PASSWORD}))
    assert statuses(started) == {202: 2}
    verified = race(
        2,
        lambda i: api.post(
            "/api/v1/auth/sms-verify", {"challenge": started[i].json()["challenge"], "code": last_code(phones[i])}
        ),
    )
    assert statuses(verified) == {200: 1, 400: 1}
    bound = phones[[r.status_code for r in verified].index(200)]
    user.refresh_from_db()
    assert user.phone == bound and AuditEvent.objects.filter(type="phone_changed").count() == 1


@pytest.fixture
def signed_in_pg(db):
    user = make_user("pg_citizen", "13811114444")
    User.objects.filter(pk=user.pk).update(sms_required=False)
    return Api().login("pg_citizen"), user


def test_parallel_logouts_of_one_token_end_it_once_and_the_rest_are_told_401(signed_in_pg):
    """An outsider's fifteen logouts of one token at once got three 204s; one logout ends a
    login once, like the sequential second logout, which is 401."""
    api, _user = signed_in_pg
    responses = race(15, lambda i: api.post("/api/v1/auth/logout"))
    assert statuses(responses) == {204: 1, 401: 14}
    assert {error_code(r) for r in responses if r.status_code == 401} == {"not_authenticated"}
    assert AuditEvent.objects.filter(type="logout").count() == 1


def test_twenty_five_parallel_resets_send_the_resets_three_sms_and_all_answer_alike():
    make_user("reset_one", "13811115555")
    responses = race(
        25, lambda i: Api(address=f"10.9.{i}.1").post("/api/v1/auth/password-reset", {"username": "reset_one"})
    )
    assert statuses(responses) == {202: 25}
    assert {frozenset(r.json()) for r in responses} == {frozenset({"challenge", "phone_masked"})}
    # Three codes go for the gateway (LIMIT_RESET_SMS_PER_PHONE_DAY), the rest are refused by the
    # limit. A code that a newer one replaced before its delivery ran is not sent (a dead code):
    # under load that can be one or two of the three, so the outbox holds the ones delivered.
    rows = SmsMessage.objects.filter(to="13811115555")
    assert rows.filter(reason="").count() == 3 and rows.filter(reason="limit").count() == 22
    delivered = sum(1 for m in sms.outbox if m["to"] == "13811115555")
    assert 1 <= delivered == rows.filter(status=SmsMessage.Status.SENT).count()
    replaced = rows.filter(status=SmsMessage.Status.FAILED, last_error__startswith="replaced by a newer code")
    assert replaced.count() == 3 - delivered


def test_thirty_parallel_signups_from_one_address_create_twenty():
    def signup(i):
        body = {
            "kind": "individual",
            "username": f"signup_{i}",
            "password": PASSWORD,
            "phone": f"1381116{i:04d}",
            "consent": True,
        }
        return Api(address="10.10.10.10").post("/api/v1/accounts", body)

    counts = statuses(race(30, signup))
    assert counts == {201: 20, 429: 10}
    assert User.objects.filter(username__startswith="signup_").count() == 20


def test_twelve_parallel_signups_with_one_credit_code_one_wins_the_rest_409():
    def signup(i):
        body = {
            "kind": "organisation",
            "username": f"org_{i}",
            "password": PASSWORD,
            "phone": f"1381117{i:04d}",
            "name": "深圳市同一公司",
            "credit_code": "91440300MA5D4X7K8N",
            "consent": True,
        }
        return Api(address=f"10.11.{i}.1").post("/api/v1/accounts", body)

    responses = race(12, signup)
    assert statuses(responses) == {201: 1, 409: 11}
    assert Organisation.objects.count() == 1 and User.objects.filter(username__startswith="org_").count() == 1


def test_fifteen_parallel_limited_checks_get_five_answers(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    load_records(identity())
    make_user("checker_one", "13811118888")
    api = Api().login("checker_one", phone="13811118888")
    body = {"name": "张伟", "id_number": ZHANG_WEI, "route": "residence_employment"}
    counts = statuses(race(15, lambda i: api.post("/api/v1/eligibility-checks", body)))
    assert counts == {200: 5, 429: 10}
    assert EligibilityCheck.objects.count() == 5


def test_fifteen_parallel_failed_real_name_attempts_count_five():
    identity()
    make_user("verifier_one", "13811119999")
    api = Api().login("verifier_one", phone="13811119999")
    body = {"name": "李四", "id_number": ZHANG_WEI}
    responses = race(15, lambda i: api.post("/api/v1/me/real-name", body))
    assert statuses(responses) == {400: 5, 429: 10}
    assert {error_code(r) for r in responses if r.status_code == 400} == {"name_mismatch"}
    assert AuditEvent.objects.filter(type="real_name_failed").count() == 5


def test_two_accounts_verifying_one_identity_at_once_one_wins():
    identity()
    apis = []
    for i in range(6):
        make_user(f"twin_{i}", f"1381112000{i}")
        apis.append(Api().login(f"twin_{i}", phone=f"1381112000{i}"))
    responses = race(6, lambda i: apis[i].post("/api/v1/me/real-name", {"name": "张伟", "id_number": ZHANG_WEI}))
    assert statuses(responses) == {200: 1, 409: 5}
    assert {error_code(r) for r in responses if r.status_code == 409} == {"identity_taken"}
    assert User.objects.filter(person__id_number=ZHANG_WEI).count() == 1


def test_parallel_exchange_pushes_of_one_new_identity_store_it_once():
    key = key_for("police")

    def push(i):
        return Api().client.post(
            "/api/v1/exchange/identities",
            data=json.dumps([IDENTITY_ROW]),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
        )

    responses = race(6, push)
    assert statuses(responses) == {200: 6}
    assert sorted(r.json()["created"] for r in responses) == [0, 0, 0, 0, 0, 1]
    assert Identity.objects.filter(id_number=ZHANG_WEI).count() == 1


def test_parallel_insurance_pushes_with_rows_in_common_store_each_row_once(settings):
    """An outsider's social insurance pushes with rows in common, each in its own order, deadlocked
    on the table's unique key: 500s. They now take turns, as the other kinds' imports do."""
    from residence.records.models import InsuranceMonth

    from .idnumbers import with_check

    settings.IMPORT_WAIT_SECONDS = 30
    keys = [key_for("social_insurance") for _ in range(2)]
    people = [with_check(f"44030419900101{n:03d}") for n in range(250)]
    rows = [f"{p},2025-{m:02d},91440300MA5D4X7K8N" for p in people for m in range(1, 13)]
    header = "id_number,month,employer_credit_code\n"
    # Four files of 1,500 rows at offsets 0, 500, 1000 and 1500, each in its own order (the outsider's).
    files = []
    for n, offset in enumerate((0, 500, 1000, 1500)):
        part = rows[offset : offset + 1500]
        random.Random(n).shuffle(part)
        files.append(header + "\n".join(part) + "\n")

    def push(i):
        return Api().client.post(
            "/api/v1/exchange/social_insurance",
            data=files[i],
            content_type="text/csv",
            HTTP_AUTHORIZATION=f"Api-Key {keys[i % 2]}",
        )

    for _round in range(4):
        InsuranceMonth.objects.all().delete()
        responses = race(4, push)
        assert statuses(responses) == {200: 4}, [r.content[:300] for r in responses]
        assert InsuranceMonth.objects.count() == len(rows)


@contextlib.contextmanager
def lock_held_elsewhere(name: str):
    """The named lock held by another connection, as an import holds it while it applies, until
    the block ends."""
    from django.db import transaction

    from residence.core import locks

    held, done = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                locks.for_transaction(name)
                held.set()
                done.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    try:
        yield
    finally:
        done.set()
        holder.join()


def test_a_push_during_a_long_import_of_its_kind_gets_409_in_time_and_changes_nothing(settings):
    """An outsider's pushes during a 100,000-row import waited 30 s for its lock, until gunicorn
    killed the workers (HTML 500s), and the whole site waited with them."""
    settings.IMPORT_WAIT_SECONDS = 0.5
    key = key_for("police")
    with lock_held_elsewhere("records:identities"):
        push = Api().client.post(
            "/api/v1/exchange/identities",
            data=json.dumps([IDENTITY_ROW]),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
        )
    assert push.status_code == 409 and error_code(push) == "conflict" and push["Retry-After"] == "60"
    assert not Identity.objects.exists()
    again = Api().client.post(
        "/api/v1/exchange/identities",
        data=json.dumps([IDENTITY_ROW]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert again.status_code == 200 and Identity.objects.count() == 1


def two_clerks() -> list[Api]:
    point = AcceptancePoint.objects.get(code="44030400401")
    apis = []
    for i in range(2):
        staff_create(username=f"clerk_race{i}", password=PASSWORD, phone=f"1390000300{i}", role="clerk", point=point)
        apis.append(Api().login(f"clerk_race{i}", phone=f"1390000300{i}"))
    return apis


def test_two_clerks_activating_one_organisation_one_wins():
    org = make_user(
        "org_race", "13811121111", kind="organisation", name="深圳市竞速公司", credit_code="91440300MA5D4X7K8N"
    )
    apis = two_clerks()
    body = {"credit_code_checked": True, "letter_checked": True, "housing_checked": True}
    responses = race(2, lambda i: apis[i].post(f"/api/v1/staff/organisations/{org.pk}/activate", body))
    assert statuses(responses) == {200: 1, 409: 1}
    assert AuditEvent.objects.filter(type="account_activated").count() == 1


def test_verified_person_is_not_verified_twice_by_parallel_requests_of_one_account():
    """More right attempts at once than the day's five failures: none failed, so none is told the
    day's tries are used up (an outsider's ten got five 429s)."""
    identity()
    make_user("double_one", "13811122222")
    api = Api().login("double_one", phone="13811122222")
    responses = race(10, lambda i: api.post("/api/v1/me/real-name", {"name": "张伟", "id_number": ZHANG_WEI}))
    assert statuses(responses) == {200: 1, 409: 9}
    assert {error_code(r) for r in responses if r.status_code == 409} == {"already_verified"}


def test_parallel_codes_from_one_address_stop_at_the_addresss_hourly_sms_limit(settings):
    settings.LIMIT_SMS_PER_ADDRESS_HOUR = 4
    for i in range(8):
        make_user(f"sms_addr{i}", f"1381113{i:04d}")
    responses = race(
        8,
        lambda i: Api(address="10.12.12.12").post(
            "/api/v1/auth/login", {"username": f"sms_addr{i}", "password": PASSWORD}
        ),
    )
    assert statuses(responses) == {202: 4, 429: 4}
    assert len(sms.outbox) == 4


def test_an_activation_and_a_decline_of_one_organisation_at_once_one_wins():
    org = make_user(
        "org_race", "13811121111", kind="organisation", name="深圳市竞速公司", credit_code="91440300MA5D4X7K8N"
    )
    apis = two_clerks()
    activate = {"credit_code_checked": True, "letter_checked": True, "housing_checked": True}
    responses = race(
        2,
        lambda i: (
            apis[i].post(f"/api/v1/staff/organisations/{org.pk}/activate", activate)
            if i == 0
            else apis[i].post(f"/api/v1/staff/organisations/{org.pk}/decline", {"reason": "代码不符"})
        ),
    )
    assert statuses(responses) == {200: 1, 409: 1}
    org.refresh_from_db()
    events = AuditEvent.objects.filter(subject=org, type__in=("account_activated", "account_disabled"))
    assert (
        events.count() == 1
        and org.status == {"account_activated": "active", "account_disabled": "disabled"}[events.get().type]
    )


def test_parallel_sign_ups_with_a_declined_organisations_code_make_one_account():
    from residence.accounts.services import organisation_decline

    code = "91440300MA5D4X7K8N"
    org = make_user("org_gone", "13811121111", kind="organisation", name="深圳市竞速公司", credit_code=code)
    point = AcceptancePoint.objects.get(code="44030400401")
    clerk = staff_create(username="clerk_race", password=PASSWORD, phone="13900003000", role="clerk", point=point)
    organisation_decline(actor=clerk, account_id=org.pk, reason="代码不符")
    body = {
        "kind": "organisation",
        "password": PASSWORD,
        "name": "深圳市竞速公司",
        "credit_code": code,
        "consent": True,
    }
    responses = race(
        8,
        lambda i: Api(address=f"10.13.0.{i}").post(
            "/api/v1/accounts", {**body, "username": f"org_new{i}", "phone": f"1381114{i:04d}"}
        ),
    )
    assert statuses(responses) == {201: 1, 409: 7}
    assert Organisation.objects.filter(credit_code=code, declined_at__isnull=True).count() == 1


def test_a_reset_and_a_change_of_mobile_racing_on_one_account_one_wins_and_neither_fails(signed_in_pg):
    """An outsider's reset confirmed at the same moment as a change of mobile: one side answered
    500 (the database found a deadlock) in 8 runs of 8."""
    api, user = signed_in_pg
    password = PASSWORD
    for round_ in range(3):  # a number takes 3 reset codes a day (LIMIT_RESET_SMS_PER_PHONE_DAY)
        phone = f"1590000{round_:04d}"
        change = api.call("PUT", "/api/v1/me/phone", {"phone": phone, "password": password}).json()
        assert "challenge" in change, change
        change_code = last_code(phone)
        reset = Api(address=f"10.8.8.{round_}").post("/api/v1/auth/password-reset", {"username": "pg_citizen"}).json()
        reset_code = last_code(User.objects.get(pk=user.pk).phone)
        new_password = f"Round{round_}2026pass"
        answers = race(
            2,
            lambda i: Api(address=f"10.8.9.{i}").post(
                *(
                    ("/api/v1/auth/sms-verify", {"challenge": change["challenge"], "code": change_code})
                    if i == 0
                    else (
                        "/api/v1/auth/password-reset/confirm",
                        {"challenge": reset["challenge"], "code": reset_code, "new_password": new_password},
                    )
                )
            ),
        )
        codes = sorted(r.status_code for r in answers)
        assert codes in ([200, 400], [204, 400]), [(r.status_code, r.content[:200]) for r in answers]
        loser = next(r for r in answers if r.status_code == 400)
        assert error_code(loser) == "challenge_expired"
        user.refresh_from_db()
        assert (user.phone == phone) == (codes == [200, 400]) and user.check_password(new_password) == (
            codes == [204, 400]
        )
        password = new_password if codes == [204, 400] else password
        api = Api().login("pg_citizen", password=password, phone=user.phone)


def test_two_administrators_adding_one_place_code_at_once_get_one_place_and_a_form_error():
    """An outsider's 20 parallel adds of one district code: one saved, 19 answered 500."""
    from residence.places.models import District

    from .test_application_moves import signed_in_admin

    admin = signed_in_admin()
    hidden = {"code": "440397", "name_en": ""}

    def add(i):
        return admin.post("/admin/places/district/add/", {**hidden, "name": f"并发区{i}"}).status_code

    assert Counter(race(10, add)) == {302: 1, 200: 9}
    assert District.objects.filter(code="440397").count() == 1


def test_a_resend_and_answers_of_one_code_at_once_never_deadlock(settings):
    """An outsider resent a code while four wrong answers of it were sent: one or two of the five got
    a 500 (the database found a deadlock) in 10 runs of 10. Each round: the resend 202, the answers
    400, and the tries they used counted."""
    settings.SMS_RESEND_SECONDS = 0
    make_user("pg_racer", "13811115555")
    for round_ in range(4):  # 2 SMS a round, within the number's 10 a day
        challenge = (
            Api(address=f"10.8.7.{round_}")
            .post("/api/v1/auth/login", {"username": "pg_racer", "password": PASSWORD})
            .json()["challenge"]
        )
        answers = race(
            5,
            lambda i: Api(address=f"10.8.6.{i}").post(
                *(
                    ("/api/v1/auth/sms-resend", {"challenge": challenge})
                    if i == 0
                    else ("/api/v1/auth/sms-verify", {"challenge": challenge, "code": "000000"})
                )
            ),
        )
        assert statuses(answers[:1]) == {202: 1} and statuses(answers[1:]) == {400: 4}, [
            (r.status_code, r.content[:200]) for r in answers
        ]
        assert {error_code(r) for r in answers[1:]} == {"invalid_code"}
        assert SmsChallenge.objects.get(public_id=challenge).tries == 4
