"""Fees (RULES §5): paid online by the applicant or at the counter of the chosen point by its
clerk (a counter applicant may have no account), and the idempotency key of a payment."""

import io

import pypdf
import pytest

from residence.applications.models import Application, Payment
from residence.audit.models import AuditEvent
from residence.notifications import sms
from residence.places.models import AcceptancePoint

from .applications import HOME_POINT, application_body, citizen_api, eligible_records, staff_apis
from .conftest import CommittingClient, error_code
from .test_account_changes import identity
from .test_permits import permit_for
from .test_web import web_login

pytestmark = pytest.mark.django_db
WALK_IN_PHONE = "13700000021"


@pytest.fixture
def counter_exchange(settings):
    """A holder with no account asks for an exchange at the counter of HOME_POINT; both
    departments confirm and the reviewer approves: the fee of 20 yuan is asked for."""
    settings.FROZEN_TODAY = "2027-01-15"
    number = identity("36010219950812234", "李娜")
    eligible_records(number)
    holder = type("Holder", (), {"person": type("Person", (), {"id_number": number, "name": "李娜"})})
    permit_for(holder)
    staff = staff_apis(["clerk", "other_clerk", "police", "insurance", "reviewer"])
    body = {
        **application_body(kind="exchange", photo_receipt="CT20270115A1"),
        "applicant": {"name": "李娜", "id_number": number, "phone": WALK_IN_PHONE},
        "portrait_captured": True,
    }
    created = staff.clerk.post("/api/v1/staff/applications", body)
    assert created.status_code == 201, created.content
    base = f"/api/v1/staff/applications/{created.json()['id']}"
    for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
        assert client.post(f"{base}/verify", {"department": department, "outcome": "confirmed"}).status_code == 200
    sms.outbox.clear()
    assert staff.reviewer.post(f"{base}/approve", {}).json()["status"] == "awaiting_payment"
    return staff, base, Application.objects.get(pk=created.json()["id"])


def test_the_payment_request_says_where_to_pay(counter_exchange):
    _staff, _base, application = counter_exchange
    (text,) = [m["text"] for m in sms.outbox if m["to"] == WALK_IN_PHONE]
    point = AcceptancePoint.objects.get(code=HOME_POINT)
    assert "20.00" in text and application.payment_due_on.isoformat() in text
    assert point.name in text and "在线" in text, text


def test_the_clerk_of_the_chosen_point_takes_the_fee_at_the_counter(counter_exchange):
    staff, base, application = counter_exchange
    # Not the clerk of another point, and not through the citizen's endpoint.
    assert staff.other_clerk.post(f"{base}/payment", {}).status_code == 403
    citizens = staff.clerk.post(f"/api/v1/applications/{application.pk}/payment", {"provider": "counter"})
    assert citizens.status_code == 403
    assert not Payment.objects.exists()

    paid = staff.clerk.post(f"{base}/payment", {})
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "approved"
    payment = Payment.objects.get()
    assert payment.provider == "counter" and payment.transaction_id.startswith("COUNTER-")
    assert str(payment.amount) == "20.00"
    event = AuditEvent.objects.get(type="payment_received")
    assert event.actor == staff.users["clerk"] and event.data["amount"] == "20.00"
    # The 10 working days run from today's payment (RULES §5): 2027-01-15 is a Friday.
    assert paid.json()["due_date"] == "2027-01-29"

    again = staff.clerk.post(f"{base}/payment", {})
    assert error_code(again) == "conflict" and Payment.objects.count() == 1

    receipt = staff.clerk.get(f"{base}/payment-receipt")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(receipt.content)).pages)
    assert "受理点窗口" in text and payment.transaction_id in text and "20.00" in text
    assert staff.other_clerk.get(f"{base}/payment-receipt").status_code == 403


def test_the_counter_payment_on_the_desk_page(counter_exchange):
    _staff, _base, application = counter_exchange
    web = CommittingClient()
    web.cookies["django_language"] = "en"
    assert web_login(web, "staff_clerk", phone="13900001001").status_code == 302
    page = web.get(f"/staff/applications/{application.pk}/").content.decode()
    assert "Fee of 20.00 yuan taken at the counter" in page and "receipt of the fee" not in page
    done = web.post(f"/staff/applications/{application.pk}/payment/", follow=True)
    assert "The fee is paid" in done.content.decode()
    assert Payment.objects.get().provider == "counter"
    page = web.get(f"/staff/applications/{application.pk}/").content.decode()
    assert "taken at the counter" not in page and "receipt of the fee" in page
    pdf = web.get(f"/staff/applications/{application.pk}/payment-receipt/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_the_clerk_is_told_of_the_applicant_when_the_fee_is_not_yet_asked(counter_exchange):
    staff, base, application = counter_exchange
    Application.objects.filter(pk=application.pk).update(status="reviewing")
    early = staff.clerk.post(f"{base}/payment", {})
    assert error_code(early) == "conflict" and "the applicant is told by SMS" in early.json()["error"]["message"]
    assert not Payment.objects.exists()


def test_an_unpaid_applications_fee_receipt_is_refused_saying_why(counter_exchange):
    staff, base, _application = counter_exchange
    refused = staff.clerk.get(f"{base}/payment-receipt", HTTP_ACCEPT_LANGUAGE="en")
    assert error_code(refused) == "conflict" and "has not been paid" in refused.json()["error"]["message"]


@pytest.fixture
def two_to_pay(settings):
    """One holder's two exchanges, one after the other, each approved and awaiting payment."""
    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()
    eligible_records()
    permit_for(user)
    staff = staff_apis(["police", "insurance", "reviewer"])

    def approved(photo_receipt):
        app = api.post("/api/v1/applications", application_body(kind="exchange", photo_receipt=photo_receipt)).json()
        base = f"/api/v1/staff/applications/{app['id']}"
        for department, client in (("police", staff.police), ("social_insurance", staff.insurance)):
            client.post(f"{base}/verify", {"department": department, "outcome": "confirmed"})
        assert staff.reviewer.post(f"{base}/approve", {}).json()["status"] == "awaiting_payment"
        return app["id"]

    return api, approved


def test_an_idempotency_key_pays_one_application(two_to_pay):
    api, approved = two_to_pay
    first = approved("PZ20270115A1")
    url = f"/api/v1/applications/{first}/payment"
    assert api.post(url, {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 200
    assert api.post(url, {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 200  # the same answer
    Application.objects.filter(pk=first).update(status="completed")  # the card handed over
    second = approved("PZ20270115A2")
    reused = api.post(f"/api/v1/applications/{second}/payment", {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert error_code(reused) == "conflict" and "another application" in reused.json()["error"]["message"]
    assert Payment.objects.count() == 1


def test_a_too_long_idempotency_key_is_refused_not_cut(two_to_pay):
    api, approved = two_to_pay
    app = approved("PZ20270115A1")
    url = f"/api/v1/applications/{app}/payment"
    for key in ("k" * 81, "键键".encode().decode("latin-1"), "k\x01"):  # as a server receives a UTF-8 header
        refused = api.post(url, {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY=key)
        assert error_code(refused) == "invalid" and "Idempotency-Key" in refused.json()["error"]["fields"]
    assert not Payment.objects.exists()
    # Nor through the counter's terminal, which is the clerk's.
    assert error_code(api.post(url, {"provider": "counter"})) == "invalid" and not Payment.objects.exists()
    assert api.post(url, {"provider": "sandbox"}, HTTP_IDEMPOTENCY_KEY="k" * 80).status_code == 200
