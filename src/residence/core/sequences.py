"""Named counters in the database, for numbers that must never repeat (permit numbers)."""

from django.db import transaction
from django.db.models import F

from .models import Sequence


def next_value(name: str) -> int:
    """The next value of `name`, taken in the caller's transaction (the UPDATE locks the row
    until it ends, so a parallel caller waits and then sees the incremented value)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value must run inside the transaction that uses the value")
    if not Sequence.objects.filter(name=name).update(value=F("value") + 1):
        Sequence.objects.get_or_create(name=name)
        Sequence.objects.filter(name=name).update(value=F("value") + 1)
    return Sequence.objects.values_list("value", flat=True).get(name=name)
