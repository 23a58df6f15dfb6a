import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from residence.core.validators import (
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_name,
    normalize_phone,
)


def valid_id(body17):
    return body17 + ric.calc_check_digit(body17)


def test_id_number_check_character_and_lower_x():
    number = next(
        valid_id(f"11010519491231{n:03d}") for n in range(1000) if valid_id(f"11010519491231{n:03d}")[-1] == "X"
    )
    assert normalize_id_number(number.lower()) == number
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        normalize_id_number(wrong)
    assert caught.value.code == "checksum"


def test_id_number_address_code_is_not_checked_against_a_list():
    assert normalize_id_number(valid_id("99999919900101123"))
    assert normalize_id_number(valid_id("81000019900101123")).startswith("810000")


@pytest.mark.parametrize("body", ["44030419900230123", "44030421000101123"])
def test_id_number_birth_date_must_exist_and_not_be_future(body):
    with pytest.raises(ValidationError) as caught:
        normalize_id_number(valid_id(body))
    assert caught.value.code == "birth_date"


@pytest.mark.parametrize("bad", ["", "123", "4403041990010112345", "44030419900101123Y"])
def test_id_number_format(bad):
    with pytest.raises(ValidationError):
        normalize_id_number(bad)


def test_phone_is_a_mainland_mobile():
    assert normalize_phone("+86 158 9736 0001") == "15897360001"
    for bad in ["010-12345678", "12345", "852 9123 4567", "abc"]:
        with pytest.raises(ValidationError):
            normalize_phone(bad)


def test_credit_code_check_character():
    assert normalize_credit_code("91440300MA5D4X7K8N") == "91440300MA5D4X7K8N"
    with pytest.raises(ValidationError):
        normalize_credit_code("91440300MA5D4X7K8M")


def test_names_compare_after_nfkc_trim_and_middle_dots():
    assert normalize_name(" 买买提•艾力 ") == normalize_name("买买提·艾力") == normalize_name("买买提・艾力")
    assert normalize_name("ＡＢＣ") == "ABC"


def test_masks():
    assert mask_phone("15800000001") == "158****0001"
    assert mask_id_number("430102199003071238") == "430102********1238"
