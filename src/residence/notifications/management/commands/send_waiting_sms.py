from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from residence.notifications.tasks import sms_send_due


class Command(BaseCommand):
    help = (
        "Send again the SMS the gateway refused once their wait is over, and those whose delivery "
        "was lost. Without a broker, run it every minute (cron); with one, Celery retries them."
    )

    def handle(self, *args, **options):
        self.stdout.write(_("%(n)d waiting SMS tried again") % {"n": sms_send_due()})
