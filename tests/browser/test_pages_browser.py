"""The pages of the hardening issue in Chromium, at 375 px and 1280 px, in both languages."""

import re

import pytest

from residence.accounts.services import account_create, staff_create
from residence.places.models import AcceptancePoint

from .test_accounts_browser import assert_accessible, code_from_outbox

pytestmark = pytest.mark.django_db(transaction=True)
PHONE_SIZES = {"phone": {"width": 375, "height": 667}, "desktop": {"width": 1280, "height": 800}}


def visible_text(page):
    return page.evaluate("document.querySelector('main').innerText + ' ' + document.querySelector('header').innerText")


def sign_in(page, base, username, password, phone):
    page.goto(base + "/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    if "/login/verify/" in page.url:  # the first sign-in, and every staff sign-in
        page.locator("#id_code").fill(code_from_outbox(phone))
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state()


@pytest.mark.parametrize("size", PHONE_SIZES)
def test_the_error_summary_takes_the_focus_and_the_title_says_error(web, chromium, shot, size):
    for language, prefix, button in (("zh-CN", "错误：", "注册"), ("en", "Error:", "Create account")):
        context = chromium.new_context(locale=language, viewport=PHONE_SIZES[size])
        page = context.new_page()
        page.goto(web.url + ("/language/en/?next=/accounts/register/" if language == "en" else "/accounts/register/"))
        page.locator("#id_username").fill("ab")
        page.locator("#id_password").fill("short1")
        page.locator("#id_phone").fill("１２３")
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        assert page.title().startswith(prefix)
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        targets = {a.get_attribute("href") for a in page.locator(".error-summary a").all()}
        # Username, password, phone and consent: all in the first round.
        assert targets == {"#id_username", "#id_password", "#id_phone", "#id_consent"}
        box = page.locator(".error-summary").bounding_box()
        assert -1 <= box["y"] < PHONE_SIZES[size]["height"]
        assert_accessible(page)
        shot(page, f"20-register-errors-{language}-{size}")
        context.close()


def test_an_english_page_draws_its_quotation_marks_in_a_latin_font(web, chromium, shot):
    """A Chinese font drew “Building name” with full-width marks, a gap before the opening one (an
    outsider): English text is set in a Latin font first, the Chinese inside it in a Chinese one."""
    measure = """sample => { const s = document.createElement('span'); s.textContent = sample;
        document.querySelector('h1').appendChild(s);
        const em = s.getBoundingClientRect().width / parseFloat(getComputedStyle(s).fontSize);
        s.remove(); return em; }"""
    context = chromium.new_context(locale="en", viewport=PHONE_SIZES["phone"])
    page = context.new_page()
    page.goto(web.url + "/language/en/?next=/accounts/register/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.evaluate(measure, "\u201c") < 0.8  # a full-width mark is 1 em
    assert page.evaluate(measure, "张伟") > 1.9  # Chinese still set in full-width characters
    page.get_by_role("button", name="Create account", exact=True).click()  # “…” in the errors
    page.wait_for_load_state()
    shot(page, "22-register-errors-latin-font-en")
    chinese = context.new_page()
    chinese.goto(web.url + "/language/zh-hans/?next=/accounts/register/")
    assert chinese.evaluate(measure, "\u201c") > 0.9  # a Chinese page keeps its own marks
    context.close()


def test_a_page_that_needs_a_sign_in_says_why_the_sign_in_page_came(web, chromium, shot):
    context = chromium.new_context(locale="zh-CN", viewport=PHONE_SIZES["phone"])
    page = context.new_page()
    page.goto(web.url + "/applications/apply/")
    assert "/accounts/login/?next=" in page.url
    said = page.get_by_test_id("sign-in-to-go-on")
    assert said.is_visible() and "表单尚未提交" in said.inner_text()
    assert said.bounding_box()["y"] < PHONE_SIZES["phone"]["height"] / 2  # read before the form
    shot(page, "23-sign-in-to-go-on-phone")
    context.close()


def test_the_sign_up_form_starts_on_a_phones_first_screen(web, chromium, shot):
    context = chromium.new_context(locale="zh-CN", viewport=PHONE_SIZES["phone"])
    page = context.new_page()
    page.goto(web.url + "/accounts/register/")
    assert not page.locator(".privacy-details").evaluate("d => d.open")
    assert page.locator("#id_username").bounding_box()["y"] < 667
    page.get_by_text("隐私说明：我们保存什么、为什么保存").click()
    assert page.locator(".privacy-details").evaluate("d => d.open")
    shot(page, "21-register-privacy-open-phone")
    context.close()


def test_switching_language_keeps_what_was_typed_but_not_a_password(web, chromium, shot):
    """An outsider typed half the sign-up form, switched to English, and found it empty."""
    context = chromium.new_context(locale="zh-CN", viewport=PHONE_SIZES["phone"])
    page = context.new_page()
    page.goto(web.url + "/accounts/register/")
    page.fill("#id_username", "switch_user")
    page.fill("#id_phone", "13700000099")
    page.fill("#id_password", "Secret2026pass")
    page.check("#id_consent")
    page.locator("a[data-language-switch]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.input_value("#id_username") == "switch_user" and page.input_value("#id_phone") == "13700000099"
    assert page.is_checked("#id_consent") and page.input_value("#id_password") == ""
    shot(page, "21b-register-kept-after-switch-phone")
    # Forgotten once filled in: the page loaded again is empty.
    page.reload()
    assert page.input_value("#id_username") == ""
    context.close()


@pytest.mark.parametrize("size", PHONE_SIZES)
def test_language_links_and_no_other_language_on_the_page(web, chromium, shot, size):
    context = chromium.new_context(locale="zh-CN", viewport=PHONE_SIZES[size])
    page = context.new_page()
    page.goto(web.url + "/accounts/login/")
    chinese_text = visible_text(page)
    latin = set(re.findall(r"[A-Za-z]{2,}", chinese_text)) - {"English"}
    assert not latin, latin
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    english_text = visible_text(page)
    assert not set(re.findall(r"[\u4e00-\u9fff]+", english_text)) - {"简体中文"}
    assert page.get_by_role("link", name="简体中文").get_attribute("lang") == "zh-CN"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZES[size]["width"]
    shot(page, f"22-login-english-{size}")
    context.close()


def test_the_staff_table_at_375px_has_no_sideways_scroll_and_its_action_in_reach(web, chromium, shot):
    for n in range(3):
        account_create(
            kind="organisation",
            username=f"pending_org{n}",
            password="Pending2026pass",
            phone=f"1581111000{n}",
            consent=True,
            name=f"深圳市一个名字相当长的物业管理有限公司第{n}分公司",
            credit_code=["91440300MA5D4X7K8N", "91440300MA5FXXXX0U", "91110108551385082Q"][n],
        )
    staff_create(
        username="table_clerk",
        password="Clerk2026pass",
        phone="13900001111",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    for size, viewport in PHONE_SIZES.items():
        context = chromium.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        sign_in(page, web.url, "table_clerk", "Clerk2026pass", "13900001111")
        page.wait_for_url("**/staff/")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        actions = page.get_by_role("link", name="核验并激活")
        assert actions.count() == 3
        for index in range(3):
            box = actions.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert_accessible(page)
        shot(page, f"23-staff-desk-{size}")
        if size == "phone":
            actions.first.click()
            page.wait_for_url("**/activate/")
            shot(page, "24-activate-phone")
        context.close()


def test_an_organisation_sees_its_own_area(web, chromium, shot):
    account_create(
        kind="organisation",
        username="area_org",
        password="Area2026pass",
        phone="15811112222",
        consent=True,
        name="深圳市示范物业管理有限公司",
        credit_code="91440300MA5D4X7K8N",
    )
    for size, viewport in PHONE_SIZES.items():
        context = chromium.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        sign_in(page, web.url, "area_org", "Area2026pass", "15811112222")
        page.wait_for_url("**/account/")
        assert page.get_by_role("heading", name="深圳市示范物业管理有限公司").is_visible()
        assert page.get_by_test_id("pending-banner").is_visible()
        assert page.get_by_role("heading", name="我的居住证").count() == 0
        assert_accessible(page)
        shot(page, f"25-organisation-area-{size}")
        context.close()


def test_pages_run_under_the_content_security_policy_and_the_api_docs_still_work(web, chromium, shot):
    from .conftest import CSP_REFUSALS

    page = chromium.new_page()
    response = page.goto(web.url + "/")
    assert "script-src" not in response.headers["content-security-policy"]  # 'self' by default-src
    assert response.headers["cache-control"] == "no-store"
    # The policy is enforced and watched: an inline handler slipped into the page does not run.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"/x.png\" onerror=\"window.ran=1\">')")
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran === undefined")
    assert any("inline event handler" in refusal for refusal in CSP_REFUSALS)
    CSP_REFUSALS.clear()
    # The API's documentation (Swagger UI, the platform's own copy) renders its operations.
    page.goto(web.url + "/api/v1/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 20
    shot(page, "60-api-docs-under-csp")


OLD_PHONE = {"width": 320, "height": 568}
TARGETS = (
    ".radio, header a, header button, footer a, .back a, .back-link, main .button-link, .inline-list a, .link-list a,"
    " td a, .summary-action a"
)
SMALL_TARGETS = f"""() => [...document.querySelectorAll('{TARGETS}')]
    .filter(e => e.offsetParent !== null)
    .map(e => [e.textContent.trim(), Math.round(e.getBoundingClientRect().height)])
    .filter(([, height]) => height < 44)"""
# A box whose label starts below it, not beside it (an outsider: the sign-up's consent at 320 px).
LABELS_UNDER_BOXES = """() => [...document.querySelectorAll('.field-checkbox input[type=checkbox]')]
    .filter(box => box.getBoundingClientRect().bottom <= document.querySelector(`label[for="${box.id}"]`)
        .getBoundingClientRect().top)
    .map(box => box.id)"""


def old_phone(chromium, language):
    return chromium.new_context(
        locale=language, viewport=OLD_PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    ).new_page()


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_on_an_old_phone_every_choice_and_link_is_a_44px_target(web, chromium, shot, language):
    """An outsider measured 26 px radio rows and header links, 24 px back links and 21 px footer
    links on a 320 px phone."""
    page = old_phone(chromium, language)
    switch = "/language/en/?next=" if language == "en" else ""
    for path in (
        "/accounts/register/",
        "/accounts/login/",
        "/accounts/password-reset/",
        "/permits/check/",
        "/developers/",
    ):
        assert page.goto(web.url + switch + path).ok
        assert page.url.endswith(path)
        assert page.evaluate(SMALL_TARGETS) == [], path
        assert page.evaluate(LABELS_UNDER_BOXES) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= OLD_PHONE["width"], path
    shot(page, f"22-old-phone-targets-{language}")
    page.context.close()


def test_a_long_unbroken_value_wraps_instead_of_widening_the_page(web, chromium, shot, settings):
    """An outsider's 90-letter building name without spaces widened the check page to 1084 px: the
    phone zoomed the page out and the button could not be tapped."""
    from .test_registration_browser import landlord_and_tenant
    from .test_registration_browser import sign_in as sign_in_to

    settings.FROZEN_TODAY = "2026-03-02"
    landlord_and_tenant()
    page = old_phone(chromium, "zh-CN")
    sign_in_to(page, web.url, "landlord1", "13812345678", platform="registration")
    page.goto(web.url + "/registration/houses/new/")
    page.locator("#id_street").select_option("440304004")
    page.get_by_test_id("continue").click()
    page.locator("#id_building_code").fill("4403040040012")
    page.locator("#id_building_name").fill("Futian" + "Garden" * 14)
    page.get_by_test_id("continue").click()
    page.locator("#id_room").fill("101")
    page.locator("#id_address").fill("ShenzhenFutianFutianRoad88" * 3)
    page.locator("#id_housing_type_0").check()
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/houses/new/check/")
    assert page.evaluate("document.documentElement.scrollWidth") <= OLD_PHONE["width"]
    assert page.evaluate(SMALL_TARGETS) == []  # the back link too
    submit = page.get_by_test_id("submit")
    submit.scroll_into_view_if_needed()
    box = submit.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= OLD_PHONE["width"]
    shot(page, "23-old-phone-long-value")
    submit.tap()
    page.wait_for_url("**/registration/houses/*/")
    assert page.evaluate("document.documentElement.scrollWidth") <= OLD_PHONE["width"]
    assert page.evaluate(SMALL_TARGETS) == []  # the section's page list too
    page.context.close()


def test_a_long_list_of_messages_is_paged_with_links_a_thumb_can_hit(web, chromium, shot, monkeypatch):
    """An outsider's 507 messages stopped at 200 with no way to the rest."""
    from residence.notifications.services import message_send
    from residence.web import views

    from ..conftest import PASSWORD, make_user

    monkeypatch.setattr(views, "MESSAGES_PAGE", 2)
    user = make_user("paged_user", "13812349999")
    for n in range(3):
        message_send(user=user, key="application_withdrawn", reference=f"SZ00000{n}")
    page = old_phone(chromium, "zh-CN")
    sign_in(page, web.url, "paged_user", PASSWORD, "13812349999")
    page.goto(web.url + "/account/messages/")
    assert "SZ000002" in page.inner_text("main") and "SZ000000" not in page.inner_text("main")
    assert page.evaluate(SMALL_TARGETS) == [] and page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.get_by_test_id("next-page").bounding_box()["height"] >= 44
    shot(page, "23-messages-paged-320")
    page.get_by_test_id("next-page").click()
    assert "SZ000000" in page.inner_text("main") and page.get_by_test_id("previous-page").is_visible()
    assert_accessible(page)
    page.context.close()


def dark_pixels_around(page, locator) -> int:
    """Pixels darker than the page's greys within 8 px outside the element's box (not inside it,
    where its own text is)."""
    from io import BytesIO

    from PIL import Image

    box = locator.bounding_box()  # in the viewport; the clip of a full-page shot is in the page
    scroll_x, scroll_y = page.evaluate("[scrollX, scrollY]")
    margin = 8
    clip = {
        "x": box["x"] + scroll_x - margin,
        "y": box["y"] + scroll_y - margin,
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    image = Image.open(BytesIO(page.screenshot(clip=clip, full_page=True))).convert("RGB")
    scale = image.width / clip["width"]
    inside = (margin * scale, margin * scale, (margin + box["width"]) * scale, (margin + box["height"]) * scale)
    return sum(
        1
        for x in range(image.width)
        for y in range(image.height)
        if not (inside[0] <= x < inside[2] and inside[1] <= y < inside[3]) and max(image.getpixel((x, y))) < 80
    )


def test_keyboard_focus_shows_dark_on_a_white_page(web, chromium, shot):
    """An outsider's keyboard lost its place: the amber ring (1.6:1 on white) hid the dark one meant
    to go with it. A focused link gets a dark bar under it, a focused button a dark ring around it."""
    context = chromium.new_context(locale="zh-CN", viewport={"width": 320, "height": 568}, device_scale_factor=2)
    page = context.new_page()
    page.goto(web.url + "/accounts/login/")
    link = page.get_by_role("link", name="忘记密码？")
    button = page.locator("form button[type=submit]").first
    for control, least in ((link, 2 * link.bounding_box()["width"]), (button, 4 * button.bounding_box()["width"])):
        before = dark_pixels_around(page, control)
        control.focus()
        assert dark_pixels_around(page, control) - before >= least
        page.locator("body").evaluate("b => document.activeElement.blur()")
    link.focus()
    shot(page, "21-focus-on-a-link-320")
    context.close()


FOCUS_COLOURS = """el => { el.focus(); const s = getComputedStyle(el);
    return [el.textContent.trim(), s.backgroundColor, s.color]; }"""


def test_a_focused_link_or_button_reads_dark_on_amber_in_the_header_and_an_error_summary(web, chromium, shot):
    """The re-test: the header's sign-out and language buttons turned amber with white words (1.6:1),
    an error summary's links with red ones (3.9:1). Every link and link-like button of a signed-in
    page and of a page of errors, focused, is dark on amber."""
    staff_create(username="focus_clerk", password="Clerk2026pass", phone="13900001112", role="clerk",
                 point=AcceptancePoint.objects.get(code="44030400401"))  # fmt: skip
    context = chromium.new_context(locale="zh-CN", viewport={"width": 320, "height": 568})
    page = context.new_page()
    sign_in(page, web.url, "focus_clerk", "Clerk2026pass", "13900001112")
    page.goto(web.url + "/account/password/")
    page.get_by_role("button", name="修改密码").click()
    page.wait_for_load_state()
    targets = page.locator("header a:visible, header .button-link:visible, .error-summary a:visible").all()
    assert len(targets) >= 4
    for target in targets:
        text, background, colour = target.evaluate(FOCUS_COLOURS)
        assert background == "rgb(255, 191, 71)" and colour == "rgb(29, 29, 31)", (text, background, colour)
    page.get_by_role("button", name="退出").focus()
    shot(page, "24-focus-on-sign-out-320")
    context.close()
