"""Does a password reset take as long for an unknown username as for a real one?

Runs the whole request in-process through the platform's WSGI application (as gunicorn calls
it: the real middleware, services and database, PostgreSQL), timing until the answer is
complete, alternating a real and an unknown username so that drift in the
machine weighs on both alike, and prints the median and quartiles of each and their
difference. The SMS backend is the file outbox of development. Without a broker the
SMS task runs inline, before the answer: for an unknown username it runs too, on a stand-in
row, all but the gateway (notifications.services.sms_send).
Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/residence_bench .venv/bin/python bench/reset_timing.py [N]
"""

import io
import json
import os
import statistics
import sys
import tempfile
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")
os.environ.setdefault("SMS_BACKEND", "file")
os.environ.setdefault("SMS_FILE", os.path.join(tempfile.mkdtemp(), "outbox.jsonl"))
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from config.wsgi import application  # noqa: E402
from residence.accounts.models import User  # noqa: E402
from residence.accounts.services import account_create  # noqa: E402
from residence.accounts.services.challenges import unknown_key  # noqa: E402
from residence.core.models import LimitCounter  # noqa: E402
from residence.core.validators import username_key  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 400
call_command("migrate", verbosity=0)
if not User.objects.filter(username="timing_real").exists():
    account_create(
        kind="individual", username="timing_real", password="Timing2026pass", phone="13700000002", consent=True
    )
# Every answer is 202 whatever the limits do; lift them so that both sides do all their work.
settings.LIMIT_SMS_PER_PHONE_DAY = settings.LIMIT_SMS_PER_ADDRESS_HOUR = 10**9


def reset(username: str) -> float:
    """Milliseconds until the answer is complete (what the client waits for); the response is
    closed afterwards, outside the clock, as a server does once it has sent it."""
    body = json.dumps({"username": username}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/auth/password-reset",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    statuses = []
    start = time.perf_counter()
    response = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(response)
    elapsed = time.perf_counter() - start
    response.close()
    assert statuses[0].startswith("202"), statuses
    return elapsed * 1000


# Both sides' per-number counters start empty (the unknown one's key stands in for a number), so
# that neither carries the events of earlier runs.
counters = LimitCounter.objects.filter(key__in=["13700000002", unknown_key(username_key("timing_ghost"))])
counters.delete()
for _ in range(20):  # warm up
    reset("timing_real"), reset("timing_ghost")
real, unknown = [], []
for _ in range(N):
    real.append(reset("timing_real"))
    unknown.append(reset("timing_ghost"))
counters.delete()


def quartiles(values):
    q = statistics.quantiles(values, n=4)
    return f"median {statistics.median(values):6.3f} ms  (quartiles {q[0]:.3f}–{q[2]:.3f})"


print(f"real username    {quartiles(real)}")
print(f"unknown username {quartiles(unknown)}")
difference = statistics.median(real) - statistics.median(unknown)
spread = statistics.quantiles(real, n=4)[2] - statistics.quantiles(real, n=4)[0]
print(f"difference of medians {difference:+.3f} ms; interquartile range of one side {spread:.3f} ms")
