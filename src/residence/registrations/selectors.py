from django.db.models import F, Q

from residence.accounts.models import Kind
from residence.records.models import Registration

from .models import Declaration, House


def houses_for(*, actor, street: str = "", q: str = ""):
    """The houses the caller may declare for: its own, or an organisation's (all of them for the
    administrator, those given to a sub-account)."""
    if actor.kind == Kind.SUB_ACCOUNT:
        houses = House.objects.filter(owner_id=actor.parent_id, sub_accounts=actor)
    else:
        houses = House.objects.filter(owner=actor)
    if street:
        houses = houses.filter(street_id=street)
    if q:
        houses = houses.filter(Q(building_name__icontains=q) | Q(building_code__startswith=q))
    return houses.select_related("street__district").order_by("street_id", "building_code", "room")


def declarations_for(*, actor, house: int | None = None, current: bool = False):
    """The caller's declarations, newest first; an organisation sees its sub-accounts' too."""
    if actor.kind == Kind.ORGANISATION:
        declarations = Declaration.objects.filter(house__owner=actor)
    elif actor.kind == Kind.SUB_ACCOUNT:
        declarations = Declaration.objects.filter(declared_by=actor)
    else:
        declarations = Declaration.objects.filter(Q(declared_by=actor) | Q(house__owner=actor))
    if house is not None:
        declarations = declarations.filter(house_id=house)
    if current:
        declarations = declarations.filter(
            kind=Declaration.Kind.MOVE_IN,
            status=Declaration.Status.RECORDED,
            house__occupancies__declaration=F("pk"),
        )
    return declarations.select_related("house__street__district", "registration").order_by("-created_at", "-id")


def registrations_of(*, id_number: str):
    return Registration.objects.filter(id_number=id_number).select_related("street").order_by("-registered_on")
