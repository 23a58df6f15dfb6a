import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from residence.accounts.models import User
from residence.permits.models import Permit
from residence.records.models import Identity
from residence.records.services import records_import_csv

from .idnumbers import with_check

pytestmark = pytest.mark.django_db
HEADER = "id_number,name,sex,ethnicity,birth_date,hukou_address,shenzhen_hukou"


def number(body17):
    return with_check(body17)


def write(tmp_path, lines, encoding="utf-8"):
    path = tmp_path / "identities.csv"
    path.write_bytes("\n".join([HEADER, *lines]).encode(encoding) + b"\n")
    return path


def run(path, language="en"):
    out, err = io.StringIO(), io.StringIO()
    try:
        with translation.override(language):
            call_command("import_records", "identities", str(path), stdout=out, stderr=err)
        code = 0
    except SystemExit as e:
        code = e.code
    return code, out.getvalue(), err.getvalue()


GOOD = [
    f"{number('43010219900307123')},张伟,M,汉,1990-03-07,湖南省长沙市,0",
    f"{number('44030419880101344')},陈静,F,汉,1988-01-01,深圳市福田区,1",
]


def test_import_is_idempotent(tmp_path):
    path = write(tmp_path, GOOD)
    assert run(path)[0] == 0 and Identity.objects.count() == 2
    code, out, _ = run(path)
    assert code == 0 and "0 created, 0 updated, 2 unchanged" in out
    assert Identity.objects.get(name="陈静").shenzhen_hukou is True


def test_a_permit_holder_who_takes_shenzhen_hukou_is_named_for_the_police_reviewer(tmp_path):
    """RULES §10: Shenzhen hukou is a ground to cancel. An outsider's import said only "updated 1"
    and the permit stayed active with nobody told; the reviewer decides, the operator is told."""
    held = number("51010719900505011")
    Permit.objects.create(
        number="SZP000000005",
        id_number=held,
        name="钱五",
        issued_on="2026-03-02",
        anniversary_base="2026-03-02",
        endorsed_until="2027-03-02",
        continuous_since="2026-03-02",
        status="active",
        created_at="2026-03-02T10:00:00+08:00",
    )
    code, out, _err = run(write(tmp_path, [f"{held},钱五,M,汉,1990-05-05,四川省成都市,0", GOOD[1]]))
    assert code == 0 and "SZP000000005" not in out
    code, out, _err = run(write(tmp_path, [f"{held},钱五,M,汉,1990-05-05,四川省成都市,1", GOOD[1]]))
    assert code == 0 and "line 2: Shenzhen hukou, and residence permit SZP000000005 still valid" in out
    assert Permit.objects.get().status == "active"  # the reviewer's to decide, not the import's


def test_an_import_interrupted_says_so_in_one_line_and_applies_nothing(tmp_path, monkeypatch):
    """An outsider's Ctrl-C printed a traceback."""
    from residence.records import importing

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(importing, "upsert", interrupted)
    with (
        translation.override("en"),
        pytest.raises(CommandError, match=r"Interrupted: .* nothing of it was applied") as e,
    ):
        call_command("import_records", "identities", str(write(tmp_path, GOOD)), stdout=io.StringIO())
    assert e.value.returncode == 130 and not Identity.objects.exists()


def test_changed_row_updates_the_record(tmp_path):
    run(write(tmp_path, GOOD))
    run(write(tmp_path, [GOOD[0].replace("张伟", "张伟伟")]))
    assert Identity.objects.get(id_number=number("43010219900307123")).name == "张伟伟"


def test_gb18030_and_bom_files(tmp_path):
    assert run(write(tmp_path, GOOD, "gb18030"))[0] == 0
    assert Identity.objects.get(name="张伟")
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\n" + GOOD[1] + "\n").encode("utf-8"))
    assert run(path)[0] == 0


def test_cr_only_line_endings_import_like_any_other(tmp_path):
    path = tmp_path / "identities.csv"
    path.write_bytes("\r".join([HEADER, *GOOD]).encode("utf-8") + b"\r")
    assert run(path)[0] == 0 and Identity.objects.count() == 2


def test_the_operator_reads_one_language_and_a_refused_header_says_nothing_was_applied(tmp_path):
    bad = write(tmp_path, [GOOD[0], "４３０１０２１９９００３０７１２３４,张伟,M,汉,1990-03-07,,0"])
    code, _, err = run(bad, language="zh-hans")
    assert code == 1 and "第 3 行：" in err and "请使用半角数字" in err and "已拒绝：1 行有误" in err
    header = tmp_path / "header.csv"
    header.write_text("id,name\n1,张伟\n", encoding="utf-8")
    code, _, err = run(header, language="zh-hans")
    assert code == 1 and "第 1 行：" in err and "未导入任何数据" in err and "line" not in err


def test_a_bad_file_applies_nothing_and_names_every_bad_line(tmp_path):
    bad = [
        GOOD[0],
        f"{number('43010219900307123')[:17]}0,错号,M,汉,1990-03-07,,0",
        f"{number('44030419880101345')},陈静,X,汉,1988-01-01,,1",
        f"{number('44030419880101346')},王五,M,汉,2026-02-30,,1",
        f"{number('44030419880101347')},赵六,M,汉,1988-01-01,,2",
        GOOD[0],
    ]
    code, _, err = run(write(tmp_path, bad))
    assert code == 1 and Identity.objects.count() == 0
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in err
    assert "line 2:" not in err


def test_wrong_header_is_rejected(tmp_path):
    from django.utils import translation

    path = tmp_path / "x.csv"
    path.write_text("id,name\n1,2\n", encoding="utf-8")
    with translation.override("en"):
        code, _, err = run(path)
    assert code == 1 and "Line 1" in err and HEADER in err


def test_create_staff_command():
    out = io.StringIO()
    call_command(
        "create_staff",
        "--username",
        "clerk_cmd",
        "--password",
        "Clerk2026pass",
        "--phone",
        "13900007777",
        "--role",
        "clerk",
        "--point",
        "44030400401",
        stdout=out,
    )
    clerk = User.objects.get(username="clerk_cmd")
    assert clerk.kind == "staff" and clerk.role == "clerk" and clerk.point_id == "44030400401"
    # A taken username is said once, with its field (an outsider read the sentence twice).
    from django.core.management.base import CommandError

    with translation.override("en"), pytest.raises(CommandError) as taken:
        call_command(
            "create_staff",
            *("--username", "CLERK_CMD", "--password", "Clerk2026pass", "--phone", "13900007778"),
            *("--role", "clerk", "--point", "44030400401"),
        )
    assert str(taken.value) == "username: This username is already taken."
    # A number in use is said in the operator's words, not the citizen's (an outsider's read "sign in").
    with translation.override("en"), pytest.raises(CommandError) as bound:
        call_command(
            "create_staff",
            *("--username", "clerk_two", "--password", "Clerk2026pass", "--phone", "13900007777"),
            *("--role", "clerk", "--point", "44030400401"),
        )
    assert "13900007777 is already bound to another account: give this one its own number" in str(bound.value)
    assert "sign-in" not in str(bound.value) and not User.objects.filter(username="clerk_two").exists()


def test_create_staff_reads_the_password_from_standard_input_with_a_dash(monkeypatch):
    """An outsider's operator could give the password only on the command line, where the process
    list and the shell's history keep it."""
    monkeypatch.setattr("sys.stdin", io.StringIO("Piped2026pass\n"))
    call_command(
        "create_staff",
        *("--username", "clerk_pipe", "--password", "-", "--phone", "13900007779"),
        *("--role", "clerk", "--point", "44030400401"),
        stdout=io.StringIO(),
    )
    assert User.objects.get(username="clerk_pipe").check_password("Piped2026pass")


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "clerk"],
        ["--role", "verifier"],
        ["--role", "clerk", "--point", "nope"],
        # Options the role does not use (an outsider made an education reviewer, a clerk with a
        # department and a supervisor with a point).
        ["--role", "reviewer", "--department", "education"],
        ["--role", "clerk", "--point", "44030400401", "--department", "education"],
        ["--role", "supervisor", "--point", "44030400401"],
        ["--role", "courier", "--department", "police"],
    ],
)
def test_create_staff_refuses_missing_scope(args):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "create_staff", "--username", "staff_bad", "--password", "Clerk2026pass", "--phone", "13900008888", *args
        )
    assert not User.objects.filter(username="staff_bad").exists()


def test_load_demo_is_idempotent():
    call_command("load_demo", stdout=io.StringIO())
    counts = (User.objects.count(), Identity.objects.count())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert (User.objects.count(), Identity.objects.count()) == counts
    roles = set(User.objects.exclude(role="").values_list("role", flat=True))
    assert roles == {"clerk", "verifier", "reviewer", "production", "courier", "supervisor"}
    assert "demo_citizen" in out.getvalue() and "demo_clerk" in out.getvalue()
    # A demo account the operator disabled (its number freed) is listed as such, not a traceback.
    call_command("disable_staff", "--username", "demo_courier", "--reason", "test", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert re.search(r"demo_courier +— +\S+ （已停用）", out.getvalue()), out.getvalue()


def test_a_progress_bar_for_files_over_ten_thousand_rows(tmp_path, capsys, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    path = tmp_path / "big.csv"
    lines = ["id_number,month,employer_credit_code"]
    rows = (
        f"{number(f'43010219900307{person:03d}')},{2017 + m // 12}-{m % 12 + 1:02d},91440300MA5D4X7K8N"
        for person in range(102)
        for m in range(99)
    )
    lines += list(rows)[:10_001]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import_records", "social_insurance", str(path), stdout=io.StringIO())
    assert "10001/10001" in capsys.readouterr().err
    small = write(tmp_path, GOOD)
    call_command("import_records", "identities", str(small), stdout=io.StringIO())
    assert "rows/s" not in capsys.readouterr().err


def test_line_numbers_count_blank_lines_alike_on_both_import_paths(tmp_path, settings):
    settings.FROZEN_TODAY = "2026-03-02"
    identities = tmp_path / "identities.csv"
    identities.write_text(
        f"{HEADER}\n{GOOD[0]}\n\n{number('44030419880101345')},陈静,X,汉,1988-01-01,,1\n", encoding="utf-8"
    )
    insurance = tmp_path / "insurance.csv"
    ok = f"{number('43010219900307123')},2025-01,91440300MA5D4X7K8N"
    insurance.write_text(f"id_number,month,employer_credit_code\n{ok}\n\n{ok[:-8]},2025-13,x\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    for kind, path in (("identities", identities), ("social_insurance", insurance)):
        with pytest.raises(SystemExit), translation.override("en"):
            call_command("import_records", kind, str(path), stdout=out, stderr=err)
    lines = [line.split(":")[0] for line in err.getvalue().splitlines() if line.startswith("line ")]
    assert lines == ["line 4", "line 4"]


def test_a_record_spanning_lines_is_reported_where_it_starts(tmp_path):
    path = tmp_path / "identities.csv"
    path.write_text(
        f'{HEADER}\n{GOOD[0]}\n{number("44030419880101345")},"陈\n静",X,汉,1988-01-01,,1\n{GOOD[1]}\n', encoding="utf-8"
    )
    code, _, err = run(path)
    assert code == 1 and "line 3:" in err and "line 4:" not in err


def test_an_address_over_two_lines_of_a_spreadsheet_cell_is_one_line(tmp_path):
    """An outsider's department export had an address typed over two lines of one cell (Alt+Enter):
    the whole file was refused for a "hidden character". A name over two lines is still refused."""
    path = tmp_path / "identities.csv"
    row = f'{number("44030419880101344")},陈静,F,汉,1988-01-01,"湖南省\r\n 长沙市\n岳麓区",0'
    path.write_text(f"{HEADER}\n{row}\n{GOOD[0]}\n", encoding="utf-8")
    code, _out, err = run(path)
    assert code == 0, err
    assert Identity.objects.get(name="陈静").hukou_address == "湖南省 长沙市 岳麓区"
    path.write_text(f'{HEADER}\n{number("44030419880101347")},"王\n五",M,汉,1988-01-01,,0\n', encoding="utf-8")
    assert run(path)[0] == 1


def test_two_spellings_of_one_number_are_one_person(tmp_path):
    path = write(tmp_path, [GOOD[0], "４３０１０２１９９００３０７１２３４,张伟,M,汉,1990-03-07,,0"])
    code, _, err = run(path)
    assert code == 1 and "line 3:" in err and Identity.objects.count() == 0


def test_check_identifiers_lists_stored_numbers_that_fail_todays_check():
    from residence.records.models import Registration

    Identity.objects.create(
        id_number="430102199003071238",  # made with the old wrong check: its check character is 4
        name="张伟",
        sex="M",
        birth_date="1990-03-07",
        updated_at="2026-03-02T00:00:00Z",
    )
    Identity.objects.create(
        id_number="11010519491231002X", name="样例", sex="F", birth_date="1949-12-31", updated_at="2026-03-02T00:00:00Z"
    )
    Registration.objects.create(
        id_number="１１０１０５１９４９１２３１００２Ｘ",
        street_id="440304004",
        address="福田路",
        registered_on="2025-01-01",
        updated_at="2026-03-02T00:00:00Z",
    )
    # The platform's own rows too, such as a permit (an outsider's went unlisted).
    Permit.objects.create(
        number="4403202600000001",
        id_number="430102198501011118",  # check character by GB 11643's MOD 11-2: 7
        name="李明",
        issued_on="2026-01-05",
        anniversary_base="2026-01-05",
        endorsed_until="2027-01-05",
        continuous_since="2026-01-05",
        created_at="2026-01-05T00:00:00Z",
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("check_identifiers", stdout=out, stderr=err)
    assert caught.value.code == 1
    listed = out.getvalue().splitlines()
    assert len(listed) == 3 and "已存号码中有 3 个未通过校验" in err.getvalue()
    assert listed[0].startswith("records.Identity.id_number\t430102********1238\t1 行")
    assert listed[1].startswith("records.Registration.id_number")
    assert listed[2].startswith("permits.Permit.id_number\t430102********1118\t1 行")
    assert "11010519491231002X" not in out.getvalue()
    # A value too short for its mask is hidden whole: "12345" was shown as "123****2345", every
    # digit in it and four invented (an outsider).
    User.objects.create_user(username="short_phone", password="x", phone="12345")
    Registration.objects.filter(id_number__startswith="１").update(id_number="1101051949")
    Permit.objects.update(id_number="11010519491231002x")  # valid, but not as stored: a lower-case x
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("check_identifiers", stdout=out, stderr=io.StringIO())
    shown = {line.split("\t")[0]: line.split("\t")[1] for line in out.getvalue().splitlines()}
    permits = [line for line in out.getvalue().splitlines() if line.startswith("permits.Permit.id_number")]
    assert permits == ["permits.Permit.id_number\t110105********002x\t1 行\t不是规范写法"]  # the operator's language
    assert shown["accounts.User.phone"] == "*****"
    assert shown["records.Registration.id_number"] == "**********"
    Identity.objects.filter(id_number="430102199003071238").delete()
    Registration.objects.all().delete()
    Permit.objects.update(id_number="11010519491231002X")
    User.objects.filter(username="short_phone").delete()
    call_command("check_identifiers", stdout=out)
    assert "所有已存号码均通过校验。" in out.getvalue()


def mixed_file(tmp_path):
    """An outsider's file: UTF-8, but for one row pasted from a GBK file."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        f"{HEADER}\n{GOOD[0]}\n".encode()
        + f"{number('44010219990202002')},吴芳,F,汉,1999-02-02,广东广州,0\n".encode("gbk")
        + f"{GOOD[1]}\n".encode()
    )
    return path


def test_a_utf8_file_with_one_gbk_row_is_refused_at_that_line_not_read_as_gb18030(tmp_path):
    # It was read as GB18030 whole: 张伟 stored as 寮犱紵, overwriting the right record.
    assert run(write(tmp_path, GOOD[:1]))[0] == 0
    code, _out, err = run(mixed_file(tmp_path))
    assert code == 1 and "Line 3 is not UTF-8 text, though the rest of the file is" in err
    assert list(Identity.objects.values_list("name", flat=True)) == ["张伟"]
    # A byte lost inside a name is the same bad spot.
    lost = tmp_path / "lost.csv"
    text = "\n".join([HEADER, *GOOD]).encode() + b"\n"
    lost.write_bytes(text.replace("陈静".encode(), "陈静".encode()[:-1]))
    code, _out, err = run(lost)
    assert code == 1 and "Line 3 is not UTF-8 text" in err and Identity.objects.count() == 1
    # Several lines, listed as the reader's language lists them.
    gbk = [f"{number(f'4401021999020200{n}')},吴芳,F,汉,1999-02-02,广东广州,0".encode("gbk") for n in (2, 4)]
    utf8 = [row.encode() for row in (*GOOD, f"{number('44030419880101002')},陈一静,F,汉,1988-01-01,深圳市,0")]
    both = tmp_path / "both.csv"
    both.write_bytes(b"\n".join([HEADER.encode(), utf8[0], *gbk, utf8[1], utf8[2]]) + b"\n")
    assert "Lines 3, 4 are not UTF-8 text" in run(both)[2]
    assert "第 3、4 行不是 UTF-8 文本" in run(both, language="zh-hans")[2]
    declared_gb = io.BytesIO(f"{HEADER}\n".encode() + b"\xff\xff\n")
    with translation.override("en"), pytest.raises(ValidationError, match="Line 2 is not GB18030 text"):
        records_import_csv("identities", declared_gb, encoding="gb18030")


def test_a_gb18030_file_is_still_detected_and_an_encoding_can_be_declared(tmp_path):
    names = [f"陈{a}{b}" for a in "一二三" for b in "静伟芳明华丽强军平刚"]
    # Even sequence numbers: a woman's (GB 11643), as the rows say.
    many = [
        f"{number(f'44030419880101{2 * n:03d}')},{name},F,汉,1988-01-01,深圳市福田区,0" for n, name in enumerate(names)
    ]
    assert run(write(tmp_path, many, "gb18030"))[0] == 0 and Identity.objects.get(name="陈二芳")
    out, err = io.StringIO(), io.StringIO()
    path = write(tmp_path, GOOD, "gb18030")
    call_command("import_records", "identities", str(path), "--encoding", "gb18030", stdout=out, stderr=err)
    assert Identity.objects.get(name="张伟")
    with pytest.raises(SystemExit):
        call_command("import_records", "identities", str(path), "--encoding", "utf-8", stdout=out, stderr=err)


def test_a_folder_is_said_to_be_one(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="这是文件夹而不是文件"):
        call_command("import_records", "identities", str(tmp_path))
    # The calendar's command alike (an outsider's said the folder did not exist).
    with pytest.raises(CommandError, match="这是文件夹而不是文件"):
        call_command("load_calendar", str(tmp_path))
    with pytest.raises(CommandError, match="不是普通文件：/dev/null"):  # it exists
        call_command("load_calendar", "/dev/null")


def test_a_file_of_very_many_bad_rows_names_the_first_and_counts_the_rest(tmp_path, settings, monkeypatch):
    """An outsider's 150,000,000 one-letter rows took the command past 13 GB, one error kept per
    row: the refusal names the first rows (more than an exchange push can hold) and counts the rest."""
    from residence.records import importing

    monkeypatch.setattr(importing, "LISTED_ERRORS", 5)
    settings.EXCHANGE_MAX_ROWS = 3
    settings.FROZEN_TODAY = "2026-03-02"
    code, _, err = run(write(tmp_path, [GOOD[0], *["a"] * 12]))
    assert code == 1 and Identity.objects.count() == 0
    named = [line.split(":")[0] for line in err.splitlines() if line.startswith("line ")]
    assert named == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert "… and 7 more bad row(s), not listed" in err and "rejected: 12 bad row(s)" in err
    # The social insurance path (COPY, then staging) alike, its repeated rows counted in with the bad.
    ok = f"{number('43010219900307123')},2025-01,91440300MA5D4X7K8N"
    insurance = tmp_path / "insurance.csv"
    insurance.write_text("\n".join(["id_number,month,employer_credit_code", *["x"] * 4, *[ok] * 4]) + "\n")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit), translation.override("en"):
        call_command("import_records", "social_insurance", str(insurance), stdout=out, stderr=err)
    named = [line.split(":")[0] for line in err.getvalue().splitlines() if line.startswith("line ")]
    assert named == ["line 2", "line 3", "line 4", "line 5", "line 7"]
    assert "… and 2 more bad row(s)" in err.getvalue() and "rejected: 7 bad row(s)" in err.getvalue()


@pytest.mark.parametrize("encoding", [None, "gb18030"])
def test_a_line_of_thirty_megabytes_is_refused_without_reading_the_file_into_memory(tmp_path, encoding):
    """An outsider's file of one 1 GB line took 5.3 GB to refuse: the file was read whole, then
    decoded whole, then copied."""
    import tracemalloc

    path = tmp_path / "identities.csv"
    with path.open("wb") as f:
        f.write(f"{HEADER}\n{GOOD[0]}\n".encode(encoding or "utf-8"))
        for _ in range(30):
            f.write(b"a" * (1 << 20))
        f.write(b"\n")
    tracemalloc.start()
    try:
        with path.open("rb") as stream, pytest.raises(ValidationError) as refused, translation.override("en"):
            records_import_csv("identities", stream, encoding=encoding)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.messages == ["Line 3 is longer than 1048576 characters: this is not a file of records."]
    assert peak < 12 * (1 << 20) and Identity.objects.count() == 0
