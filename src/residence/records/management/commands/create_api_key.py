from django.core.management.base import BaseCommand, CommandError

from residence.records.services import DEPARTMENT_KINDS, api_key_create


class Command(BaseCommand):
    help = "Create an API key for a department system; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, choices=sorted(DEPARTMENT_KINDS))

    def handle(self, *args, department, **options):
        try:
            _key, plain = api_key_create(department=department)
        except ValueError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(plain)
