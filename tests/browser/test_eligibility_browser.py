import pytest

from residence.accounts.services import account_create, real_name_verify
from tests.test_account_changes import identity
from tests.test_eligibility_api import load_records

from .test_accounts_browser import assert_accessible, code_from_outbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_self_check_page_prefilled_with_conditions_and_earliest_date(web, chromium, shot, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    number = identity()
    load_records(number)
    user = account_create(
        kind="individual", username="check_user", password="Check2026pass", phone="15912340002", consent=True
    )
    real_name_verify(user=user, name="张伟", id_number=number)

    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(web.url + "/accounts/login/")
    page.get_by_label("用户名").fill("check_user")
    page.get_by_label("密码").fill("Check2026pass")
    page.get_by_role("button", name="登录").click()
    page.get_by_label("短信验证码").fill(code_from_outbox("15912340002"))
    page.get_by_role("button", name="继续").click()
    page.get_by_role("link", name="申领条件自助查询").click()
    assert page.get_by_label("姓名（与身份证一致）").input_value() == "张伟"
    assert page.get_by_label("公民身份号码").input_value() == number
    page.get_by_role("button", name="查询").click()
    result = page.get_by_test_id("eligibility-result")
    assert "您暂不符合申领条件" in result.inner_text()
    # The answer has the focus, read out at once (an outsider's screen reader stayed at the top).
    assert page.evaluate("document.activeElement.id") == "result-title"
    assert "截至查询日社保连续缴纳 9 个月，还需 3 个月" in result.inner_text()
    assert page.get_by_test_id("earliest").inner_text().find("2026-06-10") >= 0
    assert_accessible(page)
    shot(page, "11-eligibility-self-check")
    context.close()
