"""The Celery app: settings from Django's (the CELERY_* names of config/base.py), tasks from
each app's tasks.py. Without CELERY_BROKER_URL every task runs inline (eagerly), so a laptop
needs no broker; with it, `celery -A config worker` runs them (and `-B`, or a separate
`celery -A config beat`, the daily schedule)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.base")

app = Celery("residence")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
