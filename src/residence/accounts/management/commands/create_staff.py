import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from residence.accounts.models import Department, Role
from residence.accounts.services import staff_create
from residence.core.errors import DomainError, DuplicatePhone
from residence.places.models import AcceptancePoint


class Command(BaseCommand):
    help = "Create a staff account with a role (and an acceptance point or department where the role needs one)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--password",
            required=True,
            help="the password, or - to read it from standard input (kept out of the process list and the "
            "shell's history)",
        )
        parser.add_argument("--phone", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--point", default="", help="acceptance point code")
        parser.add_argument("--department", default="", choices=["", *Department.values])

    def handle(self, *args, username, password, phone, role, point, department, **options):
        if password == "-":
            password = (getpass.getpass() if sys.stdin.isatty() else sys.stdin.readline()).rstrip("\r\n")
        point_obj = None
        if point:
            # A closed point too: its clerks finish its open applications.
            point_obj = AcceptancePoint.objects.filter(code=point).first()
            if point_obj is None:
                raise CommandError(_("No acceptance point has the code %(code)s.") % {"code": point})
        try:
            user = staff_create(
                username=username, password=password, phone=phone, role=role, point=point_obj, department=department
            )
        except DuplicatePhone:
            # The operator's words, not the citizen's "sign in with it" (an outsider).
            raise CommandError(
                _("The mobile number %(phone)s is already bound to another account: give this one its own number.")
                % {"phone": phone}
            ) from None
        except DomainError as e:
            raise CommandError(e.in_one_line()) from None
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from None
        self.stdout.write(
            _("Created staff account %(username)s (%(role)s)") % {"username": user.username, "role": role}
        )
