import re
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "src/residence/locale/zh_Hans/LC_MESSAGES/django.po"


def entries():
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        text = "\n".join(lines)
        msgid = "".join(re.findall(r'"(.*)"', text.split("msgstr")[0].split("msgid_plural")[0]))
        msgstrs = re.findall(r'msgstr(?:\[\d\])? ((?:".*"\n?)+)', text + "\n")
        if msgid:
            yield msgid, ["".join(re.findall(r'"(.*)"', s)) for s in msgstrs], block


def test_every_interface_string_has_a_chinese_translation():
    missing = [msgid for msgid, msgstrs, _ in entries() if not msgstrs or not all(msgstrs)]
    fuzzy = [msgid for msgid, _, block in entries() if "#, fuzzy" in block]
    assert not missing and not fuzzy, (missing, fuzzy)
    assert sum(1 for _ in entries()) > 200


def test_a_suspended_permit_is_named_as_the_regulation_names_it():
    """The regulation says 使用功能中止; an outsider read 暂停使用 in the messages and 中止 on the
    permit page, two words for one state."""
    suspended = [(msgid, msgstrs) for msgid, msgstrs, _ in entries() if "suspend" in msgid.lower()]
    assert len(suspended) > 10
    assert [msgid for msgid, msgstrs in suspended if any("暂停" in s for s in msgstrs)] == []
    assert all(any("中止" in s for s in msgstrs) for msgid, msgstrs in suspended if msgid == "Suspended")
