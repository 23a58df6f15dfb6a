"""The staff desk's application pages through Django's test client: each role's queue and
action, counter intake, the refusals of role and scope, a 409 when two act, the dashboard."""

import datetime as dt
import io
import re

import pypdf
import pytest
from django.utils import translation

from residence.accounts.models import User
from residence.accounts.services import staff_create
from residence.applications.models import Application, Deadline
from residence.applications.payments import application_pay
from residence.applications.services import application_act, application_verify
from residence.audit.models import AuditEvent
from residence.audit.services import person_index
from residence.notifications.catalogue import render_message
from residence.notifications.models import Message
from residence.places.models import AcceptancePoint

from .applications import HOME_POINT, STAFF, application_body, citizen_api, eligible_records, live_permit, staff_member
from .conftest import PASSWORD, CommittingClient
from .idnumbers import ZHANG_WEI, with_check, wrong_check
from .test_web import web_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, _user = citizen_api()
    eligible_records()
    return api


def desk(key):
    """A signed-in web client of one staff role (tests/applications.py's STAFF)."""
    staff_member(key, "desk")
    return signed_in_again(key)


def signed_in_again(key):
    """A staff member's new web login: theirs end when idle, so a test moving the date on
    signs them in again."""
    client = CommittingClient(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    response = web_login(client, f"desk_{key}", phone=STAFF[key][1], remember=True)
    assert response.status_code == 302, response.content
    return client


@pytest.fixture
def staff(world):
    return {key: desk(key) for key in STAFF}


def submit(api, **extra):
    response = api.post("/api/v1/applications", application_body(**extra))
    assert response.status_code == 201, response.content
    return response.json()["id"]


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:2000]
    return response.content.decode()


def post(client, url, data=None, status=302):
    response = client.post(url, data or {})
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def status_of(pk):
    return Application.objects.get(pk=pk).status


def through_verification(staff, pk, note=""):
    post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed", "note": note})
    post(staff["insurance"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed", "note": note})
    assert status_of(pk) == "reviewing"


def test_the_whole_journey_through_the_desk_pages(world, staff):
    pk = submit(world)
    reference = Application.objects.get(pk=pk).reference

    # The verifier's queue: sorted by due date, ID masked; the page shows the records beside the claim.
    queue = page(staff["police"], "/staff/applications/")
    assert reference in queue
    assert ZHANG_WEI not in queue and ZHANG_WEI[:6] + "********" + ZHANG_WEI[-4:] in queue
    detail = page(staff["insurance"], f"/staff/applications/{pk}/")
    assert "Social insurance months" in detail and "14 months on record" in detail
    assert AuditEvent.objects.filter(type="personal_data_viewed", data__application=reference).exists()
    police = page(staff["police"], f"/staff/applications/{pk}/")
    assert "Residence registrations" in police and "福田路 1 号" in police
    police_answered = post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed"})
    # Answered, the case leaves the verifier's sight: the confirmation is shown on the queue.
    assert police_answered["Location"] == "/staff/applications/"
    assert "The answer of your department is recorded." in page(staff["police"], police_answered["Location"])
    page(staff["police"], f"/staff/applications/{pk}/", status=403)
    assert "Social insurance months" in page(staff["insurance"], f"/staff/applications/{pk}/")
    post(staff["insurance"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed"})
    assert status_of(pk) == "reviewing"
    page(staff["insurance"], f"/staff/applications/{pk}/", status=403)

    assert reference in page(staff["reviewer"], "/staff/applications/")
    reviewed = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert reviewed.count('<td data-label="Answer">Confirmed</td>') == 2
    response = post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    # Nothing more for the reviewer: on to the queue, the case named (an outsider's reviewer was left
    # on a page saying there was nothing to do, and went back by hand after every case).
    assert response["Location"] == "/staff/applications/"
    assert f"{reference}: The application is approved." in page(staff["reviewer"], response["Location"])

    # What the card prints, with the ID number in full (an outsider's production desk had only a masked one).
    to_make = page(staff["production"], f"/staff/applications/{pk}/")
    id_number = Application.objects.get(pk=pk).person.id_number
    assert 'data-testid="card-data"' in to_make and id_number in to_make and "福田路 1 号" in to_make
    made = post(staff["production"], f"/staff/applications/{pk}/produce/")
    assert made["Location"] == f"/staff/applications/{pk}/"  # the dispatch is next, on the same page
    number = Application.objects.get(pk=pk).permit_number
    assert number and number in page(staff["production"], f"/staff/applications/{pk}/")
    dispatched = post(staff["production"], f"/staff/applications/{pk}/dispatch/")
    assert status_of(pk) == "dispatched"
    # The point named in the reader's language first, as the other pages name it (an outsider's
    # English page said only 福田街道办事处居住证受理点).
    said = re.sub(r"<[^>]+>", "", page(staff["production"], dispatched["Location"]))
    assert "It is on its way to Street office, Futian Subdistrict · 福田街道办事处居住证受理点." in said
    assert 'data-testid="card-data"' not in page(staff["production"], f"/staff/applications/{pk}/")

    clerk = staff["clerk"]
    assert reference in page(clerk, "/staff/applications/")
    # Found by a scanned receipt QR (the verify URL), by reference, by ID number.
    found = clerk.post("/staff/applications/find/", {"q": f"http://x/api/v1/receipts/{reference}/verify"})
    assert found.status_code == 302 and found["Location"].endswith(f"/{pk}/")
    assert clerk.post("/staff/applications/find/", {"q": reference.lower()})["Location"].endswith(f"/{pk}/")
    assert clerk.post("/staff/applications/find/", {"q": ZHANG_WEI})["Location"].endswith(f"/{pk}/")
    # As a Chinese input method types them, or with other scripts' digits (an outsider's clerk was
    # told the applicant had no application).
    wide = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    arabic = {ord(c): 0x0660 + int(c) for c in "0123456789"}
    for typed in (ZHANG_WEI.translate(wide), reference.translate(wide), ZHANG_WEI.translate(arabic)):
        assert clerk.post("/staff/applications/find/", {"q": typed})["Location"].endswith(f"/{pk}/"), typed
    assert clerk.post("/staff/applications/find/", {"q": "SZ000000XXXXXX"}).status_code == 404
    # A number with a slip in it is said to be wrong, as the intake form says it, not "no application"
    # (an outsider's clerk would have sent the person away); nothing about a person was asked.
    slip = clerk.post("/staff/applications/find/", {"q": wrong_check(ZHANG_WEI)})
    assert slip.status_code == 400 and "The check character of this ID number is wrong." in slip.content.decode()
    for dropped_or_doubled in (ZHANG_WEI[:-1], ZHANG_WEI + "5"):  # and a digit too few or too many
        slip = clerk.post("/staff/applications/find/", {"q": dropped_or_doubled})
        assert slip.status_code == 400 and "17 digits" in slip.content.decode(), dropped_or_doubled
    # Another point's clerk is answered as for no application at all, and the search by ID number
    # is on record either way (an outsider's clerk probed who had applied elsewhere, unrecorded).
    searches = AuditEvent.objects.filter(type="personal_data_viewed", data__what="application_search")
    assert searches.count() == 3
    elsewhere = staff["other_clerk"].post("/staff/applications/find/", {"q": ZHANG_WEI})
    nobody = staff["other_clerk"].post("/staff/applications/find/", {"q": with_check("11010519491231002")})
    assert elsewhere.status_code == nobody.status_code == 404
    assert "another acceptance point" not in elsewhere.content.decode()
    assert searches.count() == 5
    # A supervisor, who reads every application, finds one named in an escalation.
    assert 'data-testid="find-link"' in page(staff["supervisor"], "/staff/applications/dashboard/")
    assert staff["supervisor"].post("/staff/applications/find/", {"q": reference})["Location"].endswith(f"/{pk}/")
    # The other roles find one of their work by reference or receipt, from their queue (an outsider's
    # verifier paged nine pages of 50 to reach one): not by ID number, nor outside their work.
    production = staff["production"]
    assert "Reference or receipt QR code" in page(production, "/staff/applications/")
    scanned = {"q": f"http://x/api/v1/receipts/{reference}/verify"}
    assert production.post("/staff/applications/find/", scanned)["Location"].endswith(f"/{pk}/")
    by_number = production.post("/staff/applications/find/", {"q": ZHANG_WEI})
    assert (
        by_number.status_code == 404 and "No application of your work has this reference." in by_number.content.decode()
    )
    assert searches.count() == 5  # no search about a person on record
    assert (
        staff["police"].post("/staff/applications/find/", {"q": reference}).status_code == 404
    )  # answered: not its work
    # A search by GET does nothing: an ID number in a URL stays in the history and the logs.
    by_get = clerk.get("/staff/applications/find/", {"q": ZHANG_WEI})
    assert by_get.status_code == 200 and "error-summary" not in by_get.content.decode()
    post(clerk, f"/staff/applications/{pk}/receive/")
    assert status_of(pk) == "ready_for_pickup"
    hand_over = page(clerk, f"/staff/applications/{pk}/")
    assert f"/staff/applications/{pk}/form/" in hand_over
    assert "Print the application form (PDF, in Chinese)" in hand_over  # as the citizen's links say
    pdf = clerk.get(f"/staff/applications/{pk}/form/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # At hand-over the numbers in full, to check against the ID card.
    assert ZHANG_WEI in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    # Without the checks: the page says what is missing, nothing changes.
    missing = post(clerk, f"/staff/applications/{pk}/hand-over/", {"identity_checked": "on"}, status=400)
    assert "signs the printed application form" in missing.content.decode()
    # Said where the page opens too, with a link down to the form (an outsider, without JavaScript).
    top = missing.content.decode().split('data-testid="form-errors">', 1)[1].split("</div>", 1)[0]
    assert '<a href="#actions-title">' in top and 'id="actions-title"' in missing.content.decode()
    assert 'data-testid="form-errors"' not in hand_over
    assert status_of(pk) == "ready_for_pickup"
    post(clerk, f"/staff/applications/{pk}/hand-over/", {"identity_checked": "on", "signed": "on"})
    assert status_of(pk) == "completed"


def test_a_stale_answer_with_a_form_error_is_told_the_check_was_answered_not_that_it_is_not_theirs(world, staff):
    """An outsider's verifier sent "not confirmed" with no note from a page left open after the
    colleague's answer had moved the case on, and read a 403: none of the department's work."""
    pk = submit(world)
    post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed", "note": "住址不符"})
    stale = post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed"}, status=409)
    assert "This application is not waiting for your department&#x27;s check" in stale.content.decode()
    assert status_of(pk) == "reviewing"


def test_an_overdue_message_leads_a_supervisor_to_the_audit_trail_and_a_verifier_to_the_queue(world, staff):
    """An outsider's supervisor was told of 23 overdue steps, named 20, and found no list of the rest:
    the supervisor's queue is empty; the trail's escalation events name every one."""
    from residence.notifications.services import message_send

    for key in ("supervisor", "police"):
        user = User.objects.get(username=f"desk_{key}")
        message_send(user=user, key="deadline_overdue", count=23, references="SZ1、SZ2、…")
    assert 'href="/staff/audit/" data-testid="message-link"' in page(staff["supervisor"], "/account/messages/")
    assert 'href="/staff/applications/" data-testid="message-link"' in page(staff["police"], "/account/messages/")
    # What a screen reader hears after each link and button: one punctuation, the page's own.
    police = staff["police"]
    police.cookies["django_language"] = "zh-hans"
    html = page(police, "/account/messages/")
    police.cookies["django_language"] = "en"
    assert html.count('<span class="visually-hidden">：') == 2 and '<span class="visually-hidden">: ' not in html


def test_a_staff_members_refused_look_is_recorded_and_a_citizens_is_not(world, staff):
    """An outsider's clerk probed another point's applications by id, page and API alike, and the
    audit trail held nothing of it."""
    from .conftest import Api

    pk = submit(world)
    page(staff["other_clerk"], f"/staff/applications/{pk}/", status=403)
    api = Api(address="10.3.9.1").login("desk_other_clerk", phone=STAFF["other_clerk"][1], remember=True)
    assert api.get(f"/api/v1/staff/applications/{pk}").status_code == 403
    assert world.get(f"/api/v1/staff/applications/{pk}").status_code == 403  # a citizen's: not staff
    refused = AuditEvent.objects.filter(type="access_refused").order_by("id")
    assert [(e.actor.username, e.data["path"]) for e in refused] == [
        ("desk_other_clerk", f"/staff/applications/{pk}/"),
        ("desk_other_clerk", f"/api/v1/staff/applications/{pk}"),
    ]


def test_a_note_is_required_when_not_confirmed_and_the_reviewer_refuses_with_reasons(world, staff):
    pk = submit(world)
    response = post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed"}, status=400)
    assert "Say what could not be confirmed." in response.content.decode()
    post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed", "note": "住址不符"})
    assert status_of(pk) == "reviewing"
    detail = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert "can only be refused" in detail and 'data-testid="act-approve"' not in detail
    empty = post(staff["reviewer"], f"/staff/applications/{pk}/reject/", {}, status=400)
    assert "Give at least one reason" in empty.content.decode()
    # An outsider's thirty lines were all taken, and a NUL was refused with no word at the field.
    thirty = "\n".join(f"理由{i}" for i in range(30))
    too_many = post(staff["reviewer"], f"/staff/applications/{pk}/reject/", {"other": thirty}, status=400)
    assert "Give at most 20 reasons." in too_many.content.decode()
    nul = post(staff["reviewer"], f"/staff/applications/{pk}/reject/", {"other": "a\x00b"}, status=400)
    assert 'class="field field-error"' in nul.content.decode() and "error-message" in nul.content.decode()
    # The box's hint and error are announced: every id its aria-describedby names is on the page.
    described = re.search(r'<textarea[^>]*aria-describedby="([^"]+)"', nul.content.decode()).group(1).split()
    assert described and all(f'id="{target}"' in nul.content.decode() for target in described)
    # A hidden separator is no line break: one reason refused at the box, not four clean ones.
    for hidden in ("材料\x1c不全\x85照片\x0b模糊", "材料\u2028不全"):
        refused = post(staff["reviewer"], f"/staff/applications/{pk}/reject/", {"other": hidden}, status=400)
        html = refused.content.decode()
        assert 'href="#id_other"' in html and "hidden formatting" in html
    # Each problem named by its line of the box, ticked reasons before it not counted (an outsider's
    # reviewer could not find the line with an invisible character).
    lines = {"reasons": ["0"], "other": "材料不全\n\n照片\u200b模糊\n" + "长" * 501}
    html = post(staff["reviewer"], f"/staff/applications/{pk}/reject/", lines, status=400).content.decode()
    assert "Line 3: Remove hidden formatting" in html and "Line 4: A reason is at most 500" in html
    assert status_of(pk) == "reviewing"
    # Twenty reasons of 500 characters fit the box; the same reason twice, however it ends, is one.
    longest = "\n".join(f"{i:02d}" + "长" * 498 for i in range(16))
    post(
        staff["reviewer"],
        f"/staff/applications/{pk}/reject/",
        {"reasons": ["0", "4"], "other": f"{longest}\n材料不全。\n\n材料不全；\n- 照片不合格"},
    )
    application = Application.objects.get(pk=pk)
    assert application.status == "rejected" and len(application.decision_reasons) == 20
    assert application.decision_reasons[-2:] == ["材料不全。", "- 照片不合格"]
    # The applicant asks for a written reply; the reviewer records it from the page.
    assert world.post(f"/api/v1/applications/{pk}/written-reply").status_code == 201
    assert "Record the written reply" in page(staff["reviewer"], f"/staff/applications/{pk}/")
    post(staff["reviewer"], f"/staff/applications/{pk}/written-reply/", {"text": "书面答复内容"})
    assert Application.objects.get(pk=pk).reply_text == "书面答复内容"
    # Both are in the case's history, which staff read to follow it (an outsider's stopped at the refusal).
    history = page(staff["reviewer"], f"/staff/applications/{pk}/").split("<h2>History</h2>")[1]
    asked, sent = history.find("Written reply asked for"), history.find("Written reply sent")
    # "Refused", as RULES §4 and the applicant's messages say it (an outsider's page said "Rejected" too).
    assert 0 <= history.find("Refused") < asked < sent and "2026-03-02" in history[asked:]
    assert "Rejected" not in page(staff["reviewer"], f"/staff/applications/{pk}/")


def test_a_common_reason_is_shown_in_the_readers_language_and_a_written_one_as_written(world, staff):
    """An outsider's English pages showed a ticked reason as the Chinese reviewer's page said it."""
    pk = submit(world)
    post(staff["insurance"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed", "note": "断缴"})
    assert status_of(pk) == "reviewing"  # the police check still pending
    reviewer = staff["reviewer"]  # on the English desk: a ticked reason is recorded in the platform's language
    post(reviewer, f"/staff/applications/{pk}/reject/", {"reasons": ["1"], "other": "照片模糊"})
    application = Application.objects.get(pk=pk)
    assert application.decision_reasons == ["社会保险缴纳月数未达到规定要求。", "照片模糊"]
    assert application.history.last().note == "社会保险缴纳月数未达到规定要求；照片模糊"
    chinese_api = world.get(f"/api/v1/applications/{pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese_api["decision"]["reasons"] == application.decision_reasons
    # An English client reads the common reason in English, in the history's note too (an outsider's
    # read them in Chinese); the written one as written.
    english_api = world.get(f"/api/v1/applications/{pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    common = "The social insurance contributions do not cover the required months."
    assert english_api["decision"]["reasons"] == [common, "照片模糊"]
    assert english_api["history"][-1]["note"] == common.rstrip(".") + "; 照片模糊"
    # The applicant's message shows the common reason in its reader's language, when it is read.
    message = Message.objects.get(key="application_rejected")
    with translation.override("en"):
        assert (
            "Reasons: The social insurance contributions do not cover the required months; 照片模糊."
            in (render_message(message.key, message.params)[1])
        )
    with translation.override("zh-hans"):
        assert "理由：社会保险缴纳月数未达到规定要求；照片模糊。" in render_message(message.key, message.params)[1]
    reviewer.cookies["django_language"] = "zh-hans"
    chinese = page(reviewer, f"/staff/applications/{pk}/")
    assert "<li>社会保险缴纳月数未达到规定要求。</li><li>照片模糊</li>" in chinese
    # One word for the decision on the page: status, outcome and message alike.
    assert "不予批准" in chinese and "不予办理" not in chinese
    reviewer.cookies["django_language"] = "en"
    english = page(reviewer, f"/staff/applications/{pk}/")
    # The police check nobody answered once the case was refused (an outsider read it as still to do).
    assert re.search(r'data-label="Answer">Pending \(no longer needed\)</td>', english)
    assert (
        "<li>The social insurance contributions do not cover the required months.</li>"
        '<li><span lang="zh-CN">照片模糊</span></li>'
    ) in english
    # The history's note of the refusal too, on the staff page and the applicant's.
    history = english.split('class="timeline"')[1]
    assert "The social insurance contributions do not cover the required months; " in history
    assert "社会保险缴纳月数未达到规定要求" not in history


def test_the_desk_flags_an_applicant_the_records_now_show_with_shenzhen_hukou(world, staff):
    """An outsider's applicant took Shenzhen hukou after applying; the desk showed only the
    self-check made at submission, and the case went on to approval unflagged."""
    from .test_account_changes import identity

    pk = submit(world)
    assert "needs no residence permit" not in page(staff["police"], f"/staff/applications/{pk}/")
    identity("43010219900307123", "张伟", shenzhen_hukou="1")
    hukou = re.search(r'data-testid="records-hukou">(.*?)</dd>', page(staff["police"], f"/staff/applications/{pk}/"))
    assert "Yes" in hukou.group(1) and "A Shenzhen hukou holder needs no residence permit" in hukou.group(1)
    # The police confirm what the records no longer bear out only with a note saying what on.
    bare = post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed"}, status=400)
    assert "The records shown do not bear out this claim" in bare.content.decode()
    # Nor can it be approved (RULES §2): an outsider's went through approval to an active card.
    through_verification(staff, pk, note="户籍待核实")
    approve = staff["reviewer"].post(f"/staff/applications/{pk}/approve/")
    assert approve.status_code == 409 and "now show Shenzhen hukou" in approve.content.decode()
    assert Application.objects.get(pk=pk).status == "reviewing"


def test_two_acting_on_the_same_item_the_second_sees_a_409_message(world, staff):
    pk = submit(world)
    through_verification(staff, pk)
    second = desk_second_reviewer()
    post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    late = post(second, f"/staff/applications/{pk}/approve/", status=409)
    html = late.content.decode()
    assert "Not done" in html and "Approved" in html and 'role="alert"' in html


def desk_second_reviewer():
    staff_create(
        username="desk_reviewer2", password=PASSWORD, phone="13900001099", role="reviewer", department="police"
    )
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    web_login(client, "desk_reviewer2", phone="13900001099")
    return client


def test_role_and_scope_refusals_are_403_pages(world, staff):
    pk = submit(world)
    # A verifier of a department the application does not need; a clerk of another point.
    assert "not in your point" in page(staff["education"], f"/staff/applications/{pk}/", status=403)
    post(staff["education"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed"}, status=403)
    page(staff["other_clerk"], f"/staff/applications/{pk}/", status=403)
    page(staff["other_clerk"], f"/staff/applications/{pk}/receipt/", status=403)
    assert staff["other_clerk"].post("/staff/applications/find/", {"q": ZHANG_WEI}).status_code == 404
    # A role that may not make the move: the page says so, with 403, nothing changes.
    refused = post(staff["courier"], f"/staff/applications/{pk}/approve/", status=403)
    assert "You do not have permission to do this." in refused.content.decode()
    assert status_of(pk) == "accepted"
    # Nor may the courier or the production centre read an application that has not reached them.
    assert "not in your point" in page(staff["courier"], f"/staff/applications/{pk}/", status=403)
    assert "not in your point" in page(staff["production"], f"/staff/applications/{pk}/", status=403)
    # A verifier whose department had its say is told so, not that the application was never its
    # department's (an outsider's police verifier, after social insurance had not confirmed).
    post(staff["insurance"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed", "note": "无缴费记录"})
    over = page(staff["police"], f"/staff/applications/{pk}/", status=403)
    assert "check of this application is over (status: Under police review)" in over
    page(staff["courier"], "/staff/applications/new/", status=403)
    page(staff["clerk"], "/staff/applications/dashboard/", status=403)
    # A citizen at the desk.
    citizen = CommittingClient()
    web_login(citizen)
    citizen.cookies["django_language"] = "en"
    page(citizen, "/staff/applications/", status=403)
    post(citizen, f"/staff/applications/{pk}/approve/", status=403)
    # The illegal move by the right role: 409 on the page.
    post(staff["production"], f"/staff/applications/{pk}/produce/", status=409)


def intake_data(**extra):
    """The counter's intake form for 李四, as the page sends it, with its ten family rows empty."""
    return {
        "name": "李四",
        "id_number": "11010519491231002X",
        "phone": "13700001111",
        "kind": "first",
        "route": "residence_employment",
        "acceptance_point": HOME_POINT,
        "delivery_method": "pickup",
        "delivery_address": "",
        "family-TOTAL_FORMS": "10",
        "family-INITIAL_FORMS": "0",
        **extra,
    }


def test_the_acceptance_page_marks_a_due_date_in_an_unpublished_year_provisional(world, staff, settings):
    """Accepted on Monday 21 December 2026, 15 working days on fall in 2027, whose holidays are not
    published yet: 2027-01-12 by weekdays alone (an outsider's count), shown provisional as on the
    receipt (the confirmation page the clerk reads out had dropped the mark)."""
    settings.FROZEN_TODAY = "2026-12-21"
    clerk = signed_in_again("clerk")
    data = intake_data(photo_receipt="PV20261221", materials_checked="on", portrait_captured="on")
    done = post(clerk, "/staff/applications/new/", data)
    accepted = page(clerk, done["Location"])
    due = re.search(r'data-testid="due-date">(.*?)</dd>', accepted, re.S).group(1)
    assert "2027-01-12" in due and "(provisional)" in due


def test_the_department_checks_due_in_an_unpublished_year_are_marked_provisional(world, staff, settings):
    """Accepted on 31 December 2026, the checks' 3 working days end in 2027 (2027-01-06, 1 January
    taken as a holiday): the deadlines table said "provisional", the checks' own table beside it
    did not (an outsider)."""
    settings.FROZEN_TODAY = "2026-12-31"
    clerk = signed_in_again("clerk")
    data = intake_data(photo_receipt="PV20261231", materials_checked="on", portrait_captured="on")
    post(clerk, "/staff/applications/new/", data)
    shown = page(clerk, f"/staff/applications/{Application.objects.get().pk}/")
    dues = re.findall(r'data-testid="verification-due">(.*?)</td>', shown, re.S)
    assert dues and all("2027-01-06" in due and "(provisional)" in due for due in dues), dues


def test_an_english_desk_names_the_point_by_its_kind_and_street_everywhere(world, staff):
    """An outsider's English desk named the point "Street office, Futian Subdistrict · 福田街道办事处…"
    in the intake's list and in Chinese only on the accepted page, the queue, the application and
    the dashboard."""
    named = 'Street office, Futian Subdistrict · <span lang="zh-CN">福田街道办事处居住证受理点</span>'
    clerk = staff["clerk"]
    data = intake_data(photo_receipt="PV20260302", materials_checked="on", portrait_captured="on")
    accepted = page(clerk, post(clerk, "/staff/applications/new/", data)["Location"])
    pk = Application.objects.get().pk
    for shown in (
        accepted,
        page(clerk, "/staff/applications/"),
        page(clerk, f"/staff/applications/{pk}/"),
        page(clerk, "/staff/"),
        page(staff["supervisor"], "/staff/applications/dashboard/"),
    ):
        assert named in shown


def test_the_clerk_checks_the_records_before_accepting(world, staff):
    """An outsider's clerk learnt that the applicant met no condition only once the application was
    recorded: the check comes first, what was typed kept, nothing recorded but the look."""
    clerk = staff["clerk"]
    assert 'data-testid="check-records"' in page(clerk, "/staff/applications/new/")
    checked = post(clerk, "/staff/applications/new/", {**intake_data(), "check": "1"}, status=200).content.decode()
    said = re.search(r'data-testid="intake-check">(.*?)</div>', checked, re.S).group(1)
    assert "does not meet the conditions" in said and "not in the population records" in said
    assert 'value="11010519491231002X"' in checked and "return them before accepting" not in checked
    met = {**intake_data(), "name": "张伟", "id_number": ZHANG_WEI, "check": "1"}  # world's eligible records
    assert (
        "meets the conditions of the route claimed"
        in post(clerk, "/staff/applications/new/", met, status=200).content.decode()
    )
    wrong = post(clerk, "/staff/applications/new/", {**met, "id_number": ZHANG_WEI[:-1] + "0"}, status=400)
    assert 'data-testid="records-check"' not in wrong.content.decode()
    assert not Application.objects.exists()
    looks = AuditEvent.objects.filter(type="personal_data_viewed", data__what="intake_records_check")
    assert looks.count() == 2 and looks.filter(person_index=person_index(ZHANG_WEI)).count() == 1
    # What would refuse the intake itself is said too (an outsider's check said "meets the
    # conditions" of a person with an application in progress).
    reference = Application.objects.get(pk=submit(world)).reference
    blocked = post(clerk, "/staff/applications/new/", met, status=200).content.decode()
    said = re.search(r'data-testid="intake-blockers">(.*?)</div>', blocked, re.S).group(1)
    assert f"already has an application in progress: {reference}" in said
    exchange = post(clerk, "/staff/applications/new/", {**met, "kind": "exchange"}, status=200).content.decode()
    assert "The applicant holds no residence permit to exchange or replace" in exchange
    assert staff["police"].post("/staff/applications/new/", met).status_code == 403


def test_the_clerk_is_warned_of_a_mobile_verified_as_another_persons(world, staff):
    """An outsider's counter applicant gave 张伟's bound number: the refusal's reasons went to him."""
    clerk = staff["clerk"]
    theirs = {**intake_data(), "phone": "138 1234 5678", "check": "1"}  # citizen1 张伟's, typed in groups
    warned = post(clerk, "/staff/applications/new/", theirs, status=200).content.decode()
    assert 'data-testid="intake-caution"' in warned and "belongs to the account of another person" in warned
    own = {**theirs, "name": "张伟", "id_number": ZHANG_WEI}
    assert (
        'data-testid="intake-caution"' not in post(clerk, "/staff/applications/new/", own, status=200).content.decode()
    )
    taken = {
        **intake_data(phone="13812345678", photo_receipt="PZWARN0001"),
        "materials_checked": "on",
        "portrait_captured": "on",
    }
    accepted = page(clerk, post(clerk, "/staff/applications/new/", taken)["Location"])
    assert 'data-testid="intake-caution"' in accepted


def test_the_counters_eligibility_check_and_the_audit_search_are_not_remembered_by_the_browser(world, staff):
    """An outsider read a counter PC's autofill table: the clerk's eligibility check and the
    supervisor's audit search had left a person's name and ID number there."""
    for client, url, fields in (
        (staff["clerk"], "/account/eligibility/", ("name", "id_number")),
        (staff["supervisor"], "/staff/audit/", ("username", "id_number")),
    ):
        form = page(client, url)
        for field in fields:
            tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', form).group(0)
            assert 'autocomplete="off"' in tag, (url, tag)


def test_a_clerks_eligibility_check_speaks_of_the_person_not_of_the_clerk(world, staff):
    """An outsider's clerk read "your account is not verified yet", "what the departments hold about
    you" and an "apply" that refused him, and the result in the page's title, kept in the counter
    PC's history."""
    clerk = staff["clerk"]
    empty = page(clerk, "/account/eligibility/")
    assert "Check whether a person qualifies" in empty and "not verified yet" not in empty
    assert "hold about you" not in empty and 'href="/staff/"' in empty
    body = {"name": "张伟", "id_number": ZHANG_WEI, "route": "residence_employment"}
    answered = clerk.post("/account/eligibility/", body).content.decode()
    assert "The person qualifies on this route on 2026-03-02" in answered
    assert 'data-testid="apply-now"' not in answered
    title = re.search(r"<title>(.*?)</title>", answered, re.S).group(1)
    assert title.startswith("Check whether a person qualifies")


def test_counter_intake_then_the_acceptance_receipt(world, staff):
    clerk = staff["clerk"]
    form = page(clerk, "/staff/applications/new/")
    assert f'value="{HOME_POINT}" selected' in form
    # The street in the reader's language, as the citizen's list names it (an outsider's English
    # clerk read only Chinese names).
    assert f"Street office, Futian Subdistrict · 福田街道办事处居住证受理点 ({HOME_POINT})" in form
    # A shared counter computer offers no citizen's data to the next (an outsider found every field remembered).
    for field in ("name", "id_number", "phone", "delivery_address", "family-0-name", "family-0-id_number"):
        tag = re.search(rf'<(?:input|textarea)[^>]*name="{field}"[^>]*>', form).group(0)
        assert 'autocomplete="off"' in tag, tag
    data = {
        **intake_data(photo_receipt="ab12345678"),
        "family-TOTAL_FORMS": "3",
        "family-0-name": "李小四",
        "family-0-id_number": "11010519491231002",
        "family-0-relation": "child",
    }
    refused = post(clerk, "/staff/applications/new/", data, status=400)
    html = refused.content.decode()
    assert "Check the materials" in html and "Capture the applicant" in html
    data.update({"materials_checked": "on", "portrait_captured": "on"})
    refused = post(clerk, "/staff/applications/new/", data, status=400)
    html = refused.content.decode()
    assert "Family member 1" in html
    # The family row's error is the one its input names for a screen reader.
    assert 'aria-describedby="id_family-0-id_number_error"' in html and 'id="id_family-0-id_number_error"' in html
    assert not Application.objects.filter(photo_receipt="AB12345678").exists()
    # A row count the page never sent: said at the top, what was typed kept, no thousand rows.
    tampered = post(clerk, "/staff/applications/new/", {**data, "family-TOTAL_FORMS": "100000"}, status=400)
    html = tampered.content.decode()
    assert "List at most 10 family members" in html and 'value="李四"' in html
    assert html.count('name="family-') < 60 and len(html) < 100_000
    # Fewer rows than the page sent would drop what the clerk typed in the others (an outsider's -1
    # and 0 recorded the application without its family member).
    for count in ("-1", "0"):
        fewer = post(clerk, "/staff/applications/new/", {**data, "family-TOTAL_FORMS": count}, status=400)
        assert "If the rows were changed" in fewer.content.decode(), count
    # A NUL byte in the point's code is an unknown point, not a database error (an outsider's 500
    # on PostgreSQL).
    nul = post(clerk, "/staff/applications/new/", {**data, "acceptance_point": "4403\x000400401"}, status=400)
    assert "Unknown acceptance point." in nul.content.decode()
    assert not Application.objects.filter(photo_receipt="AB12345678").exists()
    data["family-0-id_number"] = "110105201001010010"
    done = post(clerk, "/staff/applications/new/", data)
    application = Application.objects.get(photo_receipt="AB12345678")
    assert application.channel == "counter" and application.portrait_captured and application.materials_checked
    assert application.family_members.count() == 1
    accepted = page(clerk, done["Location"])
    assert application.reference in accepted and f"/staff/applications/{application.pk}/receipt/" in accepted
    # The clerk is told at once what the records say (an outsider's clerk accepted a person who
    # met no condition, and learnt it only by opening the application).
    check = re.search(r'data-testid="intake-check">(.*?)</div>', accepted, re.S).group(1)
    assert "does not meet the conditions of the route claimed" in check
    assert "not in the population records" in check and "Tell the applicant now" in check
    page(clerk, done["Location"])  # a later look at the confirmation: on record like the first
    looks = AuditEvent.objects.filter(type="personal_data_viewed", data__application=application.reference)
    looks = looks.filter(person_index=person_index(application.person.id_number))  # not the family's
    assert looks.filter(data__what="application").count() == 2
    assert "Records check at intake" in page(clerk, f"/staff/applications/{application.pk}/")
    receipt = clerk.get(f"/staff/applications/{application.pk}/receipt/")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    # Everything entered, to check before signing: the family (number masked), photo receipt, phone.
    on_receipt = pypdf.PdfReader(io.BytesIO(receipt.content)).pages[0].extract_text()
    assert "李小四（子女，110105********0010）" in on_receipt and "AB12345678" in on_receipt
    assert "137****1111" in on_receipt and "110105201001010010" not in on_receipt
    # The form signed at pickup lists each family member; printed before the card waits at the
    # point, its numbers are masked (an outsider's clerk printed any application's in full).
    form = clerk.get(f"/staff/applications/{application.pk}/form/")
    printed = pypdf.PdfReader(io.BytesIO(form.content)).pages[0].extract_text()
    assert "李小四（子女，110105********0010）" in printed and "110105201001010010" not in printed


def test_a_household_of_more_than_three_is_taken_in_on_the_desk_page(world, staff):
    # An outsider's clerk had three rows for family members and no way to add a fourth.
    clerk = staff["clerk"]
    form = page(clerk, "/staff/applications/new/")
    assert 'name="family-TOTAL_FORMS" value="10"' in form and 'name="family-9-name"' in form
    assert re.search(r'<details class="more-rows" data-testid="more-family">', form)  # folded away
    children = [with_check(f"110105201001010{i}1") for i in range(1, 6)]
    data = {
        **intake_data(photo_receipt="ab12345679"),
        "materials_checked": "on",
        "portrait_captured": "on",
        **{f"family-{i}-name": f"李{'一二三四五'[i]}" for i in range(5)},
        **{f"family-{i}-id_number": number for i, number in enumerate(children)},
        **{f"family-{i}-relation": "child" for i in range(5)},
    }
    # A problem in the fifth row opens the folded rows, what was typed kept.
    refused = post(clerk, "/staff/applications/new/", {**data, "family-4-id_number": "1101"}, status=400)
    assert '<details class="more-rows" open data-testid="more-family">' in refused.content.decode()
    post(clerk, "/staff/applications/new/", data)
    application = Application.objects.get(photo_receipt="AB12345679")
    assert sorted(application.family_members.values_list("id_number", flat=True)) == sorted(children)


def test_counter_intake_lists_every_problem_at_once(world, staff):
    """RULES §4: every problem at once. An outsider's clerk was shown only the form's own three
    (a name too long, the two boxes) and saw the bad ID number, phone, photo receipt and family
    row only after fixing those; a family row after a blank one got its error on the blank row."""
    clerk = staff["clerk"]
    data = {
        "name": "李" * 5000,
        "id_number": "510102199205152228",  # check character by hand: 7, not 8
        "phone": "１３７００００１１１１",
        "kind": "first",
        "route": "residence_employment",
        "photo_receipt": "PH-1",
        "acceptance_point": HOME_POINT,
        "delivery_method": "pickup",
        "family-TOTAL_FORMS": "3",
        "family-INITIAL_FORMS": "0",
        "family-1-name": "李小三",
        "family-1-relation": "child",
        "family-2-name": "李小四",
        "family-2-id_number": "12345",
        "family-2-relation": "child",
    }
    html = post(clerk, "/staff/applications/new/", data, status=400).content.decode()
    # A row with a name and no number is asked for one, not told its format (an outsider).
    assert re.search(r'id="id_family-1-id_number_error">.*?Enter the ID number\.', html, re.S)
    for field in ("name", "id_number", "phone", "photo_receipt", "materials_checked", "portrait_captured"):
        assert f'id="id_{field}_error"' in html, field
    assert 'id="id_family-2-id_number_error"' in html and 'id="id_family-0-id_number_error"' not in html
    assert "Family member 3" in html and "Family member 2" in html
    # In the summary, each a link to its field, as every other field's problem is (an outsider).
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert re.search(r'<a href="#id_family-1-id_number">Family member 2: Enter the ID number\.</a>', summary)
    assert '<a href="#id_family-2-id_number">Family member 3: ' in summary
    assert html.count("at most 100 characters") == 2  # the form's own word on the name: in the summary and by the field
    assert not Application.objects.exists()


def test_counter_intake_says_an_open_application_and_a_used_photo_receipt_at_once(world, staff):
    """RULES §4: all at once. An outsider's clerk, taking in a person with an application open and a
    photo receipt already used, learnt of the receipt only on the next try."""
    clerk = staff["clerk"]
    taken = {**intake_data(photo_receipt="CT20260302U1"), "materials_checked": "on", "portrait_captured": "on"}
    post(clerk, "/staff/applications/new/", taken)
    again = {**taken, "photo_receipt": Application.objects.get().photo_receipt}
    response = clerk.post("/staff/applications/new/", again)
    html = response.content.decode()
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert response.status_code >= 400 and "already has an application in progress" in summary
    assert '<a href="#id_photo_receipt">' in summary and "Already used for another application." in summary
    # With a field's own problem too (an outsider's re-test: the clerk fixed the field, then learnt
    # the person could not apply at all).
    html = clerk.post("/staff/applications/new/", {**again, "phone": "1370000"}).content.decode()
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "already has an application in progress" in summary and '<a href="#id_phone">' in summary
    assert "Already used for another application." in summary
    assert Application.objects.count() == 1


def test_the_queue_pages_with_next_and_marks_due_today_and_overdue(world, staff, settings, monkeypatch):
    from residence.applications import selectors

    pk = submit(world)
    monkeypatch.setattr(selectors, "QUEUE_PAGE", 1)
    settings.FROZEN_TODAY = "2026-03-05"  # the checks' due date
    staff["police"] = signed_in_again("police")
    html = page(staff["police"], "/staff/applications/")
    assert "Due today" in html and "?after=2026-03-05%2C" in html
    assert "Nothing is waiting" in page(staff["police"], f"/staff/applications/?after=2026-03-05,{pk}")
    settings.FROZEN_TODAY = "2026-03-06"
    staff["police"] = signed_in_again("police")
    assert "Overdue" in page(staff["police"], "/staff/applications/")
    assert page(staff["police"], "/staff/applications/?after=junk")  # a bad cursor: the first page


def test_the_supervisor_dashboard(world, staff):
    pk = submit(world)
    through_verification(staff, pk)
    html = page(staff["supervisor"], "/staff/applications/dashboard/")
    assert "<svg" in html and "100%" in html and "Department verification" in html
    assert staff["supervisor"].get("/staff/applications/")["Location"].endswith("/dashboard/")
    data = __import__("residence.applications.selectors", fromlist=["x"]).supervisor_dashboard()
    police = next(d for d in data["departments"] if d["code"] == "police")
    assert police["done"] == 1 and police["share"] == 100 and police["open"] == 0
    point = next(p for p in data["points"] if p["code"] == HOME_POINT)
    assert point["open"] == 1 and point["overdue"] == 0
    assert Deadline.objects.filter(application_id=pk, step="verification", done_on__isnull=False).exists()


def test_the_staff_desk_links_each_role_to_its_work(world, staff):
    assert "/staff/applications/" in page(staff["police"], "/staff/")
    assert "/staff/applications/dashboard/" in page(staff["supervisor"], "/staff/")
    assert "/staff/applications/new/" in page(staff["clerk"], "/staff/")


def test_the_courier_delivers_with_the_identity_checked(world, staff):
    pk = submit(world, delivery={"method": "courier", "address": "福田区福华路 8 号"})
    through_verification(staff, pk)
    post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    made = page(staff["production"], f"/staff/applications/{pk}/")
    assert "Photo receipt number" in made and "Department verifications" not in made and "tel:" not in made
    post(staff["production"], f"/staff/applications/{pk}/produce/")
    post(staff["production"], f"/staff/applications/{pk}/dispatch/")
    assert status_of(pk) == "out_for_delivery"
    courier = staff["courier"]
    # The round is planned from the list: each card's address on it (an outsider's courier opened every case).
    listed = page(courier, "/staff/applications/")
    assert 'data-testid="queue-address"' in listed and "福华路" in listed
    seen = page(courier, f"/staff/applications/{pk}/")
    # What the delivery needs, with the number to call; not the case (an outsider's courier saw
    # the eligibility details, the family and the departments' answers, but no phone).
    assert "福华路" in seen and 'href="tel:13812345678"' in seen
    for case in ("Self-check at submission", "Cohabiting family members", "Department verifications", "Route claimed"):
        assert case not in seen, case
    sent = page(staff["production"], f"/staff/applications/{pk}/")
    assert "Photo receipt number" not in sent and "福华路" not in sent  # the card has left production
    assert "Department verifications" in page(staff["reviewer"], f"/staff/applications/{pk}/")
    missing = post(courier, f"/staff/applications/{pk}/deliver/", {}, status=400)
    assert "Check the recipient" in missing.content.decode() and status_of(pk) == "out_for_delivery"
    post(courier, f"/staff/applications/{pk}/deliver/", {"identity_checked": "on"})
    assert status_of(pk) == "completed"
    # Acting again: the page says it cannot be done now (409), never a 500.
    post(courier, f"/staff/applications/{pk}/deliver/", {"identity_checked": "on"}, status=409)


def test_the_courier_returns_a_card_that_could_not_be_delivered(world, staff):
    pk = submit(world, delivery={"method": "courier", "address": "福田区福华路 8 号"})
    through_verification(staff, pk)
    post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    post(staff["production"], f"/staff/applications/{pk}/produce/")
    post(staff["production"], f"/staff/applications/{pk}/dispatch/")
    courier = staff["courier"]
    seen = page(courier, f"/staff/applications/{pk}/")
    assert 'data-testid="return-form"' in seen
    assert "Exchange only" not in seen  # a first application has no old card to take back
    missing = post(courier, f"/staff/applications/{pk}/return/", {"reason": ""}, status=400)
    assert "Say why the card could not be delivered" in missing.content.decode()
    assert status_of(pk) == "out_for_delivery"
    returned = post(courier, f"/staff/applications/{pk}/return/", {"reason": "Nobody home after three attempts"})
    assert status_of(pk) == "dispatched"
    # The confirmation names the application (a courier works through many).
    reference = Application.objects.get(pk=pk).reference
    assert f"{reference}: The card goes back to the acceptance point" in page(courier, returned["Location"])
    # "Card delivered" from a second tab: a short heading, the reason beneath, and the way back to
    # the queue (an outsider's phone showed the whole reason as the heading, and only "home").
    stale = post(courier, f"/staff/applications/{pk}/deliver/", {"identity_checked": "on"}, status=409).content.decode()
    assert "<h1>Not done</h1>" in stale and 'href="/staff/applications/"' in stale
    assert "This card is not out for delivery with you" in stale and "shows its current state" not in stale
    # The point's clerk now has it to receive; the applicant reads why.
    at_point = page(staff["clerk"], f"/staff/applications/{pk}/")
    assert "The card has arrived at this point" in at_point
    # The history says what happened, not only where the card goes (an outsider's read "on its way").
    assert "The courier could not deliver the card: back to the acceptance point" in at_point
    assert 'data-testid="undelivered"' in at_point
    assert world.get(f"/api/v1/applications/{pk}").json()["history"][-1]["note"] == "Nobody home after three attempts"
    citizen = CommittingClient()
    citizen.cookies["django_language"] = "en"
    assert web_login(citizen, "citizen1", phone="13812345678").status_code == 302
    progress = citizen.get(f"/applications/{pk}/").content.decode()
    assert "the courier could not deliver the card: Nobody home after three attempts" in progress


def test_the_reviewer_is_warned_before_approving_an_exchange_of_a_suspended_permit(world, staff):
    api = world
    citizen = User.objects.get(username="citizen1")
    permit = live_permit(citizen)
    pk = submit(api, kind="exchange")
    through_verification(staff, pk)
    assert 'data-testid="action-warning"' not in page(staff["reviewer"], f"/staff/applications/{pk}/")
    # Lapsed yesterday (the day's sweep not run yet): suspended from 2026-03-01 as it stands today.
    type(permit).objects.filter(pk=permit.pk).update(endorsed_until="2026-03-01")
    warned = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert 'data-testid="action-warning"' in warned and "suspended since 2026-03-01" in warned
    refused = post(staff["reviewer"], f"/staff/applications/{pk}/approve/", status=409).content.decode()
    assert "suspended since 2026-03-01" in refused and "acted on it first" not in refused
    assert status_of(pk) == "reviewing"


def test_an_exchange_is_handed_over_only_with_the_old_card_taken_back(world, staff):
    api = world
    citizen = User.objects.get(username="citizen1")
    live_permit(citizen)
    pk = submit(api, kind="exchange")
    by = {key: User.objects.get(username=f"desk_{key}") for key in ("police", "insurance", "reviewer", "production")}
    application_verify(actor=by["police"], application_id=pk, department="police", outcome="confirmed")
    application_verify(actor=by["insurance"], application_id=pk, department="social_insurance", outcome="confirmed")
    application_act(actor=by["reviewer"], application_id=pk, action="approve")
    application_pay(actor=citizen, application_id=pk, provider="sandbox")
    for action in ("produce", "dispatch"):
        application_act(actor=by["production"], application_id=pk, action=action)
    clerk = staff["clerk"]
    post(clerk, f"/staff/applications/{pk}/receive/")
    refused = post(
        clerk, f"/staff/applications/{pk}/hand-over/", {"identity_checked": "on", "signed": "on"}, status=400
    )
    assert "takes the old card back" in refused.content.decode() and status_of(pk) == "ready_for_pickup"
    post(
        clerk,
        f"/staff/applications/{pk}/hand-over/",
        {"identity_checked": "on", "signed": "on", "old_card_collected": "on"},
    )
    assert status_of(pk) == "completed"


def test_the_dashboard_counts_only_steps_that_took_place(world, staff, settings):
    """A check cut off by another department's "not confirmed", the steps of a withdrawn
    application and the refusal step of an approved one never took place: they do not count as
    done on time. A late answer counts as late. The window is 30 days, today included."""
    from residence.applications.selectors import supervisor_dashboard

    from .applications import citizen_api as another_citizen

    first = submit(world)
    through_verification(staff, first)
    post(staff["reviewer"], f"/staff/applications/{first}/approve/")
    second_api, _ = another_citizen("citizen2", "13812345679", "44030419900101555", "王芳")
    second = submit(second_api, photo_receipt="PZ20260302B2", acceptance_point=HOME_POINT)
    settings.FROZEN_TODAY = "2026-03-06"  # past the checks' due date (Thu 5 March)
    staff.update({key: signed_in_again(key) for key in staff})
    post(staff["police"], f"/staff/applications/{second}/verify/", {"outcome": "not_confirmed", "note": "查无此人"})
    assert status_of(second) == "reviewing"  # the social insurance check stays pending, unanswerable
    third_api, _ = another_citizen("citizen3", "13812345670", "44030419900101600", "李四")
    third = submit(third_api, photo_receipt="PZ20260302C3", acceptance_point=HOME_POINT)
    third_api.post(f"/api/v1/applications/{third}/withdraw")
    assert status_of(third) == "withdrawn"

    data = supervisor_dashboard()
    police = next(d for d in data["departments"] if d["code"] == "police")
    insurance = next(d for d in data["departments"] if d["code"] == "social_insurance")
    assert (police["done"], police["on_time"], police["share"]) == (2, 1, 50)  # one on time, one late
    assert (insurance["done"], insurance["on_time"]) == (1, 1)  # the cut-off check is not counted
    # The point: first's verification and review were done on time (its refusal step is moot);
    # second's verification was done late; nothing of the withdrawn third counts.
    point = next(p for p in data["points"] if p["code"] == HOME_POINT)
    assert (point["done"], point["on_time"]) == (3, 2)
    assert Deadline.objects.filter(application_id=third, moot=True).count() == 3  # whole, verification, refusal
    assert data["since"] == dt.date(2026, 2, 5) and data["today"] == dt.date(2026, 3, 6)
    # The later steps by step (an outsider found them only inside the points' totals): second's
    # review is open, due two working days after Friday 6 March, on Tuesday 10 March; first's
    # review was done on time and its card is to be made.
    steps = {row["code"]: row for row in data["steps"]}
    assert (steps["review"]["open"], steps["review"]["done"], steps["review"]["on_time"]) == (1, 1, 1)
    assert steps["production"]["open"] == 1 and steps["delivery"]["open"] == 0
    assert Deadline.objects.get(application_id=second, step="review").due_on == dt.date(2026, 3, 10)
    settings.FROZEN_TODAY = "2026-03-10"
    later = supervisor_dashboard()
    review = next(row for row in later["steps"] if row["code"] == "review")
    assert (review["today"], review["overdue"]) == (1, 0)
    html = page(signed_in_again("supervisor"), "/staff/applications/dashboard/")
    assert 'data-testid="dashboard-steps"' in html and "Due today" in html


def test_each_dashboard_figure_opens_the_applications_it_counts(world, staff, settings):
    """Two applications submitted on Monday 2 March: their checks are due three working days on,
    Thursday 5 March. The figures link to the applications behind them, most pressing first."""
    from .applications import citizen_api as another_citizen

    first = submit(world)
    second_api, _ = another_citizen("citizen2", "13812345679", "44030419900101555", "王芳")
    second = submit(second_api, photo_receipt="PZ20260302B2", acceptance_point=HOME_POINT)
    first_ref, second_ref = (Application.objects.get(pk=pk).reference for pk in (first, second))
    base = "/staff/applications/dashboard"

    settings.FROZEN_TODAY = "2026-03-05"
    supervisor = signed_in_again("supervisor")
    html = page(supervisor, f"{base}/")
    assert (
        f'href="{base}/departments/police/today/"' in html and f'href="{base}/departments/police/overdue/"' not in html
    )
    assert 'aria-label="Police: 2 due today"' in html  # a link named by more than its number
    due_today = page(supervisor, f"{base}/departments/police/today/")
    assert first_ref in due_today and second_ref in due_today and "2026-03-05" in due_today
    assert "2 applications as of 2026-03-05" in due_today and "tag-red" not in due_today

    settings.FROZEN_TODAY = "2026-03-06"
    staff.update({key: signed_in_again(key) for key in ("police", "supervisor")})
    post(staff["police"], f"/staff/applications/{first}/verify/", {"outcome": "confirmed"})
    supervisor = staff["supervisor"]
    html = page(supervisor, f"{base}/")
    assert f'href="{base}/departments/police/overdue/"' in html
    assert f'href="{base}/departments/social_insurance/overdue/"' in html
    late = page(supervisor, f"{base}/departments/police/overdue/")
    assert second_ref in late and first_ref not in late and "1 application as of 2026-03-06" in late
    assert f'href="/staff/applications/{second}/"' in late and "Overdue" in late
    # The point: both applications have an overdue check (the insurance checks are unanswered).
    at_point = page(supervisor, f"{base}/points/{HOME_POINT}/overdue/")
    assert first_ref in at_point and second_ref in at_point
    assert at_point.index(first_ref) < at_point.index(second_ref)  # same due date: submitted first
    assert f"{base}/points/{HOME_POINT}/open/" in html
    everything = page(supervisor, f"{base}/points/{HOME_POINT}/open/")
    assert "2 applications" in everything and "2026-03-05" in everything  # by the next open step
    for url in ("departments/nobody/open", "steps/verification/open", "points/nowhere/open", "points/x/soon"):
        assert "no such figure" in page(supervisor, f"{base}/{url}/", status=404)
    page(staff["police"], f"{base}/departments/police/overdue/", status=403)


def test_cards_are_made_dispatched_and_received_several_at_a_time(world, staff):
    """The production centre and the point's clerk tick cards in their queue and take the step for
    all at once; one that someone else moved meanwhile is named and left, the others done."""
    from .applications import citizen_api as another_citizen

    first = submit(world)
    second_api, _ = another_citizen("citizen2", "13812345679", "44030419900101555", "王芳")
    second = submit(second_api, photo_receipt="PZ20260302B2", acceptance_point=HOME_POINT)
    for pk in (first, second):
        through_verification(staff, pk, note="核验了证件原件")  # 王芳 is in no record
        post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    refs = {pk: Application.objects.get(pk=pk).reference for pk in (first, second)}
    queue = page(staff["production"], "/staff/applications/")
    assert f'data-testid="tick-{refs[first]}"' in queue and 'value="produce"' in queue
    assert 'value="receive"' not in queue and 'data-testid="batch-form"' not in page(
        staff["police"], "/staff/applications/"
    )

    made = staff["production"].post(
        "/staff/applications/batch/", {"action": "produce", "ids": [first, second]}, follow=True
    )
    assert f"Cards made: {refs[first]}, {refs[second]}." in made.content.decode()
    assert status_of(first) == status_of(second) == "in_production"
    assert all(Application.objects.get(pk=pk).permit_number for pk in (first, second))
    post(staff["production"], "/staff/applications/batch/", {"action": "dispatch", "ids": [first, second]})
    assert status_of(first) == status_of(second) == "dispatched"
    # The clerk's queue in English: the step not named as done, the tick-all label whole (an outsider's).
    waiting = page(staff["clerk"], "/staff/applications/")
    assert '<td data-label="Step">Card delivery</td>' in waiting and "Card delivered" not in waiting
    assert "Tick every card on this page that can be acted on</label>" in waiting
    assert 'class="pager"' not in waiting  # one page: no empty navigation landmark (an outsider's screen reader)
    # A masked ID number is said as its two ends, not as eight asterisks (an outsider's screen reader).
    spoken = (
        r'<span aria-hidden="true">(\d{6})\*{8}(\d{3}[\dX])</span>'
        r'<span class="visually-hidden">\1, hidden digits, \2</span>'
    )
    assert len(re.findall(spoken, waiting)) == 2

    # The other point's clerk receives neither, and is not told its reference.
    other = staff["other_clerk"].post("/staff/applications/batch/", {"action": "receive", "ids": [first]}, follow=True)
    assert f"Not done: #{first}: This application is handled by another" in other.content.decode()
    assert refs[first] not in other.content.decode()
    assert status_of(first) == "dispatched"
    # One received on its own page first: the batch does the other and names that one.
    post(staff["clerk"], f"/staff/applications/{first}/receive/")
    both = staff["clerk"].post("/staff/applications/batch/", {"action": "receive", "ids": [first, second]}, follow=True)
    html = both.content.decode()
    assert f"Cards received: {refs[second]}." in html and f"Not done: {refs[first]}:" in html
    assert status_of(second) == "ready_for_pickup"
    assert AuditEvent.objects.filter(type="application_changed", data__status_to="ready_for_pickup").count() == 2

    # A step the role does not take, and nothing ticked.
    page_ = staff["clerk"].post("/staff/applications/batch/", {"action": "produce", "ids": [second]})
    assert page_.status_code == 403 and status_of(second) == "ready_for_pickup"
    nothing = staff["clerk"].post("/staff/applications/batch/", {"action": "receive"}, follow=True)
    assert "Tick the applications to act on" in nothing.content.decode()
    assert staff["clerk"].get("/staff/applications/batch/").status_code == 405


def test_full_id_numbers_only_while_the_role_checks_the_person(world, staff):
    """On the desk's pages as in the API: the reviewer reads the applicant's and a family member's
    number in full while reviewing, masked once decided; the clerk in full only while the card waits
    for the holder's ID card at hand-over (an outsider's reviewer read completed cases in full)."""
    member = with_check("44030419900101555")
    pk = submit(world, family_members=[{"relation": "spouse", "name": "王芳", "id_number": member}])
    masked = ZHANG_WEI[:6] + "********" + ZHANG_WEI[-4:]
    assert ZHANG_WEI not in page(staff["clerk"], f"/staff/applications/{pk}/")
    through_verification(staff, pk)
    reviewing = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert ZHANG_WEI in reviewing and member in reviewing
    post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    decided = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert ZHANG_WEI not in decided and member not in decided and masked in decided
    post(staff["production"], f"/staff/applications/{pk}/produce/")
    post(staff["production"], f"/staff/applications/{pk}/dispatch/")
    assert ZHANG_WEI not in page(staff["clerk"], f"/staff/applications/{pk}/")
    post(staff["clerk"], f"/staff/applications/{pk}/receive/")
    assert ZHANG_WEI in page(staff["clerk"], f"/staff/applications/{pk}/")


def test_the_clerk_withdraws_and_asks_for_a_written_reply_for_the_applicant_on_the_desk(world, staff):
    pk = submit(world)
    clerk = staff["clerk"]
    assert 'data-testid="withdraw-form"' in page(clerk, f"/staff/applications/{pk}/")
    unticked = post(clerk, f"/staff/applications/{pk}/withdraw/", {}, status=400).content.decode()
    assert "only they may ask for this" in unticked and status_of(pk) == "accepted"
    done = post(clerk, f"/staff/applications/{pk}/withdraw/", {"identity_checked": "on"})
    assert status_of(pk) == "withdrawn" and "is withdrawn at the applicant" in page(clerk, done["Location"])

    from .applications import citizen_api as another_citizen

    second_api, _ = another_citizen("citizen2", "13812345679", "44030419900101555", "王芳")
    second = submit(second_api, photo_receipt="PZ20260302B2", acceptance_point=HOME_POINT)
    post(staff["police"], f"/staff/applications/{second}/verify/", {"outcome": "not_confirmed", "note": "查无此人"})
    post(staff["reviewer"], f"/staff/applications/{second}/reject/", {"reasons": ["0"]})
    refused = page(clerk, f"/staff/applications/{second}/")
    assert 'data-testid="reply-request-form"' in refused and 'data-testid="withdraw-form"' not in refused
    post(clerk, f"/staff/applications/{second}/written-reply-request/", {"identity_checked": "on"})
    assert Application.objects.get(pk=second).reply_requested_on == dt.date(2026, 3, 2)
    assert 'data-testid="reply-request-form"' not in page(clerk, f"/staff/applications/{second}/")
    assert 'data-testid="reply-request-form"' not in page(staff["reviewer"], f"/staff/applications/{second}/")


def test_the_supervisor_reads_the_audit_trail_and_a_search_by_person_is_recorded(world, staff, monkeypatch):
    """An outsider found no way for a supervisor to see which clerk did what (only the Django admin)."""
    from residence.audit.models import AuditEvent

    from .idnumbers import ZHANG_WEI

    pk = submit(world)
    through_verification(staff, pk)
    supervisor = staff["supervisor"]
    html = page(supervisor, "/staff/applications/dashboard/")
    assert 'href="/staff/audit/"' in html
    trail = page(supervisor, "/staff/audit/")
    assert "Application status changed" in trail and "desk_police" in trail
    assert 'data-testid="audit-cut"' not in trail
    # The details in words: labels for their keys, nested values as text (an outsider read
    # "action: submit" and Python's "{'source': …}").
    # A slug the platform knows in words, the slug as recorded beside it (an outsider's supervisor
    # read "角色: supervisor" and "新状态: terminated").
    assert '<span class="hint">Status after:</span> Being verified by departments (verifying)' in trail
    assert '<span class="hint">Action:</span> Checked by a department (verify)' in trail
    assert '<span class="hint">Department:</span> Police (police)' in trail
    assert '<span class="hint">status_to:</span>' not in trail
    AuditEvent.objects.create(
        type="permit_changed",
        at=AuditEvent.objects.latest("at").at,
        data={"reason": "suspended_two_years", "kind": "permits", "channel": "web", "purpose": "login"},
    )
    trail = page(supervisor, "/staff/audit/")
    for said in (
        "Suspended for two years (suspended_two_years)",
        "Permits issued before the platform (permits)",
        "Web page (web)",
        "Sign-in (login)",
    ):
        assert said in trail, said
    supervisor.cookies["django_language"] = "zh-hans"
    assert "公安 (police)" in page(supervisor, "/staff/audit/")
    supervisor.cookies["django_language"] = "en"
    AuditEvent.objects.create(
        type="calendar_changed",
        at=AuditEvent.objects.latest("at").at,
        data={"before": {"published": False, "source": "holidays"}, "year": 2027},
    )
    shown = re.search(r'<span class="hint">Before:</span> ([^<]*)<', page(supervisor, "/staff/audit/")).group(1)
    assert sorted(shown.split("; ")) == ["Published: no", "Source: holidays"]  # PostgreSQL orders the keys
    from residence.audit import selectors as audit_selectors

    # Fewer a page than there are: every one is reached a page at a time, newest first, none twice
    # (an outsider's earliest events were out of reach whatever the filters).
    monkeypatch.setattr(audit_selectors, "AUDIT_PAGE", 3)
    everything = list(AuditEvent.objects.order_by("-at", "-id").values_list("pk", flat=True))
    seen, before = [], None
    while True:
        html = supervisor.post("/staff/audit/", {"type": "", **({"before": before} if before else {})}).content.decode()
        rows = re.findall(r'data-event="(\d+)"', html)
        assert 0 < len(rows) <= 3
        seen += [int(pk) for pk in rows]
        older = re.search(r'name="before" value="(\d+)"', html)
        if older is None:
            break
        before = older.group(1)
    # Those this paging recorded meanwhile (none: no ID number searched) come before; the rest, all once.
    assert seen == everything
    monkeypatch.undo()
    # By event and account: only the police verifier's status changes.
    found = supervisor.post("/staff/audit/", {"type": "application_changed", "username": "desk_police"})
    rows = found.content.decode().split('data-testid="audit-events"')[1]
    assert "desk_police" in rows and "desk_insurance" not in rows
    # By person: the ID number goes by POST, finds the events about that person, and is recorded.
    before = AuditEvent.objects.filter(type="personal_data_viewed", actor__username="desk_supervisor").count()
    about = supervisor.post("/staff/audit/", {"id_number": ZHANG_WEI}).content.decode()
    events = about.split('data-testid="audit-events"')[1]
    assert "a person (by ID number)" in events and ZHANG_WEI not in events  # the log holds no number
    viewed = AuditEvent.objects.filter(type="personal_data_viewed", actor__username="desk_supervisor")
    assert viewed.count() == before + 1 and viewed.first().data == {"what": "audit_trail"}
    # By the applicant's account: its application's events too, which name the person, not the
    # account (an outsider's search by account missed them); a look at that person, recorded.
    by_account = supervisor.post("/staff/audit/", {"username": "citizen1"}).content.decode()
    assert "Application status changed" in by_account.split('data-testid="audit-events"')[1]
    assert viewed.count() == before + 2
    nobody = supervisor.post("/staff/audit/", {"id_number": "11010519491231002X"}).content.decode()
    assert 'data-testid="audit-none"' in nobody
    bad = supervisor.post("/staff/audit/", {"since": "2026-03-02", "until": "2026-03-01"}).content.decode()
    assert "error-summary" in bad and 'data-testid="audit-none"' not in bad  # the problem, not "no event"
    assert "<title>Error: Audit trail" in bad  # once (an outsider's read "错误：错误：")
    # Nobody else reads it.
    for key in ("clerk", "police", "reviewer"):
        assert staff[key].get("/staff/audit/").status_code == 403
    assert world.get("/staff/audit/").status_code in (302, 401, 403)


def test_a_verifiers_note_is_shown_with_its_department_not_under_the_next_status(world, staff):
    """An outsider read the police note under "verifying" and the social insurance note under
    "reviewing" on the citizen's page, and the desk's table said "Note —"."""
    pk = submit(world)
    post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed", "note": "户籍核查一致"})
    post(staff["insurance"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed", "note": "社保连续"})
    assert status_of(pk) == "reviewing"
    desk_page = page(staff["reviewer"], f"/staff/applications/{pk}/")
    table = desk_page[desk_page.index("<table") : desk_page.index("</table>")]
    assert "户籍核查一致" in table and "社保连续" in table
    assert 'Police: <span lang="zh-CN">户籍核查一致</span>' in desk_page
    assert 'Human resources and social insurance: <span lang="zh-CN">社保连续</span>' in desk_page
    citizen = CommittingClient()
    citizen.cookies["django_language"] = "en"
    assert web_login(citizen, "citizen1", phone="13812345678").status_code == 302
    progress = citizen.get(f"/applications/{pk}/").content.decode()
    # The status the answer moved it to, then who answered: not a note read as the next status's.
    assert 'Police answered: <span lang="zh-CN">户籍核查一致</span>' in progress
    assert 'Human resources and social insurance answered: <span lang="zh-CN">社保连续</span>' in progress
    assert "Reviewing: " not in progress


def test_each_message_links_to_where_its_matter_is_seen_to(world):
    """Outsider V: every message named its application or permit with no way to it."""
    from residence.notifications.services import message_send

    pk = submit(world)
    citizen = User.objects.get(username="citizen1")
    message_send(user=citizen, key="permit_suspended", number="4403202600000001", closes="2028-03-01")
    message_send(user=citizen, key="application_withdrawn", reference="SZ000000NOTMINE")  # not one of hers
    message_send(user=citizen, key="real_name_verified", name="张伟")  # verified: applying is next
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "citizen1", phone="13812345678").status_code == 302
    html = page(web, "/account/messages/")
    links = re.findall(r'<a href="([^"]+)" data-testid="message-link">', html)
    assert f"/applications/{pk}/" in links  # its acceptance, to its own page
    assert "/permits/" in links and "/applications/mine/" in links and "/applications/" in links


def test_the_deadlines_table_follows_the_steps_and_marks_late_and_unneeded_ones(world, staff, settings):
    # An outsider read the review before the checks, a refusal "done" on an approved case, and no
    # mark on checks answered months late.
    pk = submit(world)  # Mon 2026-03-02: checks due Thu 03-05
    settings.FROZEN_TODAY = "2026-03-16"
    staff = {key: signed_in_again(key) for key in ("police", "insurance", "reviewer")}
    through_verification(staff, pk)
    post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    html = page(staff["reviewer"], f"/staff/applications/{pk}/")
    table = html[html.index("<h2>Deadlines</h2>") : html.index("<h2>History</h2>")]
    rows = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in re.findall(r"<tr><td.*?</tr>", table, re.S)]
    assert [" ".join(row) for row in rows] == [
        "Department verification 2026-03-05 2026-03-16 Done late",
        "Police review 2026-03-18 2026-03-16",
        "Reasons for a refusal 2026-03-11 Not needed",
        "Card data sent and card made 2026-03-25 —",
        "Whole application 2026-03-23 —",
    ]


def test_chinese_data_on_an_english_page_is_marked_chinese_and_still_escaped(world, staff):
    # An outsider's screen reader read names, addresses and notes in Chinese with an English voice.
    from django.utils import translation

    from residence.web.templatetags.lang import zh

    pk = submit(world)
    post(staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed", "note": "住址不符"})
    detail = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert '<dd><span lang="zh-CN">张伟</span></dd>' in detail and '<span lang="zh-CN">住址不符</span>' in detail
    assert '<span lang="zh-CN">张伟</span><br>' in page(staff["reviewer"], "/staff/applications/")
    with translation.override("en"):
        assert zh("<b>张</b>") == '<span lang="zh-CN">&lt;b&gt;张&lt;/b&gt;</span>' and zh("Zhang") == "Zhang"
    with translation.override("zh-hans"):
        assert zh("张伟") == "张伟"


def test_a_verifier_reads_only_its_own_departments_notes(world, staff):
    # An outsider's social insurance verifier read the police's note "有治安处罚记录（内部）".
    pk = submit(world)
    Application.objects.filter(pk=pk).update(delivery_method="courier", delivery_address="福华路 8 号国际商会大厦")
    first = post(
        staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed", "note": "治安记录（内部）"}
    )
    # Where the case went, said with the confirmation (an outsider's verifier could not tell).
    assert "It waits for the other departments" in page(staff["police"], first["Location"])
    insurance = page(staff["insurance"], f"/staff/applications/{pk}/")
    assert "治安记录" not in insurance
    assert "国际商会大厦" not in insurance  # nor where the card goes (an outsider's verifier read it)
    # The same department again, from a page left open: told what was answered, and that this was not sent
    # (an outsider's second police verifier read only that the department had answered).
    stale = post(
        staff["police"], f"/staff/applications/{pk}/verify/", {"outcome": "not_confirmed", "note": "无记录"}, status=409
    ).content.decode()
    assert "already answered for this application (Confirmed, on 2026-03-02)" in stale
    assert "your answer and note were not sent" in stale and 'href="/staff/applications/"' in stale
    last = post(staff["insurance"], f"/staff/applications/{pk}/verify/", {"outcome": "confirmed", "note": "社保连续"})
    assert "It goes to the police reviewer." in page(staff["insurance"], last["Location"])
    reviewer = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert "治安记录" in reviewer and "社保连续" in reviewer  # the reviewer decides on both
    assert "国际商会大厦" in reviewer
    approved = post(staff["reviewer"], f"/staff/applications/{pk}/approve/")
    assert "It goes to the card production centre." in page(staff["reviewer"], approved["Location"])
    post(staff["production"], f"/staff/applications/{pk}/produce/")
    dispatched = post(staff["production"], f"/staff/applications/{pk}/dispatch/")
    assert "It is with the courier." in page(staff["production"], dispatched["Location"])


def test_a_closed_points_counter_and_a_point_closed_under_an_open_form_are_said_plainly(world, staff):
    """An outsider's clerk at a closed point still took applications in, and a point closed while
    a form was open read "not one of the available choices" with its bare code."""
    clerk, supervisor = staff["clerk"], staff["supervisor"]
    AcceptancePoint.objects.filter(code="44030500701").update(active=False)  # another point closes
    form = page(clerk, "/staff/applications/new/")
    assert "44030500701" not in form
    data = {"name": "李娜", "acceptance_point": "44030500701"}
    refused = post(clerk, "/staff/applications/new/", data, status=400).content.decode()
    assert "This acceptance point is closed now: choose another one." in refused
    # A code no point holds is unknown, as the API says (an outsider's made-up code read "closed").
    for code in ("99999999999", "abc"):
        unknown = post(clerk, "/staff/applications/new/", {**data, "acceptance_point": code}, status=400)
        assert "Unknown acceptance point." in unknown.content.decode() and "closed now" not in unknown.content.decode()
    # Nothing chosen in its place: the list starts empty, no other point selected (an outsider's
    # form came back showing the list's first point).
    select = re.search(r'<select name="acceptance_point"[^>]*>(.*?)</select>', refused, re.S).group(1)
    assert select.lstrip().startswith('<option value=""') and "selected" not in select
    moved = supervisor.post(
        "/staff/applications/move/", {"from_point": HOME_POINT, "to_point": "44030500701", "reason": "装修"}
    ).content.decode()
    assert "This acceptance point is closed now: choose another one." in moved
    assert re.search(r"<title>Error: Move applications", moved)  # one "Error:" (an outsider's read two)
    AcceptancePoint.objects.filter(code=HOME_POINT).update(active=False)  # the clerk's own point closes
    closed = clerk.get("/staff/applications/new/")
    assert closed.status_code == 409 and "closed to new applications" in closed.content.decode()
    # A form filled in before the point closed is answered on the form, nothing typed lost.
    sent = clerk.post("/staff/applications/new/", {"name": "李娜", "phone": "13700000011"})
    assert "closed to new applications" in sent.content.decode() and 'value="13700000011"' in sent.content.decode()
    assert not Application.objects.filter(person__name="李娜").exists()
    # The desk says so where it offered intake, and offers it no more.
    for url in ("/staff/", "/staff/applications/"):
        desk_page = page(clerk, url)
        assert 'data-testid="point-closed"' in desk_page and 'href="/staff/applications/new/"' not in desk_page, url


def test_the_police_and_the_reviewer_see_each_relative_against_the_records(world, staff):
    # An outsider listed a relative under another name with a valid ID number: nobody could tell.
    from .test_account_changes import identity

    recorded = identity("36010219950812234", "李小明")
    unknown = with_check("36010220150101002")
    family = [
        {"name": "王五", "id_number": recorded, "relation": "child"},
        {"name": "张小华", "id_number": unknown, "relation": "child"},
    ]
    pk = submit(world, family_members=family)
    police = page(staff["police"], f"/staff/applications/{pk}/")
    assert recorded in police and unknown in police
    assert "the records give this number to 李小明" in police and "not in the identity records" in police
    # Social insurance checks contributions, not relatives: masked, and no records beside them.
    insurance = page(staff["insurance"], f"/staff/applications/{pk}/")
    assert recorded not in insurance and recorded[:6] + "********" + recorded[-4:] in insurance
    assert 'data-testid="family-record"' not in insurance
    through_verification(staff, pk)
    reviewer = page(staff["reviewer"], f"/staff/applications/{pk}/")
    assert "the records give this number to 李小明" in reviewer
    # A relative listed under the records' name is said to match.
    Application.objects.filter(pk=pk).update(status="withdrawn")
    pk = submit(world, photo_receipt="PZ20260302B2", family_members=[{**family[0], "name": "李小明"}])
    assert "name as in the records" in page(staff["police"], f"/staff/applications/{pk}/")


def test_a_family_members_number_shown_on_a_desk_page_or_the_form_is_on_record_under_them(world, staff):
    """An outsider's supervisor searched the trail by a family member's number and found nothing,
    though the police page and the counter form showed it in full."""
    member = "11010519491231002X"  # GB 11643's own example
    pk = submit(world, family_members=[{"name": "李娜", "id_number": member, "relation": "spouse"}])
    shown = page(staff["police"], f"/staff/applications/{pk}/")
    assert member in shown
    assert staff["clerk"].get(f"/staff/applications/{pk}/form/")["Content-Type"] == "application/pdf"
    looks = AuditEvent.objects.filter(type="personal_data_viewed", person_index=person_index(member))
    assert sorted((e.actor.role, e.data["what"], e.data["as"]) for e in looks) == [
        ("clerk", "application_form", "family member"),
        ("verifier", "application", "family member"),
    ]


def test_a_masked_number_is_said_in_the_pages_language():
    from django.utils import translation

    from residence.web.templatetags.lang import masked

    with translation.override("zh-hans"):
        assert masked("430102********1234") == (
            '<span aria-hidden="true">430102********1234</span>'
            '<span class="visually-hidden">430102（中间数字已隐去）1234</span>'
        )
        assert masked("*****") == '<span aria-hidden="true">*****</span><span class="visually-hidden">已隐去</span>'
        assert masked("SZ2026") == "SZ2026"  # nothing hidden: as it is
