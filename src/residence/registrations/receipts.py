"""The printable registration receipt (居住登记回执) of a declaration, as PDF with ReportLab's
built-in CJK font, like applications/receipts.py. Printed in Chinese, the record's language."""

import io

from django.conf import settings
from django.utils import translation
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from residence.applications.receipts import FONT, _rows, new_document, room
from residence.core.validators import mask_id_number

from .models import Declaration

KIND_LABELS = {"move_in": "迁入（入住）", "move_out": "迁出（退租）"}


def declaration_receipt_pdf(declaration: Declaration) -> bytes:
    house = declaration.house
    registration = declaration.registration
    buffer = io.BytesIO()
    pdf = new_document(buffer, "居住登记回执", declaration.reference)
    width, height = A4
    with translation.override("zh-hans"):
        pdf.setFont(FONT, 10)
        pdf.drawCentredString(width / 2, height - 38 * mm, str(settings.PLATFORM_NAME))
        rows = [
            ("登记编号", declaration.reference),
            ("申报类型", KIND_LABELS.get(declaration.kind, declaration.kind)),
            ("房屋", f"{house.building_name} {house.room}"),
            ("楼栋编码", house.building_code),
            ("街道", f"{house.street.district.name} {house.street.name}"),
            ("地址", house.address),
            ("姓名", declaration.name or "—"),
            ("身份证号码", mask_id_number(declaration.id_number)),
            ("迁入/迁出日期", declaration.date.isoformat()),
            ("申报日期", declaration.declared_on.isoformat()),
            ("是否逾期", f"逾期 {declaration.days_late} 天" if declaration.days_late else "否"),
            ("居住登记起始日期", registration.registered_on.isoformat() if registration else "—"),
            ("居住登记截止日期", registration.ended_on.isoformat() if registration and registration.ended_on else "—"),
        ]
        if declaration.declarant:
            rows.append(("申报人", f"{declaration.declarant.get('name', '')}（窗口申报）"))
    y = room(pdf, _rows(pdf, rows, height - 55 * mm), 24 * mm)
    pdf.setFont(FONT, 10)
    if declaration.kind == "move_in":
        # Not "the day residence counts from": a move within the city continues the count (RULES §2),
        # which an outsider's receipt of an in-city move said otherwise.
        pdf.drawString(25 * mm, y - 6 * mm, "在本市连续的居住登记合并计算申领居住证所需的居住时间。")
    pdf.drawString(25 * mm, y - 20 * mm, "申报人签名：______________        经办人：______________")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
