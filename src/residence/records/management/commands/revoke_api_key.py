from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.records.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part before the dot)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        if not api_key_revoke(prefix=prefix):
            raise CommandError(_("No live key with prefix %(prefix)s") % {"prefix": prefix})
        self.stdout.write(_("Revoked %(prefix)s") % {"prefix": prefix})
