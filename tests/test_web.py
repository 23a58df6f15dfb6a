import datetime as dt
import re

import pytest
from django.conf import settings

from residence.accounts.models import User
from residence.audit.models import AuditEvent

from .conftest import PASSWORD, Api, CommittingClient, last_code, make_user

pytestmark = pytest.mark.django_db


def web_login(client, username="citizen1", password=PASSWORD, phone="13812345678", remember=False):
    data = {"platform": "permit", "username": username, "password": password}
    if remember:
        data["remember"] = "on"
    response = client.post("/accounts/login/", data)
    if response.status_code == 302 and response["Location"].endswith("/verify/"):
        response = client.post("/accounts/login/verify/", {"code": last_code(phone)})
    return response


def test_register_page_shows_privacy_notice_and_creates_account(client):
    page = client.get("/accounts/register/")
    assert page.status_code == 200 and "隐私" in page.content.decode()
    response = client.post(
        "/accounts/register/",
        {"kind": "individual", "username": "web_user", "password": PASSWORD, "phone": "15811112222", "consent": "on"},
    )
    assert response.status_code == 302
    done = client.get(response["Location"])
    assert "web_user" in done.content.decode()
    assert User.objects.get(username="web_user").consent_at is not None


def test_a_box_sent_as_not_ticked_is_not_consent(client):
    """An outsider's consent=no, 0 or off opened an account with consent recorded; only what a
    ticked box sends (on, or true / 1) consents."""
    body = {"kind": "individual", "username": "web_user", "password": PASSWORD, "phone": "15811112222"}
    for refused in ("no", "0", "off", "false", "", "yes please"):
        response = client.post("/accounts/register/", {**body, "consent": refused})
        assert response.status_code in (200, 400) and 'href="#id_consent"' in response.content.decode(), refused
        assert not User.objects.filter(username="web_user").exists(), refused
    assert client.post("/accounts/register/", {**body, "consent": "ON"}).status_code == 302
    assert User.objects.get(username="web_user").consent_at is not None


def test_the_register_page_tells_a_signed_in_visitor_where_their_account_is(client):
    assert 'data-testid="signed-in-note"' not in client.get("/accounts/register/").content.decode()
    make_user("citizen1", "13812345678")
    assert web_login(client).status_code == 302
    page = client.get("/accounts/register/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="signed-in-note"' in page and "You are signed in as citizen1" in page
    assert 'href="/account/"' in page


def test_register_errors_are_shown_and_nothing_is_created(client):
    response = client.post(
        "/accounts/register/", {"kind": "individual", "username": "ab", "password": "short", "phone": "123"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "error-summary" in html and 'href="#id_username"' in html
    assert not User.objects.exists()


def test_login_with_sms_then_account_area_then_logout(client, citizen):
    response = web_login(client)
    assert response.status_code == 302 and response["Location"] == "/account/"
    html = client.get("/account/").content.decode()
    assert "我的居住证" in html and "个人信息" in html and 'data-testid="logout"' in html
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/account/").status_code == 302


def test_wrong_password_on_the_web_shows_an_error(client, citizen):
    response = client.post(
        "/accounts/login/", {"platform": "permit", "username": "citizen1", "password": "Wrong2026pass"}
    )
    assert response.status_code == 200 and "error-summary" in response.content.decode()


def test_a_wrong_sms_code_on_the_web_says_how_many_tries_are_left(client, citizen):
    response = client.post("/accounts/login/", {"platform": "permit", "username": "citizen1", "password": PASSWORD})
    assert response["Location"].endswith("/verify/")
    wrong = "000000" if last_code("13812345678") != "000000" else "111111"
    html = client.post("/accounts/login/verify/", {"code": wrong}).content.decode()
    assert "验证码错误，还可尝试 4 次。" in html and "field-error" in html
    # Someone who lost the phone is told where to go (an outsider found only "send a new code").
    assert 'data-testid="lost-phone"' in html and "请携带身份证到受理点" in html
    # A new code asked for too soon: a refusal, read out as the page opens (an outsider's screen
    # reader said nothing of a status banner already there), in the error summary as any refused
    # form's problem, the title saying "Error" (another's heard a banner only).
    early = client.post("/accounts/sms/resend/", follow=True).content.decode()
    summary = early.split('class="error-summary" role="alert"', 1)[1].split("</ul>", 1)[0]
    assert "验证码。请 1 分钟后再试。" in summary and re.search(r"<title>错误：", early), early[-3000:]
    # Said once: the page opened again has no refusal left over, and the code still works.
    assert "error-summary" not in client.get("/accounts/login/verify/").content.decode()
    assert client.post("/accounts/login/verify/", {"code": last_code("13812345678")}).status_code == 302


def test_newer_login_signs_the_older_browser_out_with_a_page_saying_why(citizen):
    first, second = CommittingClient(), CommittingClient()
    web_login(first)
    assert first.get("/account/").status_code == 200
    web_login(second)
    response = first.get("/account/details/")
    assert response.status_code == 302 and "reason=replaced" in response["Location"]
    page = first.get(response["Location"]).content.decode()
    assert 'data-testid="signed-out-replaced"' in page
    assert second.get("/account/").status_code == 200
    # Signing in again leads back to the page it was on (an outsider's form step was lost).
    again = re.search(r'href="([^"]*)" data-testid="sign-in-again"', page).group(1)
    assert again == "/accounts/login/?next=/account/details/"
    form = {"platform": "permit", "username": "citizen1", "password": PASSWORD, "next": "/account/details/"}
    signed_in = first.post(again, form)
    if signed_in["Location"].endswith("/verify/"):
        signed_in = first.post("/accounts/login/verify/", {"code": last_code("13812345678")})
    assert signed_in["Location"] == "/account/details/"


def test_api_login_also_ends_the_web_session(citizen):
    from .conftest import Api

    browser = CommittingClient()
    web_login(browser)
    Api().login("citizen1", phone=citizen.phone)
    assert "reason=replaced" in browser.get("/account/")["Location"]


def test_remember_me_remembers_the_username_and_keeps_the_session(client, citizen):
    response = web_login(client, remember=True)
    assert response.cookies["remembered_username"].value == "citizen1"
    assert response.cookies["remembered_username"]["max-age"] == 14 * 24 * 3600  # RULES §7, not a year
    assert client.session.get_expiry_age() >= 13 * 24 * 3600
    page = client.get("/accounts/login/").content.decode()
    client.post("/accounts/logout/")
    page = client.get("/accounts/login/").content.decode()
    assert 'value="citizen1"' in page


def test_without_remember_the_session_ends_with_the_browser(client, citizen):
    # A sign-in left at its SMS step too: its cookie was kept 14 days on a shared computer (an outsider).
    waiting = client.post("/accounts/login/", {"platform": "permit", "username": "citizen1", "password": PASSWORD})
    assert waiting["Location"].startswith("/accounts/login/verify/")
    assert waiting.cookies["sessionid"]["max-age"] == "" and waiting.cookies["sessionid"]["expires"] == ""
    web_login(client)
    assert client.session.get_expire_at_browser_close()


def test_language_switch_on_every_page_as_links_in_each_languages_own_name(client):
    for url in ("/", "/accounts/login/", "/accounts/register/", "/accounts/privacy/"):
        html = client.get(url).content.decode()
        assert f'href="/language/en/?next={url}"' in html and ">English</a>" in html
        assert 'lang="zh-CN" aria-current="true">简体中文</span>' in html
    response = client.get("/language/en/?next=/accounts/login/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    html = client.get("/accounts/login/").content.decode()
    assert "Sign in" in html and 'href="/language/zh-hans/?next=/accounts/login/"' in html
    assert client.get("/language/en/?next=https://evil.example/")["Location"] == "/"
    assert client.get("/language/xx/").status_code == 404


def test_change_password_on_the_web_keeps_the_session(client, citizen):
    web_login(client)
    typo = {"old_password": PASSWORD, "new_password": "Fresh2026pass", "new_password_again": "Fresh2026pas"}
    differ = client.post("/account/password/", typo)
    assert differ.status_code == 200 and 'href="#id_new_password_again"' in differ.content.decode()
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)  # two different new passwords change nothing
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password": "Fresh2026pass", "new_password_again": "Fresh2026pass"},
    )
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    citizen.refresh_from_db()
    assert citizen.check_password("Fresh2026pass")


def test_change_password_says_a_wrong_current_password_with_the_other_problems_at_once(client, citizen):
    """An outsider's wrong current password was said only in a third round, after the new password
    typed again was fixed: every problem is listed at once, and nothing changes."""
    web_login(client)
    for again in ("", "Fresh2026pas"):
        wrong = {"old_password": "Wrong2026pass", "new_password": "Fresh2026pass", "new_password_again": again}
        html = client.post("/account/password/", wrong).content.decode()
        assert 'href="#id_old_password"' in html and 'href="#id_new_password_again"' in html, again
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)
    assert AuditEvent.objects.filter(type="login_failed", data__where="password_change").count() == 2
    # The right current password with the new one typed differently still changes nothing.
    typo = {"old_password": PASSWORD, "new_password": "Fresh2026pass", "new_password_again": "Fresh2026pas"}
    html = client.post("/account/password/", typo).content.decode()
    assert 'href="#id_new_password_again"' in html and 'href="#id_old_password"' not in html
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_messages_come_a_page_at_a_time_on_the_page_and_in_the_api(client, citizen, monkeypatch):
    # An outsider's 507 messages stopped at 200, on the page and in the API, with no way further.
    from residence.accounts import api as accounts_api
    from residence.notifications.services import message_send
    from residence.web import views

    monkeypatch.setattr(views, "MESSAGES_PAGE", 2)
    monkeypatch.setattr(accounts_api, "MESSAGES_PAGE", 2)
    for n in range(3):
        message_send(user=citizen, key="application_withdrawn", reference=f"SZ00000{n}")
    web_login(client)
    first = client.get("/account/messages/").content.decode()
    assert "SZ000002" in first and "SZ000000" not in first and 'rel="next"' in first  # newest first
    assert "SZ000000" in client.get("/account/messages/?page=2").content.decode()
    # A page past the end says so and leads back, not "You have no messages" (an outsider's 322).
    past = client.get("/account/messages/?page=99").content.decode()
    assert 'data-testid="past-the-end"' in past and "You have no messages" not in past
    assert 'data-testid="previous-page"' not in past  # page 98 is past the end too
    # A message marked read is named, in its button and after, on the page it was on (an outsider's
    # buttons were all alike, and one pressed led back to page 1 saying nothing).
    from residence.notifications.models import Message

    oldest = Message.objects.get(user=citizen, params__reference="SZ000000")
    second = client.get("/account/messages/?page=2").content.decode()
    assert re.search(r'data-testid="mark-read">[^<]+<span class="visually-hidden">：[^<]*申请', second)
    marked = client.post(f"/account/messages/{oldest.pk}/read/?page=2", follow=True)
    assert marked.redirect_chain == [("/account/messages/?page=2", 302)]
    assert "已标为已读：" in marked.content.decode()
    assert Message.objects.get(pk=oldest.pk).read_at is not None
    api = Api().login("citizen1", phone="13812345678")
    page = api.get("/api/v1/me/messages")
    assert len(page.json()["results"]) == 2 and page.json()["unread"] >= 3 and 'rel="next"' in page["Link"]
    last = api.get("/api/v1/me/messages?page=2")
    assert [m["body"] for m in last.json()["results"] if "SZ000000" in m["body"]] and not last.has_header("Link")
    assert api.get("/api/v1/me/messages?page=0").status_code == 400


def test_messages_page_shows_unread_count(client, citizen):
    web_login(client)
    html = client.get("/account/").content.decode()
    assert re.search(r'class="badge"[^>]*>1<', html)


def test_pending_organisation_signs_in_and_sees_why_it_waits(client):
    make_user("org_user", "15811113333", kind="organisation", name="深圳示例公司", credit_code="91440300MA5D4X7K8N")
    web_login(client, "org_user", phone="15811113333")
    html = client.get("/account/").content.decode()
    assert 'data-testid="pending-banner"' in html


def test_clerk_activates_an_organisation_with_the_checks_recorded(client):
    from residence.accounts.services import staff_create
    from residence.places.models import AcceptancePoint

    org = make_user(
        "org_user", "15811113333", kind="organisation", name="深圳示例公司", credit_code="91440300MA5D4X7K8N"
    )
    staff_create(
        username="clerk_web",
        password=PASSWORD,
        phone="13900005555",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    web_login(client, "clerk_web", phone="13900005555")
    desk = client.get("/staff/").content.decode()
    assert "深圳示例公司" in desk
    # Anyone can sign one up: the desk shows the longest waiting and finds the one at the counter
    # by its code, username or name (an outsider's desk listed 3,000 on one page).
    from stdnum.cn import uscc

    from residence.accounts.services import account_create
    from residence.web import views

    for i in range(views.PENDING_SHOWN):
        code = f"914403000{i:08d}"
        account_create(
            kind="organisation", username=f"squatter{i:02d}", password=PASSWORD, phone=f"1581111{i:04d}",
            consent=True, address=f"10.8.0.{i}", name=f"占位公司{i}", credit_code=code + uscc.calc_check_digit(code),
        )  # fmt: skip
    desk = client.get("/staff/").content.decode()
    assert "深圳示例公司" in desk and "占位公司19" not in desk and 'data-testid="org-count"' in desk
    for q in ("91440300ma5d4x7k8n", "ORG_USER", "示例", "９１４４０３００ＭＡ５Ｄ４Ｘ７Ｋ８Ｎ", "91440300MA5D4"):
        found = client.get("/staff/", {"org": q}).content.decode()
        assert "深圳示例公司" in found and "占位公司0" not in found, q
    assert 'data-testid="org-none"' in client.get("/staff/", {"org": "没有这家"}).content.decode()
    incomplete = client.post(f"/staff/organisations/{org.pk}/activate/", {"credit_code_checked": "on"})
    assert incomplete.status_code == 200
    org.refresh_from_db()
    assert org.status == "pending"
    client.post(
        f"/staff/organisations/{org.pk}/activate/",
        {"credit_code_checked": "on", "letter_checked": "on", "housing_checked": "on", "note": "营业执照已核"},
    )
    org.refresh_from_db()
    assert org.status == "active"
    event = AuditEvent.objects.get(type="account_activated")
    assert event.data["housing_checked"] and event.data["point"] == "44030400401"


def test_citizens_cannot_use_the_staff_desk_actions(client, citizen):
    web_login(client)
    assert client.get("/staff/phone/").status_code == 403


def test_password_reset_pages(client, citizen):
    response = client.post("/accounts/password-reset/", {"username": "citizen1"})
    assert response.status_code == 302
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/password-reset/confirm/").content.decode()
    assert 'href="/accounts/password-reset/" class="back-link"' in page  # a way back
    # A weak password and a different second one: both said in the first round.
    html = client.post(
        "/accounts/password-reset/confirm/", {"code": "", "new_password": "short", "new_password_again": "other"}
    ).content.decode()
    assert 'href="#id_new_password"' in html and "The two passwords differ" in html
    client.post(
        "/accounts/password-reset/confirm/",
        {"code": last_code(citizen.phone), "new_password": "Reset2026pw", "new_password_again": "Reset2026pw"},
    )
    citizen.refresh_from_db()
    assert citizen.check_password("Reset2026pw")


def test_every_field_error_shows_in_the_first_round_with_an_error_title(client):
    response = client.post(
        "/accounts/register/", {"kind": "individual", "username": "ab", "password": "short1", "phone": "123"}
    )
    html = response.content.decode()
    for field in ("username", "password", "phone", "consent"):
        assert f'href="#id_{field}"' in html, field
    # No space after the full-width colon (an outsider read "错误： 登录"); one after the English.
    assert re.search(r"<title>错误：[^ ]", html)
    assert "密码太短，至少需要 8 个字符。" in html and "This password" not in html
    english = client.post("/accounts/register/", {"kind": "individual"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r"<title>Error: [^ ]", english)


def test_password_likeness_and_phone_and_id_problems_are_first_round_too(client, citizen):
    response = client.post(
        "/accounts/register/",
        {"kind": "individual", "username": "good_name", "password": "good_name1", "phone": "１３８１２３４５６７８"},
    )
    html = response.content.decode()
    assert 'href="#id_password"' in html and 'href="#id_phone"' in html
    web_login(client)
    html = client.post("/account/real-name/", {"name": "", "id_number": "１１０１０５"}).content.decode()
    assert 'href="#id_name"' in html and 'href="#id_id_number"' in html
    html = client.post("/account/phone/", {"phone": "123", "password": "Wrong2026pass"}).content.decode()
    assert 'href="#id_phone"' in html and 'href="#id_password"' in html


def test_the_privacy_notice_is_collapsed_on_the_sign_up_page(client):
    html = client.get("/accounts/register/").content.decode()
    assert (
        '<details class="panel privacy-details">' in html and '<details class="panel privacy-details" open' not in html
    )


def test_an_organisation_has_its_own_area_not_the_citizens_permit_cards(client):
    make_user("org_area", "15811114444", kind="organisation", name="深圳区域公司", credit_code="91440300MA5D4X7K8N")
    web_login(client, "org_area", phone="15811114444")
    html = client.get("/account/").content.decode()
    assert "深圳区域公司" in html and "91440300MA5D4X7K8N" in html and 'data-testid="pending-banner"' in html
    assert "我的居住证" not in html and "申领条件自助查询" not in html
    # Nor the citizen's forms, typed in by address (an outsider filled them in as an organisation).
    for url in ("/account/eligibility/", "/account/real-name/"):
        response = client.get(url)
        assert response.status_code == 403 and 'name="id_number"' not in response.content.decode(), url


def test_english_pages_carry_no_chinese_but_names(client):
    client.get("/language/en/?next=/")
    for url in ("/", "/accounts/login/", "/accounts/register/", "/accounts/password-reset/"):
        text = re.sub(r"<[^>]+>", " ", client.get(url).content.decode())
        chinese = set(re.findall(r"[\u4e00-\u9fff]+", text)) - {"简体中文"}
        assert not chinese, (url, chinese)


def test_a_form_without_its_csrf_token_gets_the_platforms_own_page():
    from django.test import Client as PlainClient

    response = PlainClient(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})
    html = response.content.decode()
    assert response.status_code == 403 and '<html lang="zh-CN">' in html
    assert "此表单已过期" in html and "DEBUG" not in html
    # Its heading says so too, not "you cannot do this here" (an outsider).
    assert "<h1>此表单已过期</h1>" in html and "您无权在此办理" not in html
    # The way back that keeps what was typed: the Back button, not a reload, which clears the form
    # (an outsider reloaded as told and lost a family member's details).
    assert "浏览器的“返回”" in html and "不要刷新" in html


def test_hints_and_errors_are_described_by_the_ids_the_inputs_name(client):
    html = client.post("/accounts/register/", {"kind": "individual", "username": "ab"}).content.decode()
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for target in described.split():
            assert f'id="{target}"' in html, target
    assert 'aria-describedby="id_username_helptext id_username_error"' in html


def test_error_pages_are_titled_by_their_heading_and_say_why_below_it(client, citizen):
    """Titled by the message, a thirty-word reason was the first thing a screen reader said (an
    outsider): the title is the page's short heading, the reason under it."""
    web_login(client)
    html = client.post("/admin/login/", {}).content.decode()
    assert re.search(r"<title>您无权在此办理 – ", html) and "<h1>您无权在此办理</h1>" in html
    assert '<p class="lead" data-testid="error-message">该账号不能使用管理后台。</p>' in html


def test_a_wait_under_a_minute_is_said_in_seconds_once():
    """An outsider read "Please wait 57 seconds … Try again in 1 minute." on the code page."""
    from django.utils import translation

    from residence.core.errors import RateLimited, page_message

    with translation.override("en"):
        shown = page_message(RateLimited("A new code can be sent once every 60 seconds.", retry_after=57))
    assert shown == "A new code can be sent once every 60 seconds. Try again in 57 seconds."


def test_a_limit_with_no_words_of_its_own_says_when_once():
    """An outsider read "请求过于频繁，请稍后再试。请 60 分钟后再试。" (later, then when) on the permit check."""
    from django.utils import translation

    from residence.core.errors import RateLimited, page_message

    with translation.override("en"):
        assert page_message(RateLimited(retry_after=3600)) == "Too many requests. Try again in 60 minutes."
        assert page_message(RateLimited()) == "Too many requests. Please try again later."


def test_a_daily_limit_that_says_tomorrow_is_not_given_hours_too():
    """An outsider read "请明天再试。 请 17 小时后再试。" on the real-name page."""
    from django.utils import translation

    from residence.accounts.services.accounts import RealNameTriesUsed
    from residence.core.errors import page_message

    with translation.override("en"):
        shown = page_message(RealNameTriesUsed(retry_after=17 * 3600))
    assert shown == "Today's real-name verification attempts are used up: try again tomorrow."


def test_a_limit_on_a_page_says_how_long_to_wait(client, settings):
    """An outsider was told only "try again later" (the API's Retry-After is no help to a reader)."""
    settings.LOGIN_LOCK_SECONDS = 15 * 60
    make_user()
    client.get("/language/en/?next=/")
    for _ in range(5):
        page = client.post("/accounts/login/", {"platform": "permit", "username": "citizen1", "password": "wrong"})
    html = page.content.decode()
    assert "locked for a while" in html and "Try again in 15 minutes." in html
    settings.LOGIN_LOCK_SECONDS = 3 * 3600
    for _ in range(5):
        page = client.post("/accounts/login/", {"platform": "permit", "username": "nobody_at_all", "password": "x"})
    assert "Try again in 3 hours." in page.content.decode()


@pytest.mark.django_db
def test_a_forms_address_opened_as_a_page_says_so_not_a_blank_405():
    """Signed out mid-form, then signed in again, an outsider's browser was sent to the form's
    button's address (a GET) and shown a blank 405."""
    make_user("citizen1", "13812345678")
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    assert web_login(client, remember=True).status_code == 302
    response = client.get("/account/messages/1/read/")
    html = response.content.decode()
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert "cannot be opened as a page" in html and "<h1>This address is not a page</h1>" in html
    # A short title, not the whole reason (an outsider's audit, WCAG 2.4.2).
    assert "<title>This address is not a page – " in html
    assert client.post("/account/messages/999/read/").status_code != 405


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["options", "trace", "put", "patch", "delete"])
def test_pages_answer_only_get_head_and_post(method):
    """An outsider's OPTIONS, TRACE and PUT (with a valid CSRF token) on pages and forms got the
    page itself, as if a GET."""
    make_user("citizen1", "13812345678")
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    assert web_login(client, remember=True).status_code == 302
    for url in ("/accounts/login/", "/account/password/"):
        response = client.generic(method.upper(), url, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
        assert response.status_code == 405 and response["Allow"] == "GET, HEAD, POST", (method, url)
        assert "opened as a page or sent as a form only" in response.content.decode()
    assert client.get("/account/password/").status_code == 200 and client.head("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_django_s_own_messages_say_in_chinese_what_they_mean(client):
    """Django's Chinese for a NUL byte read "empty strings are not allowed", with a typo."""
    html = client.post("/accounts/login/", {"platform": "permit", "username": "a\x00b", "password": "x"}).content
    html = html.decode()
    assert "请删除文本中的控制字符或无效字符。" in html and "不允许是用空字符串" not in html
    long = client.post("/accounts/login/", {"platform": "permit", "username": "a" * 200, "password": "x"})
    assert "最多 150 个字符（现有 200 个）" in long.content.decode()


def test_the_real_name_page_says_the_name_is_in_chinese_characters(client, citizen):
    """An outsider typed "Li Si" on the English page and lost one of the day's five tries."""
    web_login(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/account/real-name/").content.decode()
    assert "In Chinese characters exactly as printed on the card" in html
    # Traditional characters as a Hong Kong card prints them (an outsider's 陈大文 for 陳大文 used a try).
    hint = re.sub(r"<[^>]+>", "", re.search(r'<p class="hint" id="id_name_helptext">.*?</p>', html).group(0))
    assert "simplified or traditional as it has them (for example 张伟 or 陳大文)" in hint
    assert 'aria-describedby="id_name_helptext"' in html
    html = client.post("/account/real-name/", {"name": "", "id_number": ""}).content.decode()
    assert "Enter your name as on your ID card." in html


def test_a_name_no_one_can_have_is_refused_without_spending_a_try(client, citizen):
    """An outsider's 张😀伟 took one of the day's five real-name tries, each, as a mismatch."""
    web_login(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for name in ("张😀伟", "１２３", "<b>x</b>"):
        html = client.post("/account/real-name/", {"name": name, "id_number": "11010519491231002X"}).content.decode()
        assert "tries are left" not in html and "letters" in html, name
    html = client.post("/account/real-name/", {"name": "张伟", "id_number": "11010519491231002X"}).content.decode()
    assert "4 tries are left today" in html


def test_a_refused_choice_is_not_printed_back(client):
    """An outsider's 10,000-character choice came back whole in the message, a NUL byte raw in the HTML."""
    odd = "ab\x00cd" + "x" * 10_000
    html = client.post("/accounts/login/", {"platform": odd, "username": "someone", "password": "x"}).content
    assert b"\x00" not in html and b"x" * 100 not in html
    assert "请从所列选项中选择" in html.decode()


def test_an_empty_form_says_what_to_enter_in_each_field(client):
    """An outsider read "This field is required." at nearly every field of every form."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.post("/accounts/register/", {"kind": "individual"}).content.decode()
    for said in ("Enter a username.", "Enter a password.", "Enter the 11-digit mobile number."):
        assert said in html, said
    html = client.post("/accounts/login/", {"platform": "permit"}).content.decode()
    assert "Enter your username." in html and "Enter your password." in html
    assert "This field is required." not in html


def test_every_form_left_empty_names_what_is_missing(client, citizen):
    """A second outsider still read "This field is required." on the self-check, move-in, house,
    password and staff forms: a field with no message of its own names itself."""
    web_login(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    empty = {"name": "", "id_number": "", "route": ""}
    html = client.post("/account/eligibility/", empty).content.decode()
    assert "Fill in “Name as on the ID card”." in html and "Choose an answer for “Route”." in html
    html = client.post("/account/password/", {"old_password": ""}).content.decode()
    assert "Fill in “Current password”." in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.post("/account/eligibility/", empty).content.decode()
    assert "请填写“" in html and "请选择“" in html
    for page in (html, client.post("/account/password/", {"old_password": ""}).content.decode()):
        assert "此项必填" not in page and "This field is required" not in page


def test_a_self_check_of_an_unknown_number_asks_to_check_it_not_says_never(client, citizen, settings):
    """Outsider Y typed an ID number in no record and was told time alone would not make them
    qualify: a typo read as "never"."""
    from .idnumbers import NOT_IN_RECORDS

    settings.FROZEN_TODAY = "2026-03-02"
    web_login(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = {"name": "李伟", "id_number": NOT_IN_RECORDS, "route": "residence_employment"}
    html = client.post("/account/eligibility/", body).content.decode()
    assert 'data-testid="identity-not-met"' in html and "Check the name and ID number" in html
    assert "Time alone will not make you qualify" not in html
    # A number that itself says who cannot apply: its reason, and no advice to check it (an
    # outsider's Hong Kong resident, rightly typed, was told to check the name and number).
    from .idnumbers import HONG_KONG

    hmt = client.post("/account/eligibility/", {**body, "id_number": HONG_KONG}).content.decode()
    assert "Residents of Hong Kong, Macao and Taiwan, and foreigners, cannot apply for this permit." in hmt
    assert "Check the name and ID number" not in hmt and "Time alone" not in hmt


def test_the_earliest_date_names_social_insurance_on_its_route_only(client, citizen, settings):
    """An outsider's student was told that paying social insurance every month would make them
    qualify on the day their enrolment starts: that route needs no insurance (RULES §2)."""
    from residence.records.services import records_import_rows

    from .idnumbers import ZHANG_WEI
    from .test_account_changes import identity

    settings.FROZEN_TODAY = "2026-11-30"
    identity()
    registration = {"street_code": "440304004", "address": "福田路 1 号", "registered_on": "2026-01-10", "ended_on": ""}
    enrolment = {"school": "深圳大学", "level": "higher", "full_time": "1", "start_date": "2026-12-01", "end_date": ""}
    assert records_import_rows("registrations", [{"id_number": ZHANG_WEI, **registration}]).applied
    assert records_import_rows("enrolments", [{"id_number": ZHANG_WEI, **enrolment}]).applied
    web_login(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    said = {}
    for route in ("education", "residence_employment"):
        body = {"name": "张伟", "id_number": ZHANG_WEI, "route": route}
        html = client.post("/account/eligibility/", body).content.decode()
        said[route] = re.search(r'<p data-testid="earliest">(.*?)</p>', html, re.S).group(1)
    assert "2026-12-01" in said["education"] and "social insurance" not in said["education"]
    assert "social insurance is paid every month" in said["residence_employment"]


def test_dates_in_messages_stay_on_one_line_and_the_rest_stays_escaped(client):
    """A phone broke "2026-12-21" after its first hyphen (an outsider at 320 px)."""
    from residence.notifications.models import Message

    user = make_user()
    Message.objects.create(
        user=user,
        key="text",
        params={"title": "t", "body": "<b>办结期限为 2026-12-21。</b>"},
        created_at="2026-03-02T10:00:00+08:00",
    )
    web_login(client)
    html = client.get("/account/messages/").content.decode()
    assert '&lt;b&gt;办结期限为 <span class="nowrap">2026-12-21</span>。&lt;/b&gt;' in html


def test_a_clerk_declines_a_sign_up_made_with_another_organisations_code(client):
    """Anyone could sign up with a published credit code and hold it: the real organisation was
    told "an account for this organisation already exists" for good (an outsider). At the
    registration point the clerk declines that account, and the code is free again."""
    from residence.accounts.models import Organisation
    from residence.accounts.services import staff_create
    from residence.places.models import AcceptancePoint

    code = "914403001922038216"  # a real organisation's published code
    squatter = make_user("org_squat", "15811113333", kind="organisation", name="华为", credit_code=code)
    body = {
        "kind": "organisation",
        "username": "org_real",
        "password": PASSWORD,
        "phone": "15811114444",
        "name": "华为技术有限公司",
        "credit_code": code,
        "consent": True,
    }
    refused = Api("10.3.3.3").post("/api/v1/accounts", body)
    assert refused.status_code == 409
    assert "bring the business licence" in refused.json()["error"]["fields"]["credit_code"][0]
    staff_create(
        username="clerk_web",
        password=PASSWORD,
        phone="13900005555",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    clerk = Api("10.3.3.4").login("clerk_web", phone="13900005555")
    squatter_api = Api("10.3.3.5").login("org_squat", phone="15811113333")
    assert clerk.post(f"/api/v1/staff/organisations/{squatter.pk}/decline", {"reason": " "}).status_code == 400
    long = clerk.post(f"/api/v1/staff/organisations/{squatter.pk}/decline", {"reason": "x" * 500})
    assert long.status_code == 400 and "reason" in long.json()["error"]["fields"]
    linked = clerk.post(f"/api/v1/staff/organisations/{squatter.pk}/decline", {"reason": "材料不符，详见 www.x.cn"})
    assert "no web or e-mail address" in linked.json()["error"]["fields"]["reason"][0]  # the reason is SMS'd
    # On the desk: a way from the activation page, a page that says what declining does.
    web_login(client, "clerk_web", phone="13900005555")
    activation = client.get(f"/staff/organisations/{squatter.pk}/activate/").content.decode()
    assert f'href="/staff/organisations/{squatter.pk}/decline/"' in activation
    ask = client.get(f"/staff/organisations/{squatter.pk}/decline/").content.decode()
    assert "此操作不可撤销" in ask and code in ask
    blank = client.post(f"/staff/organisations/{squatter.pk}/decline/", {"reason": ""})
    assert blank.status_code == 200 and "error-summary" in blank.content.decode()
    squatter.refresh_from_db()
    assert squatter.status == "pending"
    type(squatter).objects.filter(pk=squatter.pk).update(language="en")  # its holder reads English
    done = client.post(f"/staff/organisations/{squatter.pk}/decline/", {"reason": "信用代码属于到场的华为公司代表"})
    assert done.status_code == 302
    squatter.refresh_from_db()
    assert (squatter.status, squatter.is_active, squatter.phone) == ("disabled", False, None)
    assert squatter_api.get("/api/v1/me").status_code == 401  # signed out at once
    # Told why, by SMS to the number it gave (it can no longer sign in to read a message), and
    # at a sign-in (an outsider's declined account heard nothing).
    from residence.notifications.models import SmsMessage

    told = SmsMessage.objects.filter(to="15811113333").latest("id").text
    assert "org_squat" in told and "信用代码属于到场的华为公司代表" in told
    # In the account's language, as its other texts (an outsider's English account read Chinese).
    assert "The organisation account org_squat was declined at a registration point" in told
    refused = Api("10.3.3.8").post("/api/v1/auth/login", {"username": "org_squat", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "This organisation account was declined at a registration point: 信用代码属于到场的华为公司代表"
    )
    # A stale tab of either page says what became of it, without the form.
    stale = client.get(f"/staff/organisations/{squatter.pk}/activate/")
    assert stale.status_code == 409 and "credit_code_checked" not in stale.content.decode()
    assert client.get(f"/staff/organisations/{squatter.pk}/decline/").status_code == 409
    event = AuditEvent.objects.get(type="account_disabled", subject=squatter)
    assert event.data["reason"] == "信用代码属于到场的华为公司代表" and event.data["credit_code"] == code
    # Declined once is declined: a second answer is 409, an activation too (one login at a time:
    # the clerk's web sign-in ended the API one).
    clerk = Api("10.3.3.4").login("clerk_web", phone="13900005555")
    again = clerk.post(f"/api/v1/staff/organisations/{squatter.pk}/decline", {"reason": "again"})
    assert again.status_code == 409
    activate = {"credit_code_checked": True, "letter_checked": True, "housing_checked": True}
    assert clerk.post(f"/api/v1/staff/organisations/{squatter.pk}/activate", activate).status_code == 409
    # The real organisation signs up with its code, and only one account holds it.
    created = Api("10.3.3.3").post("/api/v1/accounts", body)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert Organisation.objects.filter(credit_code=code, declined_at__isnull=True).count() == 1
    assert (
        Api("10.3.3.6").post("/api/v1/accounts", {**body, "username": "org_third", "phone": "15811115555"}).status_code
        == 409
    )
    # A citizen may not decline.
    make_user("citizen9", "13812349999")
    citizen = Api("10.3.3.7").login("citizen9", phone="13812349999")
    real = Organisation.objects.get(credit_code=code, declined_at__isnull=True).user_id
    assert citizen.post(f"/api/v1/staff/organisations/{real}/decline", {"reason": "x"}).status_code == 403


def test_a_too_long_organisation_name_is_told_its_limit_once(client):
    """An outsider's 300-character name was told it was too long and to enter the name."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.post(
        "/accounts/register/",
        {
            "kind": "organisation",
            "username": "org_long",
            "password": PASSWORD,
            "phone": "15811117777",
            "name": "公" * 300,
            "credit_code": "91440300MA5D4X7K8N",
            "consent": "on",
        },
    ).content.decode()
    assert "Ensure this value has at most 200 characters (it has 300)." in html
    assert "Enter the organisation&#x27;s name." not in html and "Enter the organisation's name." not in html
    assert not User.objects.filter(username="org_long").exists()


def test_a_self_check_for_a_day_gone_by_is_told_in_the_past(client, citizen, settings):
    """An outsider's check for 2025-03-01 said "you do not qualify yet … you qualify on" a day long
    past. Registered 2025-06-10, insurance 2025-06 … 2026-02, today 2026-03-02."""
    from residence.accounts.services import real_name_verify

    from .test_account_changes import identity
    from .test_eligibility_api import load_records

    settings.FROZEN_TODAY = "2026-03-02"
    number = identity()
    load_records(number)
    real_name_verify(user=citizen, name="张伟", id_number=number)
    web_login(client)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = {"name": "张伟", "id_number": number, "route": "residence_employment"}
    past = client.post("/account/eligibility/", {**body, "date": "2025-12-01"}).content.decode()
    assert "You did not qualify on that day" in past and "You do not qualify yet" not in past
    assert '<span class="nowrap">2025-12-01</span>' in past  # the day checked, on one line on a phone
    assert "you would qualify on <strong>2026-06-10</strong>" in past and 'data-testid="check-today"' in past
    today = client.post("/account/eligibility/", body).content.decode()
    assert "You do not qualify yet" in today and "you qualify on <strong>2026-06-10</strong>" in today
    # The page's title says the answer, the first thing a screen reader says of the new page (an
    # outsider's said the form's title only).
    assert "<title>You do not qualify yet – Check whether I qualify – " in today
    assert 'data-testid="check-today"' not in today
    # A day to come is told in the conditional, with no "apply" before it (an outsider's was sent
    # to apply); a route that time alone will not open is not "yet".
    from residence.records.services import records_import_rows

    degree = {"id_number": number, "category": "degree", "certificate_no": "XL2020001", "issued_on": "2020-07-01"}
    assert records_import_rows("talents", [{**degree, "valid_until": ""}]).applied
    ahead = client.post("/account/eligibility/", {**body, "route": "talent", "date": "2026-06-10"}).content.decode()
    assert "You would qualify on this route on that day" in ahead and 'data-testid="apply-now"' not in ahead
    assert 'data-testid="check-today"' in ahead and "you can apply from" not in ahead
    assert (
        'data-testid="apply-now"' in client.post("/account/eligibility/", {**body, "route": "talent"}).content.decode()
    )
    never = client.post("/account/eligibility/", {**body, "route": "education"}).content.decode()
    assert "You do not qualify on this route" in never and "You do not qualify yet" not in never
    # One month is one month (an outsider read "1 consecutive months").
    early = client.post("/account/eligibility/", {**body, "date": "2025-06-15"}).content.decode()
    assert "Social insurance paid for 1 consecutive month up to the day checked" in early


def test_a_page_of_a_session_not_remembered_carries_the_warning_before_the_idle_sign_out(citizen):
    """An outsider was signed out of a half-filled form without warning (WCAG 2.2.1)."""
    client = CommittingClient()
    web_login(client)
    html = client.get("/account/").content.decode()
    seconds = int(re.search(r'data-idle-seconds="(\d+)"', html).group(1))
    assert settings.IDLE_TIMEOUT_SECONDS - 5 <= seconds <= settings.IDLE_TIMEOUT_SECONDS
    assert 'data-testid="idle-warning"' in html and 'action="/accounts/keep-alive/"' in html
    remembered = CommittingClient()
    web_login(remembered, remember=True)
    assert 'data-testid="idle-warning"' not in remembered.get("/account/").content.decode()


def test_staying_signed_in_counts_as_activity_to_the_second(citizen):
    from residence.accounts.models import LoginSession

    client = CommittingClient()
    web_login(client)
    session = LoginSession.objects.get(ended_at__isnull=True)
    LoginSession.objects.filter(pk=session.pk).update(last_seen_at=session.last_seen_at - dt.timedelta(seconds=50))
    assert client.get("/accounts/keep-alive/").status_code == 405
    assert client.post("/accounts/keep-alive/").status_code == 204
    assert LoginSession.objects.get(pk=session.pk).last_seen_at > session.last_seen_at - dt.timedelta(seconds=1)
    assert CommittingClient().post("/accounts/keep-alive/").status_code == 401


def test_a_form_sent_after_the_idle_sign_out_leads_back_to_its_page(citizen):
    """An outsider's self-check, sent after the sign-out, landed on the account page once signed in."""
    from residence.accounts.models import LoginSession

    client = CommittingClient()
    web_login(client)
    idle = dt.timedelta(seconds=settings.IDLE_TIMEOUT_SECONDS + 60)
    LoginSession.objects.update(last_seen_at=LoginSession.objects.get().last_seen_at - idle)
    sent = client.post("/account/eligibility/", {"name": "张伟"}, HTTP_REFERER="http://testserver/account/eligibility/")
    assert sent.status_code == 302 and "reason=expired" in sent["Location"]
    assert "next=%2Faccount%2Feligibility%2F" in sent["Location"]
    told = client.get(sent["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert 'href="/accounts/login/?next=/account/eligibility/"' in told.content.decode()
    web_login(client)
    LoginSession.objects.filter(ended_at__isnull=True).update(
        last_seen_at=LoginSession.objects.get(ended_at__isnull=True).last_seen_at - idle
    )
    elsewhere = client.post("/account/eligibility/", {}, HTTP_REFERER="https://evil.example/account/")
    assert "reason=expired" in elsewhere["Location"] and "next=" not in elsewhere["Location"]


def test_the_own_name_is_filled_in_by_the_browser_and_every_id_number_field_says_its_length(citizen):
    """An outsider's audit: the real-name form's name had no autocomplete (WCAG 1.3.5), and the
    self-check's ID number had no hint where every other one says "18 characters"."""
    client = CommittingClient()
    web_login(client)
    real_name = client.get("/account/real-name/").content.decode()
    assert re.search(r'<input type="text" name="name"[^>]*autocomplete="name"', real_name)
    for html in (real_name, client.get("/account/eligibility/").content.decode()):
        assert re.search(r'id="id_id_number_helptext"[^>]*>\s*(18 characters|18 位)', html), html[:200]


@pytest.mark.parametrize(
    ("seconds", "said"), [(1800, "after 30 minutes"), (60, "after 1 minute "), (5400, "after 90 minutes")]
)
def test_the_signed_out_page_says_the_idle_time_as_set(client, settings, seconds, said):
    """An outsider's 40 seconds were said to be 30 minutes."""
    settings.IDLE_TIMEOUT_SECONDS = seconds
    client.cookies["django_language"] = "en"
    assert said in client.get("/accounts/signed-out/?reason=expired").content.decode()


def test_a_short_idle_time_is_counted_from_the_last_request_not_the_last_minute(citizen, settings):
    """An outsider's 40-second idle time signed out a reader busy all along: the last request was
    written down once a minute at most."""
    from residence.accounts.models import LoginSession

    settings.IDLE_TIMEOUT_SECONDS = 40
    client = CommittingClient()
    web_login(client)
    seen = LoginSession.objects.get().last_seen_at
    LoginSession.objects.update(last_seen_at=seen - dt.timedelta(seconds=15))  # over a quarter of 40 s
    assert client.get("/account/").status_code == 200
    assert LoginSession.objects.get().last_seen_at >= seen - dt.timedelta(seconds=1)


def test_an_all_digit_password_is_told_once_that_it_needs_letters(client):
    """An outsider's 12345678 read "密码只包含数字。" and "密码须同时包含字母和数字。", one rule twice."""
    response = client.post(
        "/accounts/register/",
        {"kind": "individual", "username": "digits_only", "password": "40718263", "phone": "13912345678"},
    )
    html = response.content.decode()
    assert "密码须同时包含字母和数字。" in html and "只包含数字" not in html
    assert not User.objects.exists()


def test_a_page_that_needs_a_sign_in_says_so_and_that_a_form_sent_signed_out_was_not_kept(client, citizen):
    """An outsider signed out in another tab, saved a family member in the first, and landed on a
    bare sign-in page: what was typed was gone, and nothing said so."""
    sent = client.post("/applications/apply/family/add/", {"name": "王芳"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert sent.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert "If you were filling in a form, it was not sent" in sent.content.decode()
    assert "{#" not in sent.content.decode() and "{% comment" not in sent.content.decode()
    assert 'data-testid="sign-in-to-go-on"' not in client.get("/accounts/login/").content.decode()
