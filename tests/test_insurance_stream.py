import io

import pytest

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


def test_gb18030_file_and_wrong_header():
    assert run(f"{ID},2025-01,91440300MA5D4X7K8N\n", "gb18030").applied
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        records_import_csv("social_insurance", io.BytesIO("编号,月份\n1,2\n".encode("gb18030")))
