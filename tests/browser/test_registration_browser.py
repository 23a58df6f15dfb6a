"""Residence registration in Chromium: (a) a landlord registers a house and declares a tenant's
move-in, and the tenant's eligibility self-check then counts the residence from that date;
(b) an organisation uploads a bulk file with two bad rows, uploads the corrected file, confirms
and sees how many were applied. Screenshots at 375 and 1280 px."""

import pytest
from playwright.sync_api import expect

from residence.accounts.models import Kind
from residence.accounts.services import organisation_activate, real_name_verify, staff_create
from residence.places.models import AcceptancePoint
from residence.registrations.models import Declaration, House
from residence.registrations.services import declaration_create, house_confirm, house_create
from tests.conftest import PASSWORD, make_user
from tests.idnumbers import WANG_FANG, ZHANG_WEI, with_check, wrong_check
from tests.test_account_changes import identity

from .test_accounts_browser import assert_accessible, code_from_outbox
from .test_application_browser import WIDE, both

pytestmark = pytest.mark.django_db(transaction=True)

LI_NA = with_check("36010219950812234")
HEADER = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"


def sign_in(page, base, username, phone, platform="permit"):
    page.goto(base + "/accounts/login/")
    page.locator(f"input[name=platform][value={platform}]").check()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("短信验证码").fill(code_from_outbox(phone))
    page.get_by_role("button", name="继续").click()


def sign_out(page):
    page.get_by_test_id("logout").click()


def landlord_and_tenant():
    """张伟, who lets rooms, and 李娜, who rents one: both real-name verified."""
    landlord = make_user("landlord1", "13812345678")
    real_name_verify(user=landlord, name="张伟", id_number=identity("43010219900307123", "张伟"))
    tenant = make_user("tenant1", "13812345600")
    real_name_verify(user=tenant, name="李娜", id_number=identity("36010219950812234", "李娜"))
    return landlord, tenant


def test_a_landlord_declares_a_tenant_who_then_counts_residence_from_that_date(web, chromium, shot, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    landlord_and_tenant()

    context = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = context.new_page()
    sign_in(page, web.url, "landlord1", "13812345678", platform="registration")
    page.wait_for_url("**/registration/")  # registration chosen at login: the account area leads here
    assert_accessible(page)
    both(page, shot, "reg-01-home")

    page.get_by_test_id("register-house").first.click()
    page.wait_for_url("**/houses/new/")
    # 74 streets grouped by 9 districts and the new district 大鹏新区 (RULES §13)
    assert page.locator("#id_street optgroup").count() == 10
    page.locator("#id_street").select_option("440304004")
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/houses/new/building/")
    page.locator("#id_building_code").fill("44-03")
    page.locator("#id_building_name").fill("福田花园")
    page.get_by_test_id("continue").click()
    # The building code is checked on its own step, at the field, with the reason.
    page.wait_for_url("**/houses/new/building/")
    assert page.locator(".error-summary").is_visible() and page.locator(".field-error #id_building_code").count() == 1
    assert page.locator("#id_building_name").input_value() == "福田花园"  # nothing typed is lost
    assert_accessible(page)
    both(page, shot, "reg-02-house-error")
    page.locator("#id_building_code").fill("4403040040012")
    page.get_by_test_id("continue").click()
    page.locator("#id_room").fill("101")
    page.locator("#id_address").fill("深圳市福田区福田路 88 号福田花园 1 栋")
    page.locator("#id_housing_type_0").check()
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/houses/new/check/")
    assert "4403040040012" in page.get_by_test_id("answers").inner_text()
    assert_accessible(page)
    both(page, shot, "reg-03-house-check")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/registration/houses/*/")
    house = House.objects.get()
    assert page.get_by_test_id("confirmation").is_visible() and page.get_by_test_id("confirm-note").is_visible()
    # No declaration until a clerk has confirmed the house.
    assert page.get_by_test_id("not-declarable").is_visible() and page.get_by_test_id("move-in").count() == 0
    both(page, shot, "reg-04-house-registered")
    clerk = staff_create(
        username="clerk1",
        password=PASSWORD,
        phone="13900001001",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    house_confirm(actor=clerk, house_id=house.pk)
    page.reload()

    page.get_by_test_id("move-in").click()
    page.locator("#id_name").fill("李娜")
    page.locator("#id_id_number").fill(LI_NA)
    page.locator("#id_phone").fill("13700000021")
    page.locator("#id_declarant_type_0").check()
    page.locator("#id_occupation").select_option("3")
    page.locator("#id_reason").select_option("1")
    page.locator("#id_date").fill("2026-02-27")
    page.get_by_test_id("continue").click()
    page.wait_for_url(f"**/houses/{house.pk}/move_in/check/")
    answers = page.get_by_test_id("answers").inner_text()
    assert "李娜" in answers and "360102********2342" in answers and "2026-02-27" in answers
    assert_accessible(page)
    both(page, shot, "reg-05-declaration-check")
    page.get_by_test_id("submit").click()
    declaration = Declaration.objects.get()
    assert page.get_by_test_id("reference").inner_text() == declaration.reference
    assert "2026-02-27" in page.get_by_test_id("registration").inner_text()
    assert_accessible(page)
    both(page, shot, "reg-06-declaration-confirmation")
    # The house lists who lives there, each with a way to declare the move-out by choosing them.
    page.goto(web.url + f"/registration/houses/{house.pk}/")
    assert "360102********2342" in page.get_by_test_id("occupants").inner_text()
    both(page, shot, "reg-06b-house-residents")
    page.get_by_test_id("occupant-move-out").click()
    page.wait_for_url(f"**/houses/{house.pk}/move_out/?occupant={declaration.pk}")
    assert page.locator(f"input[name=occupant][value='{declaration.pk}']").is_checked()
    assert LI_NA not in page.content()
    assert_accessible(page)
    both(page, shot, "reg-06c-move-out-choose")
    sign_out(page)

    # The tenant's self-check counts the residence from the move-in date.
    sign_in(page, web.url, "tenant1", "13812345600")
    page.wait_for_url("**/account/")
    # The tenant sees the registration the declaration made, from the account.
    page.get_by_test_id("my-registrations-link").click()
    page.wait_for_url("**/registration/mine/")
    mine = page.get_by_test_id("my-registrations").inner_text()
    assert "2026-02-27" in mine and "至今有效" in mine and "福田街道" in mine
    assert_accessible(page)
    both(page, shot, "reg-06d-tenant-registrations")
    page.goto(web.url + "/account/eligibility/")
    page.locator("main form button[type=submit]").click()
    result = page.get_by_test_id("eligibility-result").inner_text()
    assert "2026-02-27" in result and "2027-02-27" in result
    assert_accessible(page)
    both(page, shot, "reg-07-tenant-self-check")
    context.close()


def bulk_text(houses, *, fixed):
    wang_fang = WANG_FANG if fixed else wrong_check(WANG_FANG)
    rows = [
        f"{houses[0]},move_in,李娜,{LI_NA},13700000021,employer,3,1,2026-02-27",
        f"{houses[1]},move_in,王芳,{wang_fang},13700000022,employer,3,1,2026-02-27",
        f"{houses[1]},move_in,张伟,{ZHANG_WEI},13700000023,employer,3,{1 if fixed else 99},2026-02-27",
        f"{houses[0]},move_in,赵敏,{with_check('44030519920202444')},13700000024,employer,6,1,2026-02-10",
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


def test_an_organisation_fixes_a_bulk_file_and_applies_it(web, chromium, shot, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    organisation = make_user(
        "org_admin", "13812340002", kind=Kind.ORGANISATION, name="示范物业", credit_code="91440300MA5D4X7K8N"
    )
    clerk = staff_create(
        username="clerk1",
        password=PASSWORD,
        phone="13900001001",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    organisation_activate(
        actor=clerk, account_id=organisation.pk, credit_code_checked=True, letter_checked=True, housing_checked=True
    )
    organisation.refresh_from_db()
    houses = []
    for room in ("101", "102"):
        houses.append(
            house_create(
                actor=organisation,
                data={
                    "street": "440304004",
                    "building_code": "4403040040012",
                    "building_name": "员工宿舍",
                    "room": room,
                    "address": "深圳市福田区福田路 88 号员工宿舍",
                    "housing_type": "dormitory",
                },
            ).pk
        )
        house_confirm(actor=clerk, house_id=houses[-1])

    context = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = context.new_page()
    sign_in(page, web.url, "org_admin", "13812340002", platform="registration")
    page.wait_for_url("**/account/")
    assert page.get_by_test_id("house-count").inner_text() == "2"
    page.get_by_test_id("bulk-link").click()
    page.wait_for_url("**/registration/bulk/")
    assert page.get_by_test_id("progress-hint").is_visible()
    assert_accessible(page)
    both(page, shot, "reg-08-bulk-form")
    page.set_viewport_size({"width": 360, "height": 640})  # the header line wraps on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.set_viewport_size(WIDE)

    page.locator("#id_file").set_input_files(
        {"name": "residents.csv", "mimeType": "text/csv", "buffer": bulk_text(houses, fixed=False)}
    )
    page.get_by_test_id("check-file").click()
    page.wait_for_url("**/registration/bulk/*/")
    assert page.get_by_test_id("rows").inner_text() == "4" and page.get_by_test_id("valid").inner_text() == "2"
    bad = page.get_by_test_id("bad-rows").inner_text()
    assert "3" in bad and "4" in bad and "id_number" in bad and "reason" in bad
    assert page.get_by_test_id("report-csv").is_visible()
    assert_accessible(page)
    both(page, shot, "reg-09-bulk-report-with-bad-rows")

    page.get_by_test_id("upload-again").click()
    page.locator("#id_file").set_input_files(
        {"name": "residents-fixed.csv", "mimeType": "text/csv", "buffer": bulk_text(houses, fixed=True)}
    )
    page.get_by_test_id("check-file").click()
    page.wait_for_url("**/registration/bulk/*/")
    assert page.get_by_test_id("valid").inner_text() == "4" and page.get_by_test_id("bad-rows").count() == 0
    both(page, shot, "reg-10-bulk-report-fixed")
    assert not Declaration.objects.exists()
    page.get_by_test_id("confirm-bulk").click()
    page.wait_for_url("**/done/")
    assert "4" in page.get_by_test_id("applied").inner_text()
    assert Declaration.objects.count() == 4
    assert_accessible(page)
    both(page, shot, "reg-11-bulk-applied")

    page.goto(web.url + "/account/")
    assert page.get_by_test_id("occupant-count").inner_text() == "4"
    assert page.get_by_test_id("dashboard").inner_text().count("13") >= 1  # 赵敏: 20 days after, 13 late
    assert_accessible(page)
    both(page, shot, "reg-12-organisation-dashboard")
    # In English, a house's status tag on one line (an outsider's read "Confirme / d" in a narrow column).
    page.get_by_role("button", name="English").click()
    page.wait_for_url("**/account/")
    tags = page.locator("[data-testid=houses] .tag")
    assert tags.count() == 2 and tags.first.inner_text() == "Confirmed"
    for tag in tags.all():
        assert tag.evaluate("t => t.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(t).fontSize)")
    shot(page, "reg-12b-organisation-dashboard-english")
    context.close()


def test_a_clerk_declares_for_a_walk_in_and_confirms_the_house(web, chromium, shot, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    landlord = make_user("landlord1", "13812345678")
    real_name_verify(user=landlord, name="张伟", id_number=identity("43010219900307123", "张伟"))
    house = house_create(
        actor=landlord,
        data={
            "street": "440304004",
            "building_code": "4403040040012",
            "building_name": "福田花园",
            "room": "101",
            "address": "深圳市福田区福田路 88 号福田花园 1 栋",
            "housing_type": "rented",
        },
    )
    staff_create(
        username="clerk1",
        password=PASSWORD,
        phone="13900001001",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    context = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = context.new_page()
    sign_in(page, web.url, "clerk1", "13900001001")
    page.wait_for_url("**/staff/")
    page.get_by_test_id("registration-desk").click()
    page.locator("#id_street").select_option("440304004")
    page.locator("#id_building_code").fill("4403040040012")
    page.locator("#id_room").fill("101")
    page.get_by_test_id("find").click()
    # Not confirmed yet: the house offers its confirmation, not a declaration. Waited for: the
    # search is a page load (an outsider's run looked before it had come).
    expect(page.get_by_test_id(f"confirm-house-{house.pk}").first).to_be_visible()
    assert page.get_by_test_id(f"declare-{house.pk}").count() == 0
    assert_accessible(page)
    both(page, shot, "reg-13-counter-find")
    # The proof of housing seen, the clerk confirms the house first: only then does it take declarations.
    page.goto(web.url + "/staff/registrations/")
    page.get_by_test_id(f"confirm-house-{house.pk}").first.click()
    page.wait_for_url(f"**/houses/{house.pk}/confirm/")
    assert "张伟" in page.get_by_test_id("holder").inner_text()
    page.get_by_test_id("confirm-house").click()  # the papers not ticked: said at the box
    assert page.locator(".error-summary").is_visible() and not House.objects.get(pk=house.pk).confirmed
    page.locator("#id_papers_checked").check()
    assert_accessible(page)
    both(page, shot, "reg-13b-house-confirm")
    page.get_by_test_id("confirm-house").click()
    page.wait_for_url("**/staff/registrations/")
    house.refresh_from_db()
    assert house.confirmed
    page.goto(web.url + f"/staff/registrations/?house={house.pk}")
    page.get_by_test_id(f"declare-{house.pk}").first.click()
    page.locator("#id_declarant_name").fill("张伟")
    page.locator("#id_declarant_id_number").fill(ZHANG_WEI)
    page.locator("#id_declarant_phone").fill("13812345678")
    page.locator("#id_kind_0").check()
    page.locator("#id_name").fill("李娜")
    page.locator("#id_id_number").fill(LI_NA)
    page.locator("#id_phone").fill("13700000021")
    page.locator("#id_declarant_type").select_option("landlord")
    page.locator("#id_occupation").select_option("3")
    page.locator("#id_reason").select_option("1")
    page.locator("#id_date").fill("2026-02-20")
    page.get_by_test_id("continue").click()
    page.get_by_test_id("submit").click()
    declaration = Declaration.objects.get()
    assert page.get_by_test_id("reference").inner_text() == declaration.reference
    assert page.get_by_test_id("late").is_visible() and declaration.days_late == 3
    assert_accessible(page)
    both(page, shot, "reg-14-counter-declared")
    with page.expect_response(lambda r: "/receipt/" in r.url) as receipt:
        page.goto(web.url + f"/staff/registrations/declarations/{declaration.pk}/receipt/")
    assert receipt.value.headers["content-type"] == "application/pdf"
    context.close()


def test_declining_and_withdrawing_a_self_report_each_ask_first(web, chromium, shot, settings):
    """A tenant's report is declined, or withdrawn, only after a page that says what it does."""
    settings.FROZEN_TODAY = "2026-03-02"
    landlord, tenant = landlord_and_tenant()
    body = {"street": "440304004", "building_code": "4403040040012", "building_name": "福田花园", "room": "101",
            "address": "深圳市福田区福田路 88 号福田花园 1 栋", "housing_type": "rented"}  # fmt: skip
    house = house_create(actor=landlord, data=body)
    clerk = staff_create(
        username="clerk1", password=PASSWORD, phone="13900001001", role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )  # fmt: skip
    house_confirm(actor=clerk, house_id=house.pk)
    report = {"kind": "move_in", "house": {"street": "440304004", "building_code": "4403040040012", "room": "101"},
              "person": {"name": "李娜", "id_number": LI_NA, "phone": "13812345600"}, "declarant_type": "tenant",
              "occupation": 2, "reason": 1, "date": "2026-03-01"}  # fmt: skip
    first = declaration_create(actor=tenant, data=report)

    context = chromium.new_context(locale="zh-CN", viewport=WIDE)
    page = context.new_page()
    sign_in(page, web.url, "tenant1", "13812345600", platform="registration")
    page.goto(f"{web.url}/registration/declarations/{first.pk}/")
    page.get_by_test_id("withdraw").click()
    page.wait_for_url(f"**/declarations/{first.pk}/withdraw/")
    assert first.reference in page.locator("h1").inner_text()
    assert_accessible(page)
    both(page, shot, "reg-21-withdraw-ask")
    page.get_by_test_id("confirm-action").click()
    page.wait_for_url(f"**/declarations/{first.pk}/")
    assert Declaration.objects.get(pk=first.pk).status == "withdrawn"
    sign_out(page)

    second = declaration_create(actor=tenant, data=report)
    sign_in(page, web.url, "landlord1", "13812345678", platform="registration")
    page.goto(web.url + "/registration/pending/")
    page.get_by_test_id(f"decline-{second.pk}").click()
    page.wait_for_url(f"**/pending/{second.pk}/decline/")
    assert "李娜" in page.locator("h1").inner_text() and "福田花园" in page.locator("main").inner_text()
    assert_accessible(page)
    both(page, shot, "reg-22-decline-ask")
    page.get_by_role("link", name="取消").click()  # cancel: back to the list, nothing done
    page.wait_for_url("**/registration/pending/")
    assert Declaration.objects.get(pk=second.pk).status == "pending"
    page.get_by_test_id(f"decline-{second.pk}").click()
    page.get_by_test_id("confirm-action").click()
    page.wait_for_url("**/registration/pending/")
    assert Declaration.objects.get(pk=second.pk).status == "declined"
    context.close()
