from django.utils.translation import gettext_lazy as _

from .models import AcceptancePoint, District

COURIER_CITY_ONLY = _("The courier delivers in Shenzhen only: give an address in Shenzhen, with its district.")


def acceptance_point_list(*, district: str | None = None):
    points = AcceptancePoint.objects.filter(active=True).select_related("street__district").order_by("code")
    if district:
        points = points.filter(street__district_id=district)
    return points


def in_city(address: str) -> bool:
    """Whether an address names the city or one of its districts (a same-city courier, RULES §6):
    "深圳市…" or "福田区…"; "北京市朝阳区…" names neither."""
    return "深圳" in address or any(name in address for name in District.objects.values_list("name", flat=True))
