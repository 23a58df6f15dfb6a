from django.utils.translation import gettext_lazy as _

from .models import AcceptancePoint, District, Street

# The courier reads addresses in Chinese: say so (an outsider's English address was refused unexplained).
COURIER_CITY_ONLY = _(
    "The courier delivers in Shenzhen only: give an address in Shenzhen, in Chinese characters, starting with "
    "its district (for example 福田区福华路 8 号)."
)


def acceptance_point_list(*, district: str | None = None):
    points = AcceptancePoint.objects.filter(active=True).select_related("street__district").order_by("code")
    if district:
        points = points.filter(street__district_id=district)
    return points


def in_city(address: str) -> bool:
    """Whether an address is in the city, for a same-city courier (RULES §6): after an optional
    "广东省" and "深圳市", it starts with one of the city's districts. "深圳市福田区…" and "福田区…"
    are; "北京市朝阳区深圳大厦", "东莞市凤岗镇深圳路" and "深圳市北京路 1 号" (no district) are not."""
    text = address.strip()
    for prefix in ("广东省", "广东", "深圳市", "深圳"):
        text = text.removeprefix(prefix).lstrip()
    # The districts, and the new districts some streets belong to (大鹏新区), as addresses name them.
    names = {*District.objects.values_list("name", flat=True), *Street.objects.values_list("new_district", flat=True)}
    names.discard("")
    return any(text.startswith(name) for name in names)


def street_shown(point) -> str:
    """The point's kind and street in the reader's language, when that is not Chinese (which the
    point's own name, data in Chinese, already says); else empty. The kind first: a street's office
    and its police station were told apart only by their Chinese names, cut off on a phone (an
    outsider)."""
    street = point.street.shown_name
    return f"{point.get_kind_display()}, {street}" if street != point.street.name else ""


def point_named(point) -> str:
    """The point as plain text: its kind and street in the reader's language, then its name."""
    street = street_shown(point)
    return f"{street} · {point.name}" if street else point.name
