"""The residence registration pages through Django's test client: houses (register in steps,
check, the duplicate, find), move-in and move-out with check and confirmation, the declarations
list, a tenant's self-report and its confirmation, the organisation's dashboard and sub-accounts,
bulk files, the counter, the platform chosen at login; and the refusals."""

import datetime as dt
import html
import io
import re
import zipfile

import openpyxl
import pypdf
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from residence.accounts.models import Kind, User
from residence.accounts.services import organisation_activate, real_name_verify
from residence.audit.models import AuditEvent
from residence.notifications.models import Message
from residence.records.models import Registration
from residence.registrations import services
from residence.registrations.models import BulkUpload, Declaration, House

from .conftest import PASSWORD, CommittingClient, make_user, send_checked, words
from .idnumbers import WANG_FANG, ZHANG_WEI, with_check, wrong_check
from .test_account_changes import identity
from .test_desk_pages import desk
from .test_web import web_login

pytestmark = pytest.mark.django_db

LI_NA = with_check("36010219950812234")
HEADER = "house,kind,name,id_number,phone,declarant_type,occupation,reason,date\n"


def english_client():
    client = CommittingClient(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    return client


def signed_in(username, phone, platform="permit"):
    client = english_client()
    response = web_login(client, username, phone=phone, remember=True)
    assert response.status_code == 302, response.content
    if platform != "permit":
        client.get(f"/account/?platform={platform}")
    return client


@pytest.fixture
def landlord(settings):
    """A verified individual signed in on the web, pages in English."""
    settings.FROZEN_TODAY = "2026-03-02"
    user = make_user("citizen1", "13812345678")
    real_name_verify(user=user, name="张伟", id_number=identity("43010219900307123", "张伟"))
    return signed_in("citizen1", "13812345678"), user


def house_data(**extra):
    return {
        "street": "440304004",
        "building_code": "4403040040012",
        "building_name": "福田花园",
        "room": "101",
        "address": "深圳市福田区福田路 88 号福田花园 1 栋",
        "housing_type": "rented",
        **extra,
    }


def register_house(client, confirm=True, **extra):
    """A house through the web steps; with `confirm`, then confirmed as a clerk would (only a
    confirmed house takes declarations)."""
    data = house_data(**extra)
    steps = [
        ("street", {"street": data["street"]}),
        ("building", {"building_code": data["building_code"], "building_name": data["building_name"]}),
        ("room", {"room": data["room"], "address": data["address"], "housing_type": data["housing_type"]}),
    ]
    for step, values in steps:
        response = client.post(f"/registration/houses/new/{step}/", values)
        assert response.status_code == 302, (step, response.content.decode()[:3000])
    assert response["Location"] == "/registration/houses/new/check/"
    done = send_checked(client, "/registration/houses/new/check/")
    if confirm:
        House.objects.filter(pk=House.objects.latest("id").pk).update(confirmed=True)
    return done


def move_in_data(**extra):
    return {
        "name": "李娜",
        "id_number": LI_NA,
        "phone": "13700000021",
        "declarant_type": "landlord",
        "occupation": "3",
        "reason": "1",
        "date": "2026-02-27",
        **extra,
    }


def declare(client, house, kind="move_in", **extra):
    move_out = {"occupant": "other", "id_number": LI_NA, "date": "2026-03-01"}
    data = move_in_data(**extra) if kind == "move_in" else {**move_out, **extra}
    response = client.post(f"/registration/houses/{house}/{kind}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return send_checked(client, f"/registration/houses/{house}/{kind}/check/")


# Houses -------------------------------------------------------------------------------------


def test_a_house_is_registered_step_by_step_and_flagged_for_a_clerk(landlord):
    client, user = landlord
    page = client.get("/registration/houses/new/").content.decode()
    assert "<optgroup" in page and "Futian Subdistrict" in page  # streets grouped by district, in English here
    response = register_house(client, confirm=False)
    house = House.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/registration/houses/{house.pk}/"
    assert house.owner == user and not house.confirmed
    page = client.get(response["Location"]).content.decode()
    assert "House registered" in page and "flagged for a clerk to confirm" in page and "Waiting for a clerk" in page
    # The same room again: the 409 on the check page, with the house registered before.
    again = register_house(client, confirm=False)
    assert again.status_code == 409
    html = again.content.decode()
    assert "already registered this room" in html and f"/registration/houses/{house.pk}/" in html
    assert House.objects.count() == 1


def test_the_house_steps_show_errors_at_the_field(landlord):
    client, _user = landlord
    response = client.post("/registration/houses/new/building/", {"building_code": "12-3", "building_name": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "error-summary" in html and 'href="#id_building_name"' in html
    # The code is checked on its own step: too short, or typed with full-width digits (the
    # default of many Chinese keyboards), it is refused there, with the reason.
    client.post("/registration/houses/new/street/", {"street": "440304004"})
    for code, reason in (("123", "10 to 19 digits"), ("４４０３０４１２３４５", "half-width digits")):
        response = client.post(
            "/registration/houses/new/building/", {"building_code": code, "building_name": "福田花园"}
        )
        page = response.content.decode()
        assert response.status_code == 200 and reason in page and "field-error" in page, code
    response = client.post(
        "/registration/houses/new/building/", {"building_code": "4403041234", "building_name": "福田花园"}
    )
    assert response.status_code == 302 and response["Location"].endswith("/registration/houses/new/room/")
    # The room is refused on its own page as the house would be refused at the end (an outsider's
    # "=1+1" passed here and was refused after "Register the house").
    for room, said in (("=1+1", "do not start the text with"), ("Ａ" * 31, "at most 30 characters")):
        body = {"room": room, "address": "深圳市福田区福田路 88 号", "housing_type": "rented"}
        response = client.post("/registration/houses/new/room/", body)
        assert response.status_code == 200 and said in response.content.decode(), room
    assert not House.objects.exists()


def test_my_houses_are_found_by_district_street_and_building(landlord):
    client, _user = landlord
    register_house(client)
    register_house(client, street="440304001", building_code="4403040010001", building_name="园岭新村", room="2")
    html = client.get("/registration/houses/").content.decode()
    assert "福田花园" in html and "园岭新村" in html
    html = client.get("/registration/houses/?district=440304&street=440304004&q=福田").content.decode()
    assert "福田花园" in html and "园岭新村" not in html
    html = client.get("/registration/houses/?q=4403040010").content.decode()
    assert "园岭新村" in html and "福田花园" not in html
    html = client.get("/registration/houses/?district=440303").content.decode()
    assert "No houses." in html
    # The street list follows the district chosen (named in the page's language, RULES §13).
    assert '<optgroup label="Luohu">' in html and "Guiyuan Subdistrict" in html and "Yuanling Subdistrict" not in html


# Declarations -------------------------------------------------------------------------------


def test_a_move_in_is_checked_sent_and_confirmed_with_its_reference(landlord):
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    form = client.get(f"/registration/houses/{house.pk}/move_in/").content.decode()
    assert "Head of a state organ" in form and "14 Other" in form and "Study or training" in form
    # The tenant's data is not the landlord's browser's to offer again, nor the landlord's own phone.
    for field in ("name", "id_number", "phone"):
        tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', form).group(0)
        assert 'autocomplete="off"' in tag, tag
    # The date picker offers no day after today (2026-03-02 here), as the page refuses one.
    date = re.search(r'<input[^>]*name="date"[^>]*>', form).group(0)
    assert 'type="date"' in date and 'max="2026-03-02"' in date and 'min="1949-01-01"' in date
    # A rented house's declarant can only be its landlord: chosen already (an outsider was asked to).
    declarant = re.findall(r'<input[^>]*name="declarant_type"[^>]*>', form)
    assert len(declarant) == 1 and 'value="landlord"' in declarant[0] and "checked" in declarant[0]
    response = client.post(f"/registration/houses/{house.pk}/move_in/", move_in_data())
    assert response["Location"] == f"/registration/houses/{house.pk}/move_in/check/"
    check = client.get(response["Location"]).content.decode()
    assert "李娜" in check and "360102********2342" in check and "3 Clerical" in check and "1 Work" in check
    assert not Declaration.objects.exists()
    sent = send_checked(client, response["Location"])
    declaration = Declaration.objects.get()
    assert sent["Location"] == f"/registration/declarations/{declaration.pk}/"
    page = client.get(sent["Location"]).content.decode()
    assert "Declaration recorded" in page and declaration.reference in page
    assert "Registered from 2026-02-27" in page and "No, in time" in page
    assert Registration.objects.get(id_number=LI_NA).registered_on.isoformat() == "2026-02-27"
    # Afterwards the page has no confirmation panel, the facts stay.
    again = client.get(sent["Location"]).content.decode()
    assert "Declaration recorded" not in again and declaration.reference in again


def test_an_individual_is_offered_landlord_or_owner_and_an_organisation_every_type(landlord, org):
    client, _user = landlord
    register_house(client)  # rented
    house = House.objects.get(owner=_user)
    form = client.get(f"/registration/houses/{house.pk}/move_in/").content.decode()
    # Owner only for owned housing: an outsider was offered it for a rented room, and refused
    # only after the check page.
    assert 'value="landlord"' in form and 'value="owner"' not in form
    assert 'value="hotel"' not in form and 'value="employer"' not in form
    House.objects.filter(pk=house.pk).update(housing_type="owned")
    form = client.get(f"/registration/houses/{house.pk}/move_in/").content.decode()
    assert 'value="landlord"' in form and 'value="owner"' in form
    hotel = client.post(f"/registration/houses/{house.pk}/move_in/", move_in_data(declarant_type="hotel"))
    assert hotel.status_code == 200 and "Choose one of the answers offered." in hotel.content.decode()
    org_client, _org_user, houses = org
    form = org_client.get(f"/registration/houses/{houses[0].pk}/move_in/").content.decode()
    assert all(f'value="{kind}"' in form for kind in ("landlord", "manager", "employer", "school", "hotel"))
    assert 'value="owner"' not in form  # an organisation is not a resident
    assert not Declaration.objects.exists()


def test_a_late_move_in_is_accepted_and_flagged_with_the_days(landlord):
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    sent = declare(client, house.pk, date="2026-02-20")  # 10 days: 3 beyond a landlord's 7
    page = client.get(sent["Location"]).content.decode()
    assert "Declared late" in page and "3 days late" in page and "Late: 3 days" in page


def test_the_districts_clerk_sees_its_late_declarations_and_another_districts_does_not(landlord):
    # RULES §1: a late declaration is flagged; an outsider found the flag reached nobody who
    # enforces the deadline, and any clerk could open any district's declaration by its number.
    from residence.accounts.services import staff_create
    from residence.places.models import AcceptancePoint

    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    declare(client, house.pk, date="2026-02-20")  # 10 days: 3 beyond a landlord's 7
    declare(client, house.pk, kind="move_out", date="2026-03-01")  # in time
    late = Declaration.objects.get(days_late__gt=0)
    clerk = desk("clerk")  # of 福田 (440304), the house's district
    home = clerk.get("/staff/registrations/").content.decode()
    assert 'data-testid="late-declarations"' in home and late.reference in home
    assert home.count("/staff/registrations/declarations/") == 1  # the declaration in time is not listed
    assert clerk.get(f"/staff/registrations/declarations/{late.pk}/").status_code == 200
    staff_create(
        username="desk_nanshan",
        password=PASSWORD,
        phone="13900001099",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030500701"),  # 南山
    )
    nanshan = signed_in("desk_nanshan", "13900001099")
    assert late.reference not in nanshan.get("/staff/registrations/").content.decode()
    assert nanshan.get(f"/staff/registrations/declarations/{late.pk}/").status_code == 404
    # Nor a house of another district by its id on the counter's form (an outsider's clerk read
    # other districts' homes by counting ids): refused before the building and room are shown.
    for path in ("declare/", "declare/check/"):
        refused = nanshan.get(f"/staff/registrations/houses/{house.pk}/{path}")
        assert refused.status_code == 403 and house.building_name not in refused.content.decode()
    assert clerk.get(f"/staff/registrations/houses/{house.pk}/declare/").status_code == 200


def tenant_reporting(client, date: str):
    """A house of the landlord's, and 王芳's report of her move-in there on `date`, sent: (her
    account, her signed-in client, the report, the answer to sending it)."""
    register_house(client)
    tenant_user = make_user("citizen2", "13812345679")
    real_name_verify(user=tenant_user, name="王芳", id_number=identity("44030419900101555", "王芳"))
    tenant = signed_in("citizen2", "13812345679")
    report = {"street": "440304004", "building_code": "4403040040012", "room": "101", "phone": "13812345679",
              "occupation": "2", "reason": "1", "date": date}  # fmt: skip
    tenant.post("/registration/self-report/", report)
    return tenant_user, tenant, report, send_checked(tenant, "/registration/self-report/check/")


def test_the_clerk_sees_a_tenants_report_not_yet_confirmed_as_such_with_no_receipt(landlord):
    """An outsider's clerk read "Declaration recorded" and printed a registration receipt for a
    tenant's report still waiting, and for one withdrawn, which the late list also showed."""
    client, _user = landlord
    _tenant_user, tenant, _report, _sent = tenant_reporting(client, "2026-02-20")
    pending = Declaration.objects.get()
    assert pending.status == "pending" and pending.days_late > 0
    clerk = desk("clerk")
    page = clerk.get(f"/staff/registrations/declarations/{pending.pk}/").content.decode()
    assert 'data-testid="not-recorded"' in page and "Waiting for the house&#x27;s holder to confirm" in page
    assert "Declaration recorded" not in page and 'data-testid="receipt"' not in page
    refused = clerk.get(f"/staff/registrations/declarations/{pending.pk}/receipt/")
    assert refused.status_code == 409 and "has no receipt" in refused.content.decode()
    assert pending.reference in clerk.get("/staff/registrations/").content.decode()  # late, and still to come
    tenant.post(f"/registration/declarations/{pending.pk}/withdraw/")
    assert Declaration.objects.get().status == "withdrawn"
    assert pending.reference not in clerk.get("/staff/registrations/").content.decode()
    assert clerk.get(f"/staff/registrations/declarations/{pending.pk}/receipt/").status_code == 409


def test_a_check_page_sends_what_it_showed_not_what_another_tab_typed_since(landlord):
    """An outsider's second tab typed another resident (and another room) after the first showed its
    check page; the first tab's "send" recorded the second's. It is refused, nothing recorded."""
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    check_url = f"/registration/houses/{house.pk}/move_in/check/"
    assert client.post(f"/registration/houses/{house.pk}/move_in/", move_in_data())["Location"] == check_url
    first_tab = re.search(r'name="answers" value="([0-9a-f]+)"', client.get(check_url).content.decode()).group(1)
    second = move_in_data(name="王芳", id_number=WANG_FANG)
    assert client.post(f"/registration/houses/{house.pk}/move_in/", second).status_code == 302
    stale = client.post(check_url, {"answers": first_tab})
    html = stale.content.decode()
    assert stale.status_code == 409 and "Your answers were changed in another window" in html and "王芳" in html
    assert not Declaration.objects.exists()
    send_checked(client, check_url)  # checked again: what the page now shows is sent
    assert Declaration.objects.get().id_number == WANG_FANG
    # Sent again from a tab left open: nothing more, and said, on the house's page that lists it
    # (an outsider's fell silently on an empty form).
    again = client.post(check_url, {"answers": first_tab}, follow=True)
    assert again.redirect_chain[-1][0] == f"/registration/houses/{house.pk}/"
    assert "Nothing was sent from that page" in again.content.decode() and Declaration.objects.count() == 1
    # The house wizard alike.
    for step, values in (
        ("street", {"street": "440304004"}),
        ("room", {"room": "1301", "address": "福华路 8 号 1301", "housing_type": "rented"}),
    ):
        client.post(f"/registration/houses/new/{step}/", values)
    client.post("/registration/houses/new/building/", {"building_code": "4403040040012", "building_name": "福华大厦"})
    page = client.get("/registration/houses/new/check/").content.decode()
    shown = re.search(r'name="answers" value="([0-9a-f]+)"', page).group(1)
    client.post(
        "/registration/houses/new/room/?return=check",
        {"room": "1302", "address": "福华路 8 号 1302", "housing_type": "rented"},
    )
    refused = client.post("/registration/houses/new/check/", {"answers": shown})
    assert refused.status_code == 409 and House.objects.count() == 1


def test_declaration_errors_come_back_to_the_form_and_conflicts_to_the_check_page(landlord):
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    bad = client.post(
        f"/registration/houses/{house.pk}/move_in/", move_in_data(id_number=wrong_check(LI_NA), occupation="99")
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and "error-summary" in html and 'href="#id_id_number"' in html
    assert 'href="#id_occupation"' in html
    # A move-in date to come is refused on the form's own page, not after the check page.
    future = client.post(f"/registration/houses/{house.pk}/move_in/", move_in_data(date="2026-03-09"))
    html = future.content.decode()
    assert future.status_code == 200 and 'href="#id_date"' in html and "cannot be in the future" in html
    # The picker shows a date in the reader's own format (11/20/2026 in an outsider's), so neither the
    # hint nor the refusal of an empty one names another; a typed wrong one is told the format.
    empty = client.post(f"/registration/houses/{house.pk}/move_in/", move_in_data(date="")).content.decode()
    assert "Enter the date." in empty and "2026-03-01" not in empty
    typed = client.post(f"/registration/houses/{house.pk}/move_in/", move_in_data(date="20/11/2026"))
    assert "Give a date as YYYY-MM-DD." in typed.content.decode()
    # A name that is no name, on the form's own page too (an outsider saw the check page pass it).
    for name in ("张三1", "=1+1"):
        bad_name = client.post(f"/registration/houses/{house.pk}/move_in/", move_in_data(name=name))
        assert bad_name.status_code == 200 and "letters only" in bad_name.content.decode()
    # No code is chosen for the declarant: the page starts on an empty choice.
    page = client.get(f"/registration/houses/{house.pk}/move_in/").content.decode()
    assert '<option value="" selected>—</option>' in page
    declare(client, house.pk)
    twice = declare(client, house.pk)
    assert twice.status_code == 409 and "already lives in this house" in twice.content.decode()
    assert Declaration.objects.count() == 1


def test_a_move_out_ends_the_registration_and_the_current_filter(landlord):
    client, _user = landlord
    register_house(client)
    register_house(client, room="102")
    first, second = House.objects.order_by("room")
    declare(client, first.pk)
    declare(client, second.pk, id_number=WANG_FANG, name="王芳")
    current = client.get("/registration/declarations/?current=1").content.decode()
    assert "李娜" in current and "王芳" in current
    out = declare(client, first.pk, kind="move_out")
    page = client.get(out["Location"]).content.decode()
    assert "Move-out" in page and "ended on 2026-03-01" in page
    current = client.get("/registration/declarations/?current=1").content.decode()
    assert "王芳" in current and "李娜" not in current
    everything = client.get("/registration/declarations/").content.decode()
    assert everything.count("李娜") >= 1 and "Move-out" in everything
    # The house page lists who lives there now.
    assert "王芳" in client.get(f"/registration/houses/{second.pk}/").content.decode()
    nobody = declare(client, first.pk, kind="move_out")
    assert nobody.status_code == 409 and "does not live in this house" in nobody.content.decode()


def test_a_person_sees_where_and_since_when_they_are_registered(landlord):
    client, _user = landlord
    register_house(client)
    register_house(client, room="102")
    first, second = House.objects.order_by("room")
    declare(client, first.pk)
    declare(client, first.pk, kind="move_out")
    declare(client, second.pk, date="2026-03-02")
    declare(client, second.pk, id_number=WANG_FANG, name="王芳")
    tenant = make_user("lina", "13700000021")
    real_name_verify(user=tenant, name="李娜", id_number=identity(LI_NA[:17], "李娜"))
    mine = signed_in("lina", "13700000021")
    account = mine.get("/account/").content.decode()
    assert 'href="/registration/mine/"' in account
    page = words(mine.get("/registration/mine/").content.decode())
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    assert "2026-03-02" in rows[0] and "Registered now" in rows[0] and "102" in rows[0]
    assert "2026-02-27" in rows[1] and "2026-03-01" in rows[1] and "101" in rows[1]
    # Someone else's registration in the same house is not theirs to see.
    assert WANG_FANG not in page and "王芳" not in page


def test_my_registrations_need_a_verified_personal_account(landlord):
    make_user("newcomer", "13812340000")
    unverified = signed_in("newcomer", "13812340000")
    response = unverified.get("/registration/mine/")
    assert response.status_code == 403
    assert "registrations are shown once the platform knows who you are" in response.content.decode()
    organisation()
    response = signed_in("org_admin", "13812340002").get("/registration/mine/")
    assert response.status_code == 403
    assert "Only a personal account has residence registrations" in response.content.decode()
    client, _user = landlord
    assert "You have no residence registration yet" in client.get("/registration/mine/").content.decode()


def test_a_landlord_moves_out_a_resident_chosen_from_the_houses_list(landlord):
    """An outsider's landlord saw 王五 as 440304********1235 on the house page and was asked for his
    full ID number to declare the move-out: the house's residents are now chosen from its list."""
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    declare(client, house.pk)
    declare(client, house.pk, id_number=WANG_FANG, name="王芳")
    li_na = Declaration.objects.get(id_number=LI_NA)
    page = client.get(f"/registration/houses/{house.pk}/").content.decode()
    link = f"/registration/houses/{house.pk}/move_out/?occupant={li_na.pk}"
    assert f'href="{link}"' in page and 'Declare <span lang="zh-CN">李娜</span>\'s move-out' in page
    form = client.get(link).content.decode()
    assert re.search(f'value="{li_na.pk}"[^>]* checked>', form) and "李娜" in form and "王芳" in form
    assert LI_NA not in form and WANG_FANG not in form  # the numbers are shown masked, never in full
    # Nobody chosen: the page asks who (and not for a number); "someone else" without a number
    # asks for the number; a resident of another house is not among the choices.
    nobody = client.post(link, {"date": "2026-03-01"}).content.decode()
    assert "Choose who is moving out." in nobody and "Enter the 18-character ID number." not in nobody
    tampered = client.post(link, {"occupant": "99999", "date": "2026-03-01"}).content.decode()
    assert "Choose one of the people listed, or someone else." in tampered
    # An unsent move-out of one resident, then the other's link: the form has the other chosen.
    wang_fang = Declaration.objects.get(id_number=WANG_FANG)
    assert client.post(link, {"occupant": str(li_na.pk), "date": "2026-03-01"}).status_code == 302
    other_link = f"/registration/houses/{house.pk}/move_out/?occupant={wang_fang.pk}"
    assert re.search(f'value="{wang_fang.pk}"[^>]* checked>', client.get(other_link).content.decode())
    other = client.post(link, {"occupant": "other", "date": "2026-03-01"}).content.decode()
    assert "Enter the 18-character ID number." in other
    response = client.post(link, {"occupant": str(li_na.pk), "id_number": "", "date": "2026-03-01"})
    assert response.status_code == 302
    check = client.get(response["Location"]).content.decode()
    assert "李娜" in check and LI_NA not in check and LI_NA[:6] + "********" + LI_NA[-4:] in check
    sent = send_checked(client, response["Location"])
    assert sent.status_code == 302
    assert Declaration.objects.filter(kind="move_out", id_number=LI_NA).exists()
    now = client.get(f"/registration/houses/{house.pk}/").content.decode()
    assert "王芳" in now and "李娜</span>'s move-out" not in now


def test_the_check_page_warns_before_sending_that_a_declaration_is_late(landlord):
    """An outsider learnt that a move-in was "21 days late" only after sending it. Today is
    2026-03-02; a landlord has 7 days, an owner living there 15 (RULES §1)."""
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    late = move_in_data(date="2026-02-01")  # 29 days: 22 beyond a landlord's 7
    assert client.post(f"/registration/houses/{house.pk}/move_in/", late).status_code == 302
    page = client.get(f"/registration/houses/{house.pk}/move_in/check/").content.decode()
    assert 'data-testid="late-warning"' in page and "22 days after the allowance" in page and "of 7 days" in page
    House.objects.filter(pk=house.pk).update(housing_type="owned")  # an owner declares in owned housing
    as_owner = {**late, "declarant_type": "owner"}  # 29 days: 14 beyond an owner's 15
    assert client.post(f"/registration/houses/{house.pk}/move_in/", as_owner).status_code == 302
    page = client.get(f"/registration/houses/{house.pk}/move_in/check/").content.decode()
    assert "14 days after the allowance" in page and "of 15 days" in page
    in_time = {**late, "date": "2026-02-27"}
    assert client.post(f"/registration/houses/{house.pk}/move_in/", in_time).status_code == 302
    assert (
        'data-testid="late-warning"'
        not in client.get(f"/registration/houses/{house.pk}/move_in/check/").content.decode()
    )
    sent = client.post(f"/registration/houses/{house.pk}/move_in/", as_owner)
    send_checked(client, sent["Location"])
    assert Declaration.objects.get().days_late == 14  # what the page said is what was recorded


def test_a_tenant_reports_himself_and_the_landlord_confirms_it(landlord):
    client, _user = landlord
    register_house(client)
    tenant_user = make_user("citizen2", "13812345679")
    real_name_verify(user=tenant_user, name="王芳", id_number=identity("44030419900101555", "王芳"))
    tenant = signed_in("citizen2", "13812345679")
    report = {
        "street": "440304004",
        "building_code": "4403040040012",
        "room": "101",
        "phone": "13812345679",
        "occupation": "2",
        "reason": "1",
        "date": "2026-03-01",
    }
    assert tenant.post("/registration/self-report/", report)["Location"] == "/registration/self-report/check/"
    check = tenant.get("/registration/self-report/check/").content.decode()
    assert "王芳" in check and "440304********5554"[:6] in check
    # Name and ID come from the real-name verification: shown apart, with no "Change" link to a
    # form that has no such field (an outsider's).
    verified = check.split('data-testid="verified"')[1].split("</dl>")[0]
    answers = check.split('data-testid="answers"')[1].split("</dl>")[0]
    assert "王芳" in verified and "href" not in verified
    assert "王芳" not in answers and "13812345679" in answers and "href" in answers
    sent = send_checked(tenant, "/registration/self-report/check/")
    declaration = Declaration.objects.get()
    assert declaration.status == "pending" and declaration.declarant_type == "tenant"
    page = tenant.get(sent["Location"]).content.decode()
    assert "Report sent" in page and "Not yet: waiting for confirmation" in page
    assert not Registration.objects.filter(id_number=WANG_FANG).exists()
    # The tenant's registrations page shows it waiting (an outsider thought the report lost).
    mine = tenant.get("/registration/mine/").content.decode()
    waiting = re.search(r'data-testid="waiting-reports">(.*?)</div>', mine, re.S).group(1)
    assert declaration.reference in waiting and "moved in 2026-03-01" in waiting
    # No such room: said at the first step, on the room, with what was typed kept (an outsider
    # learnt it only after the check page had said all was well).
    nowhere = tenant.post("/registration/self-report/", {**report, "room": "999"})
    assert nowhere.status_code == 200
    html = nowhere.content.decode()
    assert "No confirmed house" in html and 'value="999"' in html and 'href="#id_room"' in html
    # The landlord sees it waiting, with a banner on the registration home, and confirms it.
    assert "self-report waits" in client.get("/registration/").content.decode()
    pending = client.get("/registration/pending/").content.decode()
    assert declaration.reference in pending
    assert tenant.post(f"/registration/pending/{declaration.pk}/confirm/").status_code == 404  # not the holder
    confirmed = client.post(f"/registration/pending/{declaration.pk}/confirm/")
    assert confirmed.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == "recorded"
    assert Registration.objects.get(id_number=WANG_FANG).registered_on.isoformat() == "2026-03-01"
    assert 'data-testid="waiting-reports"' not in tenant.get("/registration/mine/").content.decode()
    assert "No self-report is waiting." in client.get("/registration/pending/").content.decode()
    # Pressed again (another tab): it says the report was answered, not "page not found".
    again = client.post(f"/registration/pending/{declaration.pk}/confirm/")
    assert again.status_code == 302 and "already been answered" in client.get(again["Location"]).content.decode()
    # Both sides were told: the holder of the report, the tenant of the confirmation.
    assert Message.objects.filter(user=_user, key="registration_report_waiting").count() == 1
    assert Message.objects.filter(user=tenant_user, key="registration_report_confirmed").count() == 1


def test_the_tenant_withdraws_a_report_and_the_landlord_declines_the_next(landlord):
    client, _user = landlord
    _tenant_user, tenant, report, sent = tenant_reporting(client, "2026-03-01")
    page = tenant.get(sent["Location"]).content.decode()
    first = Declaration.objects.get()
    assert 'data-testid="withdraw"' in page
    assert client.get(f"/registration/declarations/{first.pk}/").status_code == 200
    assert 'data-testid="withdraw"' not in client.get(f"/registration/declarations/{first.pk}/").content.decode()
    assert client.post(f"/registration/declarations/{first.pk}/withdraw/").status_code == 404  # not the tenant's
    assert client.get(f"/registration/declarations/{first.pk}/withdraw/").status_code == 404
    # The button asks first: the page names the report and changes nothing.
    ask = tenant.get(f"/registration/declarations/{first.pk}/withdraw/").content.decode()
    assert f"Withdraw report {first.reference}?" in ask and 'data-testid="confirm-action"' in ask and "王芳" in ask
    assert Declaration.objects.get(pk=first.pk).status == "pending"
    done = tenant.post(f"/registration/declarations/{first.pk}/withdraw/")
    page = tenant.get(done["Location"]).content.decode()
    assert "is withdrawn" in page and "Withdrawn by the tenant" in page and 'data-testid="withdraw"' not in page

    tenant.post("/registration/self-report/", report)
    send_checked(tenant, "/registration/self-report/check/")
    second = Declaration.objects.get(status="pending")
    pending = client.get("/registration/pending/").content.decode()
    assert f'data-testid="decline-{second.pk}"' in pending
    assert tenant.post(f"/registration/pending/{second.pk}/decline/").status_code == 404  # not the holder
    ask = html.unescape(client.get(f"/registration/pending/{second.pk}/decline/").content.decode())
    assert "Decline 王芳's report?" in ask and "福田花园" in ask and 'data-testid="confirm-action"' in ask
    # The window's title, kept in the browser's history, names nobody (an outsider's did).
    assert "<title>Decline a tenant's report?" in ask and "王芳" not in ask.split("</title>")[0]
    assert Declaration.objects.get(pk=second.pk).status == "pending"
    # Not the holder's to answer, or no such report: the same answer, nothing learnt.
    for someone_else in (
        tenant.get(f"/registration/pending/{second.pk}/decline/"),
        client.get("/registration/pending/999999/decline/"),
    ):
        assert someone_else.status_code == 302 and someone_else["Location"] == "/registration/pending/"
    declined = client.post(f"/registration/pending/{second.pk}/decline/")
    assert declined.status_code == 302 and "they are told" in client.get(declined["Location"]).content.decode()
    second.refresh_from_db()
    assert second.status == "declined" and not Registration.objects.filter(id_number=WANG_FANG).exists()
    assert "was declined" in tenant.get("/account/messages/").content.decode()
    # A withdrawn or answered report, confirmed from a stale page: said so, nothing recorded.
    stale = client.post(f"/registration/pending/{first.pk}/confirm/")
    assert "answered or withdrawn" in client.get(stale["Location"]).content.decode()
    assert Declaration.objects.get(pk=first.pk).status == "withdrawn"
    page = tenant.get(f"/registration/declarations/{first.pk}/").content.decode()
    assert "the report was not recorded" in page and "waiting for confirmation" not in page


# Refusals -----------------------------------------------------------------------------------


def test_an_unverified_individual_is_asked_to_verify_first(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    make_user("newcomer", "13812340000")
    client = signed_in("newcomer", "13812340000")
    for url in ("/registration/", "/registration/houses/new/", "/registration/bulk/", "/registration/self-report/"):
        response = client.get(url)
        assert response.status_code == 403 and "Verify your identity first" in response.content.decode(), url
    assert client.post("/registration/houses/new/street/", {"street": "440304004"}).status_code == 403
    assert not House.objects.exists()


def organisation(username="org_admin", phone="13812340002", active=True):
    user = make_user(username, phone, kind=Kind.ORGANISATION, name="示范物业", credit_code="91440300MA5D4X7K8N")
    if active:
        desk("clerk")
        organisation_activate(
            actor=User.objects.get(username="desk_clerk"),
            account_id=user.pk,
            credit_code_checked=True,
            letter_checked=True,
            housing_checked=True,
        )
    return user


def test_a_pending_organisation_may_not_declare(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    organisation(active=False)
    client = signed_in("org_admin", "13812340002")
    account = client.get("/account/").content.decode()
    assert "waiting for activation" in account and 'data-testid="dashboard"' not in account
    for url in (
        "/registration/houses/",
        "/registration/houses/new/",
        "/registration/bulk/",
        "/registration/sub-accounts/",
    ):
        response = client.get(url)
        assert response.status_code == 403 and "not active yet" in response.content.decode(), url
        # Headed as a refusal, not as a mistake in what was typed (an outsider read "There is a problem").
        assert "You cannot do this here</h1>" in response.content.decode(), url


def test_another_accounts_house_is_not_found(landlord):
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    other_user = make_user("citizen2", "13812345679")
    real_name_verify(user=other_user, name="王芳", id_number=identity("44030419900101555", "王芳"))
    other = signed_in("citizen2", "13812345679")
    assert other.get(f"/registration/houses/{house.pk}/").status_code == 404
    assert other.get(f"/registration/houses/{house.pk}/move_in/").status_code == 404
    assert other.post(f"/registration/houses/{house.pk}/move_in/check/").status_code == 404
    declare(client, house.pk)
    assert other.get(f"/registration/declarations/{Declaration.objects.get().pk}/").status_code == 404


# Organisations ------------------------------------------------------------------------------


@pytest.fixture
def org(settings):
    settings.FROZEN_TODAY = "2026-03-02"
    user = organisation()
    client = signed_in("org_admin", "13812340002")
    register_house(client)
    register_house(client, room="102")
    return client, user, list(House.objects.order_by("room"))


def test_the_organisation_dashboard_counts_houses_occupants_and_late_declarations(org):
    client, _user, houses = org
    declare(client, houses[0].pk)
    declare(client, houses[0].pk, id_number=WANG_FANG, name="王芳", date="2026-02-10", declarant_type="employer")
    html = client.get("/account/").content.decode()
    assert 'data-testid="dashboard"' in html and "Coming soon" not in html
    assert 'data-testid="house-count">2<' in html and 'data-testid="occupant-count">2<' in html
    assert f'data-testid="occupants-{houses[0].pk}">2<' in html and f'data-testid="occupants-{houses[1].pk}">0<' in html
    assert "Late: 13 days" in html  # 20 days after the move, 7 allowed


def test_long_lists_come_a_page_at_a_time_and_the_dashboard_counts_every_occupant(org, monkeypatch):
    """An outsider's organisation saw 500 of its 3,000 houses and 45,000 declarations with no way to
    the rest, and a dashboard counting only the first 200 houses' occupants."""
    from residence.registrations import views

    client, _user, houses = org
    monkeypatch.setattr(views, "LIST_PAGE", 1)
    monkeypatch.setattr(views, "DASHBOARD_HOUSES", 1)
    declare(client, houses[0].pk)
    declare(client, houses[1].pk, id_number=WANG_FANG, name="王芳", date="2026-02-27", declarant_type="employer")
    html = client.get("/account/").content.decode()
    assert 'data-testid="occupant-count">2<' in html and 'data-testid="all-houses"' in html
    first = client.get("/registration/houses/").content.decode()
    assert first.count('href="/registration/houses/') >= 1 and 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/registration/houses/?page=2").content.decode()
    assert 'rel="prev"' in second and 'rel="next"' not in second
    shown = {h.pk for h in houses if f'href="/registration/houses/{h.pk}/"' in first + second}
    assert shown == {h.pk for h in houses}
    declared = client.get("/registration/declarations/?current=1&page=2").content.decode()
    assert 'href="/registration/declarations/?current=1&amp;page=1" rel="prev"' in declared  # the filter kept
    assert client.get("/registration/declarations/?page=abc").status_code == 200  # read as page 1
    past = client.get("/registration/houses/?page=99").content.decode()
    assert 'data-testid="past-the-end"' in past and 'href="/registration/houses/?page=1"' in past


def test_sub_accounts_are_created_and_see_only_their_houses(org):
    client, _user, houses = org
    page = client.get("/registration/sub-accounts/").content.decode()
    assert "福田花园 101" in page
    bad = client.post(
        "/registration/sub-accounts/",
        {"username": "ab", "password": "x", "phone": "123", "houses": [str(houses[0].pk)]},
    )
    assert bad.status_code == 200 and "error-summary" in bad.content.decode()
    # Each input names its hint and error for a screen reader, and each named element exists (an
    # outsider's axe run found this form's references pointing at nothing).
    for shown in (page, bad.content.decode()):
        for described in re.findall(r'aria-describedby="([^"]+)"', shown):
            assert all(f'id="{target}"' in shown for target in described.split()), described
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in bad.content.decode()
    created = client.post(
        "/registration/sub-accounts/",
        {"username": "org_desk1", "password": "Testing2026pass", "phone": "13812340003", "houses": [houses[0].pk]},
    )
    assert created.status_code == 302
    listing = client.get("/registration/sub-accounts/").content.decode()
    assert "org_desk1" in listing
    taken = client.post(
        "/registration/sub-accounts/",
        {"username": "org_desk1", "password": "Testing2026pass", "phone": "13812340004", "houses": []},
    )
    assert taken.status_code >= 400 and "error-summary" in taken.content.decode()

    desk_client = english_client()
    assert web_login(desk_client, "org_desk1", password="Testing2026pass", phone="13812340003").status_code == 302
    assert desk_client.get("/account/")["Location"] == "/registration/"
    home = desk_client.get("/registration/").content.decode()
    assert "sub-account of 示范物业" in home and "福田花园</span> 101" in home and "福田花园</span> 102" not in home
    # The organisation's house not given to the sub-account: 403, as the API answers.
    assert desk_client.get(f"/registration/houses/{houses[1].pk}/").status_code == 403
    assert desk_client.get(f"/registration/houses/{houses[1].pk}/move_in/").status_code == 403
    assert desk_client.post(f"/registration/houses/{houses[1].pk}/move_in/check/").status_code == 403
    assert desk_client.get("/registration/houses/new/").status_code == 403
    assert desk_client.get("/registration/sub-accounts/").status_code == 403
    assert declare(desk_client, houses[0].pk).status_code == 302
    # The administrator sees the sub-account's declaration.
    assert "李娜" in client.get("/registration/declarations/").content.decode()

    # The administrator gives it the second house too, on its own page, the first ticked already.
    desk = User.objects.get(username="org_desk1")
    listing = client.get("/registration/sub-accounts/").content.decode()
    assert f'href="/registration/sub-accounts/{desk.pk}/houses/"' in listing
    change = client.get(f"/registration/sub-accounts/{desk.pk}/houses/").content.decode()
    assert re.search(rf'<input[^>]*value="{houses[0].pk}"[^>]*checked', change)
    assert not re.search(rf'<input[^>]*value="{houses[1].pk}"[^>]*checked', change)
    saved = client.post(f"/registration/sub-accounts/{desk.pk}/houses/", {"houses": [houses[0].pk, houses[1].pk]})
    assert saved.status_code == 302 and desk_client.get(f"/registration/houses/{houses[1].pk}/").status_code == 200
    wrong = client.post(f"/registration/sub-accounts/{desk.pk}/houses/", {"houses": ["999999"]})
    assert wrong.status_code == 400 and "error-summary" in wrong.content.decode()
    assert sorted(desk.assigned_houses.values_list("pk", flat=True)) == [houses[0].pk, houses[1].pk]
    # … and ends the sub-account: a page that says what that does, then the button.
    listing = client.get("/registration/sub-accounts/").content.decode()
    assert f'href="/registration/sub-accounts/{desk.pk}/deactivate/"' in listing
    ask = client.get(f"/registration/sub-accounts/{desk.pk}/deactivate/").content.decode()
    assert "can no longer sign in" in ask and 'data-testid="confirm-deactivate"' in ask
    assert User.objects.get(pk=desk.pk).is_active
    assert client.post(f"/registration/sub-accounts/{desk.pk}/deactivate/").status_code == 302
    listing = client.get("/registration/sub-accounts/").content.decode()
    assert "Deactivated" in listing and f"/sub-accounts/{desk.pk}/deactivate/" not in listing
    # The dashboard counts the sub-accounts that can still sign in (an outsider's 5 had one ended).
    assert 'data-testid="sub-accounts-link">Sub-accounts (0)</a>' in client.get("/account/").content.decode()
    assert desk_client.get("/registration/").status_code == 302  # signed out at its next page
    # Its pages, opened in another tab before, say it was deactivated (an outsider's met a bare 404).
    for url in (f"/registration/sub-accounts/{desk.pk}/deactivate/", f"/registration/sub-accounts/{desk.pk}/houses/"):
        ended = client.post(url, {"houses": [houses[0].pk]}) if url.endswith("houses/") else client.get(url)
        assert ended.status_code == 409 and "org_desk1 is deactivated" in ended.content.decode(), url
    assert client.get("/registration/sub-accounts/999999/houses/").status_code == 404


def bulk_file(houses, *, fixed=False):
    rows = [
        f"{houses[0].pk},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27",
        f"{houses[1].pk},move_in,王芳,{WANG_FANG if fixed else wrong_check(WANG_FANG)},13700000022,landlord,3,1,"
        "2026-02-27",
        f"{houses[1].pk},move_in,张伟,{ZHANG_WEI},13700000023,landlord,3,{1 if fixed else 99},2026-02-27",
    ]
    return HEADER + "\n".join(rows) + "\n"


def upload(client, text, encoding="utf-8", name="residents.csv"):
    return client.post("/registration/bulk/", {"file": SimpleUploadedFile(name, text.encode(encoding), "text/csv")})


def test_a_bulk_file_is_checked_reported_fixed_and_applied_once(org):
    client, _user, houses = org
    form = client.get("/registration/bulk/").content.decode()
    assert 'type="file"' in form and "keep this page open" in form and "data-progress-message" in form
    checked = upload(client, bulk_file(houses))
    assert checked.status_code == 302
    report = client.get(checked["Location"]).content.decode()
    assert "Checked 3 rows" in report and "Nothing has been applied yet" in report
    assert 'data-testid="rows">3<' in report and 'data-testid="valid">1<' in report
    assert "id_number" in report and "reason" in report and "Confirm and apply 1 valid row" in report
    first = services.BulkUpload.objects.get()
    csv_report = client.get(f"/registration/bulk/{first.pk}/report.csv")
    assert csv_report["Content-Disposition"].startswith("attachment")
    lines = csv_report.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Line,Result,Reason" and lines[1] == "2,Valid," and lines[2].startswith("3,Invalid,")
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(f"/registration/bulk/{first.pk}/report.csv").content.decode("utf-8-sig").splitlines()
    assert chinese[0] == "行号,结果,原因" and chinese[1] == "2,有效," and chinese[2].startswith("3,无效,")
    client.cookies["django_language"] = "en"
    assert not Declaration.objects.exists()
    # The corrected file, in GB18030 as a spreadsheet on Chinese Windows saves it.
    fixed = upload(client, bulk_file(houses, fixed=True), encoding="gb18030")
    upload_id = int(fixed["Location"].rstrip("/").split("/")[-1])
    report = client.get(fixed["Location"]).content.decode()
    assert 'data-testid="valid">3<' in report and "Confirm and apply 3 valid rows" in report
    done = client.post(f"/registration/bulk/{upload_id}/confirm/")
    assert done["Location"] == f"/registration/bulk/{upload_id}/done/"
    assert "3 declarations applied" in client.get(done["Location"]).content.decode()
    assert Declaration.objects.count() == 3
    again = client.post(f"/registration/bulk/{upload_id}/confirm/")
    assert again.status_code == 409 and "already been applied" in again.content.decode()
    # A second click, or another tab: nothing was typed wrong, so no error heading (an outsider).
    shown = again.content.decode()
    assert "There is a problem" not in shown and "<title>Error:" not in shown and "See what was applied" in shown
    assert Declaration.objects.count() == 3
    # Its report read again says it was applied, not only "checked".
    assert 'data-testid="applied"' in client.get(f"/registration/bulk/{upload_id}/").content.decode()
    # A file with no valid row offers no "apply the valid rows now".
    nothing = upload(
        client, HEADER + f"{houses[0].pk},move_in,李娜,{wrong_check(LI_NA)},13700000021,landlord,3,1,2026-02-27\n"
    )
    report = client.get(nothing["Location"]).content.decode()
    assert 'data-testid="valid">0<' in report and "confirm-bulk" not in report
    assert "check it again." in report and "apply the valid rows now" not in report


def test_a_bulk_report_reads_in_the_readers_language_whatever_it_was_checked_in(org):
    """An outsider checked a file in Chinese, switched to English, and read the reasons in Chinese."""
    client, _user, houses = org
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    checked = upload(client, bulk_file(houses))
    chinese = client.get(checked["Location"]).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(checked["Location"]).content.decode()
    problems = services.BulkUpload.objects.get().invalid
    assert len(problems) == 2 and all(set(row["reasons"]) == {"zh-hans", "en"} for row in problems)
    for row in problems:
        assert row["reasons"]["zh-hans"] in chinese and row["reasons"]["en"] in english
        assert row["reasons"]["zh-hans"] != row["reasons"]["en"] and row["reasons"]["zh-hans"] not in english
    csv_report = client.get(f"/registration/bulk/{services.BulkUpload.objects.get().pk}/report.csv")
    assert problems[0]["reasons"]["en"] in csv_report.content.decode("utf-8-sig")


def test_bad_bulk_files_are_refused_with_a_clear_message(org):
    client, _user, houses = org
    row = f"{houses[0].pk},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n"
    big = upload(client, HEADER + row * 10_001)
    assert big.status_code == 413 and "more than 10,000 rows" in big.content.decode()
    header = upload(client, "a,b,c\n" + row)
    assert header.status_code == 400 and "The header must be" in header.content.decode()
    binary = client.post(
        "/registration/bulk/", {"file": SimpleUploadedFile("x.csv", b"\x00\xff\x00\x81\x30", "text/csv")}
    )
    assert binary.status_code == 400 and "UTF-8 or GB18030" in binary.content.decode()
    # Excel's "Unicode text" (an outsider's was told its line 1 was not GB18030 text).
    utf16 = client.post(
        "/registration/bulk/", {"file": SimpleUploadedFile("x.txt", (HEADER + row).encode("utf-16"), "text/plain")}
    )
    assert utf16.status_code == 400 and "save it as &quot;CSV UTF-8" in utf16.content.decode()
    unmarked = client.post(
        "/registration/bulk/", {"file": SimpleUploadedFile("x.txt", (HEADER + row).encode("utf-16-le"), "text/plain")}
    )
    assert unmarked.status_code == 400 and "save it as &quot;CSV UTF-8" in unmarked.content.decode()
    assert not services.BulkUpload.objects.exists() and not Declaration.objects.exists()
    # Excel's shortened ID numbers are named as such in the report.
    shortened = upload(client, HEADER + row.replace(LI_NA, "3.60102E+17"))
    report = client.get(shortened["Location"]).content.decode()
    assert "keeps only 15 digits" in report
    # Someone else's upload is not found.
    other = services.bulk_check(actor=User.objects.get(username="org_admin"), text=HEADER + row)
    stranger_user = make_user("citizen2", "13812345679")
    real_name_verify(user=stranger_user, name="王芳", id_number=identity("44030419900101555", "王芳"))
    stranger = signed_in("citizen2", "13812345679")
    assert stranger.get(f"/registration/bulk/{other.pk}/").status_code == 404
    assert stranger.post(f"/registration/bulk/{other.pk}/confirm/").status_code == 404


# The platform chosen at login ---------------------------------------------------------------


def test_choosing_registration_at_login_leads_to_the_registration_area(landlord):
    _client, _user = landlord
    client = english_client()
    response = client.post(
        "/accounts/login/", {"platform": "registration", "username": "citizen1", "password": PASSWORD}
    )
    if response["Location"].endswith("/verify/"):
        from .conftest import last_code

        response = client.post("/accounts/login/verify/", {"code": last_code("13812345678")})
    assert client.get(response["Location"])["Location"] == "/registration/"
    home = client.get("/registration/").content.decode()
    assert "Register a house" in home and "My houses" in home
    # The way back to the permit services switches the area.
    assert client.get("/account/?platform=permit").status_code == 200
    assert client.get("/account/").status_code == 200


# The counter --------------------------------------------------------------------------------


def test_the_counter_declares_for_a_walk_in_confirms_a_house_and_prints_the_receipt(landlord):
    client, _user = landlord
    register_house(client, confirm=False)
    house = House.objects.get()
    clerk = desk("clerk")
    assert "Residence registration at the counter" in clerk.get("/staff/").content.decode()
    home = clerk.get("/staff/registrations/").content.decode()
    assert "福田花园" in home and f"confirm-house-{house.pk}" in home  # waiting for confirmation
    # Found by its number or its plate: not confirmed yet, so no walk-in declaration is offered.
    by_id = clerk.get(f"/staff/registrations/?house={house.pk}").content.decode()
    assert f"confirm-house-{house.pk}" in by_id and f"declare-{house.pk}" not in by_id
    by_plate = clerk.get("/staff/registrations/?street=440304004&building_code=4403040040012&room=101").content
    assert f"confirm-house-{house.pk}" in by_plate.decode()
    walk_in = {
        "declarant_name": "张伟",
        "declarant_id_number": ZHANG_WEI,
        "declarant_phone": "13812345678",
        "kind": "move_in",
        **move_in_data(date="2026-02-20"),
    }
    # Not yet confirmed: the counter's form is refused before it is filled in (an outsider's clerk
    # typed a whole walk-in declaration to be refused at the end), and nothing is recorded. The
    # clerk is told to confirm it, not to go to a registration point (an outsider's clerk was).
    for path in ("declare/", "declare/check/"):
        for refused in (
            clerk.get(f"/staff/registrations/houses/{house.pk}/{path}"),
            clerk.post(f"/staff/registrations/houses/{house.pk}/{path}", walk_in),
        ):
            assert refused.status_code == 409
            assert "check its proof of housing and confirm it first" in refused.content.decode()
            assert f'href="/staff/registrations/houses/{house.pk}/confirm/"' in refused.content.decode()
    assert not Declaration.objects.exists()
    # The confirmation asks for the papers seen, and shows who holds the house.
    ask = clerk.get(f"/staff/registrations/houses/{house.pk}/confirm/").content.decode()
    assert 'data-testid="holder"' in ask and "citizen1" in ask and 'name="papers_checked"' in ask
    assert 'data-testid="other-holders"' not in ask
    # The holder's name and home shown to the clerk: on record (an outsider found no trace).
    seen = AuditEvent.objects.filter(type="personal_data_viewed", data__what="house", data__house=house.pk)
    assert seen.count() == 1 and seen.get().subject.username == "citizen1"
    unchecked = clerk.post(f"/staff/registrations/houses/{house.pk}/confirm/")
    assert unchecked.status_code == 200 and "Check the papers before confirming" in unchecked.content.decode()
    house.refresh_from_db()
    assert not house.confirmed
    confirmed = clerk.post(f"/staff/registrations/houses/{house.pk}/confirm/", {"papers_checked": "on"})
    assert confirmed.status_code == 302
    house.refresh_from_db()
    assert house.confirmed
    assert "Confirmed" in client.get(f"/registration/houses/{house.pk}/").content.decode()
    # Another account registers the same room: the clerk sees that it is held, confirmed, already.
    other = House.objects.create(
        owner=make_user("citizen3", "13812345670"),
        street=house.street,
        building_code=house.building_code,
        room=house.room,
        building_name="同一房间",
        address=house.address,
        housing_type="rented",
        created_at=house.created_at,
    )
    home = clerk.get("/staff/registrations/").content.decode()
    assert f"held-by-another-{other.pk}" in home
    by_id = clerk.get(f"/staff/registrations/?house={house.pk}").content.decode()
    assert f"held-by-another-{house.pk}" in by_id and f"declare-{house.pk}" in by_id  # confirmed now
    # Confirming the second holder, the clerk is shown the first, confirmed.
    ask = clerk.get(f"/staff/registrations/houses/{other.pk}/confirm/").content.decode()
    holders = ask[ask.index('data-testid="other-holders"') :]
    assert "citizen1" in holders and "confirmed" in holders and "citizen3" in ask[: ask.index("other-holders")]
    # A house of another district, found by its number: neither action, the district named.
    elsewhere = House.objects.create(
        owner=other.owner,
        street_id="440305001",
        building_code="4403050010001",
        room="1",
        building_name="南山",
        address="深圳市南山区",
        housing_type="rented",
        created_at=house.created_at,
    )
    found = clerk.get(f"/staff/registrations/?house={elsewhere.pk}").content.decode()
    assert f"elsewhere-{elsewhere.pk}" in found and f"confirm-house-{elsewhere.pk}" not in found
    # ... and nothing of the home or its holder: an outsider's clerk read every house of the city
    # by its number, address and holder's username.
    assert f"withheld-{elsewhere.pk}" in found
    row = found[found.rindex("<tr>", 0, found.index(f"withheld-{elsewhere.pk}")) :]
    row = row[: row.index("</tr>")]
    assert "深圳市南山区" not in row and "4403050010001" not in row and other.owner.username not in row
    far = clerk.get(f"/staff/registrations/houses/{elsewhere.pk}/confirm/")
    assert far.status_code == 403 and "another district" in far.content.decode()
    bad = clerk.post(f"/staff/registrations/houses/{house.pk}/declare/", {**walk_in, "declarant_id_number": "1"})
    assert bad.status_code == 200 and "error-summary" in bad.content.decode()
    # A move-in without the resident's name, phone, type or codes stops at this step, each named.
    blank = {**walk_in, "name": "", "phone": "", "declarant_type": "", "occupation": "", "reason": ""}
    html = clerk.post(f"/staff/registrations/houses/{house.pk}/declare/", blank).content.decode()
    assert html.count("A move-in needs this.") == 5 * 2  # in the summary and at each field
    response = clerk.post(f"/staff/registrations/houses/{house.pk}/declare/", walk_in)
    # The check page shows all that will be recorded, the phones and the capacity too (an outsider).
    answers = clerk.get(response["Location"]).content.decode()
    assert "13812345678" in answers and "13700000021" in answers and "Landlord" in answers
    assert response["Location"] == f"/staff/registrations/houses/{house.pk}/declare/check/"
    assert "张伟" in clerk.get(response["Location"]).content.decode()
    done = send_checked(clerk, response["Location"])
    declaration = Declaration.objects.get()
    assert declaration.declarant["name"] == "张伟" and declaration.days_late == 3
    page = clerk.get(done["Location"]).content.decode()
    assert declaration.reference in page and "3 days late" in page
    pdf = clerk.get(f"/staff/registrations/declarations/{declaration.pk}/receipt/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # The reference a citizen quotes is set in a standard font, not the viewer's stand-in for the
    # Chinese font (an outsider's viewer overlapped its letters).
    fonts = {}
    pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text(
        visitor_text=lambda text, _cm, _tm, font, _size: fonts.setdefault(text.strip(), (font or {}).get("/BaseFont"))
    )
    assert fonts[declaration.reference] == "/Helvetica"
    # A move within the city continues the residence count (RULES §2): the receipt says the
    # registrations count together, not that residence counts from this one (an outsider's did).
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "连续的居住登记合并计算" in text and "起算日" not in text
    # Not a clerk, not staff: refused.
    assert client.get("/staff/registrations/").status_code == 302
    reviewer = desk("reviewer")
    assert reviewer.get("/staff/registrations/").status_code == 403
    assert reviewer.post(f"/staff/registrations/houses/{house.pk}/confirm/").status_code == 403


def test_a_workbook_that_unpacks_to_far_more_than_10000_rows_is_refused_unread(org):
    """An outsider's 880 KB workbook held one cell of 900 million characters: a worker took 1 GB."""
    client, _user, _houses = org
    workbook = openpyxl.Workbook()
    workbook.active.append(["house", "kind"])
    plain = io.BytesIO()
    workbook.save(plain)
    bomb = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<t>house", b"<t>" + b"A" * (33 * 1024 * 1024), 1)
            target.writestr(part, data)
    assert len(bomb.getvalue()) < 200_000
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    refused = client.post("/registration/bulk/", {"file": SimpleUploadedFile("big.xlsx", bomb.getvalue(), xlsx)})
    html = refused.content.decode()
    assert refused.status_code == 400 and "far more data than 10,000 rows" in html, html[
        html.find("error-summary") : html.find("error-summary") + 600
    ]
    assert not BulkUpload.objects.exists()


def test_a_sparse_workbook_is_read_to_the_files_own_width_not_the_sheets_claim():
    """An outsider's 53 KB workbook with one cell per row at column XFD, and a sheet claiming
    A1:XFD1048576, had each row padded to 16,384 cells: 19 s and 900 MB in a worker."""
    from residence.registrations.views import _xlsx_as_csv

    workbook = openpyxl.Workbook()
    workbook.active.append(["house", "kind"])
    plain, sparse = io.BytesIO(), io.BytesIO()
    workbook.save(plain)
    rows = b"".join(
        b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (i, i) for i in range(2, 502)
    )
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(sparse, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                data = data.replace(b"</sheetData>", rows + b"</sheetData>")
            target.writestr(part, data)
    lines = _xlsx_as_csv(sparse.getvalue()).splitlines()
    assert len(lines) == 501 and max(line.count(",") for line in lines) <= 9  # ten columns at most


def test_a_file_over_the_limit_gets_a_page_in_the_visitors_language_not_json(org):
    """An outsider's browser showed a JSON body where the bulk page was, for a 1.6 MB file."""
    client, _user, _houses = org
    for language, said in (("en", "larger than 5 MB"), ("zh-hans", "请求内容超过 5 MB")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        big = SimpleUploadedFile("big.csv", b"x" * (5 * 1024 * 1024 + 100 * 1024), "text/csv")
        response = client.post("/registration/bulk/", {"file": big})
        assert response.status_code == 413 and response["Content-Type"].startswith("text/html")
        assert said in response.content.decode()
        assert 'href="/registration/bulk/" data-testid="back-to-form"' in response.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # Between the API's 1 MB and the page's 5 MB: the page takes the file and checks it.
    middling = SimpleUploadedFile("m.csv", HEADER.encode() + b"1,move_in\n" * 150_000, "text/csv")
    html = client.post("/registration/bulk/", {"file": middling}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "more than 10,000 rows" in html and "error-summary" in html
    assert not BulkUpload.objects.exists()


def test_a_verified_individual_uses_the_bulk_page_too(landlord):
    client, _user = landlord
    register_house(client)
    house = House.objects.get()
    checked = upload(client, HEADER + f"{house.pk},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\n")
    assert checked.status_code == 302
    upload_id = int(checked["Location"].rstrip("/").split("/")[-1])
    assert client.post(f"/registration/bulk/{upload_id}/confirm/").status_code == 302
    assert "1 declaration applied" in client.get(f"/registration/bulk/{upload_id}/done/").content.decode()
    assert Registration.objects.get(id_number=LI_NA).street_id == "440304004"


def test_an_xlsx_workbook_is_read_like_its_csv(org):
    client, _user, houses = org
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in bulk_file(houses, fixed=True).splitlines():
        cells = line.split(",")
        # A spreadsheet keeps dates as dates and codes as numbers.
        if cells[0] != "house":
            cells[0], cells[6], cells[7] = int(cells[0]), int(cells[6]), int(cells[7])
            cells[8] = dt.date.fromisoformat(cells[8])
        sheet.append(cells)
    content = io.BytesIO()
    workbook.save(content)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    checked = client.post(
        "/registration/bulk/", {"file": SimpleUploadedFile("residents.xlsx", content.getvalue(), xlsx)}
    )
    assert checked.status_code == 302, checked.content.decode()[:1500]
    report = client.get(checked["Location"]).content.decode()
    assert 'data-testid="valid">3<' in report
    broken = client.post("/registration/bulk/", {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken", xlsx)})
    assert broken.status_code == 400 and "not a readable XLSX workbook" in broken.content.decode()

    # An old .xls (or a workbook saved with a password) is an OLE file: said so.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    old = client.post("/registration/bulk/", {"file": SimpleUploadedFile("old.xls", ole, "application/vnd.ms-excel")})
    assert old.status_code == 400 and "old .xls workbook" in old.content.decode()

    # A workbook whose sheet is damaged, read only as it is parsed, is as unreadable (an outsider's
    # truncated download, a cell of the wrong type and a sheet part missing were 500s).
    def damaged(change):
        parts = {}
        with zipfile.ZipFile(io.BytesIO(content.getvalue())) as archive:
            for name in archive.namelist():
                parts[name] = archive.read(name)
        change(parts)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
        return out.getvalue()

    sheet_part = "xl/worksheets/sheet1.xml"
    for change in (
        lambda parts: parts.update({sheet_part: parts[sheet_part][: len(parts[sheet_part]) // 2]}),
        lambda parts: parts.pop(sheet_part),
        lambda parts: parts.update({sheet_part: parts[sheet_part].replace(b'r="A2"', b'r="ZZZZZZ99999999999"')}),
        lambda parts: parts.update({sheet_part: parts[sheet_part].replace(b"<v>3</v>", b"<v>abc</v>", 1)}),
    ):
        upload_of = SimpleUploadedFile("d.xlsx", damaged(change), xlsx)
        refused = client.post("/registration/bulk/", {"file": upload_of})
        assert refused.status_code == 400 and "not a readable XLSX workbook" in refused.content.decode()
    # An ID column typed as numbers has lost its last digits already (Excel keeps 15): said so.
    sheet.cell(row=3, column=4, value=445221198501026029)
    content = io.BytesIO()
    workbook.save(content)
    numbers = client.post("/registration/bulk/", {"file": SimpleUploadedFile("r.xlsx", content.getvalue(), xlsx)})
    assert numbers.status_code == 400
    assert "Line 3: the id_number column holds numbers" in numbers.content.decode()


def test_the_bulk_page_offers_the_file_to_fill_in(org):
    client, _user, houses = org
    page = client.get("/registration/bulk/").content.decode()
    assert 'href="/registration/bulk/template.csv"' in page and "CSV or XLSX file" in page
    template = client.get("/registration/bulk/template.csv")
    assert template["Content-Disposition"] == 'attachment; filename="bulk-declarations.csv"'
    assert template.content.decode("utf-8") == "\ufeff" + HEADER.replace("\n", "\r\n")
    # The template as Excel saves it back, filled in, is read.
    filled = (
        template.content.decode("utf-8")
        + f"{houses[0].pk},move_in,李娜,{LI_NA},13700000021,landlord,3,1,2026-02-27\r\n"
    )
    checked = upload(client, filled)
    assert checked.status_code == 302
    assert 'data-testid="valid">1<' in client.get(checked["Location"]).content.decode()


def test_an_individual_switches_back_to_permit_services_from_the_registration_area(landlord):
    """Having chosen the registration area, an individual finds the way back at its top and in
    its menu, and "my account" is the permit area again after it."""
    client, _user = landlord
    assert client.get("/account/?platform=registration")["Location"] == "/registration/"
    assert client.get("/account/")["Location"] == "/registration/"
    home = client.get("/registration/").content.decode()
    assert home.count('data-testid="to-permit-services"') == 1 and 'href="/account/?platform=permit"' in home
    houses = client.get("/registration/houses/").content.decode()
    assert 'data-testid="to-permit-services"' in houses
    assert client.get("/account/?platform=permit").status_code == 200
    assert client.get("/account/").status_code == 200


def test_an_unconfirmed_house_offers_no_declaration_and_says_where_to_go(landlord):
    """The list and the house page offer no declaration before a clerk confirms the house, and
    the form itself answers at once (not after the whole form) with what to bring where."""
    client, _user = landlord
    register_house(client, confirm=False)
    house = House.objects.get()
    listed = client.get("/registration/houses/").content.decode()
    assert f"/registration/houses/{house.pk}/move_in/" not in listed and "once a clerk has confirmed it" in listed
    response = client.get(f"/registration/houses/{house.pk}/move_in/")
    page = response.content.decode()
    assert response.status_code == 409 and "waiting for a clerk" in page and "proof of housing" in page


def test_a_file_sent_as_a_plain_field_over_a_megabyte_is_told_it_is_too_large(org):
    """An outsider's 1.5 MB file, sent as a form field rather than a file, got a bare "not valid"."""
    client, _user, _houses = org
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/registration/bulk/", {"file": HEADER + "1,move_in\n" * 150_000})
    assert response.status_code == 413 and "larger than 1 MB" in response.content.decode()
    assert not BulkUpload.objects.exists()


def test_a_file_over_the_limit_is_refused_without_telling_a_signed_in_user_to_sign_in(org):
    """Refused before the session is read, the page said "Sign in" to a signed-in user (an outsider)."""
    client, _user, _houses = org
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    upload = SimpleUploadedFile("big.csv", b"x" * (6 * 1024 * 1024), content_type="text/csv")
    response = client.post("/registration/bulk/", {"file": upload})
    page = response.content.decode()
    assert response.status_code == 413 and "larger than 5 MB" in page
    assert 'href="/account/">My account</a>' in page and "Sign in" not in page
    assert client.get("/account/").status_code == 200  # still signed in
    assert not BulkUpload.objects.exists()


def test_the_bulk_page_gives_its_hint_in_the_visitors_language(org):
    """An outsider's English bulk page showed the file hint in Chinese: translated once, at import."""
    client, _user, _houses = org
    for language, hint in (("en", "at most 10,000 rows; CSV in UTF-8"), ("zh-hans", "最多 10,000 行")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        assert hint in client.get("/registration/bulk/").content.decode()


def test_an_organisations_details_offer_no_real_name_verification(org):
    """An outsider followed "Verify now" from an organisation's details to a refusal page."""
    client, _user, _houses = org
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/account/details/").content.decode()
    assert "Unified social credit code" in page
    assert "Real-name verification" not in page and 'href="/account/real-name/"' not in page
