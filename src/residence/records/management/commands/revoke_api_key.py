from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.records.selectors import api_key_matches, api_key_revoked_on
from residence.records.services import api_key_revoke


class Command(BaseCommand):
    help = "Revoke an API key by its prefix (the part before the dot), or by the whole key."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        # The whole key, as create_api_key printed it, names its key too; only the prefix is ever
        # printed back (an outsider's whole key was refused as unknown, left live, and echoed).
        given = prefix.strip()
        prefix, dot, secret = given.partition(".")
        prefix = prefix.lower()
        if dot and secret and not api_key_matches(prefix=prefix, key=f"{prefix}.{secret}"):
            # A whole key that is not the live key of its prefix revokes nothing: a wrong paste
            # would end another department's live key (an outsider).
            raise CommandError(
                _("That is not the key with prefix %(prefix)s: nothing revoked. Give the prefix alone to revoke it.")
                % {"prefix": prefix}
            )
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
