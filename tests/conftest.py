import json
import re

import pytest
from django.test import Client, TestCase
from django.utils import timezone, translation
from rest_framework.test import APIClient

from residence.accounts import services
from residence.accounts.models import Kind
from residence.notifications import sms

PASSWORD = "Testing2026pass"


def midday():
    """Noon today, local time: tests that move the clock by minutes start here, so that no run
    near midnight crosses into the next day's quotas."""
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture(autouse=True)
def _clean_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the platform's default language: a request's LocaleMiddleware leaves its
    language active in the thread, and code run outside a request (a command, a job) would speak
    the language of whichever test came before."""
    translation.deactivate()
    yield
    translation.deactivate()


def last_code(phone):
    for message in reversed(sms.outbox):
        if message["to"] == phone:
            return re.search(r"(?<!\d)(\d{6})(?!\d)", message["text"]).group(1)
    return None


def committed(request):
    """Run one request as the server would: what its transactions queue with on_commit (an
    SMS) happens when it ends. Inside a test's rolled-back transaction Django would never run
    those callbacks; a callback queued in a savepoint that rolled back is still dropped."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return request()


class CommittingClient(Client):
    def request(self, **request):
        return committed(lambda: super(CommittingClient, self).request(**request))


@pytest.fixture
def client():
    return CommittingClient()


class AdminBrowser(CommittingClient):
    """The Django admin as a browser uses it: a change form goes back with the hidden fingerprint
    of the page it was opened on (`loaded`), which the platform's change forms require. A test
    that sends its own `loaded` (or none, as `post_as_typed`) is sent as it is."""

    def post(self, path, data=None, *args, **kwargs):
        if path.endswith("/change/") and isinstance(data, dict) and "loaded" not in data:
            found = re.search(r'name="loaded" value="([^"]*)"', self.get(path).content.decode())
            if found:
                data = {**data, "loaded": found.group(1)}
        return super().post(path, data, *args, **kwargs)

    def post_as_typed(self, path, data):
        return super().post(path, data)


class Api:
    """A JSON client speaking API.md."""

    def __init__(self, address="10.1.1.1"):
        self.client = APIClient(REMOTE_ADDR=address)
        self.token = None

    def call(self, method, path, body=None, raw=None, **headers):
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        send = getattr(self.client, method.lower())
        return committed(lambda: send(path, data=data, content_type="application/json", **headers))

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def login(self, username, password=PASSWORD, phone=None, remember=False):
        r = self.post("/api/v1/auth/login", {"username": username, "password": password, "remember": remember})
        if r.status_code == 202:
            r = self.post("/api/v1/auth/sms-verify", {"challenge": r.json()["challenge"], "code": last_code(phone)})
        assert r.status_code == 200, r.content
        self.token = r.json()["token"]
        return self


@pytest.fixture
def api():
    return Api()


def make_user(username="citizen1", phone="13812345678", kind=Kind.INDIVIDUAL, **extra):
    return services.account_create(
        kind=kind, username=username, password=PASSWORD, phone=phone, consent=True, address="10.9.9.9", **extra
    )


@pytest.fixture
def citizen(db):
    return make_user()


@pytest.fixture
def signed_in(db, citizen):
    return Api().login("citizen1", phone=citizen.phone)


def words(html: str) -> str:
    """A page's HTML with the dates' no-wrap spans taken off, for tests of its words: the spans
    keep "2026-12-03" on one line on a phone and say nothing."""
    return re.sub(r'<span class="nowrap">([^<]*)</span>', r"\1", html)


def error_code(response):
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"]), body
    return body["error"]["code"]


@pytest.fixture
def places():
    """Districts, streets and points again: a transactional test's flush empties every table,
    data migrations' rows included (the loader skips what exists)."""
    from residence.places.loader import load_places
    from residence.places.models import AcceptancePoint, District, Street

    load_places(District, Street, AcceptancePoint)


@pytest.fixture
def reference_data(places):
    """Places and the working-day calendar again, after a transactional test's flush."""
    from residence.core.calendar_seed import seed_calendar
    from residence.core.models import CalendarDay, CalendarYear

    seed_calendar(CalendarYear, CalendarDay)


def send_checked(client, url: str, **extra):
    """Send a check page's form as a browser does: with the fingerprint of the answers it showed."""
    page = client.get(url).content.decode()
    shown = re.search(r'name="answers" value="([0-9a-f]+)"', page)
    return client.post(url, {"answers": shown.group(1) if shown else "", **extra})
