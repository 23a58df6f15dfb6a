"""Endorsements under parallel requests on PostgreSQL: one endorsement per window."""

import pytest
from django.db import connection

from residence.permits.models import Endorsement, Permit, PermitEvent

from .applications import citizen_api, eligible_records
from .test_permits import permit_for
from .test_races import race, statuses

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)"),
]


def test_five_parallel_endorsements_in_one_window_grant_one(settings):
    settings.FROZEN_TODAY = "2027-01-15"
    api, user = citizen_api()
    eligible_records()
    permit_for(user)
    responses = race(5, lambda i: api.post("/api/v1/permits/4403202600000777/endorsements"))
    assert statuses(responses) == {201: 1, 409: 4}
    assert Endorsement.objects.count() == 1 and PermitEvent.objects.filter(kind="endorsed").count() == 1
    assert Permit.objects.get().endorsed_until.isoformat() == "2028-03-02"
