"""One notifications service: SMS after commit, messages read in the reader's language."""

import pytest
from django.db import transaction
from django.utils import translation

from residence.accounts.services import organisation_activate, staff_create
from residence.notifications import sms
from residence.notifications.models import Message, SmsMessage
from residence.notifications.services import message_send, sms_send
from residence.places.models import AcceptancePoint

from .conftest import PASSWORD, Api, make_user

pytestmark = pytest.mark.django_db


def test_every_message_key_fits_the_column_that_stores_it():
    """SQLite stores a key longer than its column; PostgreSQL refused one (a 43-character key)."""
    from residence.notifications.catalogue import MESSAGES
    from residence.notifications.models import Message

    longest = Message._meta.get_field("key").max_length
    assert [key for key in MESSAGES if len(key) > longest] == []


def test_an_sms_goes_out_only_when_its_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            sms_send(to="13812345678", key="login", purpose="login", code="123456", minutes=5)
            raise RuntimeError("the change failed")
        assert not SmsMessage.objects.exists()
    assert sms.outbox == []
    with django_capture_on_commit_callbacks(execute=True) as queued, transaction.atomic():
        sms_send(to="13812345678", key="login", purpose="login", code="123456", minutes=5)
        assert sms.outbox == []  # not while the transaction is open
    assert len(queued) == 1 and len(sms.outbox) == 1


@pytest.mark.parametrize(("accept", "words"), [("en", "Your sign-in code is"), ("zh-CN", "验证码")])
def test_an_sms_code_is_in_the_language_the_client_asks_for(db, accept, words):
    make_user()
    Api().post("/api/v1/auth/login", {"username": "citizen1", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE=accept)
    text = sms.outbox[-1]["text"]
    assert text.startswith("【居住证服务平台】") and words in text


def test_the_stored_sms_text_never_holds_the_code(db):
    make_user()
    Api().post("/api/v1/auth/login", {"username": "citizen1", "password": PASSWORD})
    code = __import__("re").search(r"\d{6}", sms.outbox[-1]["text"]).group()
    assert code not in SmsMessage.objects.get().text and "******" in SmsMessage.objects.get().text


def test_a_message_is_read_in_the_readers_language_not_the_writers(db):
    org = make_user(
        "org_reader", "15811113333", kind="organisation", name="深圳示例公司", credit_code="91440300MA5D4X7K8N"
    )
    clerk = staff_create(
        username="english_clerk",
        password=PASSWORD,
        phone="13900005555",
        role="clerk",
        point=AcceptancePoint.objects.get(code="44030400401"),
    )
    with translation.override("en"):  # the clerk works in English
        organisation_activate(
            actor=clerk, account_id=org.pk, credit_code_checked=True, letter_checked=True, housing_checked=True
        )
    api = Api().login("org_reader", phone="15811113333")
    zh = api.get("/api/v1/me/messages", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["results"][0]
    en = api.get("/api/v1/me/messages", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert zh["title"] == "单位账号已激活" and "福田" in zh["body"]
    assert en["title"] == "Organisation account activated" and en["body"].startswith("Your organisation account")
    assert Message.objects.get(key="organisation_activated").params == {"point": "福田街道办事处居住证受理点"}


def test_a_text_message_shows_as_written(db):
    user = make_user()
    message_send(user=user, key="text", title="旧标题", body="旧内容")
    with translation.override("en"):
        assert (Message.objects.get(key="text").title, Message.objects.get(key="text").body) == ("旧标题", "旧内容")


def test_an_unknown_message_key_is_a_programming_error(db):
    with pytest.raises(ValueError):
        message_send(user=make_user(), key="nonsense")


def test_a_list_of_references_says_when_it_was_cut():
    """A supervisor's message of 25 overdue steps named 20, with nothing to say more were left out."""
    from residence.notifications.services import listed

    references = [f"SZ2611{i:02d}AAAAAA" for i in range(25)]
    text = listed(references + references[:3])
    assert text.count("SZ") == 20 and text.endswith("、…") and text.startswith("SZ261100AAAAAA、")
    assert listed(references[:20]).count("…") == 0


def test_reasons_are_joined_in_the_texts_own_punctuation():
    """An English refusal read "…reached on 2027-03-15；Social insurance…" (an outsider)."""
    from django.utils import translation

    from residence.notifications.catalogue import reasons_text

    with translation.override("en"):
        assert reasons_text(["Not registered.", "No insurance.", "Not registered"]) == "Not registered; No insurance"
    with translation.override("zh-hans"):
        assert reasons_text(["未登记。", "无社保"]) == "未登记；无社保"


def test_a_cut_list_of_references_ends_in_words_in_either_language(db):
    """An English reminder of 25 items ended "…: SZ…, SZ…, …." (an outsider)."""
    from django.utils import translation

    from residence.notifications.catalogue import render_message
    from residence.notifications.services import listed

    references = listed(f"SZ2611{i:02d}AAAAAA" for i in range(25))
    params = {"count": 25, "references": references, "day": "2026-12-01"}
    with translation.override("en"):
        _, body = render_message("deadline_due_next", params)
        assert body.endswith("SZ261118AAAAAA, SZ261119AAAAAA, etc.") and "…" not in body
        _, short = render_message("deadline_overdue", {"count": 2, "references": listed(["SZ1", "SZ2"])})
        assert short.endswith(": SZ1, SZ2.")
    with translation.override("zh-hans"):
        _, body = render_message("deadline_due_next", params)
        assert body.endswith("SZ261118AAAAAA、SZ261119AAAAAA等。") and "…" not in body
