"""The citizen's application pages through Django's test client: the start page, each step of
the form with its draft, check your answers, the confirmation, the progress page and its actions."""

import datetime as dt
import re

import pytest

from residence.accounts.services import real_name_verify
from residence.applications import selectors
from residence.applications.models import Application, Draft
from residence.places.models import AcceptancePoint

from .applications import (
    HOME_POINT,
    OTHER_POINT,
    application_body,
    citizen_api,
    confirm_all,
    eligible_records,
    staff_apis,
)
from .conftest import CommittingClient, make_user, send_checked, words
from .idnumbers import WANG_FANG, ZHANG_WEI, with_check, wrong_check
from .test_account_changes import identity
from .test_web import web_login

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def citizen_web(settings):
    """A verified citizen with records, signed in on the web (remembered), pages in English."""
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    number = identity("43010219900307123", "张伟")
    real_name_verify(user=user, name="张伟", id_number=number)
    eligible_records()
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    assert web_login(client, remember=True).status_code == 302
    return client, user


def theirs(photo_receipt="OTHER12345"):
    """Another person's application body: they have no registration, so they name a point."""
    return application_body(photo_receipt=photo_receipt, acceptance_point=OTHER_POINT)


def fill_all(client, **over):
    """Answer every step; returns the last response."""
    steps = [
        ("kind", {"kind": "first", "route": "residence_employment", "reason": ""}),
        ("photo", {"photo_receipt": "pz20260302a1"}),
        ("point", {"acceptance_point": HOME_POINT}),
        ("family", {}),
        ("delivery", {"method": "pickup", "address": ""}),
    ]
    response = None
    for step, data in steps:
        response = client.post(f"/applications/apply/{step}/", {**data, **over.get(step, {})})
        assert response.status_code == 302, (step, response.content.decode()[:2000])
    return response


def send(client):
    """Accept and send from the check page, as a browser does: with the answers the page showed."""
    return send_checked(client, "/applications/apply/check/")


def test_start_page_is_public_and_says_routes_steps_cost_and_points(client):
    html = client.get("/applications/", **EN).content.decode()
    for text in ("Who can apply", "Talent introduction", "working days", "20 yuan", "Acceptance points by district"):
        assert text in html, text
    assert 'href="/applications/apply/"' in html
    assert 'role="button"' not in html  # a link: Space on a "button" that is a link did nothing
    points = client.get("/applications/acceptance-points/", **EN).content.decode()
    assert "福田区" in points and "<h2" in points
    # Chinese inside an English page is marked so, for a screen reader's voice (WCAG 3.1.2).
    assert "(<span lang='zh-CN'>鹏城优才卡</span>)" in html
    assert re.search(r'<td data-label="Acceptance point"><span lang="zh-CN">[^<]*受理点</span>', points)


def test_start_now_asks_for_sign_in_then_real_name_verification(client):
    response = client.get("/applications/apply/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    make_user("plain1", "13812340001")
    web_login(client, "plain1", phone="13812340001")
    response = client.get("/applications/apply/", **EN)
    html = response.content.decode()
    assert response.status_code == 403 and "Verify your identity before applying" in html
    assert 'href="/account/real-name/"' in html


def test_every_step_then_check_then_submission_and_confirmation(citizen_web):
    client, _user = citizen_web
    assert client.get("/applications/apply/")["Location"] == "/applications/apply/kind/"
    page = client.get("/applications/apply/kind/").content.decode()
    assert 'href="/applications/"' in page and "step 1 of 5" in page  # the back link to the start page
    point_page = client.get("/applications/apply/point/").content.decode()
    # The default point is the street office of the registered street, pre-selected.
    assert f'<option value="{HOME_POINT}" selected>' in point_page and "<optgroup" in point_page
    # On an English page each point also names its street in English (an outsider could not tell
    # 74 Chinese names apart); the Chinese page keeps name and address.
    AcceptancePoint.objects.create(
        code="44030400402",
        name="福田派出所居住证受理点",
        kind="police_station",
        street_id="440304004",
        address="福田路 9 号",
    )
    english = client.get("/applications/apply/point/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Street office, Futian Subdistrict · 福田街道办事处居住证受理点" in english
    # And its kind, first: the street's office and its police station read alike in English, and
    # the Chinese names telling them apart were cut off on a phone (an outsider).
    assert "Police station, Futian Subdistrict · 福田派出所居住证受理点" in english
    # The suggestion above the list too (an outsider read "We suggest 福田街道办事处居住证受理点").
    suggested = 'We suggest Street office, Futian Subdistrict · <span lang="zh-CN">福田街道办事处居住证受理点</span>,'
    assert suggested in english
    fill_all(client)
    check = client.get("/applications/apply/check/").content.decode()
    assert "张伟" in check and ZHANG_WEI not in check and ZHANG_WEI[:6] + "********" in check
    assert "福田路 1 号" in check and "PZ20260302A1" in check
    assert "/applications/apply/photo/?return=check" in check
    # In English the street is named in English and the records' Chinese is marked as such.
    english = client.get("/applications/apply/check/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'Street office, Futian Subdistrict · <span lang="zh-CN">' in english and "福田街道 " not in english
    # The point too, as its choice said it (an outsider's English check page named it in Chinese only).
    assert 'Street office, Futian Subdistrict · <span lang="zh-CN">福田街道办事处居住证受理点</span>' in english
    response = send(client)
    application = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/applications/{application.pk}/submitted/"
    assert application.photo_receipt == "PZ20260302A1" and application.acceptance_point_id == HOME_POINT
    done = client.get(response["Location"]).content.decode()
    assert application.reference in done and "What happens next" in done and 'data-testid="self-check"' in done
    progress = client.get(f"/applications/{application.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'Street office, Futian Subdistrict · <span lang="zh-CN">福田街道办事处居住证受理点</span>' in progress
    assert 'sent to Street office, Futian Subdistrict · <span lang="zh-CN">福田街道办事处居住证受理点</span>' in done
    assert "you show it when you collect your card" in done
    # Brought by a courier, the card is not collected: the page says what the courier asks for
    # (an outsider's courier application was told to keep the receipt for the pickup).
    Application.objects.filter(pk=application.pk).update(delivery_method="courier", delivery_address="福田路 2 号")
    by_courier = client.get(response["Location"]).content.decode()
    assert "you show it when you collect your card" not in by_courier
    assert "The courier asks for your identity card" in by_courier
    # While it is open, a new start says so at once, with a link to it, before any step.
    for start in ("/applications/apply/", "/applications/apply/kind/"):
        again = client.get(start)
        assert again.status_code == 409 and f'href="/applications/{application.pk}/"' in again.content.decode()
    # Once it is closed, the draft is gone: a new start begins at the first step.
    client.post(f"/applications/{application.pk}/withdraw/")
    assert client.get("/applications/apply/")["Location"] == "/applications/apply/kind/"
    receipt = client.get(f"/applications/{application.pk}/receipt.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"


def test_draft_survives_going_back_and_a_new_client_with_the_same_session(citizen_web):
    client, _user = citizen_web
    client.post("/applications/apply/kind/", {"kind": "first", "route": "talent"})
    client.post("/applications/apply/photo/", {"photo_receipt": "abcd1234"})
    # Back to the first step: the answers are there.
    kind = client.get("/applications/apply/kind/").content.decode()
    assert re.search(r'value="talent"[^>]*checked', kind)
    assert 'value="ABCD1234"' in client.get("/applications/apply/photo/").content.decode()
    # "Closing the browser": a new client with only the (remembered) session cookie.
    other = CommittingClient()
    other.cookies = client.cookies
    assert 'value="ABCD1234"' in other.get("/applications/apply/photo/").content.decode()
    assert other.get("/applications/apply/")["Location"] == "/applications/apply/point/"


def test_draft_outlives_a_login_that_ends_with_the_browser(citizen_web):
    """Without "remember me" the login ends when the browser closes; the answers are kept for the
    account and are there after signing in again, in another browser."""
    client, _user = citizen_web
    client.post("/applications/apply/kind/", {"kind": "first", "route": "talent"})
    client.post("/applications/apply/photo/", {"photo_receipt": "abcd1234"})
    fresh = CommittingClient()
    fresh.cookies["django_language"] = "en"
    assert web_login(fresh, remember=False).status_code == 302  # ends the first login, too
    assert 'value="ABCD1234"' in fresh.get("/applications/apply/photo/").content.decode()
    assert fresh.get("/applications/apply/")["Location"] == "/applications/apply/point/"
    # Back after closing the browser, the person's pages say it is kept and lead back to it (an
    # outsider found no word of it on them).
    for page in ("/account/", "/applications/mine/"):
        html = fresh.get(page).content.decode()
        assert 'data-testid="draft-kept"' in html and 'href="/applications/apply/"' in html, page
    # Another account never sees it.
    other = make_user("citizen2", "13812345679")
    real_name_verify(user=other, name="王芳", id_number=identity("44030419900101555", "王芳"))
    stranger = CommittingClient()
    assert web_login(stranger, "citizen2", phone="13812345679").status_code == 302
    assert 'value="ABCD1234"' not in stranger.get("/applications/apply/photo/").content.decode()
    assert 'data-testid="draft-kept"' not in stranger.get("/account/").content.decode()


def test_bad_input_on_a_step_shows_the_error_summary_and_stores_nothing(citizen_web):
    client, _user = citizen_web
    response = client.post("/applications/apply/photo/", {"photo_receipt": "12-3"})
    html = response.content.decode()
    assert response.status_code == 200 and "error-summary" in html and 'href="#id_photo_receipt"' in html
    assert "8 to 20 letters and digits" in html
    assert "photo_receipt" not in (selectors.draft_of(_user) or {})
    response = client.post("/applications/apply/delivery/", {"method": "courier", "address": ""})
    assert "Enter the address the courier should deliver to." in response.content.decode()
    # An address too long is told so, not also to enter one (an outsider's page said both).
    long = client.post("/applications/apply/delivery/", {"method": "courier", "address": "深圳" * 2500})
    long = long.content.decode()
    assert "at most 200 characters" in long and "Enter the address the courier" not in long
    response = client.post("/applications/apply/delivery/", {"method": "courier", "address": "北京市朝阳区建国路 1 号"})
    assert "The courier delivers in Shenzhen only" in response.content.decode()
    # Hidden characters are refused at their own step, not at the final submission (an outsider).
    hidden = client.post(
        "/applications/apply/delivery/", {"method": "courier", "address": "深圳市福田区福华路 8 号\u202e"}
    )
    assert 'href="#id_address"' in hidden.content.decode() and "hidden formatting" in hidden.content.decode()
    escaped = client.post(
        "/applications/apply/kind/",
        {"kind": "replacement", "route": "residence_employment", "reason": "卡片\x1b[2J损坏"},
    )
    assert 'href="#id_reason"' in escaped.content.decode()
    assert "delivery_address" not in (selectors.draft_of(_user) or {})
    response = client.post("/applications/apply/kind/", {"kind": "first"})
    html = response.content.decode()
    assert "error-summary" in html
    # "label: problem", not "label?: problem" (an outsider read "您申请哪一项？：…").
    assert "?: " not in html and "？：" not in html
    # The question's error belongs to its fieldset (an outsider's screen reader heard "invalid" on
    # each choice, never why).
    fieldset = re.search(r'<fieldset aria-describedby="([^"]+)"><legend>[^<]*</legend>(.*?)</fieldset>', html, re.S)
    assert fieldset is not None and "id_route_error" in fieldset.group(1).split()
    assert 'id="id_route_error"' in fieldset.group(2) and 'name="route"' in fieldset.group(2)
    assert not Application.objects.exists()


def test_chinese_messages_by_default(citizen_web):
    client, _user = citizen_web
    client.cookies["django_language"] = "zh-hans"
    html = client.post("/applications/apply/delivery/", {}).content.decode()
    # The error says what to do, not only that an answer is missing.
    assert "error-summary" in html and "请选择到受理点领取还是快递送达。" in html and 'href="#id_method_0"' in html
    assert "此项必填" not in html
    client.cookies["django_language"] = "en"
    html = client.post("/applications/apply/kind/", {}).content.decode()
    assert "Choose the route on which you qualify." in html and "This field is required" not in html


def test_chinese_names_on_english_pages_are_marked_as_chinese(citizen_web):
    """WCAG 3.1.2: an outsider's screen reader read 王芳 in the family list, the names in the hidden
    words of its Change and Remove buttons (the one thing telling two members' buttons apart), the
    verified banner and the banners after an action with an English voice."""
    client, _user = citizen_web
    client.cookies["django_language"] = "en"
    fill_all(client, family={})
    added = client.post(
        "/applications/apply/family/add/", {"relation": "spouse", "name": "王芳", "id_number": WANG_FANG}
    )
    family = client.get(added["Location"]).content.decode()
    assert re.search(r'<dt><span lang="zh-CN">王芳</span></dt>', family)
    assert family.count('<span class="visually-hidden"> <span lang="zh-CN">王芳</span></span>') == 2
    # In Chinese nothing is marked: the page is Chinese.
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/applications/apply/family/").content.decode()
    assert "<dt>王芳</dt>" in chinese and 'lang="zh-CN">王芳' not in chinese
    client.cookies["django_language"] = "en"
    banner = client.get("/account/real-name/").content.decode()
    assert 'Your account is verified as <span lang="zh-CN">张伟</span>.' in banner
    # A banner after an action: "王芳 was removed."
    key = re.search(r"remove/\?member=([0-9a-f]+)", family).group(1)
    removed = client.post("/applications/apply/family/0/remove/", {"member": key}, follow=True).content.decode()
    assert 'role="status"><span lang="zh-CN">王芳</span> was removed.</div>' in removed


def test_chinese_pages_use_chinese_punctuation_between_labels_values_and_asides(citizen_web):
    """An outsider read "公安: 待核查" and "王芳 (配偶, 4201…)" on Chinese pages; English keeps its own."""
    client, _user = citizen_web
    fill_all(client, family={})
    client.post("/applications/apply/family/add/", {"relation": "spouse", "name": "王芳", "id_number": WANG_FANG})
    for language, family in (("zh-hans", "王芳（配偶，"), ("en", "王芳</span> (Spouse, ")):
        client.cookies["django_language"] = language
        check = client.get("/applications/apply/check/").content.decode()
        assert family in check, language
    send(client)
    client.cookies["django_language"] = "zh-hans"
    assert "</strong>：" in client.get("/applications/").content.decode()  # the start page's routes
    shown = (("zh-hans", "王芳（配偶，", "公安："), ("en", "王芳</span> (Spouse, ", "Police: "))
    for language, family, department in shown:
        client.cookies["django_language"] = language
        progress = client.get(f"/applications/{Application.objects.get().pk}/").content.decode()
        assert family in progress and department in progress, language


def member_key(client, index: int) -> str:
    """The key the family page names the member at `index` by (what a change or removal sends)."""
    page = client.get(f"/applications/apply/family/{index}/").content.decode()
    return re.search(r'name="member" value="([0-9a-f]+)"', page).group(1)


def remove_member(client, index: int, suffix: str = ""):
    return client.post(f"/applications/apply/family/{index}/remove/{suffix}", {"member": member_key(client, index)})


def change_member(client, index: int, data: dict):
    return client.post(f"/applications/apply/family/{index}/", {**data, "member": member_key(client, index)})


def test_family_members_add_change_remove_with_id_numbers_checked(citizen_web):
    client, _user = citizen_web
    fill_all(client)
    response = client.post(
        "/applications/apply/family/add/", {"relation": "spouse", "name": "王芳", "id_number": wrong_check(WANG_FANG)}
    )
    assert response.status_code == 200 and 'href="#id_id_number"' in response.content.decode()
    add = "/applications/apply/family/add/"
    response = client.post(add, {"relation": "spouse", "name": "王芳", "id_number": ZHANG_WEI})
    assert "cannot be the applicant&#x27;s own" in response.content.decode()
    assert (
        client.post(
            "/applications/apply/family/add/", {"relation": "spouse", "name": "王芳", "id_number": WANG_FANG}
        ).status_code
        == 302
    )
    # A second spouse, or a spouse under 20 (born 2015), is refused at this step, not at the end.
    second = client.post(add, {"relation": "spouse", "name": "李梅", "id_number": with_check("44030419900101123")})
    assert second.status_code == 200 and "List one spouse." in second.content.decode()
    remove_member(client, 0)
    young = client.post(add, {"relation": "spouse", "name": "李梅", "id_number": with_check("44030420150101124")})
    assert young.status_code == 200 and "at least 20 years old" in young.content.decode()
    assert client.post(add, {"relation": "spouse", "name": "王芳", "id_number": WANG_FANG}).status_code == 302
    child = with_check("44030420150101123")
    client.post("/applications/apply/family/add/", {"relation": "child", "name": "张小明", "id_number": child})
    response = client.post(add, {"relation": "child", "name": "又一个", "id_number": child})
    assert "already listed" in response.content.decode()
    family = client.get("/applications/apply/family/").content.decode()
    assert "王芳" in family and "张小明" in family and WANG_FANG not in family
    change_member(client, 0, {"relation": "spouse", "name": "王芳芳", "id_number": WANG_FANG})
    remove_member(client, 1)
    assert client.get("/applications/apply/family/1/").status_code == 404
    check = client.get("/applications/apply/check/").content.decode()
    assert "王芳芳" in check and "张小明" not in check
    send(client)
    assert [m.name for m in Application.objects.get().family_members.all()] == ["王芳芳"]


def test_a_family_members_name_is_kept_in_the_draft_as_it_will_be_stored(citizen_web):
    client, user = citizen_web
    fill_all(client)
    number = with_check("44030420150101123")
    typed = {"relation": "child", "name": " 阿卜杜拉 • 买买提 ", "id_number": number}
    client.post("/applications/apply/family/add/", typed)
    assert Draft.objects.get(user=user).data["family_members"][0]["name"] == "阿卜杜拉·买买提"
    assert "阿卜杜拉·买买提" in client.get("/applications/apply/family/").content.decode()


def test_remove_asks_first_and_only_the_answer_removes(citizen_web):
    """Remove sat 14 px from Change on a 320 px phone and removed at once (an outsider): its link now
    opens a question naming the member, and only its button removes."""
    client, user = citizen_web
    client.cookies["django_language"] = "zh-hans"
    fill_all(client, family={})
    client.post("/applications/apply/family/add/", {"relation": "spouse", "name": "王芳", "id_number": WANG_FANG})
    family = client.get("/applications/apply/family/?return=check").content.decode()
    link = re.search(r'href="(/applications/apply/family/0/remove/\?member=[0-9a-f]+&amp;return=check)"', family)
    question = client.get(link.group(1).replace("&amp;", "&"))
    html = question.content.decode()
    assert question.status_code == 200 and "确定要删除这位家庭成员吗？" in html
    assert "王芳（配偶，" in html and 'href="/applications/apply/family/?return=check"' in html
    assert len(Draft.objects.get(user=user).data["family_members"]) == 1
    answered = client.post(link.group(1).replace("&amp;", "&"), {"member": member_key(client, 0)})
    assert answered["Location"] == "/applications/apply/family/?return=check"
    assert Draft.objects.get(user=user).data["family_members"] == []
    # A question for a member no longer there goes back to the list and says why.
    stale = client.get(link.group(1).replace("&amp;", "&"), follow=True).content.decode()
    assert "同住亲属名单已在另一个窗口中更改" in stale


def test_a_change_or_removal_from_a_page_the_list_has_outgrown_changes_nothing(citizen_web):
    # An outsider removed a relative in one tab; the other tab's "remove 李小明" then removed the
    # next one, and its change overwrote another relative.
    client, user = citizen_web
    fill_all(client)
    child, sibling = with_check("44030420150101123"), with_check("44030419950101133")
    for relation, name, number in (("child", "张小明", child), ("sibling", "张华", sibling)):
        client.post("/applications/apply/family/add/", {"relation": relation, "name": name, "id_number": number})
    first_key, second_key = member_key(client, 0), member_key(client, 1)
    assert remove_member(client, 0).status_code == 302  # the other tab
    stale_removal = client.post("/applications/apply/family/0/remove/", {"member": first_key}, follow=True)
    assert "changed in another window" in stale_removal.content.decode()
    stale_change = client.post(
        "/applications/apply/family/0/", {"relation": "child", "name": "王六", "id_number": child, "member": first_key}
    )
    assert stale_change.status_code == 302
    assert Draft.objects.get(user=user).data["family_members"] == [
        {"relation": "sibling", "name": "张华", "id_number": sibling}
    ]
    assert client.post("/applications/apply/family/1/remove/", {"member": second_key}).status_code == 302
    assert len(Draft.objects.get(user=user).data["family_members"]) == 1


def test_service_errors_go_back_to_their_page_and_field(citizen_web, settings):
    client, _user = citizen_web
    fill_all(client)
    # A family member whose ID number turned bad in the draft, and a point closed meanwhile.
    draft = Draft.objects.get(user=_user)
    draft.data["family_members"] = [{"relation": "spouse", "name": "王芳", "id_number": "123"}]
    draft.data["acceptance_point"] = "NOPE"
    draft.save()
    response = send(client)
    html = response.content.decode()
    assert response.status_code == 400 and "error-summary" in html
    assert "/applications/apply/family/0/?return=check#id_id_number" in html
    assert "Family member 1: ID number: " in html
    assert "/applications/apply/point/?return=check#id_acceptance_point" in html
    assert not Application.objects.exists()
    point = client.get("/applications/apply/point/?return=check").content.decode()
    assert "Unknown acceptance point." in point and "Save and return to check your answers" in point
    family = client.get("/applications/apply/family/").content.decode()
    assert "王芳" in family and "error-summary" in family
    assert "error-message" in client.get("/applications/apply/family/0/").content.decode()
    client.post("/applications/apply/point/?return=check", {"acceptance_point": OTHER_POINT})
    remove_member(client, 0)
    assert send(client).status_code == 302
    assert Application.objects.get().acceptance_point_id == OTHER_POINT


def test_used_photo_receipt_refused_at_its_step_and_at_submission(citizen_web):
    client, _user = citizen_web
    other, _other_user = citizen_api("citizen2", "13812345699", "44030419900101555", "王芳")
    assert other.post("/api/v1/applications", theirs(photo_receipt="PZ20260302A1")).status_code == 201
    step = client.post("/applications/apply/photo/", {"photo_receipt": "pz20260302a1"}, **EN)
    assert step.status_code != 302 and "has been used for another application" in step.content.decode()
    # Used by someone else between its step and the submission: shown on its field then.
    fill_all(client, photo={"photo_receipt": "PZ20260302B2"})
    assert other.post(f"/api/v1/applications/{Application.objects.get().pk}/withdraw").status_code == 200
    assert other.post("/api/v1/applications", theirs(photo_receipt="PZ20260302B2")).status_code == 201
    html = send(client).content.decode()
    # Named by its field, as the steps' own pages name theirs (an outsider read the bare problem).
    assert "Digital photo receipt number: Already used for another application." in html
    assert "#id_photo_receipt" in html


def test_what_is_sent_is_what_the_check_page_showed(citizen_web):
    """An outsider confirmed a check page reading "pickup" after choosing the courier in another
    tab: the courier was sent. A page whose answers changed since is refused and shown again."""
    client, _user = citizen_web
    fill_all(client)
    page = client.get("/applications/apply/check/", **EN).content.decode()
    shown = re.search(r'name="answers" value="([0-9a-f]+)"', page).group(1)
    courier = {"method": "courier", "address": "深圳市龙华区民治街道民治大道 100 号"}
    assert client.post("/applications/apply/delivery/?return=check", courier).status_code == 302  # the other tab
    stale = client.post("/applications/apply/check/", {"answers": shown}, **EN)
    html = stale.content.decode()
    assert stale.status_code == 409 and "changed in another window" in html and "民治大道" in html
    assert not Application.objects.exists()
    assert client.post("/applications/apply/check/", {}).status_code == 409  # no page behind it: not sent
    assert send(client).status_code == 302
    assert Application.objects.get().delivery_method == "courier"


def test_open_application_is_a_clear_message_with_a_link(citizen_web):
    client, _user = citizen_web
    fill_all(client)
    send(client)
    first = Application.objects.get()
    # Said on the first page of the form, before anything is filled in.
    response = client.get("/applications/apply/kind/")
    html = response.content.decode()
    assert response.status_code == 409 and "You already have an application in progress" in html
    assert f'href="/applications/{first.pk}/"' in html and 'name="route"' not in html
    assert send(client).status_code == 409 and Application.objects.count() == 1
    # The pages that lead to applying lead to it instead (an outsider's "Start now" ended at the 409).
    start = words(client.get("/applications/").content.decode())
    assert f"You have an application in progress, {first.reference}: one application at a time." in start
    assert 'href="/applications/apply/"' not in start and f'href="/applications/{first.pk}/"' in start
    for page in ("/account/", "/applications/mine/"):
        assert 'href="/applications/"' not in client.get(page).content.decode(), page
    # In Chinese, no space between the sentence and its link (an outsider read "…申请。 查看申请进度").
    client.cookies["django_language"] = "zh-hans"
    assert "只能有一件申请。<a href=" in client.get("/applications/").content.decode()
    client.cookies["django_language"] = "en"
    assert "one application at a time. <a href=" in client.get("/applications/").content.decode()
    body = {"name": "张伟", "id_number": first.person.id_number, "route": "residence_employment"}
    checked = client.post("/account/eligibility/", body).content.decode()
    assert "You qualify on this route" in checked
    assert 'data-testid="apply-now"' not in checked and 'data-testid="open-application"' in checked


def test_progress_page_timeline_departments_withdraw(citizen_web):
    client, _user = citizen_web
    fill_all(client)
    send(client)
    application = Application.objects.get()
    url = f"/applications/{application.pk}/"
    raw = client.get(url).content.decode()
    html = words(raw)
    assert "Departments check your records" in html and "due by 2026-03-05" in html
    assert 'due by <span class="nowrap">2026-03-05</span>' in raw  # one line on a phone (an outsider)
    assert "Police" in html and "Pending" in html and "2026-03-23" in html
    account = client.get("/account/").content.decode()
    assert application.reference in account and "Nothing to do for now: the departments are checking" in account
    # Once every department has answered, the police decide: the line above the timeline says so, not
    # that the departments are still checking (an outsider's page said both at once).
    confirm_all(staff_apis(["police", "insurance"]), {"id": application.pk})
    reviewing = words(client.get(url).content.decode())
    assert "the police are reviewing your application" in reviewing and "departments are checking" not in reviewing
    confirm = client.get(url + "withdraw/").content.decode()
    assert "Are you sure" in confirm
    client.post(url + "withdraw/")
    application.refresh_from_db()
    assert application.status == "withdrawn"
    html = client.get(url).content.decode()
    assert "Not reached" in html and 'data-testid="withdraw"' not in html
    assert client.get(url + "withdraw/").status_code == 302


def test_refusal_shows_reasons_and_a_written_reply_can_be_asked(citizen_web, settings):
    client, _user = citizen_web
    staff = staff_apis(["police", "insurance", "reviewer"])
    fill_all(client)
    send(client)
    application = Application.objects.get()
    base = f"/api/v1/staff/applications/{application.pk}"
    staff.police.post(f"{base}/verify", {"department": "police", "outcome": "confirmed"})
    answer = {"department": "social_insurance", "outcome": "not_confirmed", "note": "断缴"}
    staff.insurance.post(f"{base}/verify", answer)
    assert staff.reviewer.post(f"{base}/reject", {"reasons": ["社保不连续"]}).status_code == 200
    url = f"/applications/{application.pk}/"
    html = client.get(url).content.decode()
    assert "社保不连续" in html and 'data-testid="ask-reply"' in html and "Not confirmed" in html
    assert "you can ask for a written reply" in words(html)
    client.post(url + "written-reply/")
    html = words(client.get(url).content.decode())
    assert "You asked for a written reply" in html and 'data-testid="ask-reply"' not in html
    assert "the written reply you asked for is on its way" in html
    assert "you can ask for a written reply" not in html
    assert 'data-testid="reply-overdue"' not in html
    # Asked on Mon 03-02, due Thu 03-05 (3 working days): flagged the day after, as every late
    # step is (an outsider's page said only that it was being dealt with, a month on).
    settings.FROZEN_TODAY = "2026-03-06"
    late = words(client.get(url).content.decode())
    assert "It is due by 2026-03-05." in late and 'data-testid="reply-overdue"' in late
    settings.FROZEN_TODAY = "2026-03-02"
    staff.reviewer.post(f"{base}/written-reply", {"text": "您的社保记录在 2025 年 6 月中断。"})
    html = words(client.get(url).content.decode())
    assert "2025 年 6 月中断" in html and "Read the reasons and the written reply below" in html
    assert "you can ask" not in html and "on its way" not in html


def test_steps_past_their_due_date_are_marked_and_the_card_said_late(citizen_web, settings):
    client, _user = citizen_web
    fill_all(client)
    send(client)
    url = f"/applications/{Application.objects.get().pk}/"
    on_time = words(client.get(url).content.decode())
    assert 'data-testid="overdue"' not in on_time and "Your card is due by 2026-03-23." in on_time
    # The departments' checks were due 2026-03-05 and the card 2026-03-23 (RULES §4, by hand).
    settings.FROZEN_TODAY = "2026-03-06"
    late = words(client.get(url).content.decode())
    step = late.split("Departments check your records", 1)[1].split("</li>", 1)[0]
    assert "due by 2026-03-05" in step and 'data-testid="overdue"' in step
    assert "Your card is due by 2026-03-23." in late
    staff = staff_apis(["police", "insurance", "reviewer"])
    base = f"/api/v1/staff/applications/{Application.objects.get().pk}"
    staff.police.post(f"{base}/verify", {"department": "police", "outcome": "confirmed"})
    staff.insurance.post(f"{base}/verify", {"department": "social_insurance", "outcome": "confirmed"})
    assert staff.reviewer.post(f"{base}/approve").json()["status"] == "approved"
    assert "Approved: your card is being made. Expected by 2026-03-23." in words(client.get(url).content.decode())
    settings.FROZEN_TODAY = "2026-03-24"
    client.cookies.clear()  # the remembered login of 2026-03-02 has ended: sign in again
    client.cookies["django_language"] = "en"
    assert web_login(client).status_code == 302
    later = words(client.get(url).content.decode())
    assert "Your card was due by 2026-03-23: the time limit has passed." in later
    assert "Your card is due by" not in later
    # Nor "expected by" that day above it (an outsider read both).
    assert "Approved: your card is being made. It was due by 2026-03-23 and is late." in later
    assert "Expected by" not in later


def awaiting_payment(client) -> tuple[Application, str]:
    """The citizen's application, fee-bearing (the fee set for the test before approval),
    approved and waiting for payment; and its page's path."""
    staff = staff_apis(["police", "insurance", "reviewer"])
    fill_all(client)
    send(client)
    application = Application.objects.get()
    Application.objects.filter(pk=application.pk).update(fee_amount="20.00", payment_status="awaiting")
    base = f"/api/v1/staff/applications/{application.pk}"
    staff.police.post(f"{base}/verify", {"department": "police", "outcome": "confirmed"})
    staff.insurance.post(f"{base}/verify", {"department": "social_insurance", "outcome": "confirmed"})
    staff.reviewer.post(f"{base}/approve")
    url = f"/applications/{application.pk}/"
    assert 'data-testid="pay"' in client.get(url).content.decode()
    return application, url


def test_payment_while_awaiting_payment_charges_once(citizen_web):
    client, _user = citizen_web
    application, url = awaiting_payment(client)
    page = client.get(url + "pay/").content.decode()
    key = page.split('name="idempotency_key" value="')[1].split('"')[0]
    for altered in ("a\x00b", "k" * 100_000):  # the hidden key altered: nothing paid, and said so
        told = client.post(url + "pay/", {"idempotency_key": altered}, follow=True).content.decode()
        assert "open it again to pay" in told
    assert not application.payments.exists()
    second_tab = client.get(url + "pay/").content.decode()
    other_key = second_tab.split('name="idempotency_key" value="')[1].split('"')[0]
    assert client.post(url + "pay/", {"idempotency_key": key}).status_code == 302
    assert client.post(url + "pay/", {"idempotency_key": key}).status_code == 302
    # The second tab's button: no second charge, and the page says it was already paid.
    told = client.post(url + "pay/", {"idempotency_key": other_key}, follow=True).content.decode()
    assert "already been paid" in told and "cannot be changed" not in told
    application.refresh_from_db()
    assert application.status == "approved" and application.payments.count() == 1
    assert 'data-testid="pay"' not in client.get(url).content.decode()
    # Back to the pay page after paying: the confirmation, not "nothing to pay" (an outsider).
    back = client.get(url + "pay/")
    assert back["Location"] == url + "paid/"
    assert "nothing to pay" not in client.get(back["Location"]).content.decode()


def test_past_the_15th_day_the_page_offers_no_payment(citizen_web):
    client, _user = citizen_web
    application, url = awaiting_payment(client)
    # Made 16 days older for the test: its pay-by day was yesterday, and the daily job has not run.
    due = dt.date(2026, 3, 1)
    Application.objects.filter(pk=application.pk).update(payment_due_on=due)
    page = client.get(url).content.decode()
    assert 'data-testid="pay"' not in page and f"The time to pay ended on {due.isoformat()}" in page
    assert "You may apply again." in words(page)  # what next, as its message says
    assert client.get(url + "pay/")["Location"] == url
    # The pay page, opened from the SMS, says why (an outsider was told there was nothing to pay).
    told = words(client.get(url + "pay/", follow=True).content.decode())
    assert "The time to pay ended on 2026-03-01: the application is terminated." in told
    assert "There is nothing to pay" not in told


def test_another_persons_application_is_not_found(citizen_web):
    client, _user = citizen_web
    other, _other_user = citizen_api("citizen2", "13812345699", "44030419900101555", "王芳")
    their_app = other.post("/api/v1/applications", theirs()).json()
    for suffix in ("", "submitted/", "withdraw/", "pay/", "receipt.pdf"):
        assert client.get(f"/applications/{their_app['id']}/{suffix}").status_code == 404
    assert client.post(f"/applications/{their_app['id']}/withdraw/").status_code == 404


@pytest.fixture
def newcomer_web(settings):
    """A verified citizen with no records (no registration: no point to recommend, not eligible),
    signed in on the web, pages in English."""
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen3", "13812345670")
    real_name_verify(user=user, name="李四", id_number=identity("44030419900101600", "李四"))
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    assert web_login(client, "citizen3", phone="13812345670").status_code == 302
    return client, user


def test_with_no_point_to_recommend_none_is_chosen_for_the_applicant(newcomer_web):
    """Without a current registration there is no default point: the list starts on an empty
    choice, and continuing without choosing says so (it used to pick the first point silently)."""
    client, user = newcomer_web
    page = client.get("/applications/apply/point/").content.decode()
    assert '<option value="" selected>Choose a point</option>' in page
    refused = client.post("/applications/apply/point/", {"acceptance_point": ""})
    assert refused.status_code == 200 and "Choose the acceptance point." in refused.content.decode()
    assert "acceptance_point" not in (selectors.draft_of(user) or {})


def test_check_your_answers_warns_before_sending_when_the_records_do_not_qualify(newcomer_web):
    """A person the records do not qualify is warned on the check page, with the unmet
    conditions, before sending; sent all the same, the confirmation promises no card date."""
    client, _user = newcomer_web
    fill_all(client, point={"acceptance_point": OTHER_POINT})
    check = client.get("/applications/apply/check/").content.decode()
    assert 'data-testid="not-eligible-warning"' in check
    assert "you do not qualify yet" in check and "No current residence registration in Shenzhen." in check
    response = send(client)
    done = client.get(response["Location"]).content.decode()
    assert "If your application is approved, your card is due by" in done


def test_check_your_answers_says_nothing_when_the_records_qualify(citizen_web):
    client, _user = citizen_web
    fill_all(client)
    assert 'data-testid="not-eligible-warning"' not in client.get("/applications/apply/check/").content.decode()


def test_a_reason_typed_for_another_kind_is_not_kept(citizen_web):
    # An outsider typed why for an exchange, was refused (no permit), chose a first application,
    # and the check page still said "证件情况说明 证件损坏".
    client, _user = citizen_web
    refused = client.post("/applications/apply/kind/", {"kind": "exchange", "route": "talent", "reason": "证件损坏"})
    assert refused.status_code == 200
    client.post("/applications/apply/kind/", {"kind": "first", "route": "talent", "reason": "证件损坏"})
    assert "证件损坏" not in client.get("/applications/apply/kind/").content.decode()


def test_a_departments_provisional_due_date_is_marked_so(citizen_web, settings):
    """An outsider's page marked the step's date provisional, not the departments' own (2027's
    schedule unpublished: 3 working days from 2026-12-30 end in it)."""
    client, _user = citizen_web
    settings.FROZEN_TODAY = "2026-12-30"
    client.cookies.clear()  # the remembered login of 2026-03-02 has ended: sign in again
    client.cookies["django_language"] = "en"
    assert web_login(client).status_code == 302
    fill_all(client)
    sent = send(client)
    html = client.get(f"/applications/{Application.objects.get().pk}/").content.decode()
    checks = html.split('data-testid="verifications"', 1)[1].split("</ul>", 1)[0]
    assert checks.count("provisional") == checks.count("<li>") == 2
    # The confirmation page too (an outsider's said "by 2027-10-20" where the progress page said
    # "provisional"): 3 working days from 2026-12-30 are 2026-12-31, 2027-01-04 and 2027-01-05 by
    # the guessed 2027 calendar (New Year's Day, a Friday, off).
    done = client.get(sent["Location"]).content.decode()
    assert (
        "The departments check your records by 2027-01-05 (provisional: the holiday calendar of that year is "
        "not yet published)." in done
    )


def test_the_delivery_step_says_how_an_address_is_written_before_refusing_one(citizen_web):
    """An outsider typed an English address and learnt only from the refusal that it is written in
    Chinese, starting with its district."""
    client, _user = citizen_web
    page = client.get("/applications/apply/delivery/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        'in Chinese characters, starting with its district (for example <span lang="zh-CN">福田区福华路 8 号</span>)'
        in page
    )
    # And the refusal's own example, in the error summary and at the field (an outsider's was unmarked).
    refused = client.post(
        "/applications/apply/delivery/",
        {"method": "courier", "address": "12 Fuhua Road, Futian"},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    summary = refused.split('class="error-summary"', 1)[1].split("</ul>", 1)[0]
    field = refused.split('class="error-message"', 1)[1].split("</p>", 1)[0]
    assert (
        '<span lang="zh-CN">福田区福华路 8 号</span>' in summary
        and '<span lang="zh-CN">福田区福华路 8 号</span>' in field
    )
    client.cookies["django_language"] = "zh-hans"
    assert "用中文填写，并以所在区开头" in client.get("/applications/apply/delivery/").content.decode()


def test_chinese_inside_english_hints_and_messages_is_marked_for_a_screen_reader(citizen_web):
    """An outsider's screen reader read "(for example 张伟)", a message's name and the family
    step's 同住亲属 with the English voice (WCAG 3.1.2)."""
    client, _user = citizen_web
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    delivery = client.get("/applications/apply/delivery/", **en).content.decode()
    assert '(for example <span lang="zh-CN">福田区福华路 8 号</span>)' in delivery
    family = client.get("/applications/apply/family/", **en).content.decode()
    assert '(<span lang="zh-CN">同住亲属</span>)' in family
    messages = client.get("/account/messages/", **en).content.decode()
    assert 'Your account is now verified as <span lang="zh-CN">张伟</span>.' in messages
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/applications/apply/delivery/").content.decode()
    assert '<span lang="zh-CN">' not in chinese.split("<main", 1)[1].split("</main>", 1)[0]
    from django.utils import translation

    from residence.web.templatetags.lang import zh_runs

    with translation.override("en"):
        assert (
            zh_runs("<b>王芳</b> 8 号")
            == '&lt;b&gt;<span lang="zh-CN">王芳</span>&lt;/b&gt; 8 <span lang="zh-CN">号</span>'
        )
        assert zh_runs("福田区福华路 8 号。") == '<span lang="zh-CN">福田区福华路 8 号。</span>'


def test_a_refused_applicant_reads_a_short_title_and_the_reason_below_it(settings):
    """An outsider's Hong Kong resident read a thirty-word sentence as the page's title."""
    from .idnumbers import HONG_KONG

    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("hongkong1", "13812340078")
    real_name_verify(user=user, name="陳大文", id_number=identity(HONG_KONG[:17], "陳大文"))
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    assert web_login(client, "hongkong1", phone="13812340078").status_code == 302
    html = client.get("/applications/apply/kind/").content.decode()
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("You cannot do this here – ") and "Hong Kong" not in title
    reason = html.split('data-testid="error-message">', 1)[1].split("</p>", 1)[0]
    assert "Residence Permit for Hong Kong, Macao and Taiwan Residents" in reason
