"""Receipts and the printed application form as PDF (ReportLab, with the TrueType font of the
PDF_FONT setting embedded, else ReportLab's built-in CJK font; the QR code drawn as vector squares
from segno's matrix, so no image library is involved)."""

import functools
import io
import re
from pathlib import Path

import segno
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from residence.core.errors import Conflict
from residence.core.validators import MIDDLE_DOTS, mask_id_number, mask_phone
from residence.records.models import Identity, Registration

from . import selectors
from .models import Application, Kind, Payment


def _font() -> tuple[str, frozenset | None]:
    """The font of the Chinese text and the characters it has: the PDF_FONT file, embedded (an
    outsider's receipts, in a viewer without a Chinese font, were blank but for the digits and
    the QR code); else ReportLab's CID font, which the viewer supplies (None: not known)."""
    if settings.PDF_FONT and Path(settings.PDF_FONT).is_file():
        font = TTFont("PlatformCJK", settings.PDF_FONT, subfontIndex=0)
        pdfmetrics.registerFont(font)
        return font.fontName, frozenset(font.face.charToGlyph)
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light", None


FONT, FONT_CHARACTERS = _font()
FALLBACK_FONT = "PlatformCJKRare"


@functools.cache
def _fallback_characters() -> frozenset:
    """The characters of the PDF_FONT_FALLBACK file (the rare characters of names, CJK Extension B
    and beyond, that the main font lacks: an outsider's 𡒄伟 printed as 〔U+21484〕伟 on the form
    to sign), registered on first need: the font is large, and most documents never need it.
    Empty without the file."""
    if not (settings.PDF_FONT_FALLBACK and Path(settings.PDF_FONT_FALLBACK).is_file() and FONT_CHARACTERS):
        return frozenset()
    font = TTFont(FALLBACK_FONT, settings.PDF_FONT_FALLBACK, subfontIndex=0)
    pdfmetrics.registerFont(font)
    return frozenset(font.face.charToGlyph)


def _runs(text: str, font: str) -> list[tuple[str, str]]:
    """`text` as (font, run) pieces: the fallback font's for characters the main font lacks."""
    if font != FONT or FONT_CHARACTERS is None or all(_has(char, FONT_CHARACTERS) for char in text):
        return [(font, text)]
    runs: list[tuple[str, str]] = []
    for char in text:
        face = font if _has(char, FONT_CHARACTERS) else FALLBACK_FONT
        if runs and runs[-1][0] == face:
            runs[-1] = (face, runs[-1][1] + char)
        else:
            runs.append((face, char))
    return runs


def _width(text: str, font: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(run, face, size) for face, run in _runs(text, font))


def _draw(pdf: canvas.Canvas, x: float, y: float, text: str, font: str, size: float) -> None:
    for face, run in _runs(text, font):
        pdf.setFont(face, size)
        pdf.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, face, size)


def verify_url(reference: str, base_url: str) -> str:
    """What the receipt's QR code opens: under PUBLIC_BASE_URL when it is set (the platform's
    public address, where a proxy's differs from what the server sees), else under the address
    the receipt was asked for at."""
    return (settings.PUBLIC_BASE_URL or base_url).rstrip("/") + reverse("api:receipt-verify", args=[reference])


def _qr(pdf: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    qr = segno.make(text, error="m")
    matrix = [list(row) for row in qr.matrix]
    cell = size / len(matrix)
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def pdf_response(content: bytes, name: str) -> HttpResponse:
    """A PDF shown in the browser, saved under `name` (every document alike: an outsider's payment
    receipt alone came as a download)."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def new_document(buffer, title: str, reference: str) -> canvas.Canvas:
    """An A4 page headed by `title`, marked as Chinese (a screen reader reads it so) and as the
    platform's, with `title reference` as the document's title."""
    with translation.override("zh-hans"):
        author = str(settings.PLATFORM_NAME)
    pdf = canvas.Canvas(buffer, pagesize=A4, lang="zh-CN")
    pdf.setTitle(f"{title} {reference}")
    pdf.setAuthor(author)
    width, height = A4
    pdf.setFont(FONT, 18)
    pdf.drawCentredString(width / 2, height - 30 * mm, title)
    pdf.continued = f"{title} {reference}"  # heads every later page
    return pdf


BOTTOM = 20 * mm  # no line below it: a row that reaches it goes on over the page
LINE = 5.5 * mm


def next_page(pdf: canvas.Canvas) -> float:
    """A new page headed by the document's title, reference and page number (an outsider's three-page
    form carried them on its first page only, the signature on the last); the top of its text."""
    pdf.showPage()
    pdf.setFont(FONT, 9)
    pdf.drawString(25 * mm, A4[1] - 15 * mm, f"{pdf.continued}（第 {pdf.getPageNumber()} 页）")
    return A4[1] - 30 * mm


def room(pdf: canvas.Canvas, y: float, needed: float) -> float:
    """`y`, or the top of a new page when less than `needed` is left above the bottom margin."""
    return next_page(pdf) if y - needed < BOTTOM else y


VALUE_WIDTH = 120 * mm  # from the values' column to the right margin
BESIDE_QR_WIDTH = 70 * mm  # from the values' column to the QR code, with a gap


# Values of letters and digits alone (references, numbers, dates) in a standard font: the Chinese
# font is a viewer's own (not embedded), and one viewer's stand-in for its Latin letters overlapped
# them in a reference that a citizen has to quote (an outsider read "D J2611305G 8SC M").
LATIN_FONT = "Helvetica"


# The CID font's encoding has no glyph for U+00B7, the middle dot of minority names (欧阳·娜仁
# printed as 欧阳□娜仁 on the form an outsider's applicant was to sign); U+30FB is drawn with the
# same dot, and a PDF reader copies it back out as U+00B7.
CID_STAND_INS = str.maketrans({"\u00b7": "\u30fb"})
# The middle dots names are written with (MIDDLE_DOTS but the full stops), compared as one.
NAME_DOTS = frozenset(MIDDLE_DOTS) - set(".．")


def _printable(text: str, characters: frozenset | None = None) -> str:
    """`text` as the font can print it: a character it does not have is written as its code point,
    so that the paper shows where it differs, never a wrong name or a box (a rare character of a
    name, CJK Extension B, 王𡒄, printed as another character between two boxes on the form an
    outsider's applicant was to sign). The CID font's characters are not known, but its encoding
    (UCS-2) holds none beyond the Basic Multilingual Plane."""
    if characters is None:
        text = text.translate(CID_STAND_INS)
    if all(_has(char, characters) for char in text):
        return text
    rare = _fallback_characters() if characters is FONT_CHARACTERS else frozenset()

    def shown(char: str) -> str:
        if _has(char, characters):
            return char
        if char in NAME_DOTS and _has("\u00b7", characters):
            # A name's middle dot as the font has it (an outsider's record wrote 买买提•艾力).
            return "\u00b7"
        return char if ord(char) in rare else f"〔U+{ord(char):X}〕"

    return "".join(shown(char) for char in text)


def _has(char: str, characters: frozenset | None) -> bool:
    if characters is None:
        return ord(char) <= 0xFFFF
    return char.isspace() or ord(char) in characters


# Kept whole on one line: a code point written for a character the font lacks (an outsider's
# 〔U+21484〕 broke after "〔U+2148", another character's code), and a run of letters and digits such
# as an ID number, which a clerk reads at a glance (an outsider's broke after "6501").
_UNBROKEN = re.compile(r"〔U\+[0-9A-F]+〕|[0-9A-Za-z]+|.", re.DOTALL)


def _wrapped(text: str, size: float, font: str, width: float = VALUE_WIDTH) -> list[str]:
    """`text` in lines that fit the values' column (Chinese breaks between any two characters; a
    run wider than the column breaks where it must)."""
    lines, line = [], ""
    for whole in _UNBROKEN.findall(text):
        fits = _width(whole, font, size) <= width
        for piece in [whole] if fits else list(whole):
            if line and _width(line + piece, font, size) > width:
                lines.append(line)
                line = ""
            line += piece
    return [*lines, line]


def _rows(pdf: canvas.Canvas, rows, top: float, *, beside: float = 0) -> float:
    """The rows from `top` down; those whose top lies less than `beside` below `top` end short
    of the receipt's QR code at the right (an outsider's long name ran into it)."""
    y = top
    for label, value in rows:
        width = BESIDE_QR_WIDTH if top - y < beside else VALUE_WIDTH
        text = str(value)
        font = LATIN_FONT if text.isascii() else FONT
        text = _printable(text, None if font == LATIN_FONT else FONT_CHARACTERS)
        for n, line in enumerate(_wrapped(text, 11, font, width)):
            shown = label if n == 0 else ""
            if y < BOTTOM:
                # Over the page, labelled again (an outsider's 200-character address ran off the
                # bottom, and the rows after it were on no page).
                y, shown = next_page(pdf), label + ("（续）" if n else "")
            if shown:
                pdf.setFont(FONT, 10)
                pdf.drawString(25 * mm, y, shown)
            _draw(pdf, 70 * mm, y, line, font, 11)
            y -= LINE
        y -= 8 * mm - LINE
    return y


def _labels(application: Application) -> list[tuple[str, str]]:
    with translation.override("zh-hans"):
        return [
            ("受理编号", application.reference),
            ("申请人", application.person.name),
            ("身份证号码", mask_id_number(application.person.id_number)),
            ("申请类型", str(application.get_kind_display())),
            ("申请条件", str(application.get_route_display())),
            ("受理日期", application.accepted_on.isoformat()),
            ("受理点", application.acceptance_point.name),
            ("受理点地址", application.acceptance_point.address),
            (
                "办理时限",
                (
                    f"{application.due_date.isoformat()}{'（暂定）' if application.due_date_provisional else ''}"
                    if application.due_date
                    else "缴费后 10 个工作日"
                ),
            ),
            ("费用", f"{application.fee_amount} 元"),
            *_delivery_rows(application),
            # What else was entered, for the applicant to check before signing (an outsider's
            # receipt left the family, the photo receipt and the phone out); numbers masked.
            ("数码照相回执号", application.photo_receipt),
            ("联系电话", mask_phone(application.person.phone) if application.person.phone else "—"),
            *[
                ("同住亲属", f"{member.name}（{member.get_relation_display()}，{mask_id_number(member.id_number)}）")
                for member in application.family_members.all()
            ],
        ]


def _delivery_rows(application: Application) -> list[tuple[str, str]]:
    """How the card reaches the applicant and, by courier, where: for the applicant to check
    before signing."""
    rows = [("领证方式", str(application.get_delivery_method_display()))]
    if application.delivery_method == "courier":
        rows.append(("送达地址", application.delivery_address))
    elif application.undelivered_address:
        rows.append(("原送达地址", f"{application.undelivered_address}（快递未能送达，已转回受理点）"))
    return rows


def receipt_pdf(application: Application, *, base_url: str) -> bytes:
    """The receipt of an application (回执), or the acceptance receipt (受理回执) for one taken
    at a counter, which the applicant shows to collect the card."""
    buffer = io.BytesIO()
    title = "居住证申请受理回执" if application.channel == "counter" else "居住证申请回执"
    pdf = new_document(buffer, title, application.reference)
    width, height = A4
    pdf.setFont(FONT, 10)
    with translation.override("zh-hans"):
        pdf.drawCentredString(width / 2, height - 38 * mm, str(settings.PLATFORM_NAME))
    _qr(pdf, verify_url(application.reference, base_url), width - 65 * mm, height - 100 * mm, 40 * mm)
    pdf.setFont(FONT, 9)
    pdf.drawString(width - 65 * mm, height - 105 * mm, "扫码核验回执真伪")
    y = room(pdf, _rows(pdf, _labels(application), height - 55 * mm, beside=50 * mm) - 6 * mm, 32 * mm)
    pdf.setFont(FONT, 9)
    # A courier's recipient shows the identity card at the door; a pickup also shows this receipt.
    # An exchange hands in the old card (RULES §6): said here too, not only when the card is ready.
    old_card = application.kind == Kind.EXCHANGE
    collect = (
        ("快递送达时请本人出示身份证签收，并交回旧证。" if old_card else "快递送达时请本人出示身份证签收。")
        if application.delivery_method == "courier"
        else ("领取居住证时请携带本人身份证、本回执和旧证。" if old_card else "领取居住证时请携带本人身份证和本回执。")
    )
    # The code checks that the receipt is genuine (its label says so); progress is read on the platform
    # (an outsider read the two as contradicting each other).
    notes = [collect, "可登录平台查询办理进度；扫描二维码可核验本回执真伪。"]
    if application.channel == "counter":
        notes.insert(0, "材料已核验并退回，相片已采集。")
        pdf.drawString(25 * mm, y - 30 * mm, "申请人签名：______________        受理人：______________")
    for note in notes:
        pdf.drawString(25 * mm, y, note)
        y -= 6 * mm
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def application_form_pdf(application: Application, *, in_full: bool) -> bytes:
    """The application form printed at pickup for the applicant to check and sign (RULES §6). The
    ID numbers `in_full` only for the clerk who checks them against the ID cards at hand-over
    (selectors.needs_full_id_number); masked on a copy printed at any other time or by anyone else
    (an outsider's clerk printed full numbers of withdrawn and long-open applications)."""
    shown = (lambda number: number) if in_full else mask_id_number
    identity = Identity.objects.filter(id_number=application.person.id_number).first()
    registration = (
        Registration.objects.filter(id_number=application.person.id_number).order_by("-registered_on").first()
    )
    buffer = io.BytesIO()
    pdf = new_document(buffer, "深圳经济特区居住证申领登记表", application.reference)
    height = A4[1]
    # The form is printed in Chinese whatever the clerk's language (it is signed as the record).
    with translation.override("zh-hans"):
        rows = [
            ("受理编号", application.reference),
            ("姓名", application.person.name),
            ("性别", identity.get_sex_display() if identity else ""),
            ("民族", identity.ethnicity if identity else ""),
            ("出生日期", identity.birth_date.isoformat() if identity else ""),
            ("公民身份号码", shown(application.person.id_number)),
            ("户籍地址", identity.hukou_address if identity else ""),
            ("居住地址", registration.address if registration else ""),
            # What the applicant asked for, to check as the rest (an outsider's form left it out).
            # Masked as the ID number is, off the hand-over (an outsider's copy showed the one in full).
            ("联系电话", (phone if in_full else mask_phone(phone)) if (phone := application.person.phone) else ""),
            ("申请类型", str(application.get_kind_display())),
            ("申请条件", str(application.get_route_display())),
            ("受理点", application.acceptance_point.name),
            *_delivery_rows(application),
            ("居住证号码", application.permit_number or ""),
            ("卡号", application.card_serial or ""),
        ]
        family = [
            ("同住亲属", f"{member.name}（{member.get_relation_display()}，{shown(member.id_number)}）")
            for member in application.family_members.all()
        ]
        y = room(pdf, _rows(pdf, rows + family, height - 50 * mm), 30 * mm)
    pdf.setFont(FONT, 11)
    pdf.drawString(25 * mm, y - 10 * mm, "本人确认以上信息准确无误。")
    pdf.drawString(25 * mm, y - 25 * mm, "申请人签名：______________        日期：______________")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def clerk_printout(application: Application, what: str, *, base_url: str, clerk) -> tuple[bytes, str]:
    """A printout of the clerk's and its file name: the acceptance receipt (`receipt`), the
    receipt of the fee (`payment_receipt`, once it is paid) or the application form signed
    at pickup (`application_form`)."""
    if what == "receipt":
        return receipt_pdf(application, base_url=base_url), f"receipt-{application.reference}.pdf"
    if what == "payment_receipt":
        return payment_receipt_pdf(paid_for(application)), f"payment-{application.reference}.pdf"
    in_full = selectors.needs_full_id_number(clerk, application)
    return application_form_pdf(application, in_full=in_full), f"form-{application.reference}.pdf"


def paid_for(application: Application) -> Payment:
    """The application's payment, whose receipt is asked for; 409 saying why there is none (an
    outsider's applicant, asking before paying, read "not found" of their own application)."""
    payment = application.payments.first()
    if payment is not None:
        return payment
    if not application.fee_amount:
        raise Conflict(_("This application is free of charge: there is no receipt of payment."))
    raise Conflict(_("The fee for this application has not been paid: its receipt is made once it is."))


CHANNELS = {"sandbox": "沙箱", "counter": "受理点窗口"}


def payment_receipt_pdf(payment: Payment) -> bytes:
    """The receipt of a fee paid (缴费凭证): amount, currency, the application's reference, the
    provider's transaction id and when it was paid; in Chinese whatever the reader's language."""
    application = payment.application
    buffer = io.BytesIO()
    pdf = new_document(buffer, "居住证申请缴费凭证", application.reference)
    width, height = A4
    pdf.setFont(FONT, 10)
    with translation.override("zh-hans"):
        pdf.drawCentredString(width / 2, height - 38 * mm, str(settings.PLATFORM_NAME))
        rows = [
            ("受理编号", application.reference),
            ("申请人", application.person.name),
            ("申请类型", str(application.get_kind_display())),
            ("金额", f"{payment.amount} 元"),
            ("币种", "人民币 (CNY)"),
            ("交易流水号", payment.transaction_id),
            ("支付时间", timezone.localtime(payment.paid_at).strftime("%Y-%m-%d %H:%M:%S")),
            ("支付渠道", CHANNELS.get(payment.provider, payment.provider)),
        ]
    y = room(pdf, _rows(pdf, rows, height - 55 * mm), 10 * mm)
    pdf.setFont(FONT, 9)
    pdf.drawString(25 * mm, y - 6 * mm, "本凭证由平台根据支付结果生成，可登录平台查询办理进度。")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
