"""The permit pages through Django's test client: "My residence permit", online endorsement and
its results (granted, refused, pending, outside the window, not yours, unverified), the public
validity check, counter endorsement and a department's checks on the staff desk, the link to a
replacement, and the payment receipt."""

import re

import pytest
from django.utils import translation

from residence.accounts.services import real_name_verify
from residence.applications.models import Application
from residence.notifications.catalogue import render_message
from residence.permits.models import Endorsement, Permit, PermitEvent

from .applications import application_body, citizen_api, confirm_all, eligible_records, live_permit, staff_apis
from .conftest import CommittingClient, make_user, words
from .test_account_changes import identity
from .test_desk_pages import desk
from .test_web import web_login

pytestmark = pytest.mark.django_db

NUMBER = "4403202500000001"


def in_window_permit(user, number=NUMBER):
    """Issued 2025-04-15: the window runs 2026-02-14 … 2026-04-14, open on 2026-03-02."""
    return Permit.objects.create(
        number=number,
        id_number=user.person.id_number,
        name=user.person.name,
        issued_on="2025-04-15",
        anniversary_base="2025-04-15",
        endorsed_until="2026-04-15",
        continuous_since="2025-04-15",
        status="active",
        created_at="2025-04-15T10:00:00+08:00",
    )


def suspended_permit(user, number=NUMBER):
    """Not endorsed by 2025-06-01: suspended since then, less than 2 years before 2026-03-02."""
    return Permit.objects.create(
        number=number,
        id_number=user.person.id_number,
        name=user.person.name,
        issued_on="2024-06-01",
        anniversary_base="2024-06-01",
        endorsed_until="2025-06-01",
        continuous_since="2024-06-01",
        status="suspended",
        suspended_on="2025-06-01",
        created_at="2024-06-01T10:00:00+08:00",
    )


def signed_in(
    username="citizen1", phone="13812345678", body17="43010219900307123", name="张伟", verify=True, hukou="0"
):
    user = make_user(username, phone)
    if verify:
        real_name_verify(user=user, name=name, id_number=identity(body17, name, shenzhen_hukou=hukou))
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    assert web_login(client, username, phone=phone, remember=True).status_code == 302
    return client, user


@pytest.fixture
def citizen_web(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    client, user = signed_in()
    eligible_records()
    return client, user


def html(response, status=200):
    assert response.status_code == status, response.content.decode()[:3000]
    return words(response.content.decode())


# My residence permit --------------------------------------------------------------------------


def test_permit_page_shows_the_card_status_window_and_history(citizen_web):
    client, user = citizen_web
    permit = in_window_permit(user)
    PermitEvent.objects.create(permit=permit, kind="issued", on="2025-04-15", at="2025-04-15T10:00:00+08:00")
    page = html(client.get("/permits/"))
    for text in (
        "张伟",
        "Male",
        "汉",
        "1990-03-07",
        "430102********",
        "福田路 1 号",
        "Shenzhen Municipal Public Security Bureau",
        "2025-04-15",
        NUMBER,
        "Endorsement valid through 2026-04-14",  # suspended from the anniversary, 2026-04-15
        "from 2026-02-14 to 2026-04-14",
        "the platform keeps no copy of the photo",  # RULES §11 lists the photo: where it is
        "Open now",
        "Issued",
    ):
        assert text in page, text
    assert user.person.id_number not in page  # masked
    assert "/applications/apply/?kind=replacement" in page and "/applications/apply/?kind=exchange" in page


def test_a_holder_with_a_new_card_on_its_way_is_shown_it_not_offered_another(citizen_web):
    """An outsider's holder, an exchange awaiting payment, was still offered a replacement and an
    exchange, and told nothing of the open one (the API refused it with open_application)."""
    from residence.applications.services import application_submit

    client, user = citizen_web
    in_window_permit(user)
    exchange = application_submit(actor=user, data=application_body(kind="exchange"))
    page = html(client.get("/permits/"))
    told = f"Exchange (card damaged or data changed): your application {exchange.reference} is being dealt with."
    assert told in page
    assert f'href="/applications/{exchange.pk}/"' in page
    assert "/applications/apply/?kind=" not in page
    assert "a new one can be made once the application in progress has ended" in page


def test_account_area_links_the_permit_page_instead_of_coming_soon(citizen_web):
    client, _user = citizen_web
    page = html(client.get("/account/"))
    assert 'href="/permits/"' in page
    assert "/account/coming-soon/endorse/" not in page
    assert client.get("/account/coming-soon/endorse/").status_code == 404


def test_no_permit_yet(citizen_web):
    client, user = citizen_web
    page = html(client.get("/permits/"))
    assert 'data-testid="no-permit"' in page and 'href="/applications/"' in page
    # With an application on its way, the page points to it, not to applying again (outsider Y).
    from residence.applications.services import application_submit

    from .applications import application_body

    application = application_submit(actor=user, data=application_body())
    page = html(client.get("/permits/"))
    assert 'data-testid="open-application"' in page and application.reference in page
    assert f'href="/applications/{application.pk}/"' in page and 'href="/applications/"' not in page


def test_unverified_account_is_told_to_verify_first(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    client, _user = signed_in("plain1", "13812340001", verify=False)
    for url in ("/permits/", f"/permits/{NUMBER}/endorse/"):
        page = html(client.get(url), 403)
        assert 'data-testid="verify-first"' in page and 'href="/account/real-name/"' in page
    page = html(client.post(f"/permits/{NUMBER}/endorse/"), 403)
    assert "/account/real-name/" in page


def test_signed_out_goes_to_login(client):
    response = client.get("/permits/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_suspended_permit_says_endorse_it_first(citizen_web):
    client, user = citizen_web
    suspended_permit(user)
    page = html(client.get("/permits/"))
    assert 'data-testid="endorse-first"' in page and "?kind=replacement" not in page
    assert "from 2025-06-01 to 2027-05-31" in page


# Online endorsement ---------------------------------------------------------------------------


def test_endorse_in_the_window_confirms_then_grants(citizen_web):
    client, user = citizen_web
    in_window_permit(user)
    confirm = html(client.get(f"/permits/{NUMBER}/endorse/"))
    assert 'data-testid="endorse-now"' in confirm and "csrfmiddlewaretoken" in confirm
    # Endorsed until 2026-04-15: suspended from that day, so valid through 04-14 (an outsider saw 04-15).
    assert 'data-testid="valid-through">2026-04-14<' in confirm
    response = client.post(f"/permits/{NUMBER}/endorse/")
    assert response.status_code == 302
    result = html(client.get(response["Location"]))
    assert 'data-testid="result-granted"' in result and "2027-04-14" in result  # the last valid day
    assert "<title>Your permit is endorsed – " in result  # not the form's title (an outsider's audit)
    permit = Permit.objects.get()
    assert permit.endorsed_until.isoformat() == "2027-04-15"
    assert Endorsement.objects.get().channel == "online"
    history = html(client.get("/permits/"))
    # The history names the last valid day as the card above it does (an outsider saw 04-15 there).
    assert "Endorsed" in history and "valid through 2027-04-14" in history and "2027-04-15" not in history


def test_endorse_needs_csrf(citizen_web):
    _client, user = citizen_web
    in_window_permit(user)
    strict = CommittingClient(enforce_csrf_checks=True)
    assert web_login(strict, remember=True).status_code in (302, 403)
    assert strict.post(f"/permits/{NUMBER}/endorse/").status_code == 403
    assert not Endorsement.objects.exists()


def test_late_endorsement_restores_a_suspended_permit(citizen_web):
    client, user = citizen_web
    suspended_permit(user)
    response = client.post(f"/permits/{NUMBER}/endorse/")
    result = html(client.get(response["Location"]))
    # Endorsed until the anniversary 2027-03-02: valid through the day before, as the permit page says.
    assert "Endorsement valid through <strong" in result and "2027-03-01" in result and "restored from today" in result
    permit = Permit.objects.get()
    assert permit.endorsed_until.isoformat() == "2027-03-02"
    assert permit.status == "active" and permit.continuous_since.isoformat() == "2026-03-02"
    assert "Restored by a late endorsement" in html(client.get("/permits/"))


def test_outside_the_window_is_409_with_the_dates(citizen_web):
    client, user = citizen_web
    live_permit(user)  # endorsed until 2027-03-02: the window opens 2027-01-01
    # The page offers no button outside the window: it says when the window opens.
    confirm = html(client.get(f"/permits/{NUMBER}/endorse/"))
    assert 'data-testid="endorse-now"' not in confirm and 'data-testid="not-yet"' in confirm
    assert "from 2027-01-01 to 2027-03-01" in confirm
    page = html(client.post(f"/permits/{NUMBER}/endorse/"), 409)
    assert 'data-testid="problem"' in page
    assert "An endorsement can be made from 2027-01-01 to 2027-03-01." in page
    assert not Endorsement.objects.exists()


def test_someone_elses_permit_is_404(citizen_web):
    client, _user = citizen_web
    other = make_user("other1", "13812340002")
    real_name_verify(user=other, name="李娜", id_number=identity("44030419850101002", "李娜"))
    in_window_permit(other)
    assert client.get(f"/permits/{NUMBER}/endorse/").status_code == 404
    assert client.post(f"/permits/{NUMBER}/endorse/").status_code == 404
    assert client.get("/permits/NOSUCH/endorse/").status_code == 404
    assert not Endorsement.objects.exists()


def test_refused_shows_the_reasons(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    client, user = signed_in(hukou="1")  # took Shenzhen hukou: no route's conditions can be met
    in_window_permit(user)
    response = client.post(f"/permits/{NUMBER}/endorse/")
    result = html(client.get(response["Location"]))
    assert 'data-testid="result-refused"' in result and "<title>Your permit could not be endorsed – " in result
    assert "Holders of Shenzhen hukou do not need a residence permit." in result
    assert Endorsement.objects.get().outcome == "refused"


def test_pending_says_which_department_and_when(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    client, user = signed_in()  # no registration, no insurance: records missing, a department checks
    in_window_permit(user)
    response = client.post(f"/permits/{NUMBER}/endorse/")
    result = html(client.get(response["Location"]))
    assert 'data-testid="result-pending"' in result and "<title>A department checks your records – " in result
    assert "Police" in result and "2026-03-05" in result
    # The permit page says it is being checked; a second press is refused.
    assert "2026-03-05" in html(client.get("/permits/"))
    assert 'data-testid="endorse-now"' not in html(client.get(f"/permits/{NUMBER}/endorse/"))
    html(client.post(f"/permits/{NUMBER}/endorse/"), 409)
    assert Endorsement.objects.count() == 1


def test_an_endorsement_result_of_someone_else_is_404(citizen_web):
    client, user = citizen_web
    in_window_permit(user)
    location = client.post(f"/permits/{NUMBER}/endorse/")["Location"]
    other, _other_user = signed_in("other1", "13812340002", "44030419850101002", "李娜")
    assert other.get(location).status_code == 404


# Public check ---------------------------------------------------------------------------------


def test_public_check_answers_only_the_status(citizen_web, settings):
    _client, user = citizen_web
    in_window_permit(user)
    anonymous = CommittingClient()
    anonymous.cookies["django_language"] = "en"
    assert 'href="/permits/check/"' in html(anonymous.get("/"))
    assert "not in pinyin" in html(anonymous.get("/permits/check/"))  # the name as the card prints it
    page = html(anonymous.post("/permits/check/", {"number": NUMBER, "name": "张伟"}))
    assert 'data-testid="check-result"' in page and "Valid" in page
    assert "福田路" not in page and "1990-03-07" not in page
    assert "No permit matches" in html(anonymous.post("/permits/check/", {"number": NUMBER, "name": "李娜"}), 404)
    Permit.objects.update(status="suspended", suspended_on="2026-02-01")
    assert "Suspended" in html(anonymous.post("/permits/check/", {"number": NUMBER, "name": "张伟"}))
    html(anonymous.post("/permits/check/", {"number": "", "name": "张伟"}), 400)
    # A bad number and no name: both said at once (an outsider saw the number's only later).
    both = html(anonymous.post("/permits/check/", {"number": "abc", "name": ""}), 400)
    assert 'href="#id_number"' in both and 'href="#id_name"' in both and "4 to 40 letters" in both
    assert 'class="back-link"' in both
    # A full-width number is said at its field, in words (a generic "some fields" before).
    page = html(anonymous.post("/permits/check/", {"number": "４４０３２０２６", "name": "张伟"}), 400)
    assert 'href="#id_number"' in page and "half-width" in page


def test_public_check_page_and_api_share_the_rate_limit(citizen_web, settings):
    _client, user = citizen_web
    in_window_permit(user)
    settings.LIMIT_PERMIT_CHECKS_PER_HOUR = 2
    anonymous = CommittingClient(REMOTE_ADDR="10.44.0.1")
    assert anonymous.post("/permits/check/", {"number": NUMBER, "name": "张伟"}).status_code == 200
    assert anonymous.post(
        "/api/v1/permits/check", {"number": NUMBER, "name": "张伟"}, content_type="application/json"
    ).json() == {"status": "valid"}
    assert anonymous.post("/permits/check/", {"number": NUMBER, "name": "张伟"}).status_code == 429
    assert (
        anonymous.post(
            "/api/v1/permits/check", {"number": NUMBER, "name": "张伟"}, content_type="application/json"
        ).status_code
        == 429
    )


# Staff desk -----------------------------------------------------------------------------------


def test_clerk_finds_a_permit_by_id_number_and_endorses_at_the_counter(citizen_web):
    _client, user = citizen_web
    in_window_permit(user)
    clerk = desk("clerk")
    assert 'href="/staff/permits/"' in html(clerk.get("/staff/"))
    page = html(clerk.post("/staff/permits/", {"q": user.person.id_number}))
    card = page[page.find('data-testid="permit"') :]
    assert NUMBER in card and "430102********1234"[:14] in card and user.person.id_number not in card
    assert html(clerk.get("/staff/permits/", {"q": NUMBER})).count('data-testid="permit"') == 1
    # As a Chinese input method types it: full-width digits (an outsider was told "no permit").
    wide = NUMBER.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    assert html(clerk.get("/staff/permits/", {"q": wide})).count('data-testid="permit"') == 1
    assert 'data-testid="no-permit"' in html(clerk.post("/staff/permits/", {"q": "NOSUCH"}))
    # The holder's identity checked first, as at a hand-over (an outsider's clerk endorsed with one click).
    unchecked = clerk.post(f"/staff/permits/{NUMBER}/endorse/")
    assert "identity document in person, then tick the box." in html(clerk.get(unchecked["Location"]))
    assert not Endorsement.objects.exists()
    response = clerk.post(f"/staff/permits/{NUMBER}/endorse/", {"identity_checked": "on"})
    assert response.status_code == 302
    page = html(clerk.get(response["Location"]))
    assert "Endorsement valid through 2027-04-14" in page
    # The banner the clerk reads out names the same last valid day (it said the anniversary).
    assert f"Endorsed at the counter: {NUMBER} is valid through 2027-04-14." in page
    endorsement = Endorsement.objects.get()
    assert endorsement.channel == "counter" and endorsement.outcome == "granted"


def test_a_counter_look_up_shows_what_an_endorsement_needs_and_stops_at_the_days_limit(citizen_web, settings):
    """An outsider's clerk walked sixty permit numbers and read each holder's hukou and home address:
    the counter's card shows name, masked number, dates and status, and a clerk's look-ups a day are
    limited (the holder's own page still shows the whole card, RULES §11)."""
    from residence.records.models import Identity

    client, user = citizen_web
    in_window_permit(user)
    identity = Identity.objects.get(id_number=user.person.id_number)
    identity.hukou_address = "湖南省长沙市芙蓉区五一大道 1 号"
    identity.save(update_fields=["hukou_address"])
    assert identity.hukou_address in html(client.get("/permits/"))
    settings.LIMIT_COUNTER_PERMIT_LOOKUPS_PER_DAY = 2
    clerk = desk("clerk")
    page = html(clerk.post("/staff/permits/", {"q": NUMBER}))
    card = page[page.find('data-testid="permit"') :]
    assert NUMBER in card and user.person.name in card and "2026-04-14" in card
    assert identity.hukou_address not in card and "Date of birth" not in card and "Residence address" not in card
    assert clerk.post("/staff/permits/", {"q": "NOSUCH"}).status_code == 200
    refused = clerk.post("/staff/permits/", {"q": NUMBER})
    assert NUMBER not in html(refused, status=429) and "Too many requests. Try again in" in html(refused, status=429)


def test_a_counter_endorsement_sent_for_a_check_says_so_not_confirmed(settings):
    """An outsider's clerk read "Confirmed: the check passes to the next department", the police
    verifier's words, of an endorsement no one had checked yet: it might be read out as granted."""
    settings.FROZEN_TODAY = "2026-03-02"
    _client, user = signed_in()  # no registration, no insurance: records missing, a department checks
    in_window_permit(user)
    clerk = desk("clerk")
    response = clerk.post(f"/staff/permits/{NUMBER}/endorse/", {"identity_checked": "on"})
    page = html(clerk.get(response["Location"]))
    assert f"Sent for a check by Police: {NUMBER} is not endorsed yet; the answer is due by 2026-03-05" in page
    assert "Confirmed" not in page
    assert Endorsement.objects.get().outcome == "pending"


def test_counter_endorsement_outside_the_window_shows_the_dates(citizen_web):
    _client, user = citizen_web
    live_permit(user)
    clerk = desk("clerk")
    response = clerk.post(f"/staff/permits/{NUMBER}/endorse/", {"identity_checked": "on"})
    assert "from 2027-01-01 to 2027-03-01." in html(clerk.get(response["Location"]))
    assert not Endorsement.objects.exists()


def test_only_clerks_use_the_counter_and_only_verifiers_the_checks(citizen_web):
    citizen, _user = citizen_web
    reviewer = desk("reviewer")
    assert reviewer.get("/staff/permits/").status_code == 403
    assert reviewer.post(f"/staff/permits/{NUMBER}/endorse/").status_code == 403
    assert reviewer.get("/staff/permits/checks/").status_code == 403
    assert citizen.get("/staff/permits/").status_code == 403
    assert desk("clerk").get("/staff/permits/checks/").status_code == 403


def test_verifier_answers_the_departments_pending_endorsements(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    client, user = signed_in()
    in_window_permit(user)
    client.post(f"/permits/{NUMBER}/endorse/")
    endorsement = Endorsement.objects.get()
    assert endorsement.outcome == "pending" and endorsement.department == "police"
    insurance = desk("insurance")
    assert 'data-testid="no-checks"' in html(insurance.get("/staff/permits/checks/"))
    police = desk("police")
    assert 'href="/staff/permits/checks/"' in html(police.get("/staff/"))
    page = html(police.get("/staff/permits/checks/"))
    assert NUMBER in page and "2026-03-05" in page
    # Each department sees what it checks, not the others' gaps.
    assert "No current residence registration" in page and "Social insurance paid" not in page
    # Not confirmed needs a note.
    url = f"/staff/permits/checks/{endorsement.pk}/answer/"
    refused = police.post(url, {f"e{endorsement.pk}-confirmed": "no"})
    assert "Say what could not be confirmed" in html(refused, 400)
    assert Endorsement.objects.get().outcome == "pending"
    # A note typed without an answer is kept, the problem said at its permit's card (an outsider's
    # long note was lost, the problem said only at the top of the page).
    typed = police.post(url, {f"e{endorsement.pk}-note": "住址待核实：租赁合同已过期"})
    assert "住址待核实：租赁合同已过期</textarea>" in html(typed, 400)
    assert "Choose confirmed or not confirmed." in html(typed, 400)
    # Another department's verifier may not answer.
    page = html(insurance.get(insurance.post(url, {f"e{endorsement.pk}-confirmed": "yes"})["Location"]))
    assert Endorsement.objects.get().outcome == "pending"
    # The records show neither a registration nor insurance: the police confirm theirs, then the
    # social insurance department has its turn, with its own 3 working days; only then is it granted.
    assert endorsement.departments_after == ["social_insurance"]
    response = police.post(url, {f"e{endorsement.pk}-confirmed": "yes", f"e{endorsement.pk}-note": ""})
    page = html(police.get(response["Location"]))
    assert "passes to the next department" in page and 'data-testid="no-checks"' in page
    endorsement.refresh_from_db()
    assert (endorsement.outcome, endorsement.department, endorsement.departments_after) == (
        "pending",
        "social_insurance",
        [],
    )
    assert Permit.objects.get().endorsed_until.isoformat() == "2026-04-15"
    page = html(insurance.get("/staff/permits/checks/"))
    assert NUMBER in page and "2026-03-05" in page
    assert "Social insurance paid" in page and "No current residence registration" not in page
    response = insurance.post(url, {f"e{endorsement.pk}-confirmed": "yes", f"e{endorsement.pk}-note": ""})
    page = html(insurance.get(response["Location"]))
    # Endorsed until 2027-04-15: the banner names the last valid day, as the holder's pages do.
    assert f"Confirmed: {NUMBER} is valid through 2027-04-14." in page and 'data-testid="no-checks"' in page
    endorsement.refresh_from_db()
    assert endorsement.outcome == "granted" and endorsement.reasons == []
    assert Permit.objects.get().endorsed_until.isoformat() == "2027-04-15"


def test_verifier_refuses_with_a_note_the_holder_reads(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    client, user = signed_in()
    in_window_permit(user)
    location = client.post(f"/permits/{NUMBER}/endorse/")["Location"]
    endorsement = Endorsement.objects.get()
    police = desk("police")
    police.post(
        f"/staff/permits/checks/{endorsement.pk}/answer/",
        {f"e{endorsement.pk}-confirmed": "no", f"e{endorsement.pk}-note": "租赁合同已到期"},
    )
    result = html(client.get(location))
    assert 'data-testid="result-refused"' in result and "租赁合同已到期" in result


# Replacement and the payment receipt ---------------------------------------------------------


def test_the_form_offers_first_the_kind_that_fits_the_persons_permits(citizen_web):
    """An outsider's form offered a permit holder a first application, then refused it."""
    client, user = citizen_web
    checked = re.compile(r'<input[^>]*value="(\w+)"[^>]*checked')
    assert checked.findall(html(client.get("/applications/apply/kind/"))) == ["first"]
    live_permit(user)
    assert checked.findall(html(client.get("/applications/apply/kind/"))) == []
    Permit.objects.update(status="cancelled", suspended_on="2024-04-15", cancelled_on="2026-04-15")
    assert checked.findall(html(client.get("/applications/apply/kind/"))) == ["reapply"]


def test_the_replacement_link_preselects_the_kind(citizen_web):
    client, user = citizen_web
    live_permit(user)
    response = client.get("/applications/apply/?kind=replacement")
    assert response.status_code == 302 and response["Location"].endswith("/applications/apply/kind/")
    page = html(client.get(response["Location"]))
    assert re.search(r'<input[^>]*value="replacement"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="first"[^>]*checked', page)


def test_after_a_cancellation_the_pages_lead_to_a_re_application(citizen_web):
    client, user = citizen_web
    live_permit(user)
    Permit.objects.update(status="cancelled", suspended_on="2024-04-15", cancelled_on="2026-04-15")
    page = html(client.get("/permits/"))
    assert "/applications/apply/?kind=reapply" in page and "first applicant" not in page
    assert "On 2026-04-15" in page
    # The cancelled card offers it only while no other permit is live (an outsider's old card did after the new one).
    assert 'data-testid="reapply"' in page
    Permit.objects.update(cancelled_on=None)  # an imported cancellation: the day is not known
    assert "On 2026-04-15" not in html(client.get("/permits/"))
    # The kind step refuses a first application at once, saying why, before any other step.
    refused = html(client.post("/applications/apply/kind/", {"kind": "first", "route": "residence_employment"}))
    assert "re-application (20 yuan)" in refused and "field-error" in refused
    # So is an exchange or a replacement of the cancelled card (an outsider was told only that he held none).
    for kind in ("exchange", "replacement"):
        refused = html(client.post("/applications/apply/kind/", {"kind": kind, "route": "residence_employment"}))
        assert "Your permit was cancelled: apply for a re-application (20 yuan) instead." in refused, kind
    moved = client.post("/applications/apply/kind/", {"kind": "reapply", "route": "residence_employment"})
    assert moved.status_code == 302 and moved["Location"].endswith("/applications/apply/photo/")
    # Re-applied and holding the new permit: the old card no longer offers a re-application.
    live_permit(user, number="4403202600000099")
    page = html(client.get("/permits/"))
    assert 'data-testid="reapply"' not in page and "your permit above replaces it" in page


def test_payment_receipt_downloads_once_paid(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    api, user = citizen_api()
    eligible_records()
    live_permit(user)
    staff = staff_apis(["police", "insurance", "reviewer"])
    app = api.post("/api/v1/applications", application_body(kind="replacement")).json()
    client = CommittingClient()
    client.cookies["django_language"] = "en"
    # Before review the fee is not yet to pay (an outsider read "awaiting payment" from the start).
    web_login(client, remember=True)
    assert "to pay once the application passes review" in html(client.get(f"/applications/{app['id']}/"))
    confirm_all(staff, app)
    assert staff.reviewer.post(f"/api/v1/staff/applications/{app['id']}/approve", {}).json()["status"] == (
        "awaiting_payment"
    )
    assert "Awaiting payment" in html(client.get(f"/applications/{app['id']}/"))
    url = f"/applications/{app['id']}/payment-receipt.pdf"
    early = client.get(url, follow=True)  # said why, on the application's page
    assert early.redirect_chain == [(f"/applications/{app['id']}/", 302)]
    assert "has not been paid: its receipt is made once it is" in html(early)
    assert "payment-receipt" not in html(client.get(f"/applications/{app['id']}/"))
    # The web login ended the API's session (one live login per account): pay on the page.
    paying = client.post(f"/applications/{app['id']}/pay/", {"idempotency_key": "press-one-1234"})
    assert paying.status_code == 302 and paying["Location"] == f"/applications/{app['id']}/paid/"
    confirmation = html(client.get(paying["Location"]))
    payment = Application.objects.get().payments.get()
    assert "Fee paid" in confirmation and payment.transaction_id in confirmation and url in confirmation
    # The receipts are printed in Chinese, the official record: an English reader is told before
    # opening one (an outsider's English pages linked to Chinese-only PDFs unsaid).
    assert "payment receipt (PDF, in Chinese)" in confirmation
    assert "receipt (PDF, in Chinese)" in html(client.get(f"/applications/{app['id']}/"))
    # Pressed again (another tab): no second charge, the same confirmation, saying so.
    again = client.post(f"/applications/{app['id']}/pay/", {"idempotency_key": "press-two-5678"})
    assert again["Location"] == f"/applications/{app['id']}/paid/"
    assert (
        "not charged again" in html(client.get(again["Location"])) and Application.objects.get().payments.count() == 1
    )
    assert url in html(client.get(f"/applications/{app['id']}/"))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response.content.startswith(b"%PDF")
        and response["Content-Disposition"] == f'inline; filename="payment-{Application.objects.get().reference}.pdf"'
    )
    other, _other_user = signed_in("other1", "13812340002", "44030419850101002", "李娜")
    assert other.get(url).status_code == 404
    assert Application.objects.get().payment_status == "paid"


def test_a_counter_search_by_id_number_is_on_record_found_or_not(citizen_web):
    # An outsider's search for a person without a permit left no trace: "no permit" tells the
    # clerk something of that person too.
    from residence.audit.models import AuditEvent
    from residence.audit.services import person_index

    from .idnumbers import WANG_FANG

    clerk = desk("clerk")
    assert 'data-testid="no-permit"' in html(clerk.post("/staff/permits/", {"q": WANG_FANG.lower()}))
    [event] = AuditEvent.objects.filter(type="personal_data_viewed", data__what="permit_search")
    assert event.person_index == person_index(WANG_FANG) and event.actor.username == "desk_clerk"
    assert event.address == "127.0.0.1"
    html(clerk.post("/staff/permits/", {"q": "NOSUCH"}))  # a permit number: nobody's ID asked about
    assert AuditEvent.objects.filter(data__what="permit_search").count() == 1


# The reviewer's cancellations (RULES §10) ------------------------------------------------------


def test_a_reviewer_sees_holders_who_took_shenzhen_hukou_and_cancels_their_permits(citizen_web):
    """An outsider's holder took Shenzhen hukou; the permit stayed "valid" and nobody was shown it."""
    from residence.audit.models import AuditEvent
    from residence.notifications.models import Message

    _client, user = citizen_web
    live_permit(user)
    reviewer = desk("reviewer")
    assert 'data-testid="no-hukou-holders"' in html(reviewer.get("/staff/permits/revocations/"))
    # Not on this ground while the records do not show it (an outsider cancelled such a permit).
    for refused in (
        reviewer.get("/staff/permits/4403202500000001/revoke/?reason=shenzhen_hukou"),
        reviewer.post("/staff/permits/4403202500000001/revoke/", {"reason": "shenzhen_hukou"}),
    ):
        assert refused.status_code == 409 and "do not show this holder with Shenzhen hukou" in refused.content.decode()
    assert Permit.objects.get().status == "active"
    identity("43010219900307123", "张伟", shenzhen_hukou="1")  # the records change
    assert "1 holder took Shenzhen hukou" in html(reviewer.get("/staff/"))
    listed = html(reviewer.get("/staff/permits/revocations/"))
    assert 'data-testid="revoke-4403202500000001"' in listed and "430102********1234"[:6] in listed
    check = html(reviewer.get("/staff/permits/4403202500000001/revoke/?reason=shenzhen_hukou"))
    assert "The holder took Shenzhen hukou" in check and Permit.objects.get().status == "active"
    done = reviewer.post("/staff/permits/4403202500000001/revoke/", {"reason": "shenzhen_hukou"})
    assert done.status_code == 302 and done["Location"] == "/staff/permits/revocations/"
    permit = Permit.objects.get()
    assert permit.status == "cancelled" and permit.cancel_reason == "shenzhen_hukou"
    assert permit.cancelled_on.isoformat() == "2026-03-02"
    # Told why, and not to apply again (a Shenzhen hukou holder needs no permit).
    message = Message.objects.get(user=user, key="permit_cancelled_hukou")
    with translation.override("en"):
        body = render_message(message.key, message.params)[1]
    assert "Shenzhen hukou" in body and "apply" not in body
    # Endorsing it says the same, not "apply again (a re-application, 20 yuan)" (an outsider).
    from residence.core.errors import Conflict
    from residence.permits.services import endorsement_request

    with translation.override("en"), pytest.raises(Conflict) as refused:
        endorsement_request(actor=user, number="4403202500000001")
    assert "you hold Shenzhen hukou" in refused.value.message and "apply" not in refused.value.message
    assert AuditEvent.objects.filter(type="permit_changed", actor__username="desk_reviewer").exists()
    assert 'data-testid="no-hukou-holders"' in html(reviewer.get("/staff/permits/revocations/"))
    # Twice: a clear 409 page, nothing changed.
    again = reviewer.post("/staff/permits/4403202500000001/revoke/", {"reason": "shenzhen_hukou"})
    assert again.status_code == 409 and "already cancelled" in again.content.decode()
    assert PermitEvent.objects.filter(kind="cancelled").count() == 1


def test_another_permit_is_found_by_number_and_only_a_reviewer_cancels(citizen_web):
    _client, user = citizen_web
    live_permit(user)
    reviewer = desk("reviewer")
    found = reviewer.get("/staff/permits/revocations/?number=4403202500000001&reason=fraud")
    assert found.status_code == 302 and found["Location"] == "/staff/permits/4403202500000001/revoke/?reason=fraud"
    assert reviewer.get("/staff/permits/NOSUCH1/revoke/?reason=fraud").status_code == 404
    # A mistyped number is said on the form, with what was typed (an outsider's form was lost).
    typo = html(reviewer.get("/staff/permits/revocations/?number=4403209999999999&reason=fraud"), status=404)
    assert "No permit has this number." in typo and 'value="4403209999999999"' in typo
    assert 'value="fraud" checked' in typo or 'value="fraud" selected' in typo
    assert reviewer.get("/staff/permits/4403202500000001/revoke/?reason=whim").status_code == 400
    clerk = desk("clerk")
    assert clerk.get("/staff/permits/revocations/").status_code == 403
    assert clerk.post("/staff/permits/4403202500000001/revoke/", {"reason": "fraud"}).status_code == 403
    assert Permit.objects.get().status == "active"
