"""Test settings: the real ones with a fast password hasher and an in-memory SMS outbox."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "locmem"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = None  # static files come from the finders in tests; nothing is collected
# Tasks run inline in tests whatever the environment says; the broker test
# (tests/test_tasks_broker.py, run when CELERY_BROKER_URL is set) starts a real worker itself.
CELERY_TASK_ALWAYS_EAGER = True
SMS_RETRY_BACKOFF_SECONDS = 0
