"""An SMS is written in its reader's language: a code in the language of the page that asked for
it, a notice in the language the person's account last sent a form in (two outsiders signed up
and applied in English and got every SMS in Chinese)."""

import datetime as dt

import pytest
from django.conf import settings

from residence.accounts.models import User
from residence.notifications import sms
from residence.notifications.services import notice_send
from residence.permits import sweeps

from .conftest import CommittingClient, committed, make_user
from .test_permits import permit_for
from .test_web import web_login

pytestmark = pytest.mark.django_db
SIGNATURE = "【居住证服务平台】"


def texts_to(phone):
    return [m["text"] for m in sms.outbox if m["to"] == phone]


def accepted(user, reference):
    notice_send(users=[user], phone=user.phone, key="application_accepted", purpose="application", reference=reference)


def browser(language):
    client = CommittingClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Your sign-in code is "), ("zh-hans", "您的登录验证码为 ")],
)
def test_a_sign_in_code_is_in_the_language_of_the_page_that_asked_for_it(language, words):
    make_user()
    assert web_login(browser(language)).status_code == 302
    (text,) = texts_to("13812345678")
    assert text.startswith(SIGNATURE + words)


def test_a_form_sent_in_english_makes_the_accounts_notices_english():
    user = make_user()
    assert User.objects.get(pk=user.pk).language == ""
    committed(lambda: accepted(user, "A1"))
    assert texts_to(user.phone)[-1] == SIGNATURE + "您的居住证申请 A1 已受理。"

    client = browser("en")
    assert web_login(client).status_code == 302  # the sign-in form, sent from an English page
    user.refresh_from_db()
    assert user.language == "en"
    committed(lambda: accepted(user, "A2"))
    assert texts_to(user.phone)[-1] == SIGNATURE + "Your residence permit application A2 has been accepted."

    # A link that switches the language is a GET: it changes nothing on the account ...
    client.get("/language/zh-hans/?next=/account/")
    assert User.objects.get(pk=user.pk).language == "en"
    # ... the next form sent from a Chinese page does.
    client.post("/account/real-name/", {"name": "", "id_number": ""})
    assert User.objects.get(pk=user.pk).language == "zh-hans"


def test_the_language_chosen_with_the_switch_is_the_accounts_language_for_its_notices():
    """An outsider sent one English form, switched back to Chinese, and kept getting English SMS:
    signed in, the switch is a form, and the language it chooses is the account's."""
    user = make_user()
    client = browser("en")
    assert web_login(client).status_code == 302
    assert User.objects.get(pk=user.pk).language == "en"
    page = client.get("/account/").content.decode()
    assert 'action="/language/zh-hans/" method="post"' in page

    response = client.post("/language/zh-hans/", {"next": "/account/"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert User.objects.get(pk=user.pk).language == "zh-hans"
    committed(lambda: accepted(user, "A3"))
    assert texts_to(user.phone)[-1] == SIGNATURE + "您的居住证申请 A3 已受理。"
    assert "退出" in client.get("/account/").content.decode()

    assert client.post("/language/en/", {"next": "https://evil.example/"})["Location"] == "/"
    assert User.objects.get(pk=user.pk).language == "en"


def test_the_suspension_sweep_writes_each_holders_sms_in_the_holders_language(settings):
    from .applications import citizen_api

    settings.FROZEN_TODAY = "2027-03-10"
    _api, english = citizen_api()
    _api, chinese = citizen_api("citizen2", "13812345679", "36010219950812234", "李娜")
    User.objects.filter(pk=english.pk).update(language="en")
    permit_for(english)
    permit_for(chinese, number="4403202600000778")
    assert committed(lambda: sweeps.permits_suspend(dt.date(2027, 3, 10))) == 2
    (english_text,) = [t for t in texts_to(english.phone) if "4403202600000777" in t]
    (chinese_text,) = [t for t in texts_to(chinese.phone) if "4403202600000778" in t]
    assert english_text.startswith(SIGNATURE + "Your residence permit 4403202600000777 is suspended: endorse it by ")
    # "最迟于" (at the latest on) the last day allowed: an outsider read "请于 X 前" as "before X".
    assert chinese_text.startswith(SIGNATURE + "您的居住证 4403202600000778 已中止使用，请最迟于 ")


def test_an_app_stating_its_language_on_a_post_makes_the_accounts_notices_follow():
    """Outsider V's app sent every request with Accept-Language: en and got every notice SMS in
    Chinese: only a web form could say the account's language (ADR 0003)."""
    from .conftest import Api

    user = make_user()
    app = Api().login("citizen1", phone="13812345678")
    assert User.objects.get(pk=user.pk).language == ""  # signing in is not yet the account's request
    app.post("/api/v1/me/password", {"old_password": "wrong", "new_password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    user.refresh_from_db()
    assert user.language == "en"
    committed(lambda: accepted(user, "A3"))
    assert texts_to(user.phone)[-1] == SIGNATURE + "Your residence permit application A3 has been accepted."
    # A request that states no language keeps the stored one; a GET changes nothing.
    bare = app.client.post(
        "/api/v1/me/password",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {app.token}",
    )
    assert bare.status_code == 400 and User.objects.get(pk=user.pk).language == "en"
    app.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert User.objects.get(pk=user.pk).language == "en"
    # A language the platform does not speak states nothing (an outsider's "fr" made it Chinese).
    app.post("/api/v1/me/password", {}, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert User.objects.get(pk=user.pk).language == "en"
    app.post("/api/v1/me/password", {}, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    user.refresh_from_db()
    assert user.language == "zh-hans"
    committed(lambda: accepted(user, "A4"))
    assert texts_to(user.phone)[-1] == SIGNATURE + "您的居住证申请 A4 已受理。"


def test_an_apps_sign_up_states_the_new_accounts_language():
    """An outsider's app signed up and worked in English, and the account's first reset code came in
    Chinese: the sign-up request states the language, as the page's form does."""
    from .conftest import Api

    body = {"kind": "individual", "username": "app_user", "password": "Apple2026pass", "phone": "13812340099"}
    assert Api().post("/api/v1/accounts", {**body, "consent": True}, HTTP_ACCEPT_LANGUAGE="en").status_code == 201
    assert User.objects.get(username="app_user").language == "en"
    other = {**body, "username": "app_user2", "phone": "13812340098", "consent": True}
    assert Api("10.9.9.8").post("/api/v1/accounts", other, HTTP_ACCEPT_LANGUAGE="fr").status_code == 201
    assert User.objects.get(username="app_user2").language == ""  # none of the platform's: nothing stated


def test_the_sms_a_request_sends_is_in_the_language_that_request_states(settings):
    """Outsider X: an application sent with Accept-Language: en was acknowledged in Chinese, the
    language being stored only after the view had sent the SMS."""
    from .applications import application_body, citizen_api, eligible_records

    settings.FROZEN_TODAY = "2026-03-02"
    app, user = citizen_api()
    eligible_records()
    User.objects.filter(pk=user.pk).update(language="zh-hans")
    sms.outbox.clear()
    created = app.post("/api/v1/applications", application_body(), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert created.status_code == 201
    assert texts_to(user.phone)[-1] == (
        SIGNATURE + f"Your residence permit application {created.json()['reference']} has been accepted."
    )
