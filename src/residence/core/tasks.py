"""The daily jobs as a task, for beat (CELERY_BEAT_SCHEDULE in config/base.py)."""

import logging

from celery import shared_task

from residence.core import clock
from residence.core.jobs import daily_jobs_run
from residence.core.validators import parse_date

logger = logging.getLogger("residence.jobs")


@shared_task(ignore_result=True)
def run_daily_jobs(date: str = "") -> dict[str, int]:
    """`manage.py run_daily_jobs [--date]` as a task: as of `date` (YYYY-MM-DD), default today."""
    day = parse_date(date) if date else clock.today()
    return daily_jobs_run(day, report=logger.info)
