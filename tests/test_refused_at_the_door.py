"""Input nobody typed in a test: refused with a clear 4xx and nothing changed, never a 500.

Deep JSON, NUL and lone surrogates, year 9999, other scripts' digits, NUL in query strings
and cookies, oversized CSV fields, domain errors in plain pages."""

import json

import pytest
from django.core.exceptions import ValidationError

from residence.accounts.models import User
from residence.accounts.services import real_name_verify
from residence.audit.models import AuditEvent
from residence.core import validators
from residence.eligibility.models import EligibilityCheck
from residence.records.models import Identity, InsuranceMonth

from .conftest import PASSWORD, Api, error_code, make_user
from .idnumbers import ZHANG_WEI
from .test_account_changes import identity
from .test_bad_input import PUBLIC
from .test_exchange import IDENTITY_ROW, key_for, push
from .test_registration_pages import signed_in

pytestmark = pytest.mark.django_db

SIGNED_IN = [
    ("POST", "/api/v1/me/real-name"),
    ("POST", "/api/v1/me/password"),
    ("PUT", "/api/v1/me/phone"),
    ("POST", "/api/v1/eligibility-checks"),
    ("POST", "/api/v1/staff/organisations/1/activate"),
]
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000


@pytest.fixture
def clerk_api(db):
    from residence.accounts.services import staff_create
    from residence.places.models import AcceptancePoint

    staff_create(
        username="door_clerk",
        password=PASSWORD,
        phone="13900006666",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    return Api().login("door_clerk", phone="13900006666")


def everything_counted():
    return (User.objects.count(), AuditEvent.objects.count(), EligibilityCheck.objects.count())


@pytest.mark.parametrize("path", PUBLIC)
@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_deep_json_is_a_parse_error_on_public_endpoints(api, path, raw):
    response = api.post(path, raw=raw)
    assert response.status_code == 400 and error_code(response) == "parse_error"
    assert not User.objects.exists()


@pytest.mark.parametrize(("method", "path"), SIGNED_IN)
def test_deep_json_is_a_parse_error_on_signed_in_endpoints(clerk_api, method, path):
    before = everything_counted()
    response = clerk_api.call(method, path, raw=DEEP)
    assert response.status_code == 400 and error_code(response) == "parse_error"
    assert everything_counted() == before


@pytest.mark.parametrize(
    "value",
    ["a\u0000b", "\ud800", "x\udfffy"],
    ids=["nul", "lone-high-surrogate", "lone-low-surrogate"],
)
@pytest.mark.parametrize("field", ["username", "password", "phone", "name", "credit_code"])
def test_nul_and_lone_surrogates_in_any_field_are_refused_naming_it(api, field, value):
    body = {
        "kind": "organisation",
        "username": "door_user",
        "password": PASSWORD,
        "phone": "15897360001",
        "name": "深圳市门口公司",
        "credit_code": "91440300MA5D4X7K8N",
        "consent": True,
        field: value,
    }
    # json.dumps writes the surrogate as the \\ud800 escape, exactly as an attacker would.
    response = api.post("/api/v1/accounts", raw=json.dumps(body).encode())
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert field in response.json()["error"]["fields"]
    assert not User.objects.exists()


def test_a_bad_character_in_a_key_is_refused_and_the_answer_stays_printable(api):
    response = api.post("/api/v1/auth/login", raw=b'{"user\\ud800name": "a", "password": "b"}')
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert "user?name" in response.json()["error"]["fields"]


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1' + b"0" * 5000 + b"}", b"\xff\xfe"])
def test_json_outside_the_standard_is_a_parse_error(api, raw):
    response = api.post("/api/v1/auth/login", raw=raw)
    assert response.status_code == 400 and error_code(response) == "parse_error"


def test_a_key_twice_in_one_object_is_a_parse_error_naming_it(api, clerk_api):
    """json keeps the last of two values: a department's answer that said not_confirmed first
    was recorded as confirmed (an outsider). Refused, at any depth, and nothing is created."""
    body = (
        b'{"kind": "individual", "username": "door_user", "password": "%s", "phone": "15897360001",'
        b' "consent": true, "kind": "organisation"}' % PASSWORD.encode()
    )
    response = api.post("/api/v1/accounts", raw=body)
    assert response.status_code == 400 and error_code(response) == "parse_error"
    assert (
        response.json()["error"]["message"] == 'The key "kind" appears twice in one JSON object: send each field once.'
    )
    nested = api.post("/api/v1/auth/login", raw=b'{"username": "a", "password": "b", "x": [{"k": 1, "k": 2}]}')
    assert error_code(nested) == "parse_error" and '"k"' in nested.json()["error"]["message"]
    assert not User.objects.filter(username="door_user").exists()
    # Two keys alike only after the parser's unescaping are one key twice as well.
    escaped = clerk_api.post("/api/v1/eligibility-checks", raw=b'{"route": "talent", "\\u0072oute": "education"}')
    assert error_code(escaped) == "parse_error" and '"route"' in escaped.json()["error"]["message"]
    # Deep JSON keeps its own message, not the generic one.
    deep = api.post("/api/v1/auth/login", raw=DEEP)
    assert deep.json()["error"]["message"] == "The JSON body is nested more than 32 levels deep."


def test_a_choice_given_as_a_number_says_it_must_be_text(api):
    response = api.post("/api/v1/accounts", {"kind": 1, "username": "door_user", "password": PASSWORD})
    assert response.status_code == 400 and response.json()["error"]["fields"]["kind"] == ["Must be text."]


@pytest.mark.parametrize("date", ["9999-06-01", "0001-01-01", "1948-12-31", "2101-01-01", "２０２６-０３-０２"])
def test_eligibility_dates_outside_1949_2100_or_in_other_digits_are_400(clerk_api, date, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    identity()
    body = {"name": "张伟", "id_number": ZHANG_WEI, "route": "residence_employment", "date": date}
    response = clerk_api.post("/api/v1/eligibility-checks", body)
    assert response.status_code == 400 and "date" in response.json()["error"]["fields"]
    assert not EligibilityCheck.objects.exists()


def test_eligibility_in_2100_still_answers(clerk_api, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    identity()
    body = {"name": "张伟", "id_number": ZHANG_WEI, "route": "talent", "date": "2100-12-31"}
    response = clerk_api.post("/api/v1/eligibility-checks", body)
    assert response.status_code == 200 and response.json()["date"] == "2100-12-31"


@pytest.mark.parametrize(
    "number",
    ["４３０１０２１９９００３０７１２３４", "٤٣٠١٠٢١٩٩٠٠٣٠٧١٢٣٤", "430102199003071234\x00"],
    ids=["full-width", "arabic-indic", "nul"],
)
def test_other_scripts_digits_are_refused_so_one_person_has_one_spelling(signed_in, number):
    identity()
    response = signed_in.post("/api/v1/me/real-name", {"name": "张伟", "id_number": number})
    assert response.status_code == 400 and "id_number" in response.json()["error"]["fields"]
    assert User.objects.get(username="citizen1").person_id is None


def test_self_check_page_refuses_year_9999_with_a_form_error(client, citizen, settings):
    from .test_web import web_login

    settings.FROZEN_TODAY = "2026-03-02"
    web_login(client)
    response = client.post(
        "/account/eligibility/",
        {"name": "张伟", "id_number": ZHANG_WEI, "route": "residence_employment", "date": "9999-06-01"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "error-summary" in html and 'href="#id_date"' in html
    assert not EligibilityCheck.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/acceptance-points?district=%00", "/api/v1/working-days?from=2026-03-02%00&add=1", "/?x=%00"],
)
def test_nul_in_a_query_string_is_400(api, url):
    response = api.get(url)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/working-days?from=2026-12-01&add=1&", "/?"])
def test_a_query_of_more_fields_than_django_reads_is_400_even_in_debug(api, path, settings):
    """With DEBUG=1 (the demo set-up) Django's debug page crashed on its own refusal: a 500."""
    settings.DEBUG = True
    response = api.get(path + "&".join(f"f{n}" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 100)))
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "invalid"
    assert api.get("/api/v1/working-days?from=2026-12-01&add=1&" + "&".join(["x"] * 900)).status_code == 200


def test_nul_in_a_cookie_is_400_not_a_database_error(client):
    client.cookies["sessionid"] = '"\\000abcdefghijklmnop"'
    assert client.get("/account/").status_code == 400


def test_an_unknown_organisation_on_the_staff_desk_is_a_404_page(client, clerk_api):
    from .test_web import web_login

    web_login(client, "door_clerk", phone="13900006666")
    response = client.get("/staff/organisations/999999/activate/")
    assert response.status_code == 404 and "text/html" in response["Content-Type"]


@pytest.mark.parametrize("field", ["name", "ethnicity", "hukou_address"])
def test_nul_in_an_exchange_row_rejects_the_file_naming_the_line(client, field):
    key = key_for("police")
    rows = [IDENTITY_ROW, {**IDENTITY_ROW, "id_number": "11010519491231002X", field: "a\u0000b"}]
    response = push(client, key, "identities", json.dumps(rows), "application/json")
    # JSON rows are refused as CSV rows are: by line (the second object is line 3), naming the field.
    [refused] = response.json()["error"]["rows"]
    assert response.status_code == 400 and refused["line"] == 3 and field in refused["reason"]
    csv = "id_number,name,sex,ethnicity,birth_date,hukou_address,shenzhen_hukou\n"
    csv += f"{ZHANG_WEI},张\x00伟,M,汉,1990-03-07,,0\n"
    response = push(client, key, "identities", csv, "text/csv")
    assert response.status_code == 400 and response.json()["error"]["rows"][0]["line"] == 2
    assert not Identity.objects.exists()


@pytest.mark.parametrize("hidden", ["\u0007", "\u202e", "\u200b"])
def test_hidden_characters_in_any_text_of_a_record_are_refused_with_its_line(client, hidden):
    # An outsider's ethnicity "汉\x07族" (a bell), with a bidi override or a zero-width space, was stored.
    key = key_for("police")
    row = {**IDENTITY_ROW, "ethnicity": f"汉{hidden}族"}
    response = push(client, key, "identities", json.dumps([row]), "application/json")
    [refused] = response.json()["error"]["rows"]
    assert response.status_code == 400 and refused["line"] == 2 and refused["reason"].startswith("ethnicity")
    csv = "id_number,name,sex,ethnicity,birth_date,hukou_address,shenzhen_hukou\n"
    csv += f"{ZHANG_WEI},张伟,M,汉{hidden}族,1990-03-07,,0\n"
    assert push(client, key, "identities", csv, "text/csv").json()["error"]["rows"][0]["line"] == 2
    assert not Identity.objects.exists()


def test_a_csv_field_over_the_csv_modules_limit_is_refused_with_its_line(client):
    key = key_for("police")
    big = "x" * 200_000
    csv = "id_number,name,sex,ethnicity,birth_date,hukou_address,shenzhen_hukou\n"
    csv += f"{ZHANG_WEI},张伟,M,汉,1990-03-07,,0\n\n"
    csv += f'11010519491231002X,"{big}",M,汉,1949-12-31,,0\n'
    response = push(client, key, "identities", csv, "text/csv")
    assert response.status_code == 400 and "Line 4" in response.json()["error"]["message"]
    assert not Identity.objects.exists()
    insurance_key = key_for("social_insurance")
    csv = f'id_number,month,employer_credit_code\n{ZHANG_WEI},2025-01,"{big}"\n'
    response = push(client, insurance_key, "social_insurance", csv, "text/csv")
    assert response.status_code == 400 and "Line 2" in response.json()["error"]["message"]


def test_json_with_a_charset_is_read_as_json(client):
    key = key_for("police")
    response = push(client, key, "identities", json.dumps([IDENTITY_ROW]), "application/json; charset=utf-8")
    assert response.status_code == 200 and response.json()["created"] == 1


@pytest.mark.parametrize(
    "content_type, status",
    [("APPLICATION/JSON", 200), ("Application/Json ; Charset=UTF-8", 200), ("application/json-seq", 400)],
)
def test_a_media_type_is_read_whatever_its_case(client, content_type, status):
    """RFC 9110: the type and subtype are case-insensitive (an outsider's APPLICATION/JSON was refused);
    another type that begins alike is not JSON."""
    body = json.dumps({"username": "nobody_here", "password": "Wrong2026pass"})
    response = client.post("/api/v1/auth/login", body, content_type=content_type)
    assert response.status_code == (401 if status == 200 else 400), response.content
    assert response.json()["error"]["code"] == ("invalid_credentials" if status == 200 else "parse_error")


def test_deep_json_on_the_exchange_is_a_parse_error(client):
    response = push(client, key_for("police"), "identities", DEEP, "application/json")
    assert response.status_code == 400 and error_code(response) == "parse_error"


def test_insurance_json_rows_go_through_the_one_insurance_parser(client, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("social_insurance")
    good = {"id_number": ZHANG_WEI, "month": "2025-01", "employer_credit_code": "91440300MA5D4X7K8N"}
    bad = [good, {**good, "month": "２０２５-０２"}, {**good, "id_number": 5}, "row"]
    response = push(client, key, "social_insurance", json.dumps(bad), "application/json")
    assert response.status_code == 400
    assert [r["line"] for r in response.json()["error"]["rows"]] == [3, 4, 5]
    assert push(client, key, "social_insurance", json.dumps([good, good]), "application/json").status_code == 400
    # A row without a field is told it is missing, and empty, not that an empty code is invalid (an
    # outsider); a field left out is never read as sent empty (an outsider's reopened registration).
    missing = [
        {"id_number": ZHANG_WEI, "month": "2025-01"},
        {"id_number": ZHANG_WEI, "employer_credit_code": good["employer_credit_code"]},
    ]
    reasons = [
        r["reason"]
        for r in push(client, key, "social_insurance", json.dumps(missing), "application/json").json()["error"]["rows"]
    ]
    assert [
        reason.startswith(f"fields missing: {field} (")
        for reason, field in zip(reasons, ["employer_credit_code", "month"], strict=True)
    ] == [True, True]
    assert reasons[0].endswith("; employer_credit_code is empty.") and reasons[1].endswith("; month is empty.")
    assert push(client, key, "social_insurance", json.dumps([good]), "application/json").json()["created"] == 1
    assert InsuranceMonth.objects.count() == 1


def test_signed_in_user_is_not_needed_to_see_a_bad_request_page(client):
    make_user()
    assert client.get("/language/en/?next=%00").status_code == 400


def test_gb11643s_own_example_imports_with_its_real_birth_date(client):
    row = {**IDENTITY_ROW, "id_number": "440524188001010014", "name": "样例", "birth_date": "1880-01-01"}
    response = push(client, key_for("police"), "identities", json.dumps([row]), "application/json")
    assert response.status_code == 200 and response.json()["created"] == 1


# A lone surrogate's UTF-8 bytes, as a crafted form body carries them: Django decodes a form
# with replacement, so they reach the page's form as U+FFFD.
BAD_BYTES = "%ED%A0%80"


def test_bad_bytes_in_a_sign_up_form_are_refused_and_nothing_stored(client):
    body = f"kind=individual&username=door_web&password=Xy{BAD_BYTES}345678pass&phone=15897360002&consent=on"
    response = client.post(
        "/accounts/register/", body, content_type="application/x-www-form-urlencoded", HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert response.status_code == 200 and "cannot contain control or invalid characters" in page
    assert 'value="door_web"' in page  # the rest of the input kept
    assert not User.objects.exists()


def test_bad_bytes_in_a_page_text_field_are_refused_as_the_api_refuses_them(citizen):
    real_name_verify(user=citizen, name="张伟", id_number=identity("43010219900307123", "张伟"))
    client = signed_in("citizen1", "13812345678")
    client.post("/registration/houses/new/street/", {"street": "440304004"})
    body = f"building_code=4403041234&building_name=%E5%A4%A7{BAD_BYTES}"
    response = client.post("/registration/houses/new/building/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Remove the control or invalid characters from this text." in response.content.decode()


@pytest.mark.parametrize("check", [validators.validate_plain_text, validators.validate_free_text])
def test_the_replacement_character_is_refused_in_free_and_plain_text(check):
    with pytest.raises(ValidationError):
        check("不\ufffd")
    assert check("不对") == "不对"
