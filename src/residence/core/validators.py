"""Validators shared by forms, serializers and imports (RULES §12, API.md §Identity numbers).

Every identifier is checked and put in one normal form here, at the boundary: ASCII
digits and upper-case letters only, trimmed. Python's `\\d`, `int()` and some libraries
(phonenumbers, stdnum's `clean`) also take full-width and other scripts' digits; those are
refused, so that one person can never be stored under two spellings of one number.
"""

import datetime as dt
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from stdnum.cn import ric, uscc

from . import clock

ID_NUMBER_RE = re.compile(r"[0-9]{17}[0-9X]")
HONG_KONG_MACAO_TAIWAN = ("810000", "820000", "830000")
USERNAME_RE = re.compile(r"[A-Za-z0-9_]{4,30}")
MOBILE_RE = re.compile(r"(?:\+?86)?(1[0-9]{10})")
# GB 32100-2015: the registering authority (1 to 9, or A, N, Y: an all-zero placeholder code has
# a right check character, 0, and was taken from an outsider) and the kind (letters too), the
# 6-digit area code, the 9-character organisation code, the check character; never I, O, S, V, Z.
CREDIT_CODE_RE = re.compile(r"[1-9ANY][0-9A-HJ-NP-RT-UW-Y][0-9]{6}[0-9A-HJ-NP-RT-UW-Y]{10}")
BUILDING_CODE_RE = re.compile(r"[0-9]{10,19}")
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MIDDLE_DOTS = "·•‧∙⋅・･.．"
# Characters no text field may hold: PostgreSQL refuses NUL in text, and a lone surrogate
# cannot be encoded as UTF-8 at all. A page's form arrives as bytes that Django decodes with
# replacement, so there the same bad bytes are U+FFFD: stored, they were shown to the next
# reader as "�" (an outsider's verification note).
FORBIDDEN_CHARACTERS_RE = re.compile("[\x00\ud800-\udfff\ufffd]")

# Dates a person can type (a check date, a working-day start): API.md's range.
TYPED_DATES = (dt.date(1949, 1, 1), dt.date(2100, 12, 31))
# Dates in department records reach back as far as an 18-digit ID number's birth date can
# (GB 11643's own example was born in 1880).
RECORD_DATES = (dt.date(1800, 1, 1), dt.date(2100, 12, 31))


def has_forbidden_characters(value: str) -> bool:
    return FORBIDDEN_CHARACTERS_RE.search(value) is not None


def refuse_forbidden_characters(value: str) -> str:
    if has_forbidden_characters(value):
        raise ValidationError(_("Remove the control or invalid characters from this text."), code="characters")
    return value


def text_problem(value: str, limit: int, missing):
    """What is wrong with one trimmed text field of at most `limit` characters, or None:
    `missing` when empty; too long says the limit (an outsider was told to "enter" a room
    of 60 letters)."""
    if not value:
        return missing
    if has_forbidden_characters(value):
        return _("Remove the control or invalid characters from this text.")
    if len(value) > limit:
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": len(value)}
    return None


def _trimmed(value) -> str:
    """The text trimmed. A JSON number or boolean where text is expected (an ID number sent as
    4301021955…) is refused here, at every validator's door, not deep in a regular expression."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("Give this as text (in quotes), not as a number or a true/false value."), code="type")
    return refuse_forbidden_characters(value).strip()


HALF_WIDTH_ONLY = _(
    "Use half-width digits 0-9 and letters A-Z: full-width characters and other scripts' digits are refused."
)
# For fields of digits only (a phone number, a date, a code): letters are never right there.
DIGITS_ONLY = _("Use half-width digits 0-9: full-width digits and other scripts' digits are refused.")


def full_width(value: str) -> bool:
    """Whether a value is written with full-width or other scripts' letters and digits (１２３,
    ＡＢ, ١٢٣): those are refused, and the message says why."""
    return not value.isascii() and all(
        c.isascii() or unicodedata.normalize("NFKC", c).isascii() or unicodedata.decimal(c, None) is not None
        for c in value
    )


def searched(text: str, length: int = 40) -> str:
    """A look-up as typed, in one form: full-width letters and digits (a Chinese input method's) and
    other scripts' digits made ASCII, spaces dropped, upper case. A search stores nothing, so it may
    be lenient where an identifier typed to be kept is refused (an outsider's clerk, typing full
    width, was told there was no permit, and no application)."""
    folded = "".join(unicodedata.normalize("NFKC", text or "").split()).upper()
    return "".join(
        c if c.isascii() or unicodedata.decimal(c, None) is None else str(unicodedata.decimal(c)) for c in folded
    )[:length]


def id_check_character(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits.

    stdnum's routine takes the whole number and ignores its last character, so it is given
    the 17 digits and a placeholder.
    """
    return ric.calc_check_digit(body17 + "?")


# How Excel writes an 18-digit number it has shortened to 15 digits (4.40301E+17) in a CSV file.
SPREADSHEET_NUMBER_RE = re.compile(r"\d(\.\d+)?E\+\d+")
SPREADSHEET_NUMBER = _(
    "This ID number was turned into a number by a spreadsheet, which keeps only 15 digits: format the "
    "column as text, type the ID numbers again, and send the file again."
)


def normalize_id_number(value: str) -> str:
    """Return the ID number upper-cased, or raise ValidationError.

    The address code is deliberately not checked against a list (ric.validate would refuse
    codes that changed).
    """
    value = _trimmed(value).upper()
    if not value:  # not its format: an outsider's clerk left a family member's number out
        raise ValidationError(_("Enter the ID number."), code="required")
    if not ID_NUMBER_RE.fullmatch(value):
        if full_width(value):
            raise ValidationError(HALF_WIDTH_ONLY, code="format")
        if SPREADSHEET_NUMBER_RE.fullmatch(value):
            raise ValidationError(SPREADSHEET_NUMBER, code="format")
        raise ValidationError(_("An ID number has 17 digits and a check character (a digit or X)."), code="format")
    if id_check_character(value[:17]) != value[17]:
        raise ValidationError(_("The check character of this ID number is wrong."), code="checksum")
    try:
        birth = birth_date_of(value)
    except ValueError:
        raise ValidationError(_("The birth date in this ID number does not exist."), code="birth_date") from None
    if birth > clock.today():
        raise ValidationError(_("The birth date in this ID number lies in the future."), code="birth_date")
    if birth < RECORD_DATES[0]:  # the earliest date any record holds (an outsider's 0001-01-01 was kept)
        raise ValidationError(
            _("The birth date in this ID number lies before %(earliest)s.") % {"earliest": RECORD_DATES[0].isoformat()},
            code="birth_date",
        )
    return value


PERMIT_NUMBER_RE = re.compile(r"[0-9A-Z]{4,40}")


def normalize_permit_number(value: str) -> str:
    """A permit number in its one spelling: 4 to 40 ASCII letters and digits, upper-cased."""
    number = _trimmed(value).upper()
    if not PERMIT_NUMBER_RE.fullmatch(number):
        if full_width(number):
            raise ValidationError(HALF_WIDTH_ONLY, code="format")
        raise ValidationError(_("A permit number has 4 to 40 letters A-Z and digits 0-9."), code="format")
    return number


def birth_date_of(id_number: str) -> dt.date:
    """The birth date an ID number carries (a number normalize_id_number accepted)."""
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def sex_of(id_number: str) -> str:
    """ "M" or "F" as the number carries it (GB 11643: the 17th digit, the sequence's last, is odd
    for a man and even for a woman)."""
    return "M" if int(id_number[16]) % 2 else "F"


def is_hong_kong_macao_taiwan(id_number: str) -> bool:
    return id_number[:6] in HONG_KONG_MACAO_TAIWAN


def is_foreigner(id_number: str) -> bool:
    """The 18-digit Foreigner's Permanent Residence ID Card (外国人永久居留身份证, 2023) starts with
    9, which no citizen's address code does (GB/T 2260's start 1 to 6, and 8 for the Hong Kong,
    Macao and Taiwan residence permits)."""
    return id_number[:1] == "9"


def normalize_phone(value: str) -> str:
    """A mainland mobile number as 11 ASCII digits, or ValidationError."""
    raw = _trimmed(value).replace(" ", "").replace("-", "")
    match = MOBILE_RE.fullmatch(raw)
    if match is None:
        if full_width(raw):
            raise ValidationError(DIGITS_ONLY, code="phone")
        raise ValidationError(_("Enter a mainland China mobile number."), code="phone")
    number = phonenumbers.parse(match.group(1), "CN")
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) != (
        phonenumbers.PhoneNumberType.MOBILE
    ):
        raise ValidationError(_("Enter a mainland China mobile number."), code="phone")
    return match.group(1)


def _ascii_digits(value, pattern: re.Pattern, message) -> str:
    """`value` trimmed when `pattern` matches it whole (ASCII digits); else ValidationError with
    the half-width message for full-width or other scripts' digits, `message` otherwise."""
    value = _trimmed(value)
    if not pattern.fullmatch(value):
        raise ValidationError(DIGITS_ONLY if full_width(value) else message, code="format")
    return value


def normalize_building_code(value: str) -> str:
    """The 10 to 19 ASCII digits on a building's plate (楼栋编码), or ValidationError."""
    return _ascii_digits(value, BUILDING_CODE_RE, _("Enter the building code on the plate: 10 to 19 digits."))


SMS_CODE_RE = re.compile(r"[0-9]{6}")


def normalize_sms_code(value: str) -> str:
    """The 6 ASCII digits of an SMS code, or ValidationError: a code typed otherwise is refused
    here, before it is compared, so it does not use up one of the challenge's tries."""
    return _ascii_digits(value, SMS_CODE_RE, _("Enter the 6 digits from the SMS."))


def normalize_room(value: str) -> str:
    """A room as written on a plate, in one form: full-width letters and digits made
    half-width, other scripts' digits (١٠١) made ASCII, letters upper-cased, spaces and
    invisible characters (a zero-width space, a direction mark) dropped, so Ｐ１, p1, "P 1"
    and P1 are one room."""
    return room_key(_trimmed(value))


def room_key(value: str) -> str:
    """normalize_room's transformation, also used by the migration that put stored rooms in it."""
    text = unicodedata.normalize("NFKC", value)
    kept = (c for c in text if not c.isspace() and unicodedata.category(c) != "Cf")
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in kept).upper()


def normalize_credit_code(value: str) -> str:
    """The code upper-cased, if its form and check character are right. python-stdnum's check
    character, not its validate(), which wants 8 leading digits and refused real codes of
    authorities with a letter (an outsider's Y1…, N2…)."""
    value = _trimmed(value).upper()
    if CREDIT_CODE_RE.fullmatch(value) and uscc.calc_check_digit(value[:17]) == value[17]:
        return value
    if unicodedata.normalize("NFKC", value) != value:
        raise ValidationError(
            _("Type the unified social credit code in half-width letters and digits."), code="credit_code"
        )
    raise ValidationError(
        _("This is not a valid unified social credit code (18 characters with a check character)."),
        code="credit_code",
    )


def validate_username(value: str) -> str:
    if not isinstance(value, str) or not USERNAME_RE.fullmatch(value):
        raise ValidationError(_("A username has 4–30 letters, digits or underscores."), code="username")
    return value


def username_key(value: str) -> str:
    """The one case-folded form that usernames are compared, looked up and locked by.

    Usernames are ASCII (API.md), so lower() folds them completely; anything else is refused
    before it can reach a lookup where the database folds differently (PostgreSQL's UPPER()
    turns "ſ" into "S").
    """
    return validate_username((value or "").strip()).lower()


def parse_date(value: str, bounds: tuple[dt.date, dt.date] = TYPED_DATES) -> dt.date:
    """A YYYY-MM-DD date in ASCII digits within `bounds`, or ValidationError."""
    text = _trimmed(value)
    if not ISO_DATE_RE.fullmatch(text):
        if full_width(text):
            raise ValidationError(DIGITS_ONLY, code="date")
        raise ValidationError(_("Give a date as YYYY-MM-DD."), code="date")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("%(date)s does not exist in the calendar.") % {"date": text}, code="date") from None
    return check_date_bounds(day, bounds)


def check_date_bounds(day: dt.date, bounds: tuple[dt.date, dt.date] = TYPED_DATES) -> dt.date:
    earliest, latest = bounds
    if not earliest <= day <= latest:
        raise ValidationError(
            _("Give a date from %(earliest)s to %(latest)s.")
            % {"earliest": earliest.isoformat(), "latest": latest.isoformat()},
            code="date_range",
        )
    return day


# U+3000: the space a Chinese input method types; U+00A0: a no-break space pasted from a page.
NAME_JOINERS = set(MIDDLE_DOTS) | set(" \u3000\u00a0'’-")
SPREADSHEET_FORMULA_START = ("=", "+", "-", "@")
NAME_LETTERS_ONLY = _(
    "A name has letters only (of any script), with spaces, middle dots, apostrophes or hyphens between them."
)
HIDDEN_OR_FORMULA = _("Remove hidden formatting characters, and do not start the text with =, +, - or @.")
HIDDEN = _("Remove hidden formatting or control characters from the text.")
LINE_BREAKS = frozenset("\n\r\t")


# Characters that show nothing though Unicode counts them as letters or marks: Hangul fillers, the
# combining grapheme joiner, the emoji and text presentation selectors, Mongolian free variation
# selectors, Khmer inherent vowels (an outsider's name of one Hangul filler looked blank).
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f\ufe0e\ufe0f\u17b4\u17b5\u180b\u180c\u180d\u180f")
MAX_MARKS_IN_A_ROW = 4  # Vietnamese stacks two, Indic scripts three; forty is a smear


def _letter(c: str) -> bool:
    # 〇 (U+3007) is a Chinese character of names, of the general category Nl (an outsider's 张㵘〇堃).
    return c not in INVISIBLE and (unicodedata.category(c).startswith(("L", "Co")) or c == "\u3007")


def person_name_problem(name: str):
    """Why a trimmed, non-empty name cannot be a person's, or None. Letters of any script (private
    use too: rare characters of the population records) with their marks, and spaces, middle dots,
    apostrophes and hyphens between them (买买提·艾力, O'Brien, Jean-Luc). An outsider stored
    `=HYPERLINK(…)`, which a spreadsheet opening an export would run, hidden bidi controls, and
    names that show nothing. Judged after NFKC, as names compare and are kept (`normalize_name`):
    an outsider's em space between two names was refused, though real-name verification took it;
    a line break is still refused, not made a space."""
    name = unicodedata.normalize("NFKC", name).strip()
    if not name or not _letter(name[0]) or name[-1] in NAME_JOINERS:  # a name may end with a mark (राजू, 葛󠄀)
        return NAME_LETTERS_ONLY
    marks = 0
    for c in name:
        mark = unicodedata.category(c).startswith("M")
        marks = marks + 1 if mark else 0
        if c in INVISIBLE or marks > MAX_MARKS_IN_A_ROW or not (_letter(c) or mark or c in NAME_JOINERS):
            return NAME_LETTERS_ONLY
    return None


def plain_text_problem(text: str):
    """Why one line of free text (a building's name, an address, a room) cannot be stored, or None:
    a control, format or invisible character (bidi overrides, zero-width characters hide or reorder
    what staff read) or a start a spreadsheet would run as a formula."""
    if text.startswith(SPREADSHEET_FORMULA_START) or hidden_text_problem(text):
        return HIDDEN_OR_FORMULA
    return None


# Categories free text never needs: controls, formatting, the line and paragraph separators
# (which split "one line" into several on some screens), and code points assigned to nothing
# (U+FFFF is a noncharacter).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn"})
# Blank-looking symbols: the braille blank and the object replacement character.
BLANK_SYMBOLS = frozenset("\u2800\ufffc")


# Format characters that ordinary text needs, each only where it does its work: the zero-width
# joiner and non-joiner between two visible characters (👨‍💻, Persian می‌خواهم), and the emoji and
# text presentation selectors right after one (🏳️‍🌈). An outsider's notes with them were refused.
JOINERS = frozenset("\u200c\u200d")
PRESENTATION_SELECTORS = frozenset("\ufe0e\ufe0f")


def _shows(c: str) -> bool:
    return not (c.isspace() or c in INVISIBLE or c in BLANK_SYMBOLS or unicodedata.category(c) in HIDDEN_CATEGORIES)


def _in_its_place(text: str, i: int) -> bool:
    c, before = text[i], text[i - 1] if i else ""
    if c in PRESENTATION_SELECTORS:
        return bool(before) and _shows(before)
    if c in JOINERS:
        after = text[i + 1] if i + 1 < len(text) else ""
        return bool(before and after) and (_shows(before) or before in PRESENTATION_SELECTORS) and _shows(after)
    return False


# Staff's words that a citizen is sent by SMS under the platform's signature: a link or a sender's
# tag in them reads as the platform's own (an outsider's courier gave "【深圳公安】您的居住证已作废，
# 请登录 http://… 补办" as why a card was not delivered), and gateways refuse such texts.
# The Chinese-script top-level domains (IANA): a Chinese word after a full stop is a domain's ending
# only when it is one of these and nothing follows it but a path, a space or punctuation.
CHINESE_DOMAIN_ENDINGS = (
    "中国|中國|中文网|中文網|香港|台湾|台灣|澳门|澳門|新加坡|政府|政务|公益|公司|网络|網絡|网店|网址|网站|在线|在線|"
    "商城|商店|商标|商標|集团|移动|手机|信息|游戏|购物|我爱你|慈善|时尚|微博|八卦|大拿|广东|佛山|组织机构|机构|企业"
)
LINK = re.compile(
    r"[a-z][a-z0-9+.-]*:/|www[.。．｡]|[\w.-]+@[\w-]+[.。．｡]"  # a scheme, www., an e-mail address
    r"|(?<![0-9.])\d{1,3}(?:\.\d{1,3}){3}(?![0-9]|\.[0-9])"  # an IPv4 address
    # A name ending in Latin letters, its dots perhaps Chinese full stops (bit.ly/…, bit。ly, xn--…;
    # "Mr.Wang" is refused with them, "3.5楼" is not), or after any name ending in letters of another
    # script but Chinese (пример.рф, 例子.みんな), or a Chinese-script ending.
    r"|(?<![a-z0-9.-])[a-z0-9-]+(?:[.。．｡][a-z0-9-]+)*[.。．｡][a-z][a-z0-9-]+(?![a-z0-9-])"
    r"|[^\W_]\.[a-z][a-z0-9-]+(?![a-z0-9-])"
    r"|\w\.(?:(?![\u3400-\u9fff])[^\W\d_]){2,}(?![^\W\d_])"
    rf"|\w\.(?:{CHINESE_DOMAIN_ENDINGS})(?![^\W\d_])",
    re.IGNORECASE,
)
# Brackets a text may hold: parentheses, title marks and quotation marks. Any other opening or
# closing bracket (【】, [], 〔〕, ⁅⁆, ⦋⦌ …) can dress a word up as an SMS sender's tag.
ALLOWED_BRACKETS = frozenset("()（）《》〈〉「」『』﹙﹚“”‘’")
LINK_OR_TAG = _(
    "Write no web or e-mail address and no square brackets such as 【】: this is sent by SMS under the platform's name."
)


def told_text_problem(text: str):
    """Why staff's words for an applicant's SMS cannot be sent, or None (after hidden_text_problem):
    a web or e-mail address, or a bracket other than parentheses, title and quotation marks."""
    folded = unicodedata.normalize("NFKC", text)
    if LINK.search(folded) or any(
        unicodedata.category(c) in ("Ps", "Pe") and c not in ALLOWED_BRACKETS for c in folded
    ):
        return LINK_OR_TAG
    return None


def hidden_text_problem(text: str, *, lines: bool = False):
    """Why free text (a note, a reason, a written reply; with `lines`, several lines of it) cannot
    be stored, or None: a control, format, separator, unassigned or invisible character, or a mark
    with nothing to sit on. An outsider's right-to-left override, terminal escapes and U+2028
    reached staff screens and the citizen's page through notes and reasons."""
    if text and unicodedata.category(text[0]).startswith("M"):
        return HIDDEN
    for i, c in enumerate(text):
        if (lines and c in LINE_BREAKS) or _shows(c) or _in_its_place(text, i):
            continue
        if not c.isspace() or unicodedata.category(c) in HIDDEN_CATEGORIES:
            return HIDDEN
    return None


def _checked(value, problem_of, code: str) -> str:
    """A form field's text, trimmed, refused at its first step as the service would refuse it."""
    text = _trimmed(value)
    problem = text and problem_of(text)
    if problem:
        raise ValidationError(problem, code=code)
    return text


def validate_person_name(value) -> str:
    """A name as it will be stored and compared: a draft listed "阿卜杜拉•买买提" as typed, the
    application "阿卜杜拉·买买提" (an outsider)."""
    text = _checked(value, person_name_problem, "name")
    return normalize_name(text) if text else text


def validate_room(value) -> str:
    """A room as it will be stored (`normalize_room`), refused here as the house's service would
    refuse it: a page let `=1+1` through and the service refused it a page later (an outsider)."""
    room = normalize_room(value)
    if problem := text_problem(room, 30, _("Enter the room.")) or plain_text_problem(room):
        raise ValidationError(problem, code="room")
    return room


def validate_plain_text(value) -> str:
    return _checked(value, plain_text_problem, "text")


def validate_free_text(value) -> str:
    return _checked(value, lambda text: hidden_text_problem(text, lines=True), "text")


def one_line(text: str) -> str:
    """Text typed in a box meant for one line (an address), its line breaks and runs of spaces
    made single spaces."""
    return " ".join(text.split())


# Full-width punctuation ends a Chinese sentence with its own spacing: nothing follows it.
FULL_WIDTH_CLOSERS = "。；！？，、：）」』】"


def sentences(parts) -> str:
    """Messages said one after another: a space between them, but none after a Chinese one's full
    stop (an outsider read "…验证码。 请 1 分钟后再试。")."""
    joined = ""
    for part in filter(None, (str(p).strip() for p in parts)):
        joined += part if not joined or joined.endswith(tuple(FULL_WIDTH_CLOSERS)) else f" {part}"
    return joined


def normalize_name(value: str) -> str:
    """Names compare after NFKC, trimming and one kind of middle dot, with no space around it (an
    outsider's "阿卜杜 · 热合曼" was kept so, the records holding "阿卜杜·热合曼")."""
    value = unicodedata.normalize("NFKC", value if isinstance(value, str) else "").strip()
    for dot in MIDDLE_DOTS:
        value = value.replace(dot, "·")
    return re.sub(r"\s*·\s*", "·", re.sub(r"\s+", " ", value))


def mask_phone(phone: str) -> str:
    # Shorter than a mobile number (a malformed stored value): hidden whole, not padded out of
    # its own digits into an 11-character look-alike (an outsider's "12345").
    if len(phone) < 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """A name as a message to a number that may be anyone's shows it: enough for a family to tell
    whose it is, not the whole name."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str) -> str:
    if len(id_number) < 18:  # malformed, as above
        return "*" * len(id_number)
    return f"{id_number[:6]}{'*' * 8}{id_number[-4:]}"
