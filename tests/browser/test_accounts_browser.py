import json
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from residence.accounts.models import LoginSession

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "15912340001"


def code_from_outbox(phone):
    lines = Path(settings.SMS_FILE).read_text(encoding="utf-8").splitlines()
    for line in reversed(lines):
        message = json.loads(line)
        if message["to"] == phone:
            return re.search(r"(?<!\d)(\d{6})(?!\d)", message["text"]).group(1)
    raise AssertionError("no SMS for " + phone)


def assert_accessible(page):
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"]) for v in serious]


def sign_in(page, base, password):
    page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill("browser_user")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def signed_in_by_form(page, username, phone, password="Testing2026pass", *, base=""):
    """The login form filled in, with the SMS code when one is asked for: on the page shown, or,
    with `base`, on the login page, then on to the account area."""
    if base:
        page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/verify/" in url or "/accounts/login/" not in url)
    if "/verify/" in page.url:
        page.get_by_label("短信验证码").fill(code_from_outbox(phone))
        page.get_by_role("button", name="继续").click()
    if base:
        page.wait_for_url("**/account/")


def test_register_login_with_sms_change_password_logout_and_replaced(web, chromium, shot):
    base = web.url
    first = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = first.new_page()

    page.goto(base + "/accounts/register/")
    assert_accessible(page)
    shot(page, "01-register")
    page.get_by_label("用户名").fill("browser_user")
    page.get_by_label("密码").fill("Browser2026pass")
    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_label("我已阅读隐私说明").check()
    page.get_by_role("button", name="注册").click()
    page.wait_for_url("**/register/done/")
    assert page.get_by_test_id("new-username").inner_text() == "browser_user"
    shot(page, "02-registered")

    # While the answer is on its way the button says so (an outsider's pressed buttons showed
    # nothing). Read as the form leaves, by a listener after the page's own, and kept in the tab
    # for after the navigation: a fast server or a slow one, the same reading.
    page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill("browser_user")
    page.get_by_label("密码").fill("Browser2026pass")
    button = page.get_by_role("button", name="登录")
    button.evaluate(
        """button => button.form.addEventListener("submit", () => sessionStorage.setItem("sending", JSON.stringify([
            document.querySelector(".sending-note").textContent,
            document.querySelector(".is-sending").getAttribute("aria-disabled"),
        ])))"""
    )
    button.click()
    page.wait_for_url("**/login/verify/")
    assert json.loads(page.evaluate("() => sessionStorage.getItem('sending')")) == ["正在提交，请稍候……", "true"]
    assert "159****0001" in page.content()
    shot(page, "03-sms-code")
    # A new code asked for at once: refused in the error summary, focused, the title saying so.
    page.get_by_role("button", name="重新发送验证码").click()
    page.wait_for_url("**/login/verify/")
    assert "60 秒" in page.locator(".error-summary").inner_text() and page.title().startswith("错误：")
    assert_accessible(page)
    shot(page, "03b-sms-resend-too-soon")
    page.get_by_label("短信验证码").fill(code_from_outbox(PHONE))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/account/")
    assert page.get_by_role("heading", name="我的居住证").is_visible()
    assert page.get_by_role("heading", name="个人信息").is_visible()
    assert_accessible(page)
    shot(page, "04-account-area")

    page.get_by_role("link", name="修改密码").click()
    page.get_by_label("当前密码").fill("Browser2026pass")
    page.get_by_label("新密码", exact=True).fill("Changed2026pass")
    page.get_by_label("再次输入新密码").fill("Changed2026pass")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_url("**/account/")
    assert "密码已修改" in page.content()
    shot(page, "05-password-changed")

    second = chromium.new_context(locale="zh-CN")
    other = second.new_page()
    sign_in(other, base, "Changed2026pass")
    other.wait_for_url("**/account/")
    assert LoginSession.objects.filter(user__username="browser_user", ended_at__isnull=True).count() == 1

    page.reload()
    page.wait_for_url("**/signed-out/**")
    assert page.get_by_test_id("signed-out-replaced").is_visible()
    shot(page, "06-signed-out-elsewhere")

    other.get_by_test_id("logout").click()
    other.wait_for_url("**/accounts/login/")
    assert "您已退出登录" in other.content()
    shot(other, "07-logged-out")
    assert not LoginSession.objects.filter(user__username="browser_user", ended_at__isnull=True).exists()
    first.close()
    second.close()


def test_login_page_at_320px_and_in_english(web, chromium, shot):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(web.url + "/accounts/login/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    shot(page, "08-login-320px")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert_accessible(page)
    shot(page, "09-login-english")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator(".error-summary").is_visible()
    shot(page, "10-login-errors")
    context.close()


def test_warned_before_the_idle_sign_out_and_back_to_the_typed_page_after_it(web, chromium, shot, settings):
    """An outsider was signed out of a half-filled form without warning, lost what was typed and
    landed on the account page after signing in again (WCAG 2.2.1)."""
    from tests.conftest import make_user

    settings.IDLE_TIMEOUT_SECONDS = 8  # warned at 4 s, signed out at 8 s
    make_user("idle_user", PHONE)
    make_user("next_user", "15912340009")
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()

    signed_in_by_form(page, "idle_user", PHONE, base=web.url)
    page.goto(web.url + "/account/password/")
    page.get_by_label("当前密码").fill("Testing2026pass")
    warning = page.get_by_test_id("idle-warning")
    warning.wait_for(state="visible", timeout=7000)
    assert_accessible(page)
    # It says when: the deadline (8 s after the page, 4 s or less from now) on the device's clock.
    said = page.get_by_test_id("idle-at").inner_text()
    expected = page.evaluate(
        "[0, 5000].map(ms => new Date(Date.now() + ms))"
        ".map(d => ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2))"
    )
    assert said in expected and "退出登录时间：" in warning.inner_text()
    shot(page, "08-idle-warning")
    page.evaluate("window.stillThisPage = true")
    page.get_by_role("button", name="保持登录").click()
    warning.wait_for(state="hidden", timeout=3000)
    # Past the first signing-out time, the page is the same page (an outsider's was reloaded a
    # second after "stay signed in", its passwords gone), the password still as typed.
    page.wait_for_timeout(3000)
    assert page.evaluate("window.stillThisPage === true")
    assert page.get_by_label("当前密码").input_value() == "Testing2026pass"
    page.goto(web.url + "/account/real-name/")
    page.get_by_label("姓名（与身份证一致）").fill("李娜")
    page.wait_for_url("**/signed-out/**", timeout=12000)
    assert "重新登录后将回到您之前所在的页面" in page.content()
    shot(page, "09-idle-signed-out")
    page.get_by_test_id("sign-in-again").click()
    signed_in_by_form(page, "idle_user", PHONE)
    page.wait_for_url("**/account/real-name/")
    assert page.get_by_label("姓名（与身份证一致）").input_value() == "李娜"

    # Signed out again with a name typed: the next person signing in on this computer is not shown
    # it, and nothing of it stays in the tab (an outsider's next user read the name and ID number).
    page.get_by_label("姓名（与身份证一致）").fill("王芳")
    page.wait_for_url("**/signed-out/**", timeout=12000)
    page.get_by_test_id("sign-in-again").click()
    signed_in_by_form(page, "next_user", "15912340009")
    page.wait_for_url("**/account/real-name/")
    assert page.get_by_label("姓名（与身份证一致）").input_value() == ""
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('typed-kept:')).length") == 0
    context.close()


def test_the_idle_warning_covers_no_focused_control_and_gives_focus_back(web, chromium, shot, settings):
    """An outsider's keyboard on a 320 px phone tabbed to a button hidden under the warning (WCAG
    2.4.11), and after "stay signed in" was at the top of the page, its place in the form lost."""
    from tests.conftest import make_user

    settings.IDLE_TIMEOUT_SECONDS = 8
    make_user("idle_phone", PHONE)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 320, "height": 568})
    page = context.new_page()
    signed_in_by_form(page, "idle_phone", PHONE, base=web.url)
    page.goto(web.url + "/account/password/")
    warning = page.get_by_test_id("idle-warning")
    warning.wait_for(state="visible", timeout=7000)
    page.get_by_label("当前密码").focus()
    covered = """(el) => {
        const w = document.getElementById("idle-warning").getBoundingClientRect();
        const r = el.getBoundingClientRect();
        return r.bottom > w.top && r.top < w.bottom;
    }"""
    button = page.get_by_role("button", name="修改密码")
    for _ in range(6):  # on to the form's button, by the keyboard
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "修改密码":
            break
    assert page.evaluate("document.activeElement.textContent.trim()") == "修改密码"
    assert not button.evaluate(covered)
    shot(page, "08b-idle-warning-focus-320px")
    page.get_by_label("新密码", exact=True).focus()
    page.get_by_role("button", name="保持登录").focus()
    page.keyboard.press("Enter")
    warning.wait_for(state="hidden", timeout=3000)
    assert page.evaluate("document.activeElement.id") == page.get_by_label("新密码", exact=True).get_attribute("id")
    context.close()


def test_signed_in_the_language_switch_keeps_what_was_typed_and_chooses_the_accounts_language(web, chromium, shot):
    """Signed in, the switch is a form (an outsider's SMS stayed English after choosing Chinese
    again): what was typed survives it as it does the link."""
    from residence.accounts.models import User
    from tests.conftest import make_user

    make_user("switch_user", PHONE)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 320, "height": 568})
    page = context.new_page()
    signed_in_by_form(page, "switch_user", PHONE, base=web.url)
    assert User.objects.get(username="switch_user").language == "zh-hans"
    page.goto(web.url + "/account/real-name/")
    page.get_by_label("姓名（与身份证一致）").fill("李娜")
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/account/real-name/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Name as on your ID card").input_value() == "李娜"
    assert User.objects.get(username="switch_user").language == "en"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    shot(page, "09b-language-switch-signed-in-320px")
    context.close()


def test_staying_signed_in_after_another_computer_signed_in_says_so(web, chromium, settings):
    """An outsider's "stay signed in", pressed after the account signed in elsewhere, left the
    warning up and the reason untold."""
    from tests.conftest import make_user

    settings.IDLE_TIMEOUT_SECONDS = 8
    make_user("twice_user", PHONE)
    first = chromium.new_context(locale="zh-CN")
    page = first.new_page()
    signed_in_by_form(page, "twice_user", PHONE, base=web.url)
    page.get_by_test_id("idle-warning").wait_for(state="visible", timeout=7000)
    second = chromium.new_context(locale="zh-CN")
    other = second.new_page()
    signed_in_by_form(other, "twice_user", PHONE, base=web.url)
    page.get_by_role("button", name="保持登录").click()
    page.wait_for_url("**/signed-out/?reason=replaced**", timeout=3000)
    assert page.get_by_test_id("signed-out-replaced").is_visible()
    first.close()
    second.close()


def test_work_in_another_tab_keeps_an_answer_page_as_it_is(web, chromium, settings):
    """An outsider's self-check answer page, left while the reader worked in another tab, was
    reloaded at its own idle time and sent the check again (one of the day's five)."""
    from residence.eligibility.models import EligibilityCheck
    from tests.conftest import make_user

    settings.IDLE_TIMEOUT_SECONDS = 8
    make_user("tabs_user", PHONE)
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    signed_in_by_form(page, "tabs_user", PHONE, base=web.url)
    page.goto(web.url + "/account/eligibility/")
    page.get_by_label("姓名（与身份证一致）").fill("张伟")
    page.get_by_label("公民身份号码").fill("11010519491231002X")
    page.locator("main form button[type=submit]").click()
    page.get_by_test_id("eligibility-result").wait_for()
    page.evaluate("window.stillThisPage = true")
    other = context.new_page()
    for _ in range(7):  # 14 s of work in the other tab, past this page's own idle time
        other.goto(web.url + "/account/")
        other.wait_for_timeout(2000)
    assert page.evaluate("window.stillThisPage === true") and EligibilityCheck.objects.count() == 1
    other.close()
    page.wait_for_url("**/signed-out/**", timeout=15000)  # then idle everywhere: signed out
    assert EligibilityCheck.objects.count() == 1  # by asking for the page, not by sending its form again
    context.close()
