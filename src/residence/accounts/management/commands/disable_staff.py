from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.services import staff_disable
from residence.core.errors import DomainError


class Command(BaseCommand):
    help = "Disable a staff account (someone who left or moved): its logins end now; audited with the reason."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--reason", required=True, help="why, in one line (kept in the audit trail)")

    def handle(self, *args, username, reason, **options):
        try:
            was_active = User.objects.filter(username__iexact=username, is_active=True).exists()
            user = staff_disable(username=username, reason=reason)
        except DomainError as e:
            raise CommandError(e.in_one_line()) from None
        if was_active:
            self.stdout.write(_("Disabled staff account %(username)s") % {"username": user.username})
        else:
            self.stdout.write(
                _("Staff account %(username)s was already disabled: nothing changed") % {"username": user.username}
            )
