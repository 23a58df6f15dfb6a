from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.records.selectors import api_key_revoked_on
from residence.records.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part before the dot), or by the whole key."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        # The whole key, as create_api_key printed it, names its key too; only the prefix is ever
        # printed back (an outsider's whole key was refused as unknown, left live, and echoed).
        prefix = prefix.strip().partition(".")[0].lower()
        if not api_key_revoke(prefix=prefix):
            # Run twice, it changes nothing and says so, as disable_staff does (an outsider's
            # second run exited 1).
            if revoked_on := api_key_revoked_on(prefix=prefix):
                self.stdout.write(
                    _("%(prefix)s was revoked already on %(day)s: nothing changed")
                    % {"prefix": prefix, "day": revoked_on.isoformat()}
                )
                return
            raise CommandError(_("No live key with prefix %(prefix)s") % {"prefix": prefix})
        self.stdout.write(_("Revoked %(prefix)s") % {"prefix": prefix})
