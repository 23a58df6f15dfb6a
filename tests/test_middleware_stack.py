"""One middleware stack: pages run all of it, the API and the probes skip the pages-only part."""

import pytest
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import Client, RequestFactory
from django.utils import translation

from residence.core.middleware import LocaleMiddleware

pytestmark = pytest.mark.django_db

SECURITY_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/api/v1/acceptance-points", "/api/v1/nowhere"])
def test_api_and_probes_skip_session_csrf_auth_and_messages(client, path):
    response = client.get(path, HTTP_COOKIE="sessionid=whatever; csrftoken=" + "x" * 32)
    request = response.wsgi_request
    assert response.status_code in (200, 404)
    for attribute in ("session", "_messages", "login_session", "csrf_processing_done"):
        assert not hasattr(request, attribute), attribute
    assert getattr(request, "user", None) is None  # DRF's token authentication sets it, if anything
    assert not response.cookies and "Cookie" not in response.get("Vary", "")
    assert {name: response.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert request.client_address == "127.0.0.1"


def test_pages_keep_session_csrf_auth_and_messages(client):
    response = client.get("/accounts/login/")
    request = response.wsgi_request
    assert response.status_code == 200 and "csrftoken" in response.cookies
    assert hasattr(request, "session") and not request.user.is_authenticated and hasattr(request, "_messages")
    assert request.login_session is None
    assert {name: response.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_pages_still_check_csrf_and_the_api_never_does():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "a", "password": "b"}).status_code == 403
    response = client.post("/api/v1/auth/login", {"username": "a"}, content_type="application/json")
    assert response.status_code == 400


def test_api_messages_follow_accept_language():
    english = Client().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    chinese = Client().get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert english.status_code == chinese.status_code == 401
    assert english["Content-Language"] == "en" and chinese["Content-Language"] == "zh-hans"
    assert english.json()["error"]["message"] != chinese.json()["error"]["message"]
    assert "Accept-Language" in english["Vary"]


@pytest.mark.parametrize(
    ("cookie", "accept"),
    [
        (None, None),
        (None, "en"),
        (None, "en-GB,en;q=0.9"),
        (None, "zh-CN,zh;q=0.9"),
        (None, "zh-Hant-TW"),
        (None, "fr, *"),
        (None, "!!bad"),
        ("en", "zh-hans"),
        ("xx", "en"),
    ],
)
def test_locale_middleware_decides_as_djangos(cookie, accept):
    factory, answers = RequestFactory(), []
    for middleware in (LocaleMiddleware, DjangoLocaleMiddleware):
        request = factory.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE=accept or "")
        if cookie:
            request.COOKIES["django_language"] = cookie
        response = middleware(lambda request: HttpResponse())(request)
        answers.append((request.LANGUAGE_CODE, response["Content-Language"], response["Vary"]))
        translation.deactivate()
    assert answers[0] == answers[1]


def test_deploy_check_accepts_the_pages_only_csrf_middleware_and_still_wants_a_secure_cookie(settings):
    from residence.core.checks import check_csrf_middleware

    settings.CSRF_COOKIE_SECURE = True
    assert check_csrf_middleware(None) == []
    settings.CSRF_COOKIE_SECURE = False
    assert [warning.id for warning in check_csrf_middleware(None)] == ["core.W016"]
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if "Csrf" not in path]
    assert [warning.id for warning in check_csrf_middleware(None)] == ["core.W003"]


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/working-days?from=2026-03-02&add=3"])
def test_api_requests_leave_next_to_nothing_for_the_cycle_collector(path):
    import gc

    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections

    application, environ = WSGIHandler(), RequestFactory().get(path).environ

    def call():
        # As Django's test client does: the test's database connection stays open.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = application(dict(environ), lambda status, headers: None)
            b"".join(response)
            response.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    call()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        call()
        gc.collect()
        left = [type(thing).__name__ for thing in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    # Django's View keeps view.head = view.get (one small cycle); DRF's view, request and
    # response (about 30-60 objects) are freed by reference counting. (A serializer's fields
    # point back at it: views that serialize lists still leave those to the collector.)
    assert len(left) <= 5, left


def test_answers_with_personal_data_are_not_stored_and_pages_carry_the_content_security_policy(db, settings):
    """An outsider found no Cache-Control on the login answer's token, /me, the receipt PDF or any
    signed-in page: a shared cache or the browser's history could keep them."""
    from .conftest import PASSWORD, Api, make_user

    make_user()
    login = Api().post("/api/v1/auth/login", {"username": "citizen1", "password": PASSWORD})
    assert login.status_code in (200, 202) and login["Cache-Control"] == "no-store"
    me = Api().login("citizen1", phone="13812345678")
    answer = me.get("/api/v1/me")
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" not in answer  # JSON runs nothing
    page = Client().get("/accounts/login/")
    assert page["Cache-Control"] == "no-store"
    assert page["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    # What says otherwise keeps its own: the probe's never_cache.
    assert "must-revalidate" in Client().get("/healthz")["Cache-Control"]


def test_the_https_scheme_is_believed_only_from_a_trusted_proxy(db, settings):
    """An outsider reaching gunicorn past the proxy skipped the HTTPS redirect with his own
    X-Forwarded-Proto."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]

    def fetch(peer):
        return Client().get("/accounts/login/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https")

    assert fetch("10.0.0.5").status_code == 200
    refused = fetch("192.0.2.7")
    assert refused.status_code == 301 and refused["Location"].startswith("https://")


@pytest.mark.parametrize(
    ("size", "left"),
    [(6 * 1024 * 1024, 0), (32 * 1024 * 1024 + 1, 32 * 1024 * 1024 + 1)],
)
def test_a_refused_body_is_read_and_dropped_so_the_sender_sees_why(size, left):
    """An outsider's 6 MB file on the bulk page got a reset connection, not the 413 page: gunicorn
    closed the socket with the body unread. A body within reason is read to its end first."""
    from residence.core.middleware import ClientAddressMiddleware

    request = RequestFactory().generic("POST", "/registration/bulk/", b"x" * size, content_type="text/csv")
    response = ClientAddressMiddleware(lambda request: HttpResponse())(request)
    assert response.status_code == 413
    assert len(request.META["wsgi.input"]) == left  # the bytes still unread


def test_a_sender_that_gives_up_during_a_refused_body_is_no_500():
    from residence.core.middleware import ClientAddressMiddleware

    class GaveUp:
        def read(self, size=-1):
            raise OSError("the client went away")

    request = RequestFactory().generic("POST", "/registration/bulk/", b"", content_type="text/csv")
    request.META.update({"CONTENT_LENGTH": str(6 * 1024 * 1024), "wsgi.input": GaveUp()})
    request._stream = GaveUp()
    assert ClientAddressMiddleware(lambda request: HttpResponse())(request).status_code == 413
