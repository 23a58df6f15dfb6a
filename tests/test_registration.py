import pytest

from residence.accounts.models import Organisation, User
from residence.audit.models import AuditEvent

from .conftest import PASSWORD, error_code

pytestmark = pytest.mark.django_db

INDIVIDUAL = {
    "kind": "individual",
    "username": "Zhang_San",
    "password": PASSWORD,
    "phone": "15897360001",
    "consent": True,
}
ORGANISATION = {
    "kind": "organisation",
    "username": "shenzhen_demo",
    "password": PASSWORD,
    "phone": "15897360002",
    "name": "深圳市测试有限公司",
    "credit_code": "91440300MA5D4X7K8N",
    "consent": True,
}


def test_individual_account_is_active(api):
    response = api.post("/api/v1/accounts", INDIVIDUAL)
    body = response.json()
    assert response.status_code == 201 and body["kind"] == "individual" and body["status"] == "active"
    user = User.objects.get(pk=body["id"])
    assert user.password.startswith("md5$") is False or user.check_password(PASSWORD)
    assert user.consent_at is not None and user.consent_version
    assert AuditEvent.objects.filter(type="account_created", subject=user).exists()
    assert user.messages.count() == 1


def test_organisation_account_is_pending_with_its_credit_code(api):
    response = api.post("/api/v1/accounts", ORGANISATION)
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert Organisation.objects.get(user_id=response.json()["id"]).credit_code == "91440300MA5D4X7K8N"


@pytest.mark.parametrize("username", ["zhang_san", "ZHANG_SAN"])
def test_duplicate_username_is_case_insensitive(api, username):
    api.post("/api/v1/accounts", INDIVIDUAL)
    response = api.post("/api/v1/accounts", {**INDIVIDUAL, "username": username, "phone": "15897360009"})
    assert response.status_code == 409 and error_code(response) == "duplicate_username"
    assert User.objects.count() == 1


def test_duplicate_phone(api):
    api.post("/api/v1/accounts", INDIVIDUAL)
    response = api.post("/api/v1/accounts", {**INDIVIDUAL, "username": "other_one"})
    assert response.status_code == 409 and error_code(response) == "duplicate_phone"


BAD = [
    ({**INDIVIDUAL, "phone": "010-12345678"}, "phone"),
    ({**INDIVIDUAL, "phone": 15897360001}, "phone"),
    ({**INDIVIDUAL, "username": "ab"}, "username"),
    ({**INDIVIDUAL, "username": "bad name!"}, "username"),
    ({**INDIVIDUAL, "username": "x" * 10001}, "username"),
    ({**INDIVIDUAL, "password": "short1"}, "password"),
    ({**INDIVIDUAL, "password": "onlyletters"}, "password"),
    ({**INDIVIDUAL, "password": "1234567890"}, "password"),
    ({**INDIVIDUAL, "password": "zhang_san1"}, "password"),
    ({**INDIVIDUAL, "password": "p" * 10001}, "password"),
    ({**INDIVIDUAL, "consent": False}, "consent"),
    ({**INDIVIDUAL, "consent": "yes"}, "consent"),
    ({k: v for k, v in INDIVIDUAL.items() if k != "consent"}, "consent"),
    ({k: v for k, v in INDIVIDUAL.items() if k != "phone"}, "phone"),
    ({**INDIVIDUAL, "kind": "robot"}, "kind"),
    ({**ORGANISATION, "credit_code": "91440300MA5D4X7K8M"}, "credit_code"),
    ({**ORGANISATION, "credit_code": ""}, "credit_code"),
    ({k: v for k, v in ORGANISATION.items() if k != "name"}, "name"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_input_is_a_400_naming_the_field_and_creates_nothing(api, body, field):
    response = api.post("/api/v1/accounts", body)
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert field in response.json()["error"]["fields"]
    assert User.objects.count() == 0 and AuditEvent.objects.count() == 0


@pytest.mark.parametrize("raw", [b"{oops", b"", b"[1, 2]", b"null", b'"text"'])
def test_malformed_or_non_object_bodies(api, raw):
    response = api.post("/api/v1/accounts", raw=raw)
    assert response.status_code == 400 and error_code(response) in ("parse_error", "invalid")
    assert User.objects.count() == 0


def test_malformed_json_is_parse_error(api):
    response = api.post("/api/v1/accounts", raw=b"{oops")
    assert error_code(response) == "parse_error"


def test_body_over_one_megabyte_is_413(api):
    response = api.post("/api/v1/accounts", raw=b'{"a": "' + b"x" * (1024 * 1024 + 10) + b'"}')
    assert response.status_code == 413 and error_code(response) == "payload_too_large"


def test_messages_follow_accept_language(api):
    zh = api.client.post(
        "/api/v1/accounts", data=b"{oops", content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    en = api.post("/api/v1/accounts", raw=b"{oops")
    assert zh.json()["error"]["message"] != en.json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.json()["error"]["message"])


def test_signups_per_address_are_limited(api, settings):
    settings.LIMIT_SIGNUPS_PER_ADDRESS_HOUR = 2
    for n in range(2):
        assert (
            api.post("/api/v1/accounts", {**INDIVIDUAL, "username": f"user_{n}", "phone": f"1589736000{n}"}).status_code
            == 201
        )
    response = api.post("/api/v1/accounts", {**INDIVIDUAL, "username": "user_9", "phone": "15897360009"})
    assert response.status_code == 429 and error_code(response) == "rate_limited"
    assert int(response["Retry-After"]) > 0
    assert User.objects.count() == 2


def test_the_same_sign_up_sent_again_counts_once(api, settings, client):
    """An outsider's typos, each sent again with the same username and mobile, shut the address
    out: a sign-up is counted once per set of identifiers, so only new probes count."""
    settings.LIMIT_SIGNUPS_PER_ADDRESS_HOUR = 2
    body = {**INDIVIDUAL, "username": "typo_user", "phone": "15897360101"}
    for weak in ("short", "typo_user1", "12345678"):
        assert api.post("/api/v1/accounts", {**body, "password": weak}).status_code == 400
    for _ in range(3):  # the web page, the same person fixing the form
        page = client.post("/accounts/register/", {**body, "password": "short"}, REMOTE_ADDR="10.1.1.1")
        assert page.status_code == 200
    assert api.post("/api/v1/accounts", body).status_code == 201
    # New identifiers are new probes: the second counts, the third is refused.
    assert api.post("/api/v1/accounts", {**body, "username": "other_one", "phone": "15897360102"}).status_code == 201
    refused = api.post("/api/v1/accounts", {**body, "username": "third_one", "phone": "15897360103"})
    assert refused.status_code == 429 and User.objects.count() == 2


def test_every_field_problem_is_named_in_one_answer(api):
    body = {"kind": "individual", "username": "zz_abc_1", "password": "short", "phone": "123", "consent": False}
    response = api.post("/api/v1/accounts", body)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"consent", "phone", "password"}
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        # An outsider's sign-ups: the password's problems waited for a valid username, and an
        # organisation without a name was told only that.
        (
            {"kind": "individual", "username": "a", "password": "x", "phone": "1", "consent": False},
            {"username", "password", "phone", "consent"},
        ),
        (
            {"kind": "organisation", "username": "a", "password": "x", "phone": "1", "consent": True}
            | {"credit_code": "1"},
            {"username", "password", "phone", "name", "credit_code"},
        ),
        # A field missing, null or of the wrong type hides nothing either (a second outsider).
        (
            {"kind": "individual", "username": "a!", "password": "123", "phone": "123"},
            {"username", "password", "phone", "consent"},
        ),
        (
            {"kind": "organisation", "username": "a!", "password": "123", "phone": "123", "consent": True}
            | {"name": "  ", "credit_code": "123"},
            {"username", "password", "phone", "name", "credit_code"},
        ),
        (
            {"kind": "organisation", "username": "a", "password": "password", "phone": 1, "consent": "yes"}
            | {"name": None, "credit_code": None},
            {"username", "password", "phone", "consent", "name", "credit_code"},
        ),
        (
            {"kind": 7, "username": "a", "password": "password", "consent": False},
            {"kind", "username", "password", "phone", "consent"},
        ),
    ],
)
def test_a_bad_username_or_a_missing_name_hides_no_other_problem(api, body, fields):
    response = api.post("/api/v1/accounts", body, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == fields
    if "name" in fields and isinstance(body.get("name", ""), str):  # missing or blank: the form's words
        assert response.json()["error"]["fields"]["name"] == ["Enter the organisation's name."]
    assert not User.objects.exists()


def test_every_taken_identifier_is_named_at_once(api):
    api.post("/api/v1/accounts", ORGANISATION)
    again = {**ORGANISATION, "username": "SHENZHEN_DEMO"}
    response = api.post("/api/v1/accounts", again)
    assert response.status_code == 409 and error_code(response) == "duplicate_username"
    assert set(response.json()["error"]["fields"]) == {"username", "phone", "credit_code"}
    weak = api.post("/api/v1/accounts", {**again, "password": "shenzhen_demo1"})
    assert weak.status_code == 400 and set(weak.json()["error"]["fields"]) == {
        "username",
        "phone",
        "credit_code",
        "password",
    }


def test_the_sign_up_page_names_taken_identifiers_with_other_problems_in_one_round(client, api):
    api.post("/api/v1/accounts", INDIVIDUAL)
    html = client.post(
        "/accounts/register/",
        {"kind": "individual", "username": "zhang_san", "password": "x", "phone": "15897360001"},
    ).content.decode()
    for field in ("username", "password", "phone", "consent"):
        assert f'href="#id_{field}"' in html, field
    assert "该用户名已被使用" in html and "该手机号码已绑定其他账号" in html


def test_an_organisations_name_with_hidden_characters_is_refused(api):
    body = {**ORGANISATION, "name": "示范物业\u202e公司"}
    response = api.post("/api/v1/accounts", body)
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]
    assert not User.objects.exists()
