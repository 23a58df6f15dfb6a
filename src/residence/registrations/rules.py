"""Pure rules of residence registration (RULES §1, API.md § Residence registration)."""

import datetime as dt

from django.utils.translation import gettext as _

from residence.core.errors import Conflict, DomainError, Invalid

# Days a declarant has after the move before a declaration is late.
ALLOWANCE_DAYS = {"hotel": 0, "tenant": 3, "landlord": 7, "manager": 7, "employer": 7, "school": 7, "owner": 15}
# An individual declares as landlord of his own rooms or owner living in them (API.md, Declarants);
# the other types are an organisation's or, at the counter, a walk-in declarant's.
INDIVIDUAL_DECLARANT_TYPES = ("landlord", "owner")
OCCUPATIONS = range(1, 14)  # the paper form's codes 1–13
REASONS = range(1, 15)  # 1–14


def days_late(*, declarant_type: str, date: dt.date, declared_on: dt.date, house_waited: int = 0) -> int:
    """Days between the move and the declaration beyond the declarant's allowance; 0 when in time.
    A move-out counts with its move-in's declarant type; without one, like a landlord's.
    `house_waited` (house_wait) days are not counted: the house could take no declaration then."""
    allowance = ALLOWANCE_DAYS.get(declarant_type or "landlord", 7)
    return max(0, (declared_on - date).days - allowance - house_waited)


def house_wait(*, date: dt.date, registered_on: dt.date, confirmed_on: dt.date | None) -> int:
    """Days after the move on `date` that the house, registered, waited for a clerk's confirmation
    (an outsider's employer, told to wait for the clerk, was then marked late for the wait)."""
    if confirmed_on is None:
        return 0
    return max(0, (confirmed_on - max(date, registered_on)).days)


# "Owner living there" is the resident of self-owned housing (RULES §1, Ordinance art. 7): 15 days
# to declare against a landlord's 7, so only for housing a clerk confirmed as owned, and never an
# organisation's (a landlord declared his tenants as owners, an outsider found).
OWNER_HOUSING = "owned"


# A hotel's guests are declared by its operator at once (RULES §1, art. 11): as a landlord or a
# school a hotel had 7 days and was never late (an outsider).
HOTEL_HOUSING = "hotel"


def declarant_fits(*, declarant_type: str, housing_type: str, account_kind: str) -> bool:
    """Whether a declarant of this type may declare a move into housing of this type."""
    if housing_type == HOTEL_HOUSING:
        return declarant_type == "hotel"
    if declarant_type != "owner":
        return True
    return housing_type == OWNER_HOUSING and account_kind != "organisation"


def declarant_type_problem(*, account_kind: str, declarant_type: str | None) -> str | None:
    """Why this account may not declare as this type, or None. Checked because the type sets the
    allowance before a declaration is late (an individual calling himself an owner gets 15 days)."""
    if account_kind == "individual" and declarant_type not in (*INDIVIDUAL_DECLARANT_TYPES, "tenant"):
        return _("An individual declares as landlord of their own rooms or as owner living in them.")
    return None


class OthersRecord(Conflict):
    """A move-in refused by a registration of the person that another declarant or the police
    recorded, said without its dates: still an answer about that record, which the declarant's day
    counts (services._people_quota)."""


def move_problem(
    *,
    kind: str,
    house_id: int,
    date: dt.date,
    lives_in: tuple[int, dt.date] | None,
    since: dt.date | None,
    until: dt.date | None = None,
    until_since: dt.date | None = None,
    dates_shown: bool = True,
) -> DomainError | None:
    """Why a move cannot be recorded against where the person stands now (API.md), or None: a
    DomainError to raise or report. `lives_in`: (house id, move-in date) of the house the person
    lives in by a declaration; `since`: the start of the person's open registration, declared or
    imported; `until`: the last day of their latest ended registration, `until_since` its first.
    A person lives in one place at a time: a move-in elsewhere ends the current registration, so
    it must come after that one began, and not before the last day of one that has ended: on that
    day it ends the ended one the day before, as it would have ended it still open (an outsider's
    move on the day of a move-out was refused or taken by which declarant filed first). Without `dates_shown` the
    answer does not say those dates: they are another declarant's or the police's record of the
    person (an outsider's new organisation read them off these answers with an ID number)."""
    if kind == "move_in":
        if lives_in is not None and lives_in[0] == house_id:
            return Conflict(_("This person already lives in this house."))
        if since is not None and date <= since:
            if not dates_shown:
                return OthersRecord(
                    _(
                        "This person has a registration that began on or after this date: a move-in elsewhere "
                        "must be dated after it. The person can see their registrations in their account."
                    )
                )
            return Conflict(
                _("This person's current registration began on %(since)s: a move-in elsewhere must be dated after it.")
                % {"since": since.isoformat()}
            )
        overlaps = until is not None and (date < until or (date == until and (until_since or date) >= date))
        if overlaps:
            if not dates_shown:
                return OthersRecord(
                    _(
                        "This person has a registration that ended on or after this date: a move-in must be "
                        "dated after it ended. The person can see their registrations in their account."
                    )
                )
            return Conflict(
                _("This person was registered until %(until)s: a move-in must be dated after that day.")
                % {"until": until.isoformat()}
            )
        return None
    if lives_in is None or lives_in[0] != house_id:
        return Conflict(_("This person does not live in this house."))
    if date < lives_in[1]:
        return Invalid(
            fields={"date": [_("The move-out cannot be before the move-in (%(since)s).") % {"since": lives_in[1]}]}
        )
    return None
