"""Production gunicorn settings (override any of them with GUNICORN_* environment variables).

Sync workers suit this Django app: every request is short, database-bound and needs no
long-lived connections. (2 × cores) + 1 workers keeps the cores busy while some wait on
PostgreSQL. max_requests recycles a worker to bound any slow leak, but rarely: a recycle
leaves one worker fewer for the moment of the fork and shows in the latency tail (at
2000 it fired every few seconds under load, docs/performance.md).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 50000))
max_requests_jitter = 5000
preload_app = True
# The proxy in front terminates TLS; trust its forwarded headers only from these addresses.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
accesslog = "-"
errorlog = "-"
limit_request_line = 8190
wsgi_app = "config.wsgi:application"
