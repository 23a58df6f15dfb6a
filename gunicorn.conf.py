"""Production gunicorn settings (override any of them with GUNICORN_* environment variables).

Sync workers suit this Django app: every request is short, database-bound and needs no
long-lived connections. (2 × cores) + 1 workers keeps the cores busy while some wait on
PostgreSQL. max_requests recycles a worker to bound any slow leak, but rarely: even a warm
recycle (config/wsgi.py) stalls for a moment and shows in the latency tail. At 2000 it fired
every few seconds under load; at 50,000, once a minute, lifting that minute's p99 from
about 37 to 56-65 ms. At 1,000,000 a fully loaded worker recycles every 15-30 minutes
(docs/performance.md).
"""

import multiprocessing
import os
import re

from gunicorn.glogging import Logger, SafeAtoms

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1_000_000))
max_requests_jitter = max_requests // 10
preload_app = True
# The proxy in front terminates TLS; trust its forwarded headers only from these addresses.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
# One line per request to stdout (GUNICORN_ACCESSLOG: a file path instead; empty: no access log,
# which only bench/run.sh uses, to measure what the log costs).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# gunicorn's default line without the query string and the referrer: both can carry personal
# data (a client may put a number and a name in a query however the platform asks), which a log
# must not keep.
# It starts with the peer (the proxy, behind one) and the client's address as ClientAddressMiddleware
# found it from TRUSTED_PROXIES ("-" for a request refused before the application saw it).
access_log_format = '%(h)s %({residence.client_address}e)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'

# gunicorn writes the decoded path and the headers as they came, escaping only quotes: a %0d%0a in
# a path started a second line that read as another request, and a NUL made grep call the log
# binary (an outsider). Every control character is written as its escape instead.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class PrintableAtoms(SafeAtoms):
    def __init__(self, atoms):
        dict.__init__(self)
        for key, value in atoms.items():
            if isinstance(value, str):
                if not value.isprintable():
                    value = _UNPRINTABLE.sub(_escape, value)
                value = value.replace('"', '\\"')
            self[key] = value


logger_class = type("AccessLogger", (Logger,), {"atoms_wrapper_class": PrintableAtoms})
errorlog = "-"
limit_request_line = 8190
wsgi_app = "config.wsgi:application"
