import io

import pytest
from django.utils import translation

from residence.records.models import InsuranceMonth
from residence.records.services import records_import_csv

from .idnumbers import with_check

pytestmark = pytest.mark.django_db
ID = with_check("43010219900307123")
HEAD = "id_number,month,employer_credit_code\n"


def run(text, encoding="utf-8"):
    return records_import_csv("social_insurance", io.BytesIO((HEAD + text).encode(encoding)))


@pytest.fixture(autouse=True)
def today(settings):
    settings.FROZEN_TODAY = "2026-03-02"


def test_streamed_rows_apply_once():
    text = "".join(f"{ID.lower()},2025-{m:02d},91440300MA5D4X7K8N\n" for m in range(1, 13)) + "\n"
    first = run(text)
    assert first.applied and first.created == 12 and InsuranceMonth.objects.count() == 12
    assert InsuranceMonth.objects.filter(id_number=ID).count() == 12
    again = run(text)
    assert (again.created, again.unchanged) == (0, 12)


def test_every_bad_row_is_reported_and_nothing_applied():
    text = (
        f"{ID},2025-01,91440300MA5D4X7K8N\n"
        f"{ID},2025-13,91440300MA5D4X7K8N\n"
        f"{ID},2026-04,91440300MA5D4X7K8N\n"
        f"{ID[:17]}{'0' if ID[17] != '0' else '1'},2025-02,91440300MA5D4X7K8N\n"
        f"{ID},2025-03,91440300MA5D4X7K8M\n"
        f"{ID},2025-04\n"
    )
    result = run(text)
    assert [line for line, _ in result.errors] == [3, 4, 5, 6, 7]
    assert InsuranceMonth.objects.count() == 0


def test_duplicates_inside_the_file_name_both_lines():
    text = f"{ID},2025-01,91440300MA5D4X7K8N\n{ID},2025-02,91440300MA5D4X7K8N\n{ID},2025-01,91440300MA5D4X7K8N\n"
    result = run(text)
    assert len(result.errors) == 1 and result.errors[0][0] == 4 and "2" in result.errors[0][1]
    assert InsuranceMonth.objects.count() == 0


@pytest.mark.parametrize("bad_first", [True, False])
def test_a_repeated_key_is_named_beside_the_other_bad_rows(bad_first):
    """An outsider's file with a bad month and a repeated row was rejected for the month alone;
    fixed and sent again, it was rejected a second time for the repeat."""
    bad = f"{ID},2026-13,91440300MA5D4X7K8N\n"
    twice = f"{ID},2025-10,91440300MA5D4X7K8N\n" * 2
    with translation.override("en"):
        result = run(bad + twice if bad_first else twice + bad)
    lines = (2, 4) if bad_first else (4, 3)
    assert [line for line, _ in result.errors] == sorted(lines)
    said = dict(result.errors)
    assert "Same record as line" in said[lines[1]] and "Same record" not in said[lines[0]]
    assert not result.applied and InsuranceMonth.objects.count() == 0


def test_the_exchange_names_a_repeated_key_beside_the_other_bad_rows():
    from residence.core import clock
    from residence.records.bulk import import_insurance_rows

    row = {"id_number": ID, "month": "2025-10", "employer_credit_code": "91440300MA5D4X7K8N"}
    with translation.override("en"):
        result = import_insurance_rows([row, {**row, "month": "2025-13"}, row], now=clock.now())
    assert [line for line, _ in result.errors] == [3, 4] and "line 2" in dict(result.errors)[4]
    assert InsuranceMonth.objects.count() == 0


def test_small_batches_a_bad_row_late_in_the_stream_and_a_stored_row_past_the_first_batch(monkeypatch):
    """On PostgreSQL one COPY takes the whole file from a writer thread: a bad row in a later batch
    must still leave nothing, and a row stored already but not in the first batch must still end
    in the staging path, with the new rows created once."""
    from residence.records import bulk

    monkeypatch.setattr(bulk, "BATCH", 2)
    rows = [f"{ID},2025-{m:02d},91440300MA5D4X7K8N\n" for m in range(1, 8)]
    rejected = run("".join(rows) + f"{ID},2025-13,91440300MA5D4X7K8N\n")
    assert [line for line, _ in rejected.errors] == [9] and InsuranceMonth.objects.count() == 0
    assert run(rows[5]).created == 1  # 2025-06, stored before: in the file's third batch below
    again = run("".join(rows))
    assert (again.created, again.unchanged, again.errors) == (6, 1, [])
    assert InsuranceMonth.objects.count() == 7


def test_gb18030_file_and_wrong_header():
    assert run(f"{ID},2025-01,91440300MA5D4X7K8N\n", "gb18030").applied
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        records_import_csv("social_insurance", io.BytesIO("编号,月份\n1,2\n".encode("gb18030")))
