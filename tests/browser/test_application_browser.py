"""A citizen applies in Chromium through every step, sees the confirmation, and after the
departments answer (through the API) sees the progress timeline. Screenshots at 375 and 1280 px."""

import pytest

from residence.accounts.services import real_name_verify
from residence.applications.models import Application
from tests.applications import HOME_POINT, eligible_records, staff_apis
from tests.conftest import PASSWORD, Api, make_user
from tests.idnumbers import WANG_FANG
from tests.test_account_changes import identity

from .test_accounts_browser import assert_accessible, code_from_outbox

pytestmark = pytest.mark.django_db(transaction=True)

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 375, "height": 812}


def both(page, shot, name):
    """The page at 375 px and at 1280 px, then back to 1280 px."""
    page.set_viewport_size(NARROW)
    shot(page, f"{name}-375")
    page.set_viewport_size(WIDE)
    shot(page, f"{name}-1280")


def test_citizen_applies_through_every_step_and_follows_progress(web, chromium, shot, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    real_name_verify(user=user, name="张伟", id_number=identity("43010219900307123", "张伟"))
    eligible_records()
    settings.SMS_BACKEND = "locmem"  # the staff sign in through the API with codes from the in-memory outbox
    staff = staff_apis(["police", "insurance", "reviewer", "production", "clerk"])
    settings.SMS_BACKEND = "file"

    context = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = context.new_page()
    page.goto(web.url + "/applications/")
    assert page.get_by_test_id("start-now").is_visible()
    both(page, shot, "app-01-start")

    page.get_by_test_id("start-now").click()  # not signed in: the login page, then back here
    page.get_by_label("用户名").fill("citizen1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("短信验证码").fill(code_from_outbox("13812345678"))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/applications/apply/kind/")

    # What happened to the card is asked of an exchange or a replacement only (an outsider's note
    # on a first application was dropped unsaid).
    reason = page.locator("#id_reason")
    assert page.locator("#id_kind_0").is_checked() and not reason.is_visible()
    page.locator("input[name=kind][value=replacement]").check()
    assert reason.is_visible()
    shot(page, "app-01b-replacement-reason")
    page.locator("#id_kind_0").check()
    assert not reason.is_visible()
    page.get_by_test_id("continue").click()  # no route chosen
    page.locator(".error-summary a[href='#id_route_0']").click()
    # The question comes into view with its first choice focused, and the fieldset says why.
    assert page.evaluate("document.activeElement.id") == "id_route_0"
    legend = page.locator("fieldset:has(#id_route_0) legend")
    box = legend.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]
    assert "id_route_error" in page.locator("fieldset:has(#id_route_0)").get_attribute("aria-describedby")
    both(page, shot, "app-02a-question-error")
    page.locator("#id_route_0").check()
    page.get_by_test_id("continue").click()

    page.wait_for_url("**/apply/photo/")
    page.locator("#id_photo_receipt").fill("12-3")
    page.get_by_test_id("continue").click()
    summary = page.locator(".error-summary")
    assert summary.is_visible() and page.locator(".field-error #id_photo_receipt").count() == 1
    assert_accessible(page)
    both(page, shot, "app-02-step-error")
    page.locator("#id_photo_receipt").fill("pz20260302a1")
    page.get_by_test_id("continue").click()

    page.wait_for_url("**/apply/point/")
    assert page.locator("#id_acceptance_point").input_value() == HOME_POINT
    page.get_by_test_id("continue").click()

    page.wait_for_url("**/apply/family/")
    page.get_by_test_id("add-member").click()
    page.locator("#id_relation_0").check()
    page.locator("#id_name").fill("王芳")
    page.locator("#id_id_number").fill(WANG_FANG)
    page.get_by_test_id("save-member").click()
    assert "王芳" in page.get_by_test_id("family-list").inner_text()
    # Remove asks first; "No, keep" leaves the list as it was.
    page.get_by_test_id("remove-member").click()
    assert "王芳（配偶，" in page.get_by_test_id("member").inner_text()
    assert_accessible(page)
    both(page, shot, "app-02b-remove-asks-first")
    page.get_by_role("link", name="不，保留").click()
    assert "王芳" in page.get_by_test_id("family-list").inner_text()
    page.get_by_test_id("continue").click()

    page.wait_for_url("**/apply/delivery/")
    page.locator("#id_method_1").check()
    page.locator("#id_address").fill("福田区福田路 1 号 101 室")
    # Sent once and said so, though a field of it is named "method" (an outsider's was sent twice).
    page.evaluate(
        "document.querySelector('main form[method=post]').addEventListener('submit', e => e.preventDefault())"
    )
    page.get_by_test_id("continue").click()
    assert page.evaluate("document.querySelector('.sending-note') !== null")
    page.evaluate("location.reload()")
    page.wait_for_url("**/apply/delivery/")
    page.locator("#id_method_1").check()
    page.locator("#id_address").fill("福田区福田路 1 号 101 室")
    page.get_by_test_id("continue").click()

    page.wait_for_url("**/apply/check/")
    answers = page.get_by_test_id("answers").inner_text()
    assert "PZ20260302A1" in answers and "王芳" in answers and "福田路 1 号 101 室" in answers
    assert "张伟" in page.get_by_test_id("applicant").inner_text()
    assert_accessible(page)
    both(page, shot, "app-03-check-answers")
    page.get_by_test_id("submit").click()

    reference = page.get_by_test_id("reference").inner_text()
    application = Application.objects.get()
    assert reference == application.reference
    assert page.get_by_test_id("self-check").is_visible()
    assert_accessible(page)
    both(page, shot, "app-04-confirmation")

    base = f"/api/v1/staff/applications/{application.pk}"
    assert staff.police.post(f"{base}/verify", {"department": "police", "outcome": "confirmed"}).status_code == 200
    page.get_by_test_id("progress-link").click()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "2026-03-02" in timeline and "2026-03-05" in timeline
    verifications = page.get_by_test_id("verifications").inner_text()
    assert "2026-03-05" in verifications
    assert_accessible(page)
    both(page, shot, "app-05-progress")

    # The rest of the journey by the staff; the citizen then sees the completed timeline and the permit.
    steps = [
        (staff.insurance, "verify", {"department": "social_insurance", "outcome": "confirmed"}),
        (staff.reviewer, "approve", {}),
        (staff.production, "produce", {}),
        (staff.production, "dispatch", {}),
    ]
    for client, action, body in steps:
        assert client.post(f"{base}/{action}", body).status_code == 200, action
    assert application.delivery_method == "courier"
    settings.SMS_BACKEND = "locmem"
    courier = staff_apis(["courier"]).courier
    settings.SMS_BACKEND = "file"
    assert courier.post(f"{base}/deliver", {"identity_checked": True}).status_code == 200
    page.reload()
    assert "已办结" in page.get_by_test_id("status").inner_text()
    application.refresh_from_db()
    assert application.permit_number in page.content()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "待办" not in timeline  # every step done
    assert_accessible(page)
    both(page, shot, "app-06-completed")
    context.close()


def test_a_refused_citizen_asks_for_a_written_reply_and_reads_it(web, chromium, shot, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    real_name_verify(user=user, name="张伟", id_number=identity("43010219900307123", "张伟"))
    eligible_records()
    settings.SMS_BACKEND = "locmem"
    staff = staff_apis(["police", "insurance", "reviewer"])
    settings.SMS_BACKEND = "file"
    citizen = Api("10.8.8.8")
    settings.SMS_BACKEND = "locmem"
    citizen.login("citizen1", phone="13812345678")
    settings.SMS_BACKEND = "file"
    app = citizen.post(
        "/api/v1/applications",
        {
            "kind": "first",
            "route": "residence_employment",
            "photo_receipt": "PZREFUSE01",
            "delivery": {"method": "pickup"},
        },
    ).json()
    base = f"/api/v1/staff/applications/{app['id']}"
    staff.insurance.post(
        f"{base}/verify", {"department": "social_insurance", "outcome": "not_confirmed", "note": "断缴"}
    )
    assert staff.reviewer.post(f"{base}/reject", {"reasons": ["社保缴纳不满 12 个月"]}).status_code == 200

    context = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = context.new_page()
    page.goto(web.url + "/accounts/login/")
    page.get_by_label("用户名").fill("citizen1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(web.url + f"/applications/{app['id']}/")
    decision = page.get_by_test_id("decision").inner_text()
    assert "社保缴纳不满 12 个月" in decision
    page.get_by_test_id("ask-reply").click()
    assert "2026-03-05" in page.get_by_test_id("decision").inner_text()  # 3 working days after Monday
    assert (
        staff.reviewer.post(f"{base}/written-reply", {"text": "经核查，社保自 2026 年 1 月起中断。"}).status_code == 200
    )
    page.reload()
    assert "2026 年 1 月起中断" in page.get_by_test_id("reply").inner_text()
    assert_accessible(page)
    both(page, shot, "app-07-written-reply")
    context.close()


def test_references_wrap_at_twice_the_text_size_on_a_small_phone(web, chromium, shot, settings):
    """An outsider at 200 % zoom on a 360 px phone (180 CSS px) scrolled the account page sideways:
    the application number in its card, and the English "See application SZ…" button, did not wrap."""
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    real_name_verify(user=user, name="张伟", id_number=identity("43010219900307123", "张伟"))
    eligible_records()
    citizen = Api("10.8.8.9")
    settings.SMS_BACKEND = "locmem"
    citizen.login("citizen1", phone="13812345678")
    settings.SMS_BACKEND = "file"
    body = {
        "kind": "first",
        "route": "residence_employment",
        "photo_receipt": "PZWRAP0001",
        "delivery": {"method": "pickup"},
    }
    assert citizen.post("/api/v1/applications", body).status_code == 201

    page = chromium.new_context(locale="en", viewport={"width": 180, "height": 320}).new_page()
    page.goto(web.url + "/language/en/?next=/accounts/login/")
    page.locator("#id_username").fill("citizen1")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state()
    for path in ("/account/", "/applications/apply/", "/language/zh-hans/?next=/account/"):
        page.goto(web.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 180, path
    shot(page, "app-08-account-180px")
    page.context.close()
