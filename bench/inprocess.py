"""Django's own time per request, without gunicorn, the network or wrk: the WSGI application
called in a loop with a fixed environ, CPU time (process) and wall time (with PostgreSQL's
answer) per request, best of 7 rounds. In a real worker the same code runs 2-2.5 times
slower (cold caches between requests), so compare figures of this script with each other.

Usage, in bench/run.sh's environment (DATABASE_URL of a migrated database, DEBUG=0, ...):
  PYTHONPATH=. .venv/bin/python bench/inprocess.py platform     # /healthz and /api/v1/me
  PYTHONPATH=. .venv/bin/python bench/inprocess.py ceiling      # bench/ceiling's one view
"""

import io
import sys
import time

CALLS, ROUNDS = 2000, 7

if sys.argv[1] == "ceiling":
    from bench.ceiling.wsgi import application

    paths, token = {"ceiling": "/ceiling"}, None
else:
    from config.wsgi import application
    from residence.accounts.models import Channel, User
    from residence.accounts.services import account_create, session_start

    user = User.objects.filter(username="bench_user").first() or account_create(
        kind="individual", username="bench_user", password="Bench2026pass", phone="13700000001", consent=True
    )
    token = session_start(user=user, channel=Channel.API, remember=True)[1]
    paths = {"healthz": "/healthz", "me": "/api/v1/me"}


def environ(path):
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8765",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8765",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if path.startswith("/api/"):
        env["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return env


def start_response(status, headers, exc_info=None):
    assert status.startswith("200"), status


def call(path):
    response = application(environ(path), start_response)
    b"".join(response)
    response.close()


for path in paths.values():
    for _ in range(500):
        call(path)
best = {name: (float("inf"), float("inf")) for name in paths}
for _round in range(ROUNDS):
    for name, path in paths.items():
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(CALLS):
            call(path)
        cpu, wall = (time.process_time() - cpu) / CALLS * 1e6, (time.perf_counter() - wall) / CALLS * 1e6
        best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
for name, (cpu, wall) in best.items():
    print(f"{name:8s} {cpu:6.1f} us CPU, {wall:6.1f} us wall per request")
