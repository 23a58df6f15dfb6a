"""What people are told when a declaration ends their residence registration, or begins one.

By the rules a move-in elsewhere ends the person's current registration at once (API.md), so a
declarant with a confirmed house and a person's name and ID number can end it without the person
knowing; an outsider did so. Whoever it concerns hears of it in the same transaction: the person
(in-app message to each account verified as that person and an SMS to that account's number; or,
without an account, an SMS to the number the previous declarant recorded, saying only that the
registration ended), and the holder of the house the person left, when someone else declared it.
Nobody is told of their own declaration.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from residence.core.validators import mask_id_number, mask_name
from residence.notifications.services import Notice, account_language, notices_send

from .models import Declaration


@dataclass(frozen=True)
class Ended:
    """A registration a declaration ended. `previous` is the declaration of the occupancy it
    ended, if the person lived in a declared house; `moved_to` the new address of a move-in."""

    id_number: str
    address: str
    ended_on: dt.date
    previous: int | None
    moved_to: str = ""
    date: dt.date | None = None


def _accounts(id_numbers: set[str]) -> dict[str, list]:
    """The active accounts verified as each of these people, by ID number."""
    accounts: dict[str, list] = {}
    for user in (
        get_user_model().objects.filter(person__id_number__in=id_numbers, is_active=True).select_related("person")
    ):
        accounts.setdefault(user.person.id_number, []).append(user)
    return accounts


def _own(declarant) -> set:
    """The accounts whose declaration it is: nobody is told of their own (an organisation of its
    sub-account's either)."""
    return {declarant.pk, getattr(declarant, "parent_id", None)}


@dataclass(frozen=True)
class Started:
    """A registration a move-in began for a person who had none open."""

    id_number: str
    address: str
    date: dt.date


def tell_started(started: list[Started], *, declarant) -> None:
    """Each account verified as the person hears of a registration begun for them, which starts
    the residence that eligibility counts (an outsider's first registration, declared by a stranger's
    organisation, was recorded with nobody told). A number a declarant typed is not told: it may be
    anyone's. Nobody is told of their own declaration."""
    accounts = _accounts({s.id_number for s in started})
    skip = _own(declarant)
    notices_send(
        [
            Notice(
                users=tuple(own),
                phone=own[0].phone,
                key="registration_started",
                params={"address": s.address, "date": s.date.isoformat()},
                language=account_language(own),
            )
            for s in started
            if (own := accounts.get(s.id_number)) and not any(user.pk in skip for user in own)
        ],
        purpose="registration",
    )


def tell(ended: list[Ended], *, declarant) -> None:
    if not ended:
        return
    accounts = _accounts({e.id_number for e in ended})
    previous = {
        d.pk: d
        for d in Declaration.objects.filter(pk__in={e.previous for e in ended if e.previous}).select_related(
            "house__owner"
        )
    }
    skip = _own(declarant)
    notices = []
    for e in ended:
        own = accounts.get(e.id_number, [])
        before = previous.get(e.previous)
        ended_params = {"previous": e.address, "ended_on": e.ended_on.isoformat()}
        if own and not any(user.pk in skip for user in own):
            if e.moved_to:
                key, params = "registration_moved", {**ended_params, "address": e.moved_to, "date": e.date.isoformat()}
            else:
                key, params = "registration_ended", ended_params
            notices.append(
                Notice(users=tuple(own), phone=own[0].phone, key=key, params=params, language=account_language(own))
            )
        elif not own and before is not None and before.phone:
            # A number another declarant typed may be anyone's: it hears only that the registration
            # ended, never where the person went (an outsider's old landlord read the new address).
            params = {**ended_params, "name": mask_name(before.name)}
            notices.append(Notice(users=(), phone=before.phone, key="registration_ended", params=params))
        if before is not None and before.house.owner_id not in skip:
            house = before.house
            person = {"name": before.name, "id_number": mask_id_number(e.id_number), "previous": house.full_address}
            if e.moved_to:
                key, person["date"] = "registration_left", e.date.isoformat()
            else:  # a move-out at the counter: the house's holder did not declare it
                key, person["date"] = "registration_moved_out", e.ended_on.isoformat()
            notices.append(Notice(users=(house.owner,), phone="", key=key, params=person))
    notices_send(notices, purpose="registration")
