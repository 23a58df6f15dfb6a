import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from gunicorn.http.errors import ChunkMissingTerminator, InvalidChunkSize, NoMoreData

from residence.records.models import Identity, InsuranceMonth, Registration

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


REGISTRATION_ROW = {
    "id_number": ID,
    "street_code": "440304004",
    "address": "福田路",
    "registered_on": "2025-01-01",
    "ended_on": "",
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
    assert first.status_code == 200 and first.json()["created"] == 2 and first.json()["notes"] == []
    assert push(client, key, "social_insurance", csv, "text/csv").json()["unchanged"] == 2
    assert InsuranceMonth.objects.count() == 2


def test_json_push_and_rejection_lists_every_bad_row(client, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("police")
    good = REGISTRATION_ROW
    bad = [good, {**good, "registered_on": "2025-02-30"}, {**good, "street_code": "1"}]
    response = push(client, key, "registrations", json.dumps(bad), "application/json")
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert [r["line"] for r in response.json()["error"]["rows"]] == [3, 4]
    assert not Registration.objects.exists()
    # An empty code is said to be empty (an outsider read "street_code  is not a Shenzhen street.").
    empty = push(client, key, "registrations", json.dumps([{**good, "street_code": ""}]), "application/json")
    assert empty.json()["error"]["rows"][0]["reason"] == "street_code is empty."
    assert push(client, key, "registrations", json.dumps([good]), "application/json").json()["created"] == 1


def test_a_json_row_that_leaves_a_field_out_is_refused_not_read_as_empty(client, settings):
    """An outsider pushed an ended registration, then the same row without `ended_on`: it was read
    as empty and the registration opened again. A row holds every field, as a CSV line does."""
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("police")
    ended = {**REGISTRATION_ROW, "ended_on": "2025-10-31"}
    assert push(client, key, "registrations", json.dumps([ended]), "application/json").json()["created"] == 1
    left_out = {name: value for name, value in ended.items() if name != "ended_on"}
    response = push(client, key, "registrations", json.dumps([left_out]), "application/json")
    assert response.status_code == 400 and error_code(response) == "invalid"
    [row] = response.json()["error"]["rows"]
    assert row["line"] == 2 and row["reason"].startswith("fields missing: ended_on")
    assert [str(r.ended_on) for r in Registration.objects.all()] == ["2025-10-31"]
    # The same for social insurance's rows, read by their own path.
    insurance = key_for("social_insurance")
    partial = [{"id_number": ID, "month": "2025-01"}]
    refused = push(client, insurance, "social_insurance", json.dumps(partial), "application/json")
    assert (
        refused.status_code == 400
        and "fields missing: employer_credit_code" in refused.json()["error"]["rows"][0]["reason"]
    )
    assert not InsuranceMonth.objects.exists()


def test_a_json_push_with_a_byte_order_mark_is_read_as_a_csv_file_with_one_is(client, settings):
    """An outsider's JSON from a Windows tool began with a BOM and was a parse_error, while the same
    rows as CSV with a BOM were taken (RFC 8259 §8.1 lets a reader skip it)."""
    key = key_for("police")
    body = "\ufeff".encode() + json.dumps([IDENTITY_ROW], ensure_ascii=False).encode()
    response = push(client, key, "identities", body, "application/json")
    assert response.status_code == 200 and response.json()["created"] == 1
    twice = "\ufeff\ufeff".encode() + json.dumps([IDENTITY_ROW]).encode()  # one mark, not any number
    assert error_code(push(client, key, "identities", twice, "application/json")) == "parse_error"


def test_a_json_row_is_refused_once_with_every_problem_and_no_field_beyond_the_header(client, settings):
    """An outsider's identity row without five fields was told only of the first, its extra field
    was dropped unsaid, and a number was refused as "must be text"."""
    settings.FROZEN_TODAY = "2026-03-02"
    police, insurance = key_for("police"), key_for("social_insurance")
    partial = {"id_number": ID, "name": "张伟"}
    numbered = {**IDENTITY_ROW, "birth_date": 19900307, "extra": 1}
    response = push(client, police, "identities", json.dumps([IDENTITY_ROW, partial, numbered]), "application/json")
    assert response.status_code == 400
    rows = {r["line"]: r["reason"] for r in response.json()["error"]["rows"]}
    assert set(rows) == {3, 4}
    for field in ("sex", "birth_date", "shenzhen_hukou"):
        assert field in rows[3], field
    # Left out is not empty: a field the sender did not send is not blanked (an outsider's push of
    # a registration without `ended_on` opened it again); the row names them, as a header would.
    assert rows[3].startswith("fields missing: sex, ethnicity, birth_date, hukou_address, shenzhen_hukou")
    assert rows[4].startswith("fields not in the header: extra; birth_date must be text")
    response = push(
        client, police, "identities", json.dumps([{**IDENTITY_ROW, "birth_date": 19900307}]), "application/json"
    )
    (row,) = response.json()["error"]["rows"]
    assert row["reason"].startswith('birth_date must be text, as in the CSV file (a JSON string such as "1")')
    # A flag as JSON's own true/false or 0/1 (an outsider's typed JSON was refused), not any number.
    for typed, hukou in ((False, False), (0, False), (True, True), (1, True)):
        pushed = push(
            client, police, "identities", json.dumps([{**IDENTITY_ROW, "shenzhen_hukou": typed}]), "application/json"
        )
        assert pushed.status_code == 200, (typed, pushed.content)
        assert Identity.objects.get(id_number=ID).shenzhen_hukou is hukou, typed
    for odd in (2, 0.0, [1], None):
        pushed = push(
            client, police, "identities", json.dumps([{**IDENTITY_ROW, "shenzhen_hukou": odd}]), "application/json"
        )
        reason = pushed.json()["error"]["rows"][0]["reason"]
        assert pushed.status_code == 400 and "shenzhen_hukou must be 1 or 0 (in JSON also true or false)" in reason, odd
    month = {"id_number": ID, "month": "2025-01", "employer_credit_code": "91440300MA5D4X7K8N"}
    bad = [month, {"id_number": "1", "month": "2025-13"}, {**month, "month": 202502}, {**month, "note": "x"}]
    response = push(client, insurance, "social_insurance", json.dumps(bad), "application/json")
    rows = {r["line"]: r["reason"] for r in response.json()["error"]["rows"]}
    assert set(rows) == {3, 4, 5}
    assert "id_number" in rows[3] and "month" in rows[3] and "employer_credit_code" in rows[3]
    assert "must be text" in rows[4] and rows[5] == "fields not in the header: note"
    # An extra field does not hide the row's other problems.
    both = push(
        client, insurance, "social_insurance", json.dumps([{**month, "month": "2025-13", "x": "1"}]), "application/json"
    )
    (row,) = both.json()["error"]["rows"]
    assert row["reason"].startswith("fields not in the header: x; ") and "month" in row["reason"]
    assert not InsuranceMonth.objects.exists()


def test_keys_are_scoped_revocable_and_not_logins(client):
    key = key_for("education")
    assert push(client, key, "social_insurance", "x", "text/csv").status_code == 403
    assert push(client, key, "nonsense", "x", "text/csv").status_code == 404
    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert me.status_code == 401
    # The whole key as create_api_key printed it, spaced and in capitals: revoked, the secret
    # never printed back (an outsider's was refused as unknown, left live, and echoed).
    said = io.StringIO()
    call_command("revoke_api_key", f" {key.split('.')[0].upper()}.{key.split('.')[1]} ", stdout=said)
    assert key.split(".")[0] in said.getvalue() and key.split(".")[1] not in said.getvalue()
    assert push(client, key, "enrolments", "x", "text/csv").status_code == 401
    # A whole key that is not the key of its prefix revokes nothing (an outsider's wrong paste
    # ended a live key).
    live = key_for("education")
    with translation.override("en"), pytest.raises(CommandError, match="nothing revoked"):
        call_command("revoke_api_key", f"{live.split('.')[0]}.wrongsecret", stdout=io.StringIO())
    assert push(client, live, "enrolments", "x", "text/csv").status_code != 401
    assert push(client, "made.up", "enrolments", "x", "text/csv").status_code == 401
    # Run twice, nothing changes and it says so, exiting 0 as disable_staff does; an unknown
    # prefix is an error.
    again = io.StringIO()
    with translation.override("en"):
        call_command("revoke_api_key", key.split(".")[0], stdout=again)
        assert "revoked already on" in again.getvalue() and "nothing changed" in again.getvalue()
        with pytest.raises(CommandError, match="No live key"):
            call_command("revoke_api_key", "nosuchprefix", stdout=io.StringIO())


def test_a_key_in_another_case_is_read_and_one_in_another_header_is_told_the_form(client, settings):
    """An outsider's department system sent `api-key`, `Bearer` and `X-Api-Key`, and was told to
    sign in, as a citizen would be."""
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("social_insurance")
    body = f"id_number,month,employer_credit_code\n{ID},2025-01,91440300MA5D4X7K8N\n"
    lower = client.post(
        "/api/v1/exchange/social_insurance", data=body, content_type="text/csv", HTTP_AUTHORIZATION=f"api-key {key}"
    )
    assert lower.status_code == 200 and lower.json()["created"] == 1
    for headers in ({"HTTP_AUTHORIZATION": f"Bearer {key}"}, {"HTTP_X_API_KEY": key}, {}):
        refused = client.post(
            "/api/v1/exchange/social_insurance",
            data=body,
            content_type="text/csv",
            HTTP_ACCEPT_LANGUAGE="en",
            **headers,
        )
        assert refused.status_code == 401 and "Authorization: Api-Key <key>" in refused.json()["error"]["message"]
        assert refused["WWW-Authenticate"] == "Api-Key"


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
    assert exit_.value.code == 1 and "文件既不是 UTF-8 也不是 GB18030 编码" in err.getvalue()  # the operator's language


def test_a_declared_charset_is_the_files_and_a_mixed_file_is_refused(client, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("police")
    header = ",".join(IDENTITY_ROW)
    row = ",".join(IDENTITY_ROW.values())
    gbk_row = row.replace(ID, with_check("44010219900307001")).replace("张伟", "郑伟")
    gbk = gbk_row.encode("gbk")
    # Declared UTF-8, one GBK row: refused at its line (it was stored as 閮戜紵).
    body = f"{header}\n{row}\n".encode() + gbk + b"\n"
    declared = push(client, key, "identities", body, "text/csv; charset=utf-8")
    assert declared.status_code == 400 and "Line 3 is not UTF-8 text." in declared.json()["error"]["message"]
    undeclared = push(client, key, "identities", body, "text/csv")
    assert undeclared.status_code == 400 and "Line 3 is not UTF-8 text, though" in undeclared.json()["error"]["message"]
    assert not Registration.objects.exists() and not InsuranceMonth.objects.exists()
    from residence.records.models import Identity

    assert not Identity.objects.exists()
    # Declared GB18030: read so, whatever detection would say.
    # (The test client encodes a text body in the charset its content type names.)
    as_gb = push(client, key, "identities", f"{header}\n{gbk_row}\n", "text/csv; charset=GBK")
    assert as_gb.status_code == 200 and Identity.objects.get().name == "郑伟"
    # Declared GBK, and not: the line is named, in the declared encoding's words.
    not_gb = push(client, key, "identities", f"{header}\n".encode() + b"\xff\xff\n", "text/csv")
    assert "Line 2 is not" in not_gb.json()["error"]["message"]
    unknown = push(client, key, "identities", f"{header}\n", "text/csv; charset=latin-1")
    assert unknown.status_code == 400 and "charset=latin-1" in unknown.json()["error"]["message"]
    # A Big5 row (張國強: B169 B0EA B16A; 漢: BA7E) declared GB18030 is not read as 眎瓣眏 (a re-testing outsider).
    big5 = f"{header}\n".encode() + gbk_row.encode("gbk").replace(
        "郑伟".encode("gbk"), bytes.fromhex("b169b0eab16a")
    ).replace("汉".encode("gbk"), bytes.fromhex("ba7e"))
    # (The test client encodes a text body in its declared charset: these bytes, given as their reading.)
    mislabelled = push(client, key, "identities", (big5 + b"\n").decode("gb18030"), "text/csv; charset=GB18030")
    assert mislabelled.status_code == 400 and "Big5 or Shift_JIS" in mislabelled.json()["error"]["message"]
    assert Identity.objects.get().name == "郑伟"


def test_a_json_row_with_a_control_character_is_refused_at_its_line_as_in_a_csv_file(client, settings):
    # The CSV file's row was named by its line; the same row as JSON got a generic field error.
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("police")
    rows = [IDENTITY_ROW, {**IDENTITY_ROW, "id_number": with_check("44010219900307001"), "name": "郑\x00伟"}]
    as_json = push(client, key, "identities", json.dumps(rows), "application/json")
    header = ",".join(IDENTITY_ROW)
    text = header + "\n" + "\n".join(",".join(row.values()) for row in rows) + "\n"
    as_csv = push(client, key, "identities", text, "text/csv")
    assert as_json.status_code == as_csv.status_code == 400
    assert as_json.json()["error"]["rows"] == as_csv.json()["error"]["rows"]
    assert [row["line"] for row in as_json.json()["error"]["rows"]] == [3]
    from residence.records.models import Identity

    assert not Identity.objects.exists()


def chunked(client, key, kind, body):
    """A push as a streaming client sends it and gunicorn hands it over: de-chunked, with
    Transfer-Encoding: chunked and no Content-Length. `body`: bytes, or the stream itself."""
    return client.generic(
        "POST",
        f"/api/v1/exchange/{kind}",
        b"",
        "text/csv",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        HTTP_ACCEPT_LANGUAGE="en",
        **{"wsgi.input": io.BytesIO(body) if isinstance(body, bytes) else body},
    )


def test_a_chunked_push_is_read_whole_and_one_past_the_limit_is_413(client, settings):
    """An outsider's streamed CSV (chunked, no Content-Length) was read as empty: 400 for its
    header, and a 2.8 MB one got the same 400, not 413."""
    settings.FROZEN_TODAY = "2026-03-02"
    key = key_for("social_insurance")
    csv = f"id_number,month,employer_credit_code\n{ID},2025-01,91440300MA5D4X7K8N\n{ID},2025-02,91440300MA5D4X7K8N\n"
    applied = chunked(client, key, "social_insurance", csv.encode())
    assert applied.status_code == 200 and applied.json()["created"] == 2
    assert InsuranceMonth.objects.count() == 2
    row = f"{ID},2025-03,91440300MA5D4X7K8N\n"
    big = (
        "id_number,month,employer_credit_code\n" + row * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // len(row) + 1)
    ).encode()
    refused = chunked(client, key, "social_insurance", big)
    assert refused.status_code == 413 and error_code(refused) == "payload_too_large"
    assert InsuranceMonth.objects.count() == 2


class BrokenChunks(io.BytesIO):
    """What gunicorn's de-chunking stream does with a bad chunk size, or a sender gone half-way."""

    def __init__(self, error):
        super().__init__()
        self.error = error

    def read(self, size=-1):
        raise self.error


@pytest.mark.parametrize("error", [InvalidChunkSize(b"ZZ"), ChunkMissingTerminator(b"XX"), NoMoreData(b"")])
def test_a_malformed_chunked_body_is_400_not_500(client, error):
    """An outsider's chunk size "ZZ", "-3", a missing terminator, or a sender gone, were 500s."""
    refused = chunked(client, key_for("social_insurance"), "social_insurance", BrokenChunks(error))
    assert refused.status_code == 400 and error_code(refused) == "invalid"
    assert not InsuranceMonth.objects.exists()


def test_a_push_of_more_rows_than_real_rows_fit_in_the_size_limit_is_413(client, settings):
    """An outsider's 200,000 empty JSON objects (600 KB) had a worker write a 39 MB answer for 9 s."""
    # Every real push within the size limit fits: the shortest row of any kind is 40 bytes and more.
    assert settings.EXCHANGE_MAX_ROWS * 40 > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    settings.FROZEN_TODAY = "2026-03-02"
    settings.EXCHANGE_MAX_ROWS = 3
    key = key_for("social_insurance")
    empties = push(client, key, "social_insurance", json.dumps([{}] * 4), "application/json")
    assert empties.status_code == 413 and error_code(empties) == "payload_too_large"
    assert "at most 3 rows" in empties.json()["error"]["message"]
    row = f"{ID},2025-01,91440300MA5D4X7K8N\n"
    header = "id_number,month,employer_credit_code\n"
    refused = push(client, key, "social_insurance", header + row + ",,\n" * 3, "text/csv")
    assert refused.status_code == 413 and not InsuranceMonth.objects.exists()
    # As many rows as allowed, the last without its newline: applied.
    rows = [f"{ID},2025-0{m},91440300MA5D4X7K8N" for m in (1, 2, 3)]
    applied = push(client, key, "social_insurance", header + "\n".join(rows), "text/csv")
    assert applied.status_code == 200 and applied.json()["created"] == 3
    # Blank lines are no rows, as import_records reads them (an outsider's 40,000 were a 413).
    spaced = push(client, key, "social_insurance", header + "\n\n\r\n".join(rows) + "\n" * 40, "text/csv")
    assert spaced.status_code == 200 and spaced.json()["unchanged"] == 3
