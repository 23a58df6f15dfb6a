from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from residence.accounts.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load places, calendar and demo accounts for every role (idempotent)."

    def handle(self, *args, **options):
        accounts = load_demo()
        self.stdout.write(_("Demo accounts (password for all: %(password)s):") % {"password": DEMO_PASSWORD})
        for username, role, phone, active in accounts:
            # A disabled account has no mobile number any more (disable_staff frees it).
            shown = f"{phone:<13} {role}" if active else f"{'—':<13} {role} " + _("(disabled)")
            self.stdout.write(f"  {username:<18} {shown}")
        self.stdout.write(_("SMS codes are written to the SMS outbox file and echoed on the console."))
