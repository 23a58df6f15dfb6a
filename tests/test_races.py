import threading

import pytest
from django.db import connection, connections

from residence.accounts.models import LoginSession, User

from .conftest import Api, make_user

# Row locks are what make racing logins safe; SQLite serialises whole transactions instead.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock races run on PostgreSQL (DESIGN §How 10)"),
]


def race(n, action):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = action(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_racing_logins_leave_exactly_one_live_session():
    user = make_user("racer_one", "13811112222")
    User.objects.filter(pk=user.pk).update(sms_required=False)
    clients = [Api(address=f"10.3.3.{i}") for i in range(6)]

    def login(i):
        response = clients[i].post("/api/v1/auth/login", {"username": "racer_one", "password": "Testing2026pass"})
        clients[i].token = response.json()["token"]
        return response.status_code

    assert race(6, login) == [200] * 6
    statuses = [c.get("/api/v1/me").status_code for c in clients]
    assert statuses.count(200) == 1 and statuses.count(401) == 5
    assert LoginSession.objects.filter(user=user, ended_at__isnull=True).count() == 1


def test_racing_registrations_of_one_username_create_one_account():
    clients = [Api(address=f"10.4.4.{i}") for i in range(5)]

    def register(i):
        return (
            clients[i]
            .post(
                "/api/v1/accounts",
                {
                    "kind": "individual",
                    "username": "same_name",
                    "password": "Testing2026pass",
                    "phone": f"1381111000{i}",
                    "consent": True,
                },
            )
            .status_code
        )

    results = race(5, register)
    assert sorted(results) == [201, 409, 409, 409, 409]
    assert User.objects.filter(username="same_name").count() == 1
