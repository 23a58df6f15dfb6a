"""The daily jobs, run by `manage.py run_daily_jobs` and by the `run_daily_jobs` task that beat
starts once a day. Each job marks what it has done, so running them twice for a day changes
nothing the second time."""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from residence.accounts.services.credentials import previous_passwords_forget
from residence.applications import jobs as application_jobs
from residence.core import clock, limits, workdays
from residence.core.services import deadlines_recompute
from residence.notifications.tasks import sms_send_due
from residence.permits import sweeps as permit_sweeps
from residence.permits.services import endorsement_checks_escalate


def daily_jobs_run(day: dt.date, *, report: Callable[[str], object] = lambda line: None) -> dict[str, int]:
    """Every daily job as of the start of `day`; `report` gets one line per job. Returns the counts."""
    # Limit counters untouched for a day hold no event in any window (the longest is a day): idle
    # by the clock, whatever day the jobs run as, so that a run for another day spares live ones.
    # By the earlier of the platform's clock and the wall clock: a run with FROZEN_TODAY in the
    # future (the way to run the jobs ahead) pruned the live server's locks (an outsider).
    pruned = limits.prune(before=min(clock.now(), timezone.now()) - dt.timedelta(days=1))
    report(_("%(day)s: %(n)d idle limit counter(s) pruned") % {"day": day, "n": pruned})
    # A calendar change whose recompute was cut short: the day's reminders and escalations count
    # from the calendar in force.
    recomputed = deadlines_recompute()
    report(_("%(day)s: %(n)d deadline(s) left on an earlier calendar recomputed") % {"day": day, "n": recomputed})
    forgotten = previous_passwords_forget()
    report(_("%(day)s: %(n)d replaced password hash(es) forgotten") % {"day": day, "n": forgotten})
    terminated = application_jobs.payments_expire(day)
    report(_("%(day)s: %(n)d unpaid application(s) terminated") % {"day": day, "n": terminated})
    batched = application_jobs.production_batch(day)
    report(
        _("%(day)s: %(n)d approved application(s) put in the production batch of the day") % {"day": day, "n": batched}
    )
    # "Due tomorrow" is the next working day: a Friday reminds of Monday's items.
    tomorrow = workdays.add_working_days(day, 1).date
    reminded = application_jobs.deadlines_remind(day, tomorrow)
    report(_("%(day)s: %(n)d step(s) due %(due)s reminded") % {"day": day, "n": reminded, "due": tomorrow})
    escalated = application_jobs.deadlines_escalate(day) + endorsement_checks_escalate(day)
    report(_("%(day)s: %(n)d overdue step(s) escalated to the supervisors") % {"day": day, "n": escalated})
    # Suspension first: a permit that lapsed over two years ago is then cancelled in the same run.
    # Each sweep's line also gives the day's total: an operator rerunning after a crash read only
    # the rerun's own part and thought the work lost (an outsider).
    suspended = permit_sweeps.permits_suspend(day)
    report(
        _(
            "%(day)s: %(n)d permit(s) not endorsed by their anniversary suspended by this run, %(all)d for the day "
            "in all"
        )
        % {"day": day, "n": suspended, "all": permit_sweeps.day_total(permit_sweeps.SUSPEND, day)}
    )
    cancelled = permit_sweeps.permits_cancel(day)
    report(
        _("%(day)s: %(n)d permit(s) suspended for two years cancelled by this run, %(all)d for the day in all")
        % {"day": day, "n": cancelled, "all": permit_sweeps.day_total(permit_sweeps.CANCEL, day)}
    )
    ended = application_jobs.renewals_of_cancelled_permits_end(day)
    report(_("%(day)s: %(n)d exchange(s) or replacement(s) of a cancelled permit ended") % {"day": day, "n": ended})
    reminders = permit_sweeps.permits_remind(day)
    report(
        _(
            "%(day)s: endorsement reminders: window opens %(open)d, closes in 30 days %(in30)d, in 7 days "
            "%(in7)d holder(s)"
        )
        % {
            "day": day,
            "open": reminders["permits_window_open"],
            "in30": reminders["permits_window_closing_30"],
            "in7": reminders["permits_window_closing_7"],
        }
    )
    # Without a broker nothing else sends a refused SMS again (an outsider's five suspension
    # notices were lost for good): each run tries those whose wait is over.
    resent = sms_send_due() if settings.CELERY_TASK_ALWAYS_EAGER else 0
    report(_("%(day)s: %(n)d waiting SMS tried again") % {"day": day, "n": resent})
    return {
        "pruned": pruned,
        "terminated": terminated,
        "batched": batched,
        "reminded": reminded,
        "escalated": escalated,
        "suspended": suspended,
        "cancelled": cancelled,
        "renewals_ended": ended,
        "permits_reminded": sum(reminders.values()),
        "sms_resent": resent,
    }
