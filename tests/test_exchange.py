import io
import json

import pytest
from django.core.management import call_command

from residence.records.models import InsuranceMonth, Registration

from .conftest import error_code
from .idnumbers import with_check

pytestmark = pytest.mark.django_db
ID = with_check("43010219900307123")
IDENTITY_ROW = {
    "id_number": ID,
    "name": "张伟",
    "sex": "M",
    "ethnicity": "汉",
    "birth_date": "1990-03-07",
    "hukou_address": "",
    "shenzhen_hukou": "0",
}


def key_for(department):
    out = io.StringIO()
    call_command("create_api_key", "--department", department, stdout=out)
    return out.getvalue().strip()


def push(client, key, kind, body, content_type):
    return client.post(
        f"/api/v1/exchange/{kind}",
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_csv_push_applies_and_repeats_idempotently(client, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("social_insurance")
    csv = f"id_number,month,employer_credit_code\n{ID},2025-01,91440300MA5D4X7K8N\n{ID},2025-02,91440300MA5D4X7K8N\n"
    first = push(client, key, "social_insurance", csv, "text/csv")
    assert first.status_code == 200 and first.json()["created"] == 2
    assert push(client, key, "social_insurance", csv, "text/csv").json()["unchanged"] == 2
    assert InsuranceMonth.objects.count() == 2


def test_json_push_and_rejection_lists_every_bad_row(client, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("police")
    good = {
        "id_number": ID,
        "street_code": "440304004",
        "address": "福田路",
        "registered_on": "2025-01-01",
        "ended_on": "",
    }
    bad = [good, {**good, "registered_on": "2025-02-30"}, {**good, "street_code": "1"}]
    response = push(client, key, "registrations", json.dumps(bad), "application/json")
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert [r["line"] for r in response.json()["error"]["rows"]] == [3, 4]
    assert not Registration.objects.exists()
    assert push(client, key, "registrations", json.dumps([good]), "application/json").json()["created"] == 1


def test_keys_are_scoped_revocable_and_not_logins(client):
    key = key_for("education")
    assert push(client, key, "social_insurance", "x", "text/csv").status_code == 403
    assert push(client, key, "nonsense", "x", "text/csv").status_code == 404
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert me.status_code == 401
    call_command("revoke_api_key", key.split(".")[0], stdout=io.StringIO())
    assert push(client, key, "enrolments", "x", "text/csv").status_code == 401
    assert push(client, "made.up", "enrolments", "x", "text/csv").status_code == 401


def test_malformed_json_and_wrong_header(client):
    key = key_for("police")
    assert error_code(push(client, key, "identities", "{oops", "application/json")) == "parse_error"
    assert error_code(push(client, key, "identities", '{"a": 1}', "application/json")) == "invalid"
    response = push(client, key, "identities", "a,b\n1,2\n", "text/csv")
    assert response.status_code == 400 and "header" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        "id_number,month,employer_credit_code\n".encode("utf-16"),
        b"\xff\xfe\x00",
        b"id_number,month,employer_credit_code\n\xff\xff\x81\n",
    ],
    ids=["utf-16", "bom-and-nul", "bad-bytes-in-a-row"],
)
def test_insurance_csv_in_neither_utf8_nor_gb18030_is_400_and_applies_nothing(client, settings, body):
    """Found by an outsider: the streamed insurance path fell back to GB18030 and failed inside
    the stream (500); the command printed a traceback. Now the file is refused whole."""
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("social_insurance")
    response = push(client, key, "social_insurance", body, "text/csv")
    assert response.status_code == 400 and "neither UTF-8 nor GB18030" in response.json()["error"]["message"]
    assert InsuranceMonth.objects.count() == 0


def test_import_records_refuses_such_a_file_in_words(tmp_path, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    path = tmp_path / "bad.csv"
    path.write_bytes(b"id_number,month,employer_credit_code\n\xff\xff\x81\n")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_records", "social_insurance", str(path), stderr=err)
    assert exit_.value.code == 1 and "neither UTF-8 nor GB18030" in err.getvalue()
