from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.accounts.models import User
from residence.accounts.services import staff_point_set
from residence.core.errors import DomainError


class Command(BaseCommand):
    help = "Give a clerk another acceptance point (the old one closes, or needs hands); audited."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--point", required=True, help="an acceptance point's code (a closed one too: its clerks finish its work)"
        )

    def handle(self, *args, username, point, **options):
        try:
            before = User.objects.filter(username__iexact=username).values_list("point_id", flat=True).first()
            user = staff_point_set(username=username, point_code=point)
        except DomainError as e:
            raise CommandError(e.in_one_line()) from None
        said = {"username": user.username, "point": user.point_id}
        if before == user.point_id:  # as disable_staff says it (an outsider read a change that was none)
            self.stdout.write(_("%(username)s already works at %(point)s: nothing changed") % said)
        else:
            self.stdout.write(_("%(username)s works at %(point)s") % said)
