"""The permit pages in Chromium: a citizen endorses in the window and sees the new date; a
suspended permit is restored by a late endorsement; a replacement is applied for from the permit
page, approved by the staff (API), paid in the sandbox, its payment receipt downloaded, and
completed with the same permit number. Screenshots at 375 and 1280 px."""

import pytest

from residence.accounts.services import real_name_verify
from residence.applications.api import ApplicationBodySerializer
from residence.applications.models import Application
from residence.applications.services import application_submit
from residence.core.serializers import validated
from residence.permits.models import Permit
from tests.applications import (
    STAFF,
    application_body,
    confirm_all,
    eligible_records,
    live_permit,
    staff_apis,
    staff_member,
)
from tests.conftest import PASSWORD, make_user
from tests.test_account_changes import identity
from tests.test_permit_pages import in_window_permit, suspended_permit

from .test_accounts_browser import assert_accessible, code_from_outbox
from .test_application_browser import WIDE, both
from .test_pages_browser import sign_in as desk_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "4403202500000001"


def citizen(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    real_name_verify(user=user, name="张伟", id_number=identity("43010219900307123", "张伟"))
    eligible_records()
    return user


def sign_in(chromium, base):
    context = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("用户名").fill("citizen1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("短信验证码").fill(code_from_outbox("13812345678"))
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/account/")
    return context, page


def staff(settings, keys):
    settings.SMS_BACKEND = "locmem"  # the staff sign in through the API with codes from the in-memory outbox
    apis = staff_apis(keys)
    settings.SMS_BACKEND = "file"
    return apis


def test_citizen_endorses_in_the_window_and_sees_the_new_date(web, chromium, shot, settings):
    user = citizen(settings)
    in_window_permit(user)  # issued 2025-04-15: the window 2026-02-14 … 2026-04-14 is open
    context, page = sign_in(chromium, web.url)
    page.get_by_test_id("permit-link").click()
    page.wait_for_url("**/permits/")
    assert NUMBER in page.get_by_test_id("permit").inner_text()
    assert "2026-02-14" in page.get_by_test_id("window").inner_text()
    assert_accessible(page)
    both(page, shot, "permit-01-card")

    page.get_by_test_id("endorse-link").click()
    page.wait_for_url(f"**/permits/{NUMBER}/endorse/")
    assert_accessible(page)
    both(page, shot, "permit-02-confirm")
    page.get_by_test_id("endorse-now").click()
    page.wait_for_url(f"**/permits/{NUMBER}/endorsements/*/")
    assert page.get_by_test_id("endorsed-until").inner_text() == "2027-04-14"  # the last valid day
    assert_accessible(page)
    both(page, shot, "permit-03-granted")

    page.goto(web.url + "/permits/")
    assert "2027-04-14" in page.get_by_test_id("endorsement-status").inner_text()  # suspended from 04-15 unendorsed
    assert len(page.get_by_test_id("history").locator("li").all()) == 1  # the endorsement
    assert "2027-04-14" in page.get_by_test_id("history").inner_text()  # the same day as the card's
    # 320 px with the text at 200 %: the ID number wraps rather than running off the card (an outsider).
    page.set_viewport_size({"width": 320, "height": 640})
    page.evaluate("document.documentElement.style.setProperty('font-size', '200%', 'important')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    shot(page, "permit-04-320px-200pct")
    context.close()

    # Anyone can check the permit's validity, signed out: only the status is answered.
    public = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = public.new_page()
    page.goto(web.url + "/")
    page.get_by_test_id("permit-check-link").click()
    page.locator("#id_number").fill(NUMBER)
    page.locator("#id_name").fill("张伟")
    page.get_by_test_id("check").click()
    result = page.get_by_test_id("check-result")
    assert "banner-success" in result.get_attribute("class") and "福田" not in page.content()
    assert_accessible(page)
    both(page, shot, "permit-09-public-check")
    public.close()


def test_a_suspended_permit_is_restored_by_a_late_endorsement(web, chromium, shot, settings):
    user = citizen(settings)
    suspended_permit(user)  # set-up only: not endorsed by 2025-06-01, suspended since
    context, page = sign_in(chromium, web.url)
    page.goto(web.url + "/permits/")
    assert page.get_by_test_id("permit-status").first.get_attribute("class").endswith("tag-amber")
    assert page.get_by_test_id("endorse-first").is_visible()
    assert page.get_by_test_id("apply-replacement").count() == 0
    assert_accessible(page)
    both(page, shot, "permit-04-suspended")

    page.get_by_test_id("endorse-link").click()
    page.get_by_test_id("endorse-now").click()
    page.wait_for_url(f"**/permits/{NUMBER}/endorsements/*/")
    assert page.get_by_test_id("endorsed-until").inner_text() == "2027-03-01"  # restored 2026-03-02: last valid day
    assert_accessible(page)
    both(page, shot, "permit-05-restored")

    permit = Permit.objects.get()
    assert permit.status == "active" and permit.suspended_on is None
    page.goto(web.url + "/permits/")
    assert page.get_by_test_id("permit-status").first.get_attribute("class").endswith("tag-green")
    assert page.get_by_test_id("apply-replacement").is_visible()
    context.close()


def test_a_replacement_is_applied_for_paid_and_completed_keeping_the_number(web, chromium, shot, settings):
    user = citizen(settings)
    live_permit(user, NUMBER)
    team = staff(settings, ["police", "insurance", "reviewer", "production", "clerk"])
    context, page = sign_in(chromium, web.url)
    page.goto(web.url + "/permits/")
    page.get_by_test_id("apply-replacement").click()
    page.wait_for_url("**/applications/apply/kind/")
    assert page.locator('input[name="kind"][value="replacement"]').is_checked()
    page.locator("#id_route_0").check()
    page.locator("#id_reason").fill("卡片遗失")
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/apply/photo/")
    page.locator("#id_photo_receipt").fill("pz20260302b1")
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/apply/point/")
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/apply/family/")
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/apply/delivery/")
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/apply/check/")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("reference").wait_for()
    application = Application.objects.get()
    assert application.kind == "replacement"

    app = {"id": application.pk}
    base = f"/api/v1/staff/applications/{application.pk}"
    confirm_all(team, app)
    approved = team.reviewer.post(f"{base}/approve", {}).json()
    assert approved["status"] == "awaiting_payment" and approved["fee"]["amount"] == "20.00"

    page.goto(web.url + f"/applications/{application.pk}/")
    assert page.get_by_test_id("payment-receipt").count() == 0
    page.get_by_test_id("pay").click()
    page.get_by_test_id("confirm-pay").click()
    # A confirmation page: the provider's transaction number, the receipt, what happens next.
    page.wait_for_url(f"**/applications/{application.pk}/paid/")
    payment = application.payments.get()
    assert page.get_by_test_id("transaction").inner_text() == payment.transaction_id
    assert "20.00" in page.get_by_test_id("payment").inner_text()
    # Shown in the browser as every other PDF of the platform (an outsider's came as a download).
    receipt = page.request.get(web.url + page.get_by_test_id("payment-receipt").get_attribute("href"))
    assert receipt.headers["content-type"] == "application/pdf" and receipt.body().startswith(b"%PDF")
    assert receipt.headers["content-disposition"].startswith("inline")
    assert_accessible(page)
    both(page, shot, "permit-06-paid")

    for client, action, body in [
        (team.production, "produce", {}),
        (team.production, "dispatch", {}),
        (team.clerk, "receive", {}),
        (team.clerk, "hand-over", {"identity_checked": True, "signed": True}),
    ]:
        response = client.post(f"{base}/{action}", body)
        assert response.status_code == 200, (action, response.content)
    page.get_by_test_id("progress-link").click()
    page.wait_for_url(f"**/applications/{application.pk}/")
    application.refresh_from_db()
    assert application.status == "completed" and application.permit_number == NUMBER
    assert NUMBER in page.content()
    assert page.get_by_test_id("payment-receipt").is_visible()
    both(page, shot, "permit-07-completed")

    page.goto(web.url + "/permits/")
    assert Permit.objects.count() == 1 and Permit.objects.get().number == NUMBER
    assert page.get_by_test_id("history").locator("li").count() == 1  # the card replaced
    assert_accessible(page)
    both(page, shot, "permit-08-replaced")
    context.close()


def test_a_clerk_endorses_at_the_counter_and_the_departments_confirm_the_check_in_turn(web, chromium, shot, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    real_name_verify(user=user, name="张伟", id_number=identity("43010219900307123", "张伟"))
    live_permit(user, NUMBER)
    Permit.objects.update(endorsed_until="2026-04-15", anniversary_base="2025-04-15")  # the window is open
    for key in ("clerk", "police", "insurance"):
        staff_member(key, "web")

    def signed_in(key):
        context = chromium.new_context(locale="zh-CN", viewport=WIDE)
        page = context.new_page()
        desk_sign_in(page, web.url, f"web_{key}", PASSWORD, STAFF[key][1])
        page.wait_for_url("**/staff/")
        return context, page

    context, page = signed_in("clerk")
    page.get_by_test_id("counter-endorse-link").click()
    page.locator("#id_q").fill(user.person.id_number)
    page.get_by_test_id("find-permit").click()
    assert NUMBER in page.get_by_test_id("permit").inner_text()
    page.get_by_test_id("identity-checked").check()
    page.get_by_test_id("counter-endorse").click()
    # No registration or insurance in the records: the police check the residence by hand, then
    # social insurance its records.
    assert "2026-03-05" in page.inner_text("main")
    assert_accessible(page)
    both(page, shot, "permit-10-counter")
    context.close()

    context, page = signed_in("police")
    page.get_by_test_id("endorsement-checks").click()
    assert page.get_by_test_id("check-item").count() == 1
    assert_accessible(page)
    both(page, shot, "permit-11-checks")
    page.locator("input[value='yes']").check()
    page.get_by_test_id("answer").click()
    assert "转交下一个部门" in page.inner_text("main") and page.get_by_test_id("no-checks").is_visible()
    assert Permit.objects.get().endorsed_until.isoformat() == "2026-04-15"
    context.close()

    context, page = signed_in("insurance")
    page.get_by_test_id("endorsement-checks").click()
    assert page.get_by_test_id("check-item").count() == 1 and "社保" in page.get_by_test_id("check-item").inner_text()
    both(page, shot, "permit-12-checks-insurance")
    page.locator("input[value='yes']").check()
    page.get_by_test_id("answer").click()
    # Endorsed until 2027-04-15: the banner names the last valid day, as the holder's pages do.
    assert "有效期至 2027-04-14" in page.inner_text("main")
    assert page.get_by_test_id("no-checks").is_visible()
    assert Permit.objects.get().endorsed_until.isoformat() == "2027-04-15"
    context.close()


def test_outside_the_window_and_with_an_open_application_the_pages_say_so_at_once(web, chromium, shot, settings):
    user = citizen(settings)
    live_permit(user, NUMBER)  # endorsed until a year on: the window is not open on 2026-03-02
    # The citizen has applied for a replacement (through the service, as the API does).
    application_submit(actor=user, data=validated(ApplicationBodySerializer, application_body(kind="replacement")))
    context, page = sign_in(chromium, web.url)
    page.goto(f"{web.url}/permits/{NUMBER}/endorse/")
    assert page.get_by_test_id("endorse-now").count() == 0 and page.get_by_test_id("not-yet").is_visible()
    assert_accessible(page)
    both(page, shot, "permit-13-endorse-not-yet")
    # The application is open: the apply form says so before its first question, with a link.
    page.goto(f"{web.url}/applications/apply/kind/")
    assert page.get_by_test_id("open-application").is_visible() and page.get_by_test_id("see-open").is_visible()
    assert page.locator("input[name='kind']").count() == 0
    assert_accessible(page)
    both(page, shot, "permit-14-application-open")
    page.get_by_test_id("see-open").click()
    page.wait_for_url(f"**/applications/{Application.objects.get().pk}/")
    # My residence permit shows it too, and offers no second one (an outsider's was offered both).
    page.goto(f"{web.url}/permits/")
    assert Application.objects.get().reference in page.get_by_test_id("open-application").inner_text()
    assert page.get_by_test_id("application-open").is_visible()
    assert page.get_by_test_id("apply-replacement").count() == 0
    assert_accessible(page)
    both(page, shot, "permit-15-mine-application-open")
    context.close()
