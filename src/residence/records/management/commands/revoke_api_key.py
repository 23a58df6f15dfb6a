from django.core.management.base import BaseCommand, CommandError

from residence.records.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part before the dot)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        if not api_key_revoke(prefix=prefix):
            raise CommandError(f"No live key with prefix {prefix}")
        self.stdout.write(f"Revoked {prefix}")
