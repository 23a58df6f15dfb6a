"""The staff desk in Chromium: a citizen applies through the API; staff sign in on the web (an
SMS code at every staff login, read from the file outbox) and take the application to
completed; then the supervisor's dashboard. Screenshots at 375 px and 1280 px."""

import pytest

from residence.accounts.services import staff_create
from residence.applications.models import Application
from residence.places.models import AcceptancePoint

from ..applications import HOME_POINT, OTHER_POINT, STAFF, application_body, citizen_api, eligible_records, staff_member
from ..conftest import PASSWORD
from .test_accounts_browser import assert_accessible
from .test_pages_browser import sign_in

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def test_staff_take_an_application_to_completed_on_the_desk(web, chromium, shot, settings, monkeypatch):
    settings.FROZEN_TODAY = "2026-03-02"
    settings.SMS_BACKEND = "locmem"  # the API helpers read codes from memory
    api, _user = citizen_api()
    eligible_records()
    response = api.post("/api/v1/applications", application_body())
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    reference = response.json()["reference"]
    settings.SMS_BACKEND = "file"  # the web sign-ins read codes from the file outbox
    for key in ("police", "insurance", "reviewer", "production", "clerk", "supervisor"):
        staff_member(key, "web")

    def signed_in(key, viewport=DESKTOP):
        context = chromium.new_context(locale="zh-CN", viewport=viewport)
        page = context.new_page()
        sign_in(page, web.url, f"web_{key}", PASSWORD, STAFF[key][1])
        page.wait_for_url("**/staff/")
        return context, page

    def status():
        return Application.objects.get(pk=pk).status

    # The police verifier: the queue, the claim beside the records, confirm.
    context, page = signed_in("police")
    page.get_by_test_id("my-work").click()
    page.wait_for_url("**/staff/applications/")
    assert reference in page.inner_text("main")
    shot(page, "desk-01-queue-police-1280")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"**/staff/applications/{pk}/")
    assert page.get_by_test_id("records").is_visible()
    assert_accessible(page)
    shot(page, "desk-02-verify-police-1280")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-03-verify-police-375")
    page.locator("input[name=outcome][value=confirmed]").check()
    page.get_by_test_id("verify-form").locator("button[type=submit]").click()
    # Answered, the case leaves the verifier's work: back to the queue, with the confirmation.
    page.wait_for_url("**/staff/applications/")
    banner = page.locator(".banner-success")
    assert banner.is_visible() and reference in banner.inner_text()  # the confirmation names it
    assert page.get_by_role("link", name=reference).count() == 0  # and it left the queue
    shot(page, "desk-03b-answered-police-375")
    context.close()

    # The social insurance verifier, on a phone: the queue and the months on record.
    context, page = signed_in("insurance", PHONE)
    page.goto(web.url + "/staff/applications/")
    no_sideways_scroll(page, PHONE["width"])
    assert_accessible(page)
    shot(page, "desk-04-queue-insurance-375")
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"**/staff/applications/{pk}/")
    shot(page, "desk-05-verify-insurance-375")
    page.locator("input[name=outcome][value=confirmed]").check()
    page.get_by_test_id("verify-form").locator("button[type=submit]").click()
    page.wait_for_url("**/staff/applications/")
    context.close()
    assert status() == "reviewing"

    # The reviewer approves; production produces (permit number shown) and dispatches.
    context, page = signed_in("reviewer")
    page.goto(web.url + f"/staff/applications/{pk}/")
    shot(page, "desk-06-review-1280")
    # At 200 % zoom on a 360 px phone (an outsider's deadlines table widened the page to 215 px).
    page.set_viewport_size({"width": 180, "height": 320})
    no_sideways_scroll(page, 180)
    page.goto(web.url + f"/language/en/?next=/staff/applications/{pk}/")
    no_sideways_scroll(page, 180)
    shot(page, "desk-06-review-180-en")
    page.goto(web.url + f"/language/zh-hans/?next=/staff/applications/{pk}/")
    page.set_viewport_size(DESKTOP)
    # A refusal with no reason ticked: the summary's link takes the focus to the first reason, not to
    # the page (an outsider's keyboard landed on the body).
    page.get_by_test_id("reject-form").locator("button[type=submit]").click()
    page.wait_for_url(f"**/staff/applications/{pk}/**")
    page.locator("#reject-errors + ul a[href='#reasons']").click()
    assert page.evaluate("document.activeElement.name") == "reasons"
    assert status() == "reviewing"
    page.goto(web.url + f"/staff/applications/{pk}/")
    # Pressed twice fast, sent once: an outsider's second press answered "not done" over the
    # first's success.
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_test_id("act-approve").scroll_into_view_if_needed()
    box = page.get_by_test_id("act-approve").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with page.expect_navigation():
        page.mouse.click(x, y)
        page.wait_for_timeout(60)
        page.mouse.click(x, y)
    page.wait_for_load_state("networkidle")
    assert len(posts) == 1 and page.locator(".banner-success").is_visible()
    assert page.locator(".error-summary").count() == 0
    context.close()
    assert status() == "approved"
    context, page = signed_in("production")
    page.goto(web.url + "/staff/applications/")
    page.get_by_role("link", name=reference).click()
    page.get_by_test_id("act-produce").click()
    page.wait_for_url(f"**/staff/applications/{pk}/")
    number = Application.objects.get(pk=pk).permit_number
    assert number and number in page.locator(".banner-success").inner_text()
    page.get_by_test_id("act-dispatch").click()
    page.wait_for_url("**/staff/applications/")  # nothing more to do on it: the queue, the case named
    assert reference in page.locator(".banner-success").inner_text()
    context.close()
    assert status() == "dispatched"

    # The clerk: finds it by the receipt's QR (the verify URL pasted by a scanner), receives
    # the card, prints the form and hands over.
    context, page = signed_in("clerk")
    page.goto(web.url + "/staff/applications/")
    shot(page, "desk-07-queue-clerk-1280")
    page.locator("#id_q").fill(f"{web.url}/api/v1/receipts/{reference}/verify")
    page.locator("#id_q").press("Enter")
    page.wait_for_url(f"**/staff/applications/{pk}/")
    page.get_by_test_id("act-receive").click()
    page.wait_for_url(f"**/staff/applications/{pk}/")
    assert status() == "ready_for_pickup"
    assert_accessible(page)
    shot(page, "desk-08-hand-over-1280")
    form_pdf = page.request.get(web.url + page.get_by_test_id("print-form").get_attribute("href"))
    assert form_pdf.status == 200 and form_pdf.headers["content-type"] == "application/pdf"
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-09-hand-over-375")
    page.locator("#id_identity_checked").check()
    page.locator("#id_signed").check()
    page.get_by_test_id("hand-over-form").locator("button[type=submit]").click()
    page.wait_for_url("**/staff/applications/")
    assert reference in page.locator(".banner-success").inner_text()
    shot(page, "desk-10-handed-over-queue-375")
    context.close()
    assert status() == "completed"

    # The supervisor's dashboard.
    context, page = signed_in("supervisor")
    page.get_by_test_id("my-work").click()
    page.wait_for_url("**/dashboard/")
    assert page.get_by_test_id("dashboard-departments").is_visible()
    assert page.locator("svg.bar").count() >= 2
    assert_accessible(page)
    shot(page, "desk-11-dashboard-1280")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-12-dashboard-375")
    # … and from it the audit trail, searched by event.
    page.get_by_test_id("audit-link").click()
    page.wait_for_url("**/staff/audit/")
    assert page.get_by_test_id("audit-events").locator("tbody tr").count() > 5
    page.locator("#id_type").select_option("application_changed")
    page.get_by_test_id("audit-search").locator("button[type=submit]").click()
    page.get_by_test_id("audit-events").wait_for()
    assert_accessible(page)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-13-audit-375")
    page.set_viewport_size({"width": 1280, "height": 800})
    shot(page, "desk-13-audit-1280")

    # The supervisor moves a point's open application to another point, seeing first how many.
    settings.SMS_BACKEND = "locmem"
    other_api, _other = citizen_api("citizen2", "13812345679", "36010219950812234", "李娜")
    eligible_records(_other.person.id_number)
    moving = other_api.post("/api/v1/applications", application_body(photo_receipt="PZMOVE0001")).json()
    third_api, _third = citizen_api("citizen3", "13812345677", "44030419900101555", "王芳")
    eligible_records(_third.person.id_number)
    also = third_api.post("/api/v1/applications", application_body(photo_receipt="PZMOVE0002")).json()
    settings.SMS_BACKEND = "file"
    # One application a request: the page goes on to the next by itself (site.js) until all moved.
    from residence.applications import services, staff_views

    monkeypatch.setattr(services, "MOVE_CHUNK", 1)
    monkeypatch.setattr(staff_views, "MOVE_SECONDS", -1)
    page.goto(web.url + "/staff/applications/dashboard/")
    # Each figure opens the applications it counts.
    page.get_by_test_id(f"points-{HOME_POINT}-open").click()
    page.wait_for_url(f"**/dashboard/points/{HOME_POINT}/open/")
    listed = page.get_by_test_id("dashboard-items").inner_text()
    assert moving["reference"] in listed and also["reference"] in listed
    assert_accessible(page)
    shot(page, "desk-13b-dashboard-items-1280")
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-13b-dashboard-items-375")
    page.set_viewport_size(DESKTOP)
    page.get_by_test_id("back-to-dashboard").click()
    page.wait_for_url("**/dashboard/")
    page.get_by_test_id(f"move-from-{HOME_POINT}").click()
    page.set_viewport_size(PHONE)
    page.locator("#id_to_point").select_option(OTHER_POINT)
    page.locator("#id_reason").fill("窗口人员不足")
    page.get_by_test_id("move-continue").click()
    confirm = page.get_by_test_id("move-confirm")
    assert "2 件申请" in confirm.inner_text() and moving["reference"] in confirm.inner_text()
    assert_accessible(page)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-14-move-confirm-375")
    page.get_by_test_id("move-confirmed").click()
    page.wait_for_url("**/dashboard/")
    assert page.locator(".banner-success").is_visible()
    assert "已将 2 件申请" in page.locator(".banner-success").inner_text()
    assert {Application.objects.get(pk=a["id"]).acceptance_point_id for a in (moving, also)} == {OTHER_POINT}
    shot(page, "desk-15-moved-375")
    context.close()


def test_a_courier_on_a_phone_returns_a_card_that_could_not_be_delivered(web, chromium, shot, settings):
    """The courier's "Could not deliver" at 360 px: a reason refused blank, then the card goes back
    to the point; a second tab's "Card delivered" gets a short heading and the way to the queue."""
    from residence.applications.services import application_act, application_verify

    settings.FROZEN_TODAY = "2026-03-02"
    settings.SMS_BACKEND = "locmem"
    api, _user = citizen_api()
    eligible_records()
    body = application_body(delivery={"method": "courier", "address": "深圳市福田区福华路 8 号"})
    created = api.post("/api/v1/applications", body).json()
    pk, reference = created["id"], created["reference"]
    staff = {}
    for key in ("police", "insurance", "reviewer", "production", "courier", "clerk"):
        staff[key] = staff_member(key, "web")
    application_verify(actor=staff["police"], application_id=pk, department="police", outcome="confirmed")
    application_verify(actor=staff["insurance"], application_id=pk, department="social_insurance", outcome="confirmed")
    application_act(actor=staff["reviewer"], application_id=pk, action="approve")
    for action in ("produce", "dispatch"):
        application_act(actor=staff["production"], application_id=pk, action=action)
    settings.SMS_BACKEND = "file"
    phone = {"width": 360, "height": 640}
    context = chromium.new_context(locale="zh-CN", viewport=phone)
    page = context.new_page()
    sign_in(page, web.url, "web_courier", PASSWORD, STAFF["courier"][1])
    page.wait_for_url("**/staff/")
    page.goto(f"{web.url}/staff/applications/{pk}/")
    stale = context.new_page()  # a second tab, opened before the card goes back
    stale.goto(f"{web.url}/staff/applications/{pk}/")
    form = page.get_by_test_id("return-form")
    form.locator("button[type=submit]").click()
    assert page.locator(".error-summary").is_visible() and Application.objects.get(pk=pk).status == "out_for_delivery"
    page.get_by_test_id("return-form").locator("#id_reason").fill("三次投递无人签收")
    assert_accessible(page)
    no_sideways_scroll(page, phone["width"])
    shot(page, "desk-16-courier-return-360")
    page.get_by_test_id("return-form").locator("button[type=submit]").click()
    page.wait_for_url("**/staff/applications/")
    banner = page.locator(".banner-success")
    assert banner.is_visible() and reference in banner.inner_text()
    assert Application.objects.get(pk=pk).status == "dispatched"
    shot(page, "desk-17-courier-returned-360")
    stale.set_viewport_size(phone)
    stale.locator("#id_identity_checked").check()
    stale.get_by_test_id("deliver-form").locator("button[type=submit]").click()
    assert stale.locator("h1").inner_text() == "未办理"
    assert stale.locator("a[href='/staff/applications/']").count() == 1
    no_sideways_scroll(stale, phone["width"])
    shot(stale, "desk-18-stale-deliver-360")
    context.close()
    # The point's clerk reads what became of the delivery, where the card was to go.
    context = chromium.new_context(locale="zh-CN", viewport=phone)
    page = context.new_page()
    sign_in(page, web.url, "web_clerk", PASSWORD, STAFF["clerk"][1])
    page.wait_for_url("**/staff/")
    page.goto(f"{web.url}/staff/applications/{pk}/")
    assert "深圳市福田区福华路 8 号" in page.get_by_test_id("undelivered").inner_text()
    assert "快递未能送达" in page.locator(".timeline").inner_text()
    assert_accessible(page)
    no_sideways_scroll(page, phone["width"])
    shot(page, "desk-19-returned-at-the-point-360")
    context.close()


def test_a_clerk_takes_an_application_at_the_counter_and_is_told_what_the_records_say(web, chromium, shot, settings):
    """An outsider's clerk accepted a person who met no condition and was told nothing."""
    settings.FROZEN_TODAY = "2026-03-02"
    role, phone, point, _department = STAFF["clerk"]
    staff_create(
        username="web_clerk", password=PASSWORD, phone=phone, role=role, point=AcceptancePoint.objects.get(code=point)
    )
    context = chromium.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    sign_in(page, web.url, "web_clerk", PASSWORD, phone)
    page.wait_for_url("**/staff/")
    page.get_by_role("link", name="窗口受理申请").click()
    page.wait_for_url("**/staff/applications/new/")
    page.locator("#id_name").fill("王秀英")
    page.locator("#id_id_number").fill("11010519491231002X")  # GB 11643's own example, in no records here
    page.locator("#id_phone").fill("13700001111")
    page.locator("#id_route").select_option("residence_employment")
    page.locator("#id_photo_receipt").fill("NR20260302A1")
    page.locator("input[name=delivery_method][value=pickup]").check()
    # First what the records say, before accepting: the form comes back as typed, nothing recorded.
    page.get_by_test_id("check-records").click()
    page.get_by_test_id("records-check").wait_for()
    assert "申请人不符合所选申领条件" in page.get_by_test_id("records-check").inner_text()
    # The answer asked for takes the focus, as the citizen's self-check does (an outsider's stayed on the page).
    assert page.evaluate("document.activeElement.id") == "records-check-title"
    assert page.locator("#id_id_number").input_value() == "11010519491231002X" and not Application.objects.exists()
    no_sideways_scroll(page, PHONE["width"])
    assert_accessible(page)
    shot(page, "desk-intake-check-375")
    page.locator("#id_materials_checked").check()
    page.locator("#id_portrait_captured").check()
    page.get_by_role("button", name="受理申请").click()
    page.wait_for_url("**/staff/applications/*/accepted/")
    check = page.get_by_test_id("intake-check")
    assert "申请人不符合所选申领条件" in check.inner_text() and "请当场告知申请人" in check.inner_text()
    assert page.get_by_test_id("reference").inner_text() == Application.objects.get().reference
    no_sideways_scroll(page, PHONE["width"])
    assert_accessible(page)
    shot(page, "desk-intake-accepted-375")
    # The applicant changes their mind at the counter: the clerk withdraws it for them.
    page.goto(f"{web.url}/staff/applications/{Application.objects.get().pk}/")
    page.get_by_test_id("withdraw-form").scroll_into_view_if_needed()
    assert_accessible(page)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-intake-withdraw-375")
    page.get_by_test_id("withdraw-form").locator("input[name=identity_checked]").check()
    page.get_by_test_id("withdraw-form").locator("button[type=submit]").click()
    page.wait_for_url("**/staff/applications/")
    assert Application.objects.get().status == "withdrawn"
    context.close()


def test_the_production_centre_makes_several_ticked_cards_at_once(web, chromium, shot, settings):
    """On a phone: two approved applications in the production queue, ticked and made in one click."""
    from ..applications import confirm_all, staff_apis

    settings.FROZEN_TODAY = "2026-03-02"
    settings.SMS_BACKEND = "locmem"
    staff = staff_apis(["police", "insurance", "reviewer"])
    references = []
    for username, phone, body17, name, receipt in (
        ("citizen1", "13812345678", "43010219900307123", "张伟", "PZBATCH001"),
        ("citizen2", "13812345679", "44030419900101555", "王芳", "PZBATCH002"),
    ):
        api, user = citizen_api(username, phone, body17, name)
        eligible_records(user.person.id_number)
        app = api.post("/api/v1/applications", application_body(photo_receipt=receipt)).json()
        confirm_all(staff, app)
        assert staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve").status_code == 200
        references.append(app["reference"])
    settings.SMS_BACKEND = "file"
    role, phone, _point, _department = STAFF["production"]
    staff_create(username="web_production", password=PASSWORD, phone=phone, role=role)
    context = chromium.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    sign_in(page, web.url, "web_production", PASSWORD, phone)
    page.wait_for_url("**/staff/")
    page.goto(web.url + "/staff/applications/")
    page.get_by_test_id("tick-all").check()  # site.js: every card of the page
    assert all(page.get_by_test_id(f"tick-{reference}").is_checked() for reference in references)
    assert_accessible(page)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-16-batch-ticked-375")
    page.get_by_test_id("batch-produce").click()
    page.wait_for_url("**/staff/applications/")
    said = page.locator(".banner-success").inner_text()
    assert all(reference in said for reference in references), said
    assert set(Application.objects.filter(reference__in=references).values_list("status", flat=True)) == {
        "in_production"
    }
    assert page.get_by_test_id("batch-dispatch").is_visible()
    shot(page, "desk-16-batch-made-375")
    context.close()


def test_the_production_centre_sees_a_replacement_held_by_its_lapsed_permit(web, chromium, shot, settings):
    """On a phone: a paid replacement whose permit lapsed reads "on hold" in the queue, cannot be
    ticked, and its page says why (an outsider's production centre saw an overdue step, then a 409)."""
    from ..test_permits import card_application_verified

    settings.FROZEN_TODAY = "2027-03-01"
    settings.SMS_BACKEND = "locmem"
    api, _user, staff, app, base = card_application_verified("replacement")
    assert staff.reviewer.post(f"{base}/approve", {}).status_code == 200
    assert api.post(f"/api/v1/applications/{app['id']}/payment", {"provider": "sandbox"}).status_code == 200
    settings.FROZEN_TODAY = "2027-03-02"  # the anniversary, unendorsed: suspended
    settings.SMS_BACKEND = "file"
    phone = STAFF["production"][1]
    context = chromium.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    sign_in(page, web.url, "staff_production", PASSWORD, phone)
    page.wait_for_url("**/staff/")
    page.goto(web.url + "/staff/applications/")
    held = page.get_by_test_id("on-hold")
    assert held.inner_text() == "暂缓办理：居住证已中止"
    assert page.get_by_test_id(f"tick-{app['reference']}").count() == 0
    assert_accessible(page)
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-17-held-queue-375")
    page.get_by_role("link", name=app["reference"]).click()
    page.wait_for_load_state()
    warning = page.get_by_test_id("action-warning").inner_text()
    assert "2027-03-02" in warning and "签注" in warning
    # Nothing offered that would be refused: "nothing for you to do" until it is endorsed.
    assert page.get_by_test_id("act-produce").count() == 0 and page.get_by_test_id("no-action").is_visible()
    no_sideways_scroll(page, PHONE["width"])
    shot(page, "desk-17-held-case-375")
    context.close()
