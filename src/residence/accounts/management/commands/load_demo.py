from django.core.management.base import BaseCommand

from residence.accounts.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load places, calendar and demo accounts for every role (idempotent)."

    def handle(self, *args, **options):
        accounts = load_demo()
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, role, phone in accounts:
            self.stdout.write(f"  {username:<18} {phone:<13} {role}")
        self.stdout.write("SMS codes are written to the SMS outbox file and echoed on the console.")
