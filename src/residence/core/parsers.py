"""JSON bodies read safely: bounded nesting, no NaN, no NUL or lone surrogates in any string,
no key twice in one object.

Python's json module recurses once per level and dies with RecursionError on `[` × 100,000;
it also accepts `"\\u0000"` and `"\\ud800"`, which PostgreSQL or the UTF-8 encoder refuse
later with a 500. Both are refused here, before any view sees the data. A repeated key is
refused too: json keeps the last value, so `{"outcome": "not_confirmed", …, "outcome":
"confirmed"}` recorded a confirmation for a department's answer that began with a refusal
(an outsider).
"""

import json
import operator
import re
from itertools import accumulate

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import Invalid
from .validators import FORBIDDEN_CHARACTERS_RE, has_forbidden_characters

MAX_DEPTH = 32
# A ParseError whose message says what is wrong (the error body shows it, not the generic one).
DESCRIBED = "described"
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _too_deep(raw: bytes) -> bool:
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return bool(brackets) and max(accumulate(map(_DEPTH_STEP.__getitem__, brackets), operator.add)) > MAX_DEPTH


def _refuse_constant(name):
    raise ValueError(name)


class _RepeatedKey(ValueError):
    pass


def _object(pairs):
    value = dict(pairs)
    if len(value) != len(pairs):
        seen = set()
        raise _RepeatedKey(next(key for key, _item in pairs if key in seen or seen.add(key)))
    return value


def _printable(path: str) -> str:
    return FORBIDDEN_CHARACTERS_RE.sub("?", path)


def _bad_string_path(value, path=""):
    """The dotted path of the first string (key or value) holding a forbidden character."""
    if isinstance(value, str):
        return (path or "non_field_errors") if has_forbidden_characters(value) else None
    if isinstance(value, dict):
        items = ((f"{path}.{key}" if path else key, key, item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{path}.{index}" if path else str(index), "", item) for index, item in enumerate(value))
    else:
        return None
    for where, key, item in items:
        if has_forbidden_characters(key):
            return where
        found = _bad_string_path(item, where)
        if found:
            return found
    return None


def loads(raw: bytes, *, check_strings: bool = True):
    """Parse a JSON body or raise ParseError (malformed) / Invalid (a forbidden character).
    `check_strings=False` leaves the texts to a caller that checks each (the exchange API, whose
    rows are refused one by one with their lines, as a CSV file's are)."""
    if _too_deep(raw):
        raise ParseError(_("The JSON body is nested more than %(n)d levels deep.") % {"n": MAX_DEPTH}, code=DESCRIBED)
    try:
        # A leading byte-order mark is skipped, as RFC 8259 §8.1 allows: a department's Windows
        # tools write one, and the same rows as a CSV file with one were taken (an outsider).
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_refuse_constant, object_pairs_hook=_object)
    except _RepeatedKey as repeated:
        raise ParseError(
            _('The key "%(key)s" appears twice in one JSON object: send each field once.')
            % {"key": _printable(str(repeated))[:100]},
            code=DESCRIBED,
        ) from None
    except (ValueError, RecursionError):
        raise ParseError() from None
    path = _bad_string_path(data) if check_strings else None
    if path:
        raise Invalid(
            _("Some fields are not valid."),
            fields={_printable(path): [_("Remove the control or invalid characters from this text.")]},
        )
    return data


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return loads(stream.read() if stream is not None else b"")
