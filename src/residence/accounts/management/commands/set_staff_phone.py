from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.accounts.services import staff_phone_set
from residence.core.errors import DomainError
from residence.core.validators import mask_phone


class Command(BaseCommand):
    help = (
        "Bind a staff member's new mobile number (a lost or changed phone: every staff sign-in needs a code "
        "to it); audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--phone", required=True, help="the new mainland mobile number")

    def handle(self, *args, username, phone, **options):
        try:
            user, changed = staff_phone_set(username=username, phone=phone)
        except DomainError as e:
            raise CommandError(e.in_one_line()) from None
        said = {"username": user.username, "phone": mask_phone(user.phone)}
        if changed:
            self.stdout.write(_("%(username)s's sign-in codes go to %(phone)s") % said)
        else:
            self.stdout.write(_("%(username)s already has %(phone)s: nothing changed") % said)
