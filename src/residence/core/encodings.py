"""The text encoding of a file of records: UTF-8 (with or without BOM) or GB18030, detected
(API.md), or as its sender declared it.

GB18030 decodes almost any bytes, so "not UTF-8, hence GB18030" read a UTF-8 file with one bad
spot (a row pasted from a GBK file, a byte lost in a name) as GB18030 whole, and stored every
name garbled. A file is taken as GB18030 only when most of its non-ASCII lines are not UTF-8;
when most are, the lines that are not are named and the file is refused.
"""

import codecs
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

UTF8, GB18030 = "utf-8-sig", "gb18030"
DECLARED = {"utf-8": UTF8, "utf8": UTF8, "gb18030": GB18030, "gbk": GB18030, "gb2312": GB18030}
LINES_NAMED = 20
# Far longer than any row of records: a line is read no further, so that one line of a file that
# is not records (an outsider's 1 GB line took 5.3 GB) cannot fill the memory.
LINE_LENGTH = 1 << 20
NEITHER = gettext_lazy("The file is neither UTF-8 nor GB18030 text.")
NOT_CHINESE = gettext_lazy(
    "The file does not read as GB18030 text: read so, it is mostly characters that Chinese records do not hold "
    '(it may be Big5 or Shift_JIS). Save it as "CSV UTF-8 (comma delimited)" and send it again. Nothing was applied.'
)
UTF8_NOT_GB18030 = gettext_lazy(
    "The file is UTF-8 text, not GB18030 as its charset says: send it as UTF-8 (charset=utf-8). Nothing was applied."
)


def declared(charset: str) -> str | None:
    """The encoding a `charset` parameter names, None when none is given; an unknown one is refused."""
    charset = charset.strip().strip('"').lower()
    if not charset:
        return None
    if charset not in DECLARED:
        raise ValidationError(_("Send the file as UTF-8 or GB18030 text (charset=%(charset)s).") % {"charset": charset})
    return DECLARED[charset]


def _unlikely(character: str) -> bool:
    """A character that Chinese records hardly hold but that other encodings' bytes read as GB18030
    give often: outside GB2312, or its kana, Greek, Cyrillic, box drawing and bopomofo."""
    code = ord(character)
    if 0x0370 <= code <= 0x04FF or 0x2500 <= code <= 0x257F or 0x3040 <= code <= 0x312F:
        return True
    try:
        character.encode("gb2312")
    except UnicodeEncodeError:
        return True
    return False


@dataclass
class _Reading:
    """A file's non-ASCII lines: those that are UTF-8, the numbers of the others, and how many of
    the others' characters, read as GB18030, are unlikely ones."""

    utf8: int = 0
    other: list = field(default_factory=list)
    unlikely: int = 0
    characters: int = 0

    @property
    def not_chinese(self) -> bool:
        return self.unlikely * 2 > self.characters


def _read(lines: Iterable[bytes]) -> _Reading:
    reading = _Reading()
    for number, line in enumerate(lines, 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            reading.other.append(number)
            try:
                wide = [c for c in line.decode(GB18030) if not c.isascii()]
            except UnicodeDecodeError:
                continue  # nor GB18030: named as such when read
            reading.characters += len(wide)
            reading.unlikely += sum(map(_unlikely, wide))
        else:
            reading.utf8 += 1
    return reading


def _declared_gb18030(lines: Iterable[bytes]) -> None:
    """A file its sender calls GB18030, refused when it is UTF-8 or reads as Big5 and Shift_JIS
    files do (a re-testing outsider's mislabelled files were stored garbled)."""
    reading = _read(lines)
    if reading.utf8 > len(reading.other):  # a GB18030 line is seldom UTF-8 by chance; most are not
        raise ValidationError(UTF8_NOT_GB18030)
    if reading.not_chinese:
        raise ValidationError(NOT_CHINESE)


def _choose(lines: Iterable[bytes]) -> str:
    """GB18030 when most non-ASCII lines are not UTF-8, and read so most of their characters are
    likely ones; otherwise the lines that are not UTF-8, or the file, refused.

    GB18030 reads Big5 and Shift_JIS bytes too, as other characters: an outsider's Big5 file of
    張國強 was stored as 眎瓣眏. Read as GB18030, such text is mostly rare characters and kana
    (two in three of a Big5 name, every one of a Japanese); a GB18030 name seldom holds more than
    one rare character in two (张喆). EUC-KR's Hangul reads as common characters, and is not told
    apart so."""
    reading = _read(lines)
    utf8, other = reading.utf8, reading.other
    if utf8 < len(other):
        if reading.not_chinese:
            raise ValidationError(NOT_CHINESE)
        return GB18030
    comma = "、" if (translation.get_language() or "").startswith("zh") else ", "
    shown = comma.join(str(n) for n in other[:LINES_NAMED]) + ("…" if len(other) > LINES_NAMED else "")
    raise ValidationError(
        ngettext(
            "Line %(lines)s is not UTF-8 text, though the rest of the file is: save the whole file as "
            "UTF-8 and send it again. Nothing was applied.",
            "Lines %(lines)s are not UTF-8 text, though the rest of the file is: save the whole file as "
            "UTF-8 and send it again. Nothing was applied.",
            len(other),
        )
        % {"lines": shown}
    )


def _utf16_without_mark(data: bytes) -> bool:
    """UTF-16 text of a header's letters and digits: every other byte NUL (an outsider's file had
    no byte-order mark and was told its line 1 held characters that are not allowed)."""
    head = data[:64]
    return len(head) >= 16 and (head[1::2].count(0) == len(head[1::2]) or head[0::2].count(0) == len(head[0::2]))


def _refuse_utf16(head: bytes) -> None:
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or _utf16_without_mark(head):
        # Excel's "Unicode text": an outsider's was told its line 1 was not GB18030 text.
        raise ValidationError(
            _(
                'The file is UTF-16 text (Excel\'s "Unicode text"): save it as "CSV UTF-8 (comma delimited)" '
                "and send it again."
            )
        )


def _not_in(encoding: str, line: int) -> ValidationError:
    name = "UTF-8" if encoding == UTF8 else "GB18030"
    return ValidationError(_("Line %(line)s is not %(encoding)s text.") % {"line": line, "encoding": name})


def decode(data: bytes, encoding: str | None = None) -> str:
    """The file's text, in `encoding` when declared, else detected."""
    _refuse_utf16(data)
    if encoding is None:
        try:
            return data.decode(UTF8)
        except UnicodeDecodeError:
            encoding = _choose(data.split(b"\n"))
    elif encoding == GB18030:
        _declared_gb18030(data.split(b"\n"))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise _not_in(encoding, data[: e.start].count(b"\n") + 1) from None


def _too_long(number: int) -> ValidationError:
    return ValidationError(
        _("Line %(line)d is longer than %(n)d characters: this is not a file of records.")
        % {"line": number, "n": LINE_LENGTH}
    )


def _bounded(readline, empty) -> Iterator:
    """The lines `readline` gives, each read no further than LINE_LENGTH."""
    for number, line in enumerate(iter(lambda: readline(LINE_LENGTH + 1), empty), 1):
        if len(line) > LINE_LENGTH:
            raise _too_long(number)
        yield line


def stream_encoding(stream) -> str:
    """The encoding of a binary stream, read through in chunks (a file of millions of rows);
    the stream is rewound."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return UTF8
    except UnicodeDecodeError:
        stream.seek(0)
        return _choose(_bounded(stream.readline, b""))
    finally:
        stream.seek(0)


def text_lines(stream, encoding: str | None = None) -> Iterator[str]:
    """The lines of a binary stream of records (a file, seekable) as text, in `encoding` when
    declared, else detected; read as they are used, never the whole file at once (decode()
    held a file four times over: bytes, text and a copy)."""
    _refuse_utf16(stream.read(64))
    stream.seek(0)
    # stream_encoding has decoded the whole file when it says UTF-8; any other encoding is
    # checked line by line, so that a line it cannot read is named.
    detected = encoding is None
    if encoding == GB18030:
        _declared_gb18030(_bounded(stream.readline, b""))
        stream.seek(0)
    encoding = encoding or stream_encoding(stream)
    if not (detected and encoding == UTF8):
        for number, line in enumerate(_bounded(stream.readline, b""), 1):
            try:
                line.decode(encoding)
            except UnicodeDecodeError:
                raise _not_in(encoding, number) from None
        stream.seek(0)
    yield from decoded_lines(stream, encoding)


def decoded_lines(stream, encoding: str) -> Iterator[str]:
    """The lines of a binary stream in a known encoding, as text, each read no further than
    LINE_LENGTH; the caller's stream is left open."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from _bounded(text.readline, "")
    finally:
        # A generator left unfinished is closed when it is collected, maybe after its stream.
        if not stream.closed:
            text.detach()
