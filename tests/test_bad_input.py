"""Every endpoint of the accounts API: bad bodies get a clear 4xx with the error body, never a 500."""

import pytest

from residence.accounts.models import User
from residence.audit.models import AuditEvent

from .conftest import error_code

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/api/v1/accounts",
    "/api/v1/auth/login",
    "/api/v1/auth/sms-verify",
    "/api/v1/auth/sms-resend",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
]
SIGNED_IN = [("POST", "/api/v1/me/real-name"), ("POST", "/api/v1/me/password"), ("PUT", "/api/v1/me/phone")]
BODIES = [
    b"{oops",
    b"[]",
    b"123",
    b'{"username": {"a": 1}, "password": [1], "phone": null, "code": 5}',
    ('{"username": "' + "x" * 10_001 + '", "name": "' + "名" * 10_001 + '"}').encode(),
]


@pytest.mark.parametrize("path", PUBLIC)
@pytest.mark.parametrize("raw", BODIES)
def test_public_endpoints_reject_bad_bodies(api, path, raw):
    response = api.post(path, raw=raw)
    assert 400 <= response.status_code < 500
    assert error_code(response) in ("parse_error", "invalid", "challenge_expired")
    assert not User.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize(("method", "path"), SIGNED_IN)
@pytest.mark.parametrize("raw", BODIES)
def test_signed_in_endpoints_reject_bad_bodies(signed_in, citizen, method, path, raw):
    events = AuditEvent.objects.count()
    response = signed_in.call(method, path, raw=raw)
    assert response.status_code == 400 and error_code(response) in ("parse_error", "invalid")
    citizen.refresh_from_db()
    assert citizen.person_id is None and citizen.phone == "13812345678"
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("method", "path"),
    [
        *SIGNED_IN,
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/me/messages"),
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/me/messages/1/read"),
    ],
)
def test_signed_in_endpoints_need_a_token(api, method, path):
    response = api.call(method, path, None if method == "GET" else {})
    assert response.status_code == 401 and error_code(response) == "not_authenticated"


def test_wrong_method_and_unknown_path_are_json_4xx(api):
    assert api.get("/api/v1/auth/login").status_code == 405
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_form_content_type_is_refused_clearly(api):
    response = api.client.post("/api/v1/auth/login", {"username": "a"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and error_code(response) == "parse_error"
    assert response.json()["error"]["message"] == "Send the body as application/json."


def test_system_administrator_signs_in_through_the_platform_login(client):
    from .conftest import last_code

    User.objects.create_superuser(username="root_admin", password="Admin2026pass", phone="13900009999", kind="staff")
    assert client.get("/admin/").status_code == 302
    bounced = client.get("/admin/login/?next=/admin/")
    assert bounced.status_code == 302 and bounced["Location"].startswith("/accounts/login/")
    client.post(
        "/accounts/login/?next=/admin/",
        {"platform": "permit", "username": "root_admin", "password": "Admin2026pass", "next": "/admin/"},
    )
    response = client.post("/accounts/login/verify/", {"code": last_code("13900009999")})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
