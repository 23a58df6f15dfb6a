from .models import AcceptancePoint


def acceptance_point_list(*, district: str | None = None):
    points = AcceptancePoint.objects.filter(active=True).select_related("street__district").order_by("code")
    if district:
        points = points.filter(street__district_id=district)
    return points
