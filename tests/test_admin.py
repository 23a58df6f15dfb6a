"""The system administrator's Django admin: the calendar and the places, checked and audited (an
outsider found 500s on an edited date, codes in any script, a point closed under its open work,
and place changes nowhere in the audit trail)."""

import datetime as dt

import pytest

from residence.accounts.models import User
from residence.accounts.services import staff_create
from residence.applications.models import Application
from residence.audit.models import AuditEvent
from residence.core.models import CalendarDay, CalendarYear
from residence.places.models import AcceptancePoint, District, Street

from .applications import HOME_POINT, application_body, citizen_api, eligible_records, staff_apis
from .conftest import PASSWORD, AdminBrowser, Api, last_code
from .idnumbers import with_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    client = AdminBrowser()
    User.objects.create_superuser(username="sys_admin", password="Admin2026pass", phone="13900008886", kind="staff")
    client.post("/accounts/login/", {"platform": "permit", "username": "sys_admin", "password": "Admin2026pass"})
    client.post("/accounts/login/verify/", {"code": last_code("13900008886")})
    client.cookies["django_language"] = "en"
    return client


def test_the_system_administrator_lands_in_the_admin_not_on_an_empty_desk(client):
    """An outsider's demo_admin landed on the staff desk with an empty role and no way to the admin."""
    User.objects.create_superuser(username="sys_admin", password="Admin2026pass", phone="13900008886", kind="staff")
    client.post("/accounts/login/", {"platform": "permit", "username": "sys_admin", "password": "Admin2026pass"})
    done = client.post("/accounts/login/verify/", {"code": last_code("13900008886")})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get(done["Location"]).status_code == 200
    # The home page still leads to the staff desk: it names the role and the way to the admin.
    client.cookies["django_language"] = "en"
    desk = client.get("/staff/").content.decode()
    assert "System administrator" in desk and 'href="/admin/" data-testid="administration"' in desk


def day_form(date, working, name):
    return {"date": date, "working": "on" if working else "", "name": name, "notice": "深圳市政府通知"}


@pytest.mark.parametrize("typed", ["9999-12-31", "1900-01-01", "2026-12-17"])
def test_a_calendar_days_date_is_not_edited_and_its_change_is_audited_with_before(admin, typed):
    day = CalendarDay.objects.get(date=dt.date(2026, 12, 16))
    neighbour = CalendarDay.objects.get(date=dt.date(2026, 12, 17))
    response = admin.post(f"/admin/core/calendarday/{day.date}/change/", day_form(typed, False, "停电"))
    assert response.status_code == 302  # the typed date is ignored: the row stays 2026-12-16
    day.refresh_from_db()
    assert (day.working, day.name) == (False, "停电")
    assert CalendarDay.objects.get(date=dt.date(2026, 12, 17)).name == neighbour.name
    assert not CalendarDay.objects.filter(date__year__in=(9999, 1900)).exists()
    event = AuditEvent.objects.get(type="calendar_changed")
    assert event.data["date"] == "2026-12-16" and event.data["before"] == {"working": True, "name": "", "notice": ""}
    assert event.data["notice"] == "深圳市政府通知"
    assert event.address == "127.0.0.1" and event.actor.username == "sys_admin"


def test_a_calendar_years_year_is_not_edited(admin):
    CalendarDay.objects.filter(date=dt.date(2027, 1, 1)).update(name="元旦", notice="国办发明电〔2026〕1号")
    response = admin.post("/admin/core/calendaryear/2027/change/", {"year": "9999", "published": "on", "source": "x"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(type="calendar_changed")
    assert event.data["year"] == 2027 and event.data["before"]["published"] is False


@pytest.mark.parametrize(
    ("code", "street"),
    [
        ("４４０３０４００４９５", "440304004"),  # full-width digits
        ("٤٤٠٣٠٤٠٠٤٩٤", "440304004"),  # Arabic-Indic digits
        ("ABC", "440304004"),
        ("44030300193", "440304004"),  # another street's prefix
        ("4403040049", "440304004"),  # ten digits
    ],
)
def test_a_point_code_in_another_form_is_refused(admin, code, street):
    form = {
        "code": code,
        "name": "新点",
        "kind": "street_office",
        "street": street,
        "address": "某路 1 号",
        "active": "on",
    }
    response = admin.post("/admin/places/acceptancepoint/add/", form)
    said = response.content.decode()
    assert response.status_code == 200
    assert "11 digits 0-9 starting with its street" in said or "belongs to the street its code starts with" in said
    assert not AcceptancePoint.objects.filter(name="新点").exists()
    assert not AcceptancePoint.objects.filter(code=code).exists()


def test_street_and_district_codes_are_checked_too(admin):
    street = {"code": "440303099", "name": "新街道", "district": "440304", "new_district": ""}
    assert (
        "belongs to the district its code starts with"
        in admin.post("/admin/places/street/add/", street).content.decode()
    )
    district = {"code": "ABCDEF", "name": "新区", "name_en": ""}
    assert "starting 4403" in admin.post("/admin/places/district/add/", district).content.decode()
    assert not Street.objects.filter(code="440303099").exists()


def test_a_new_point_is_audited_and_its_code_never_changes(admin):
    form = {
        "code": "44030400495",
        "name": "新点",
        "kind": "police_station",
        "street": "440304004",
        "address": "某路 1 号",
        "active": "on",
    }
    assert admin.post("/admin/places/acceptancepoint/add/", form).status_code == 302
    event = AuditEvent.objects.get(type="place_changed")
    assert event.data["code"] == "44030400495" and event.data["created"] is True
    renamed = {**form, "code": "44030400496", "name": "改名点"}
    assert admin.post("/admin/places/acceptancepoint/44030400495/change/", renamed).status_code == 302
    assert AcceptancePoint.objects.get(code="44030400495").name == "改名点"
    assert not AcceptancePoint.objects.filter(code="44030400496").exists()
    change = AuditEvent.objects.filter(type="place_changed").latest("id")
    assert change.data["changes"] == {"name": ["新点", "改名点"]} and change.data["created"] is False
    # On the supervisor's trail in words, before → after (an outsider read "address", "name_en" and
    # "编码: , 44030409901"), a place's name not a person's (姓名).
    from django.utils import translation

    from residence.audit.templatetags.audit_details import audit_label, audit_value

    with translation.override("zh-hans"):
        assert audit_value(change.data["changes"], "changes") == "名称: 新点 → 改名点"
        changes = {"address": ["", "某路 1 号"], "name_en": ["Old", "New"], "active": [True, False]}
        assert audit_value(changes, "changes") == "地址: （无） → 某路 1 号; 英文名称: Old → New; 启用: 是 → 否"
        assert f"{audit_label('place')}: {audit_value('acceptancepoint', 'place')}" == "地点: 受理点 (acceptancepoint)"
    # A yes/no kept as one, not as the words True and False (an outsider's trail read them).
    closed = {**form, "code": "44030400495", "name": "改名点", "active": ""}
    assert admin.post("/admin/places/acceptancepoint/44030400495/change/", closed).status_code == 302
    assert AuditEvent.objects.filter(type="place_changed").latest("id").data["changes"] == {"active": [True, False]}


def test_a_point_needs_a_name_of_its_own_and_a_street_one_office(admin):
    """An outsider added a point named as another, and a second street office for one street: an
    applicant choosing by name could not tell them apart."""
    home = AcceptancePoint.objects.get(code=HOME_POINT)
    form = {"code": "44030400497", "kind": "police_station", "street": "440304004", "address": "某路 1 号"}
    same_name = admin.post("/admin/places/acceptancepoint/add/", {**form, "name": home.name})
    assert same_name.status_code == 200 and "Another acceptance point has this name" in same_name.content.decode()
    second_office = admin.post("/admin/places/acceptancepoint/add/", {**form, "name": "新办", "kind": "street_office"})
    assert "runs an acceptance point already" in second_office.content.decode()
    assert not AcceptancePoint.objects.filter(code="44030400497").exists()
    # The office's own point keeps its kind and name when saved again.
    again = {"code": home.code, "name": home.name, "kind": home.kind, "street": home.street_id, "address": "新地址"}
    assert (
        admin.post(f"/admin/places/acceptancepoint/{home.code}/change/", {**again, "active": "on"}).status_code == 302
    )


def test_a_renamed_point_is_named_anew_in_its_applications(admin, settings):
    """An outsider renamed a point in the admin; its applications' API answers kept the old name."""
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    created = api.post("/api/v1/applications", application_body()).json()
    assert created["acceptance_point"]["name"] == "福田街道办事处居住证受理点"
    point = AcceptancePoint.objects.get(code=HOME_POINT)
    form = {"code": point.code, "kind": point.kind, "street": point.street_id, "address": point.address}
    saved = admin.post(
        f"/admin/places/acceptancepoint/{point.code}/change/", {**form, "name": "福田新址受理点", "active": "on"}
    )
    assert saved.status_code == 302
    read = api.get(f"/api/v1/applications/{created['id']}").json()
    assert read["acceptance_point"] == {"code": HOME_POINT, "name": "福田新址受理点"}
    assert {k: v for k, v in read.items() if k != "acceptance_point"} == {
        k: v for k, v in created.items() if k != "acceptance_point"
    }


def test_a_busy_point_closes_to_new_work_and_finishes_its_open_applications(admin, settings):
    """An outsider could never close a busy point: it had to be empty of applications and clerks
    first, applicants kept choosing it meanwhile, and a card on its way there cannot be moved."""
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    open_one = api.post("/api/v1/applications", application_body()).json()
    clerk = staff_apis(["clerk"]).clerk  # works at the point
    point = AcceptancePoint.objects.get(code=HOME_POINT)
    form = {"code": point.code, "name": point.name, "kind": point.kind, "street": point.street_id}
    closed = admin.post(f"/admin/places/acceptancepoint/{point.code}/change/", {**form, "address": point.address})
    assert closed.status_code == 302 and not AcceptancePoint.objects.get(code=HOME_POINT).active
    # No new work: not offered, not chosen, not taken in at its counter ...
    offered = {p["code"] for p in Api().get("/api/v1/acceptance-points?district=440304").json()}
    assert HOME_POINT not in offered and offered
    other, _other = citizen_api("citizen2", "13812345679", "44030419900101555", "王芳")
    chosen = other.post(
        "/api/v1/applications", application_body(photo_receipt="PZ20260302B2", acceptance_point=HOME_POINT)
    )
    assert chosen.status_code == 400 and "closed" in chosen.json()["error"]["fields"]["acceptance_point"][0]
    # ... while its clerk still reads and handles its open application.
    assert clerk.get(f"/api/v1/staff/applications/{open_one['id']}").status_code == 200
    assert api.get(f"/api/v1/applications/{open_one['id']}").json()["acceptance_point"]["code"] == HOME_POINT
    # Its counter takes in nothing, for another point either (an outsider's closed counter did).
    walk_in = {
        **application_body(photo_receipt="PZ20260302C3", acceptance_point="44030300101"),
        "applicant": {"name": "李娜", "id_number": with_check("36010219950812234"), "phone": "13700000011"},
        "portrait_captured": True,
    }
    counter = clerk.post("/api/v1/staff/applications", walk_in)
    assert counter.status_code == 409 and "closed to new applications" in counter.json()["error"]["message"]
    # A point whose open applications have no clerk to finish them cannot close.
    orphan = AcceptancePoint.objects.get(code="44030300101")
    Application.objects.filter(pk=open_one["id"]).update(acceptance_point=orphan)
    form = {"code": orphan.code, "name": orphan.name, "kind": orphan.kind, "street": orphan.street_id}
    refused = admin.post(f"/admin/places/acceptancepoint/{orphan.code}/change/", {**form, "address": orphan.address})
    assert (
        refused.status_code == 200 and "1 open application(s) are handled here and no clerk" in refused.content.decode()
    )
    assert AcceptancePoint.objects.get(code=orphan.code).active


def test_a_places_parent_that_does_not_match_its_code_is_refused_at_that_field(admin):
    """The code is not on a stored place's form: the error on it was a 500 (an outsider)."""
    point = AcceptancePoint.objects.get(code="44030300101")
    form = {"name": point.name, "kind": point.kind, "street": "440305001", "address": point.address, "active": "on"}
    response = admin.post(f"/admin/places/acceptancepoint/{point.code}/change/", form)
    assert response.status_code == 200 and "belongs to the street its code starts with" in response.content.decode()
    street = Street.objects.get(code="440303010")
    form = {"name": street.name, "district": "440304", "new_district": ""}
    response = admin.post(f"/admin/places/street/{street.code}/change/", form)
    assert response.status_code == 200 and "belongs to the district its code starts with" in response.content.decode()
    assert AcceptancePoint.objects.get(code="44030300101").street_id == "440303001"


def test_deleting_a_place_is_audited_and_saving_it_unchanged_is_not(admin):
    point = AcceptancePoint.objects.get(code="44030300101")
    form = {"name": point.name, "kind": point.kind, "street": point.street_id, "address": point.address, "active": "on"}
    assert admin.post(f"/admin/places/acceptancepoint/{point.code}/change/", form).status_code == 302
    assert not AuditEvent.objects.filter(type="place_changed").exists()
    assert admin.post(f"/admin/places/acceptancepoint/{point.code}/delete/", {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(type="place_changed")
    assert event.data["code"] == "44030300101" and event.data["deleted"] is True
    assert event.actor.username == "sys_admin" and not AcceptancePoint.objects.filter(code="44030300101").exists()


def test_a_clerk_is_given_another_point_by_the_operator_and_the_old_point_can_then_close(admin):
    import io

    from django.core.management import CommandError, call_command

    clerk = staff_create(
        username="moving_clerk",
        password=PASSWORD,
        phone="13900001234",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030300101"),
    )
    with pytest.raises(CommandError):
        call_command("set_staff_point", "--username", "moving_clerk", "--point", "99999999999")
    with pytest.raises(CommandError):
        call_command("set_staff_point", "--username", "nobody_here", "--point", HOME_POINT)
    out = io.StringIO()
    call_command("set_staff_point", "--username", "moving_clerk", "--point", HOME_POINT, stdout=out)
    clerk.refresh_from_db()
    assert (
        clerk.point_id == HOME_POINT and "moving_clerk 的工作地点为 44030400401" in out.getvalue()
    )  # the operator's language
    event = AuditEvent.objects.get(type="staff_point_changed")
    assert (event.data["point_from"], event.data["point_to"], event.subject) == ("44030300101", HOME_POINT, clerk)
    again = io.StringIO()
    call_command("set_staff_point", "--username", "moving_clerk", "--point", HOME_POINT, stdout=again)
    assert "moving_clerk 的工作地点已是 44030400401：未作更改" in again.getvalue()
    assert AuditEvent.objects.filter(type="staff_point_changed").count() == 1
    point = AcceptancePoint.objects.get(code="44030300101")
    form = {"name": point.name, "kind": point.kind, "street": point.street_id, "address": point.address, "active": ""}
    assert admin.post(f"/admin/places/acceptancepoint/{point.code}/change/", form).status_code == 302
    assert not AcceptancePoint.objects.get(code="44030300101").active


def test_a_staff_member_who_lost_the_phone_gets_a_new_number_from_the_operator(client):
    """Every staff sign-in needs a code: a lost phone left no way in but a new account, and the
    sign-in page sent staff to a counter, which changes citizens' numbers only (an outsider)."""
    import io

    from django.core.management import CommandError, call_command

    clerk = staff_create(
        username="phone_lost", password=PASSWORD, phone="13900001234", role="reviewer", department="police"
    )
    citizen_phone = User.objects.create_user(username="a_citizen", password=PASSWORD, phone="13800005678").phone
    signing_in = client.post("/accounts/login/", {"platform": "permit", "username": "phone_lost", "password": PASSWORD})
    assert signing_in["Location"] == "/accounts/login/verify/"
    page = client.get("/accounts/login/verify/").content.decode()
    assert "请联系主管" in page and "请携带身份证到受理点" not in page
    old_code = last_code("13900001234")
    for wrong in (["--phone", citizen_phone], ["--phone", "1390000123"], ["--phone", "１３９００００５６７８"]):
        with pytest.raises(CommandError):
            call_command("set_staff_phone", "--username", "phone_lost", *wrong)
    # Said to the operator, not the sign-up's advice to whoever holds the number (an outsider's re-test).
    with pytest.raises(CommandError, match="该手机号码已由其他账号使用") as held:
        call_command("set_staff_phone", "--username", "phone_lost", "--phone", citizen_phone)
    assert "请直接登录" not in str(held.value)
    with pytest.raises(CommandError, match="没有使用该用户名的有效工作人员账号"):
        call_command("set_staff_phone", "--username", "a_citizen", "--phone", "13900005678")
    out = io.StringIO()
    call_command("set_staff_phone", "--username", "PHONE_LOST", "--phone", "+86 139 0000 5678", stdout=out)
    assert "phone_lost 的登录验证码将发送至 139****5678" in out.getvalue()
    clerk.refresh_from_db()
    assert clerk.phone == "13900005678"
    event = AuditEvent.objects.get(type="phone_changed", subject=clerk)
    assert (event.data["old"], event.data["new"], event.actor) == ("139****1234", "139****5678", None)
    # The code sent to the lost phone no longer signs in; a new sign-in's code goes to the new number.
    assert "/staff/" not in client.post("/accounts/login/verify/", {"code": old_code}).get("Location", "")
    client.post("/accounts/login/", {"platform": "permit", "username": "phone_lost", "password": PASSWORD})
    done = client.post("/accounts/login/verify/", {"code": last_code("13900005678")})
    assert done.status_code == 302 and done["Location"] == "/staff/"
    again = io.StringIO()
    call_command("set_staff_phone", "--username", "phone_lost", "--phone", "13900005678", stdout=again)
    assert "未作更改" in again.getvalue() and AuditEvent.objects.filter(type="phone_changed").count() == 1


def test_a_closed_points_last_clerk_stays_while_it_has_open_work_and_clerks_may_join_it(admin, settings):
    """An outsider moved a closed point's last clerk away: its ready cards had nobody to hand them
    over, and no command could give it a clerk again."""
    import io

    from django.core.management import CommandError, call_command

    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    assert api.post("/api/v1/applications", application_body()).status_code == 201  # at HOME_POINT
    staff_create(
        username="last_clerk",
        password=PASSWORD,
        phone="13900001234",
        role="clerk",
        point=AcceptancePoint.objects.get(code=HOME_POINT),
    )
    AcceptancePoint.objects.filter(code=HOME_POINT).update(active=False)  # closed, its work open
    with pytest.raises(CommandError, match="last clerk of closed point"):
        call_command("set_staff_point", "--username", "last_clerk", "--point", "44030300101")
    with pytest.raises(CommandError, match="last clerk of closed point"):  # nor disabled (a second outsider)
        call_command("disable_staff", "--username", "last_clerk", "--reason", "离职")
    assert User.objects.get(username="last_clerk").point_id == HOME_POINT
    assert User.objects.get(username="last_clerk").is_active
    # A clerk may be given to the closed point (a new one, or one moved there) to finish its work ...
    out = io.StringIO()
    call_command(
        "create_staff", "--username", "helper_clerk", "--password", "Helper2026pass", "--phone", "13900001235",
        "--role", "clerk", "--point", HOME_POINT, stdout=out,
    )  # fmt: skip
    assert User.objects.get(username="helper_clerk").point_id == HOME_POINT
    # ... and then the first may leave.
    call_command("set_staff_point", "--username", "last_clerk", "--point", "44030300101", stdout=out)
    assert User.objects.get(username="last_clerk").point_id == "44030300101"


def test_the_calendars_actions_and_days_read_in_chinese(admin):
    # An outsider's Chinese admin offered "Mark the official schedule as published" and said
    # 成功修改了 日历日期"2026-10-12 off".
    admin.cookies["django_language"] = "zh-hans"
    years = admin.get("/admin/core/calendaryear/").content.decode()
    assert "标记为官方安排已公布" in years and "Mark the official" not in years
    saved = admin.post("/admin/core/calendarday/2026-12-16/change/", day_form("2026-12-16", False, "停电"), follow=True)
    assert "2026-12-16 休息日" in saved.content.decode()


def test_the_admins_change_password_form_is_the_platforms_where_wrong_passwords_count(admin):
    """An outsider tried seven wrong old passwords on the admin's own form: none counted."""
    moved = admin.get("/admin/password_change/")
    assert moved.status_code == 302 and moved["Location"] == "/account/password/"
    posted = admin.post("/admin/password_change/", {"old_password": "Wrong2026pass", "new_password1": "x"})
    assert posted.status_code == 302 and posted["Location"] == "/account/password/"
    assert User.objects.get(username="sys_admin").check_password("Admin2026pass")


D = dt.date.fromisoformat


def test_the_admin_publishes_no_year_with_nothing_official_in_it(admin):
    listed = admin.post(
        "/admin/core/calendaryear/", {"action": "publish", "_selected_action": ["2027", "2028"]}, follow=True
    ).content.decode()
    assert "2 years (2027, 2028): nothing official is entered for them" in listed and "load_calendar" in listed
    assert listed.count("nothing official") == 1  # one message (an outsider's "all" put up 170)
    changed = admin.post("/admin/core/calendaryear/2029/change/", {"published": "on", "source": "x"})
    assert changed.status_code == 200 and "2029: nothing official is entered" in changed.content.decode()
    assert not CalendarYear.objects.filter(year__in=(2027, 2028, 2029), published=True).exists()
    # Once a day of it is entered with its notice, the year can be published.
    admin.post("/admin/core/calendarday/2027-01-01/change/", {"name": "元旦", "notice": "国办发明电〔2026〕1号"})
    published = admin.post("/admin/core/calendaryear/", {"action": "publish", "_selected_action": ["2027"]})
    assert published.status_code == 302 and CalendarYear.objects.get(year=2027).published


@pytest.mark.parametrize(
    ("date", "working", "name", "notice", "said"),
    [
        ("2029-01-06", True, "", "", "Name the holiday"),  # a Saturday made a working day
        ("2027-01-04", False, "", "", "Name the holiday"),  # a Monday made a day off
        ("2027-01-05", False, "停电", "", "Give the notice"),
        ("2029-01-08", True, "春节", "通知", "is a weekday"),  # a weekday "made" a working day
    ],
)
def test_the_admin_takes_no_day_off_the_weeks_rule_without_its_name_and_notice(
    admin, date, working, name, notice, said
):
    before = CalendarDay.objects.get(date=D(date))
    form = {"working": "on" if working else "", "name": name, "notice": notice}
    response = admin.post(f"/admin/core/calendarday/{date}/change/", form)
    assert response.status_code == 200 and said in response.content.decode()
    after = CalendarDay.objects.get(date=D(date))
    assert (after.working, after.name, after.notice) == (before.working, before.name, before.notice)


def test_the_admins_shortcut_and_odd_bulk_selections_are_never_a_500(admin):
    """An outsider's /admin/r/<calendar day>/1/ and bulk actions on "abc" or a NUL byte were 500s."""
    from django.contrib.contenttypes.models import ContentType

    day_type = ContentType.objects.get_for_model(CalendarDay).pk
    for object_id in ("1", "abc", "2026-12-01"):
        assert admin.get(f"/admin/r/{day_type}/{object_id}/").status_code == 404
    for path, action in (
        ("/admin/core/calendaryear/", "publish"),
        ("/admin/places/acceptancepoint/", "delete_selected"),
        ("/admin/places/district/", "delete_selected"),
        ("/admin/places/street/", "delete_selected"),
    ):
        for selected in ("abc", "\x00", "9" * 5000, "2026-02-30"):
            answer = admin.post(path, {"action": action, "_selected_action": selected, "index": "0"})
            assert answer.status_code in (200, 302), (path, selected[:10])  # the list, or a confirmation of nothing
    assert not CalendarYear.objects.filter(published=True, year__gt=2026).exists()
    assert AcceptancePoint.objects.filter(code=HOME_POINT).exists()


def test_a_point_saved_from_a_page_opened_before_anothers_save_is_refused_not_overwritten(admin):
    """An outsider closed a point in one tab; a second tab opened before, saved with only the address
    changed, opened it again without a word."""
    import re

    url = f"/admin/places/acceptancepoint/{HOME_POINT}/change/"
    loaded = re.search(r'name="loaded" value="([^"]+)"', admin.get(url).content.decode()).group(1)
    home = AcceptancePoint.objects.get(code=HOME_POINT)
    form = {"code": home.code, "name": home.name, "kind": home.kind, "street": home.street_id, "active": "on"}
    assert admin.post(url, {**form, "name": "甲点", "address": home.address, "loaded": loaded}).status_code == 302
    stale = admin.post(url, {**form, "address": "新门牌 1 号", "loaded": loaded})
    assert stale.status_code == 200 and "Someone changed this since you opened it" in stale.content.decode()
    home.refresh_from_db()
    assert (home.name, home.address) == ("甲点", AcceptancePoint.objects.get(code=HOME_POINT).address)
    assert home.address != "新门牌 1 号"


def test_a_place_name_that_shows_nothing_or_reorders_itself_is_refused(admin):
    """An outsider's districts and points named "\\u200b" and "\\u202e点理受试测" reached the public API."""
    for name in ("\u200b", "\ufeff", "\u202e区测试"):
        district = admin.post("/admin/places/district/add/", {"code": "440385", "name": name, "name_en": ""})
        assert district.status_code == 200 and "hidden" in district.content.decode().lower(), repr(name)
    form = {"code": "44030400493", "kind": "police_station", "street": "440304004", "address": "某路 1 号"}
    point = admin.post("/admin/places/acceptancepoint/add/", {**form, "name": "\u202e点理受试测"})
    assert point.status_code == 200
    hidden_address = admin.post("/admin/places/acceptancepoint/add/", {**form, "name": "新点", "address": "\u200b"})
    assert hidden_address.status_code == 200
    assert not AcceptancePoint.objects.filter(code="44030400493").exists()


def test_calendar_days_are_found_by_date_or_year_and_a_years_change_time_is_not_typed(admin):
    """An outsider searched the days for 2027-01-01 and found nothing, and typed a year's change time
    that was silently ignored."""
    found = admin.get("/admin/core/calendarday/?q=2027-01-01").content.decode()
    assert "1 result" in found and "Jan. 1, 2027" in found
    assert "365 results" in admin.get("/admin/core/calendarday/?q=2027").content.decode()
    assert "0 results" in admin.get("/admin/core/calendarday/?q=2027-02-30").content.decode()
    form = admin.get("/admin/core/calendaryear/2027/change/").content.decode()
    assert 'name="updated_at' not in form


def page_fields(html: str) -> dict:
    """The hidden fields a browser sends back with the form."""
    import re

    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_a_place_added_from_its_page_is_saved_and_a_stale_calendar_tab_is_refused(admin):
    """An outsider's every add of a place from the browser was a 500 (the form's own hidden fields),
    and a calendar day or year saved from a tab opened before another's save undid that save."""
    hidden = page_fields(admin.get("/admin/places/district/add/").content.decode())
    added = admin.post("/admin/places/district/add/", {**hidden, "code": "440395", "name": "新区", "name_en": ""})
    assert added.status_code == 302 and District.objects.filter(code="440395").exists()
    taken = admin.post("/admin/places/district/add/", {**hidden, "code": "440395", "name": "又一区", "name_en": ""})
    assert taken.status_code == 200 and District.objects.get(code="440395").name == "新区"
    for url, first, second in (
        (
            "/admin/core/calendarday/2026-12-16/change/",
            day_form("2026-12-16", False, "停电"),
            day_form("2026-12-16", True, ""),
        ),
        (
            "/admin/core/calendaryear/2026/change/",
            {"published": "", "source": "国务院办公厅通知"},
            {"published": "on", "source": "另一个来源"},
        ),
    ):
        loaded = page_fields(admin.get(url).content.decode())["loaded"]
        assert admin.post(url, {**first, "loaded": loaded}).status_code == 302, url
        stale = admin.post(url, {**second, "loaded": loaded})
        assert stale.status_code == 200 and "Someone changed this since you opened it" in stale.content.decode()
    assert CalendarDay.objects.get(date=dt.date(2026, 12, 16)).name == "停电"
    assert CalendarYear.objects.get(year=2026).published is False
    # The source of a year's schedule is shown as typed: no hidden characters, no formula.
    url = "/admin/core/calendaryear/2026/change/"
    for source in ("State\u200bCouncil", "=cmd"):
        loaded = page_fields(admin.get(url).content.decode())["loaded"]
        assert admin.post(url, {"published": "", "source": source, "loaded": loaded}).status_code == 200
    assert CalendarYear.objects.get(year=2026).source == "国务院办公厅通知"


def test_a_change_form_without_the_fingerprint_of_the_page_it_came_from_is_refused(admin):
    """An outsider dropped the hidden `loaded` field from a stale tab and saved over a change made
    meanwhile."""
    url = f"/admin/places/acceptancepoint/{HOME_POINT}/change/"
    home = AcceptancePoint.objects.get(code=HOME_POINT)
    form = {"code": home.code, "name": home.name, "kind": home.kind, "street": home.street_id, "active": "on"}
    for loaded in ({}, {"loaded": ""}):
        refused = admin.post_as_typed(url, {**form, "address": "新门牌 1 号", **loaded})
        assert refused.status_code == 200 and "Someone changed this since you opened it" in refused.content.decode()
    assert AcceptancePoint.objects.get(code=HOME_POINT).address == home.address
    assert admin.post(url, {**form, "address": "新门牌 1 号"}).status_code == 302  # as a browser sends it


def test_a_bulk_selection_of_rows_that_are_not_there_or_an_odd_select_across_does_nothing(admin):
    """An outsider's selection of year 9999 was told "published"; a NUL byte as `select_across`
    was taken for every year."""
    admin.post("/admin/core/calendarday/2027-01-01/change/", {"name": "元旦", "notice": "国办发明电〔2026〕1号"})
    for extra in ({"_selected_action": ["2027", "9999"]}, {"_selected_action": ["2027"], "select_across": "\x00"}):
        answer = admin.post("/admin/core/calendaryear/", {"action": "publish", "index": "0", **extra}, follow=True)
        assert "The rows selected are not in the list" in answer.content.decode()
        assert not CalendarYear.objects.filter(published=True, year__gt=2026).exists()


def test_a_bulk_publication_changes_every_year_in_one_transaction_and_skips_years_already_so(admin, monkeypatch):
    """An outsider's "unpublish" on every year recomputed the deadlines once a year, past the
    worker's time limit, with the years before it changed and no word of it; years already
    unpublished were "changed" again."""
    from residence.core import services

    CalendarYear.objects.filter(year__in=(2024, 2025)).update(published=True)
    before = AuditEvent.objects.filter(type="calendar_changed").count()
    real = services._year_set

    def fails_on_2025(entry, **kwargs):
        if entry.year == 2025:
            raise RuntimeError("the worker is killed")
        return real(entry, **kwargs)

    monkeypatch.setattr(services, "_year_set", fails_on_2025)
    with pytest.raises(RuntimeError):
        admin.post(
            "/admin/core/calendaryear/",
            {"action": "unpublish", "select_across": "1", "_selected_action": ["2030"], "index": "0"},
        )
    assert set(CalendarYear.objects.filter(published=True).values_list("year", flat=True)) == {2024, 2025, 2026}
    assert AuditEvent.objects.filter(type="calendar_changed").count() == before
    monkeypatch.setattr(services, "_year_set", real)

    published = set(CalendarYear.objects.filter(published=True).values_list("year", flat=True))
    listed = admin.post(
        "/admin/core/calendaryear/",
        {"action": "unpublish", "select_across": "1", "_selected_action": ["2030"], "index": "0"},
        follow=True,
    ).content.decode()
    assert not CalendarYear.objects.filter(published=True).exists()
    assert AuditEvent.objects.filter(type="calendar_changed").count() == before + len(published)
    assert "Marked provisional: 2024, 2025, 2026" in listed
    again = admin.post(
        "/admin/core/calendaryear/", {"action": "unpublish", "_selected_action": ["2024"], "index": "0"}, follow=True
    )
    assert "Nothing to change" in again.content.decode()
    assert AuditEvent.objects.filter(type="calendar_changed").count() == before + len(published)
