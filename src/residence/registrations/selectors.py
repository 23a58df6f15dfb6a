import unicodedata

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery

from residence.accounts.models import Kind, User
from residence.core.validators import normalize_room
from residence.records.models import Registration

from .models import BulkUpload, DeclarantType, Declaration, House, Occupancy


def confirmed_house_by_plate(*, street: str, building_code: str, room: str) -> House | None:
    """The confirmed house a tenant names by its plate (a normalised building code), the first
    registered if two accounts hold the room."""
    return (
        House.objects.filter(confirmed=True, street_id=street, building_code=building_code, room=normalize_room(room))
        .order_by("id")
        .first()
    )


def holders_of_room(house: House) -> list[User]:
    """The accounts holding a confirmed house of this room (street, building code and room): an
    owner and the agency that manages the room may both hold it."""
    return list(
        User.objects.filter(
            houses__confirmed=True,
            houses__street_id=house.street_id,
            houses__building_code=house.building_code,
            houses__room=house.room,
        ).distinct()
    )


def _held(actor):
    """The houses the caller declares for, unordered (for subqueries)."""
    if actor.kind == Kind.SUB_ACCOUNT:
        return House.objects.filter(owner_id=actor.parent_id, sub_accounts=actor)
    return House.objects.filter(owner=actor)


def shared_room_reports(actor, house: int | None = None) -> dict[int, int]:
    """Tenants' waiting reports filed under another account's house of a room the caller also holds,
    confirmed, each with the caller's own house of that room (only those of `house` if given). A
    tenant names the room by its plate and cannot say which holder is meant, so each is asked and
    the first answer decides (an outsider's agency never saw its tenant's report, filed under the
    owner who had registered the room first)."""
    held = _held(actor).filter(confirmed=True)
    if house is not None:
        held = held.filter(pk=house)
    same_room = held.filter(
        street_id=OuterRef("street_id"), building_code=OuterRef("building_code"), room=OuterRef("room")
    )
    others = House.objects.filter(Exists(same_room)).exclude(owner=holder_of(actor))
    own = held.filter(
        street_id=OuterRef("house__street_id"),
        building_code=OuterRef("house__building_code"),
        room=OuterRef("house__room"),
    ).values("pk")[:1]
    return dict(
        Declaration.objects.filter(
            status=Declaration.Status.PENDING, declarant_type=DeclarantType.TENANT, house__in=others
        )
        .annotate(own=Subquery(own))
        .values_list("pk", "own")
    )


def shared_room_house(*, actor, declaration: Declaration) -> House | None:
    """The confirmed house of the caller's holder (an organisation for its sub-accounts) of the room
    a tenant's report names, when the report was filed under another account's house of that room;
    None otherwise. Answered or not: the other holder asked is told it was answered, not "not
    found" (an outsider's was)."""
    house, holder = declaration.house, holder_of(actor)
    if declaration.declarant_type != DeclarantType.TENANT or house.owner_id == holder.pk:
        return None
    return (
        House.objects.filter(
            owner=holder, confirmed=True, street_id=house.street_id, building_code=house.building_code, room=house.room
        )
        .select_related("street__district", "owner")
        .first()
    )


def houses_for(*, actor, street: str = "", q: str = ""):
    """The houses the caller may declare for: its own, or an organisation's (all of them for the
    administrator, those given to a sub-account)."""
    houses = _held(actor)
    if street:
        houses = houses.filter(street_id=street)
    # As typed into a search box: trimmed, full-width digits as ASCII (NFKC), like the codes stored.
    q = unicodedata.normalize("NFKC", q).strip()
    if q:
        houses = houses.filter(Q(building_name__icontains=q) | Q(building_code__contains=q))
    return houses.select_related("street__district").order_by("street_id", "building_code", "room", "id")


def declarations_for(
    *, actor, house: int | None = None, current: bool = False, late: bool = False, shared: dict | None = None
):
    """The caller's declarations, newest first; an organisation sees its sub-accounts' too, and a
    sub-account, beside its own, those of the houses given to it that concern it now, whoever filed
    them: who lives there and the self-reports waiting for an answer (an outsider's sub-account read
    "nobody is declared as living here" of a house its administrator had filled, and could not see
    whom to move out; another's read the names of everyone who had ever lived there). `late`: only
    those declared after their deadline (RULES §1)."""
    if actor.kind == Kind.ORGANISATION:
        declarations = Declaration.objects.filter(house__owner=actor)
    elif actor.kind == Kind.SUB_ACCOUNT:
        given = House.objects.filter(owner_id=actor.parent_id, sub_accounts=actor).values("pk")
        concerns_now = Q(pk__in=Occupancy.objects.values("declaration_id")) | Q(status=Declaration.Status.PENDING)
        declarations = Declaration.objects.filter(Q(declared_by=actor) | (Q(house__in=given) & concerns_now))
    else:
        declarations = Declaration.objects.filter(Q(declared_by=actor) | Q(house__owner=actor))
    if house is not None:
        declarations = declarations.filter(house_id=house)
    if shared is None and actor.kind != Kind.STAFF:  # `shared`: shared_room_reports(actor, house), if read already
        shared = shared_room_reports(actor, house)
    if shared:
        declarations = declarations | Declaration.objects.filter(pk__in=shared)
    if current:
        # The move-ins whose occupancy stands: a semi-join on the occupancy's declaration (joining
        # through the house paired every declaration with every occupant of its house).
        declarations = declarations.filter(pk__in=Occupancy.objects.values("declaration_id"))
    if late:
        # A tenant's report declined, withdrawn or superseded was no move of the holder's to make
        # (an outsider's dashboard counted two among its late declarations), as for the clerk.
        declarations = declarations.filter(days_late__gt=0).exclude(status__in=CLOSED_REPORTS)
    return declarations.select_related("house__street__district", "registration").order_by("-created_at", "-id")


def waiting_self_reports_of(*, user):
    """The person's own move-in reports that wait for the house's holder to confirm them."""
    return (
        Declaration.objects.filter(
            declared_by=user, declarant_type=DeclarantType.TENANT, status=Declaration.Status.PENDING
        )
        .select_related("house__street")
        .order_by("-created_at")
    )


def registrations_of(*, id_number: str):
    return Registration.objects.filter(id_number=id_number).select_related("street").order_by("-registered_on")


# --- for the pages -------------------------------------------------------------------------


def holder_of(actor):
    """The account that holds the houses an actor works on (an organisation for its sub-accounts)."""
    return actor.parent if actor.kind == Kind.SUB_ACCOUNT else actor


def house_for(*, actor, pk: int):
    """One house the caller may declare for, or None."""
    return houses_for(actor=actor).filter(pk=pk).first()


def houses_with_occupants(*, actor):
    """The caller's houses, each with `occupants`: how many people live there now."""
    return houses_for(actor=actor).annotate(occupants=Count("occupancies"))


def occupants_of(*, actor):
    """The people living now in the caller's houses (one occupancy each)."""
    return Occupancy.objects.filter(house__in=houses_for(actor=actor))


def declaration_for(*, actor, pk: int):
    """One declaration the caller may see (as declarant or as the house's holder), or None."""
    return declarations_for(actor=actor).filter(pk=pk).first()


def pending_reports_for(*, actor):
    """Tenants' self-reports waiting for the caller (the house's holder) to confirm, oldest first."""
    reports = Declaration.objects.filter(house__owner=holder_of(actor), status=Declaration.Status.PENDING)
    if actor.kind == Kind.SUB_ACCOUNT:
        reports = reports.filter(house__sub_accounts=actor)
    if shared := shared_room_reports(actor):
        reports = reports | Declaration.objects.filter(pk__in=shared)
    return reports.select_related("house__street").order_by("created_at", "id")


def sub_accounts_of(*, organisation):
    return (
        User.objects.filter(parent=organisation, kind=Kind.SUB_ACCOUNT)
        .prefetch_related(Prefetch("assigned_houses", queryset=House.objects.select_related("street")))
        .order_by("username")
    )


def bulk_upload_for(*, actor, pk: int):
    return BulkUpload.objects.filter(pk=pk, uploader=actor).first()


# --- the counter ---------------------------------------------------------------------------


def _with_other_holder(houses):
    """Each house marked when another account registered the same room, confirmed or not: the
    clerk sees it before confirming a second holder (an outsider had one room confirmed for two
    accounts)."""
    others = House.objects.filter(
        street_id=OuterRef("street_id"), building_code=OuterRef("building_code"), room=OuterRef("room")
    ).exclude(owner_id=OuterRef("owner_id"))
    return houses.annotate(held_by_another=Exists(others))


def other_holders(house: House):
    """The other accounts' registrations of the same room, for the clerk confirming this one."""
    return (
        House.objects.filter(street_id=house.street_id, building_code=house.building_code, room=house.room)
        .exclude(owner_id=house.owner_id)
        .select_related("owner__person", "owner__organisation")
        .order_by("created_at")
    )


def houses_at(*, house: int | None = None, street: str = "", building_code: str = "", room: str = ""):
    """Houses found at the counter by id, or by street, building code and room (every holder's)."""
    houses = _with_other_holder(
        House.objects.select_related("street__district", "owner__person", "owner__organisation")
    )
    if house:
        return houses.filter(pk=house)
    if not (street and building_code):
        return houses.none()
    houses = houses.filter(street_id=street, building_code=building_code)
    if room:
        houses = houses.filter(room=normalize_room(room))
    return houses.order_by("room", "id")[:100]


def houses_awaiting_confirmation(*, district: str | None):
    """The houses of a clerk's district waiting for their confirmation, oldest first."""
    return _with_other_holder(
        House.objects.filter(confirmed=False, street__district_id=district).select_related("street__district", "owner")
    ).order_by("created_at")


# A tenant's report that ended without being recorded.
CLOSED_REPORTS = (Declaration.Status.DECLINED, Declaration.Status.WITHDRAWN, Declaration.Status.SUPERSEDED)


def late_declarations(*, district: str | None, since):
    """Declarations made late (RULES §1) for houses of a clerk's district since a day, newest first:
    the flag reached nobody who enforces the deadline (an outsider)."""
    return (
        Declaration.objects.filter(days_late__gt=0, declared_on__gte=since, house__street__district_id=district)
        # A tenant's report declined, withdrawn or superseded was no move (an outsider found one listed).
        .exclude(status__in=CLOSED_REPORTS)
        .select_related("house__street")
        .order_by("-declared_on", "-id")
    )


def declaration_at_counter(*, pk: int):
    return Declaration.objects.select_related("house__street__district", "registration").filter(pk=pk).first()
