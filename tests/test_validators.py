"""Validators checked against published real examples and values worked out by hand, never
against numbers made by the code under test (tests/idnumbers.py computes independently)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from residence.core.validators import (
    birth_date_of,
    hidden_text_problem,
    id_check_character,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_name,
    normalize_phone,
    parse_date,
    person_name_problem,
    sex_of,
    told_text_problem,
    username_key,
    validate_username,
)

from .idnumbers import GB11643_EXAMPLES, with_check, wrong_check


@pytest.mark.parametrize("number", GB11643_EXAMPLES)
def test_the_standards_own_examples_are_valid(number):
    assert normalize_id_number(number) == number
    assert id_check_character(number[:17]) == number[17]


def test_the_check_character_worked_out_by_hand():
    # 11010519491231002: 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2
    # = 167; 167 mod 11 = 2 → "X" (1 0 X 9 8 7 6 5 4 3 2).
    weighted = sum(
        int(d) * w for d, w in zip("11010519491231002", (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2))
    )
    assert weighted == 167 and weighted % 11 == 2
    assert id_check_character("11010519491231002") == "X"


def test_a_lower_x_is_accepted_and_stored_upper_case():
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize("number", [*GB11643_EXAMPLES, with_check("43010219900307123")])
def test_any_other_check_character_is_refused(number):
    for other in "0123456789X":
        if other != number[17]:
            with pytest.raises(ValidationError) as caught:
                normalize_id_number(number[:17] + other)
            assert caught.value.code == "checksum"


def test_the_address_code_is_not_checked_against_a_list():
    assert normalize_id_number(with_check("99999919900101123"))
    assert normalize_id_number(with_check("81000019900101123")).startswith("810000")


@pytest.mark.parametrize("body", ["44030419900230123", "44030421000101123"])
def test_the_birth_date_must_exist_and_not_lie_in_the_future(body):
    with pytest.raises(ValidationError) as caught:
        normalize_id_number(with_check(body))
    assert caught.value.code == "birth_date"


@pytest.mark.parametrize("body", ["11010100010101001", "11010117991231001"])
def test_a_birth_date_before_any_record_is_refused(body):
    with pytest.raises(ValidationError) as caught:
        normalize_id_number(with_check(body))
    assert caught.value.code == "birth_date"
    assert "1800-01-01" in caught.value.messages[0]


def test_the_earliest_birth_date_a_record_holds_is_accepted():
    assert normalize_id_number(with_check("11010118000101001")).startswith("11010118000101")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "123",
        "4403041990010112345",
        "44030419900101123Y",
        "110105194912\n31002X",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits
        "11010519491231002\x00",
    ],
)
def test_only_ascii_digits_in_the_format(bad):
    with pytest.raises(ValidationError):
        normalize_id_number(bad)


def _refusal(normalize, value) -> str:
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            normalize(value)
        return str(caught.value.messages[0])


@pytest.mark.parametrize("typed", ["１１０１０５１９４９１２３１００２Ｘ", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"])
def test_full_width_or_other_scripts_digits_are_refused_saying_why(typed):
    assert "half-width" in _refusal(normalize_id_number, typed)
    assert "half-width" in _refusal(normalize_phone, "１５８９７３６０００１")
    assert "half-width" not in _refusal(normalize_id_number, "12345")


@pytest.mark.parametrize("typed", ["4.40301E+17", "1.10105E+17", "4E+17", "1.10105e+17"])
def test_an_id_number_a_spreadsheet_shortened_is_refused_saying_why(typed):
    """An outsider's CSV from Excel held 4.40301E+17 and was told only the number's format."""
    assert "keeps only 15 digits" in _refusal(normalize_id_number, typed)
    assert "keeps only 15 digits" not in _refusal(normalize_id_number, "4403011990")


def test_wrong_check_helper_really_differs():
    assert wrong_check(GB11643_EXAMPLES[0]) != GB11643_EXAMPLES[0]


def test_phone_is_a_mainland_mobile_in_ascii_digits():
    assert normalize_phone("+86 158 9736 0001") == "15897360001"
    assert normalize_phone(" 158-9736-0001 ") == "15897360001"
    for bad in [
        "010-12345678",
        "12345",
        "852 9123 4567",
        "abc",
        "１５８９７３６０００１",
        "158973\n60001",
        "1589736\x000001",
    ]:
        with pytest.raises(ValidationError):
            normalize_phone(bad)


def test_credit_code_check_character_and_ascii_only():
    # A credit code published on a business licence (MA5D… series); its check character is N.
    assert normalize_credit_code("91440300ma5d4x7k8n") == "91440300MA5D4X7K8N"
    for bad in ("91440300MA5D4X7K8M", "９1440300MA5D4X7K8N", "91440300MA5D4X7K8"):
        with pytest.raises(ValidationError):
            normalize_credit_code(bad)


def gb32100_check(first17: str) -> str:
    """GB 32100-2015's check character, worked out here from the standard's weights, apart from
    the library the platform uses."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights, strict=True))
    return alphabet[(31 - total % 31) % 31]


def test_credit_codes_of_authorities_with_a_letter_are_valid():
    """An outsider's Y1… ("other" authority) and N2… (agricultural collective) codes were refused:
    the first two characters of a code may be letters (GB 32100-2015 and its amendments)."""
    assert gb32100_check("91440300MA5D4X7K8") == "N"  # the published licence's, as above
    for first17 in ("Y1440300B97R5NQ73", "N24403002J9GFWAP2", "A1440300MA5D4X7K8", "93440300MA5D4X7K8"):
        code = first17 + gb32100_check(first17)
        assert normalize_credit_code(code.lower()) == code
    assert gb32100_check("Y1440300B97R5NQ73") == "J" and gb32100_check("N24403002J9GFWAP2") == "0"
    # Never I, O, S, V or Z; the area code is digits; the check character right; full-width told as such.
    # Nor an authority GB 32100 has not: the all-zero placeholder's check character (0) is right.
    assert gb32100_check("0" * 17) == "0"
    for bad in (
        "I1440300B97R5NQ73J",
        "Y14403O0B97R5NQ73J",
        "Y1440300B97R5NQ7SJ",
        "Y1440300B97R5NQ73K",
        "0" * 18,
        "B1440300MA5D4X7K8" + gb32100_check("B1440300MA5D4X7K8"),
    ):
        with pytest.raises(ValidationError):
            normalize_credit_code(bad)
    with translation.override("en"), pytest.raises(ValidationError, match="half-width"):
        normalize_credit_code("９1440300MA5D4X7K8N")


def test_usernames_are_ascii_and_fold_to_one_key():
    assert username_key(" Demo_Supervisor ") == "demo_supervisor"
    for bad in ("demo_ſupervisor", "ab", "bad name", "de\nmo", "ｄｅｍｏ_user"):
        with pytest.raises(ValidationError):
            validate_username(bad)
        with pytest.raises(ValidationError):
            username_key(bad)


def test_typed_dates_are_iso_ascii_and_bounded():
    assert parse_date("2026-03-02") == dt.date(2026, 3, 2)
    for bad in ("9999-06-01", "1948-12-31", "2101-01-01", "２０２６-０３-０２", "2026-3-2", "2026-02-30", "20260302"):
        with pytest.raises(ValidationError):
            parse_date(bad)
    # Each refusal says what is wrong: the format, the digits, or a day the calendar lacks.
    with translation.override("en"):
        for bad, reason in (
            ("2026-3-2", "YYYY-MM-DD"),
            ("２０２６-０３-０２", "half-width"),
            ("2026-02-29", "2026-02-29 does not exist"),
        ):
            with pytest.raises(ValidationError) as refused:
                parse_date(bad)
            assert reason in refused.value.messages[0], bad
        # Digits only: an outsider was told to use "letters A-Z" in a date.
        assert "letters" not in _refusal(parse_date, "２０２６-０３-０２")
        assert "letters" not in _refusal(normalize_phone, "１５８９７３６０００１")


def test_names_compare_after_nfkc_trim_and_middle_dots():
    assert normalize_name(" 买买提•艾力 ") == normalize_name("买买提·艾力") == normalize_name("买买提・艾力")
    assert normalize_name("ＡＢＣ") == "ABC"
    assert normalize_name("阿卜杜 · 热合曼") == normalize_name("阿卜杜\u3000・ 热合曼") == "阿卜杜·热合曼"
    assert normalize_name("ALI\u2003KHAN") == normalize_name("ALI\u202fKHAN") == "ALI KHAN"


@pytest.mark.parametrize(
    "name", ["ALI\u2003KHAN", "ALI\u202fKHAN", "ＭＡＲＹ\u2003ＳＭＩＴＨ", "阿卜杜 · 热合曼", "张㵘〇堃", "〇一"]
)
def test_a_name_is_judged_in_the_form_it_is_kept_in(name):
    """An outsider's em space between two names was refused in a declaration, though real-name
    verification took the same name."""
    assert person_name_problem(name) is None
    assert person_name_problem("ALI\u200bKHAN") is not None  # a zero-width space still hides
    assert person_name_problem("张\n伟") is not None  # and a line break is no space


def test_masks():
    assert mask_phone("15800000001") == "158****0001"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    # A name: the surname kept, the given name starred but for its last character.
    assert mask_name("李娜") == "李*"
    assert mask_name("李小雨") == "李*雨"
    assert mask_name("欧阳·娜仁") == "欧***仁"
    assert mask_name("王𡒄") == "王*"  # one character outside the BMP is one character
    assert mask_name("") == ""


def test_a_web_form_takes_an_id_number_typed_in_groups_with_spaces():
    """People copy the number as the card prints it, in groups: the page's field drops the
    spaces (up to 24 characters typed); the API takes the number as it is."""
    from django import forms

    from residence.core.forms import IdNumberFormField

    class Form(forms.Form):
        id_number = IdNumberFormField()

    form = Form({"id_number": "110105 1949 1231 002x"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["id_number"] == "11010519491231002X"
    assert 'maxlength="24"' in str(form["id_number"])
    with pytest.raises(ValidationError):
        normalize_id_number("110105 1949 1231 002X")


@pytest.mark.parametrize(
    "text",
    ["材料\u2028不全", "材料\u2029不全", "x\uffff", "\u2800", "a\ufffc", "\u0301abc", "a\u202eb", "a\x1bb", "a\u200bb"],
)
def test_free_text_refuses_what_shows_nothing_or_splits_lines(text):
    """An outsider's U+2028, noncharacters, a braille blank and a lone combining mark got through."""
    assert hidden_text_problem(text, lines=True) is not None


def test_free_text_keeps_lines_tabs_and_every_scripts_letters():
    for text in ("第一行\n第二行", "a\tb\r\nc", "- 照片不合格", "Ünïcødé ½ ، ١٢٣"):
        assert hidden_text_problem(text, lines=True) is None
    assert hidden_text_problem("a\nb") is not None  # one line only


@pytest.mark.parametrize(
    "text", ["👨\u200d💻", "🏳\ufe0f\u200d🌈", "می\u200cخواهم", "家庭 👨\u200d👩\u200d👧", "1\ufe0f\u20e3"]
)
def test_free_text_keeps_joiners_and_presentation_selectors_where_they_join(text):
    """An outsider's emoji sequences and a Persian word, refused as hidden formatting."""
    assert hidden_text_problem(text) is None


@pytest.mark.parametrize("text", ["a\u200d", "\u200da", "a\u200d\u200db", "a \u200d b", "\ufe0f", "a\ufe0f\ufe0f"])
def test_free_text_refuses_joiners_and_selectors_that_join_nothing(text):
    assert hidden_text_problem(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "电话无人接听【深圳公安】您的居住证已作废",
        "请登录 http://sz-gov.example/x 补办",
        "详见 ｗｗｗ．ｘ．ｃｎ",
        # Short links and endings of any letters (an outsider's second round), Chinese ones, an IP.
        "请登录 bit.ly/3xYzsz 核验",
        "请登录bit.ly核验",
        "改约请点 t.ly/Ab12",
        "xn--fiqs8s.xn--55qx5d/a",
        "请至 公示.中国 核验",
        "访问 1.2.3.4/pay",
        "联系a@b.com",
        # A sender's tag in look-alike brackets.
        "［深圳公安］无人签收",
        "[深圳公安]",
        "〔深圳市场监管〕信用代码异常",
        "﹝通知﹞",
        # A third round: endings of other scripts and Chinese ones not listed before, Chinese full
        # stops as dots, and any other bracket.
        "深圳公安.com/x",
        "请到 szga.香港 查询",
        "gov.政府",
        "深圳.中文网",
        "пример.рф",
        "例子.みんな",
        "bit。ly/x",
        "www。szga。gov。cn",
        "name@qq。com",
        "⁅深圳公安⁆材料不全",
        "⦋深圳公安⦌材料不全",
    ],
)
def test_staff_words_sent_by_sms_carry_no_link_or_sender_tag(text):
    assert told_text_problem(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "请致电0755-12345678联系",
        "收件人地址深圳市福田区福华路1号3栋201室无人签收",
        "于2026.12.01两次投递未果",
        "B座3.5楼",
        "版本1.2.3.4.5",
        "材料不全（缺少租赁合同）",
        "“深圳公安”来电核实",
        # A Chinese word after a full stop typed half-width is no domain's ending, nor a sentence's
        # start after a Chinese full stop, nor the quotation and title marks.
        "材料不全.信息有误",
        "电话不通.移动号码已停机",
        "材料齐全。Please resubmit",
        "申请人已回香港。",
        "「深圳公安」提醒",
        "依据《居住证暂行条例》",
        "No.3 building",
    ],
)
def test_ordinary_reasons_are_sent(text):
    assert told_text_problem(text) is None


def test_messages_said_one_after_another_take_no_space_after_a_chinese_full_stop():
    from residence.core.validators import sentences

    said = sentences(["每 60 秒只能重新发送一次验证码。", "请 1 分钟后再试。"])
    assert said == "每 60 秒只能重新发送一次验证码。请 1 分钟后再试。"
    assert sentences(["A new code can be sent once a minute.", "Try again in 1 minute."]) == (
        "A new code can be sent once a minute. Try again in 1 minute."
    )
    # Mixed, blank and padded parts: a space only after a Latin one.
    assert sentences(["姓名有误：", " Wrong. ", "", "证号有误。", "End."]) == "姓名有误：Wrong. 证号有误。End."


def test_the_birth_date_and_sex_an_id_number_carries_in_gb_11643s_own_examples():
    """Read by hand from the standard's examples: digits 7-14 the birth date, the 17th odd for a man."""
    assert (birth_date_of("11010519491231002X"), sex_of("11010519491231002X")) == (dt.date(1949, 12, 31), "F")
    assert (birth_date_of("440524188001010014"), sex_of("440524188001010014")) == (dt.date(1880, 1, 1), "M")
