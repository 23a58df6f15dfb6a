from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db.models import Count, F
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from residence.accounts.models import Organisation, SmsChallenge, User
from residence.applications.models import FamilyMember, Person
from residence.core.validators import (
    mask_id_number,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
    sentences,
)
from residence.eligibility.models import EligibilityCheck
from residence.notifications.models import SmsMessage
from residence.permits.models import Permit
from residence.records.models import Enrolment, Identity, InsuranceMonth, PermitRecord, Registration, TalentCertificate
from residence.registrations.models import Declaration, Occupancy

# (model, field, check, mask) for every stored identifier a person or organisation is known by:
# the records, and the platform's own rows (an outsider's permit with a wrong number went unlisted).
STORED = [
    (Identity, "id_number", normalize_id_number, mask_id_number),
    (Registration, "id_number", normalize_id_number, mask_id_number),
    (InsuranceMonth, "id_number", normalize_id_number, mask_id_number),
    (InsuranceMonth, "employer_credit_code", normalize_credit_code, str),
    (Enrolment, "id_number", normalize_id_number, mask_id_number),
    (TalentCertificate, "id_number", normalize_id_number, mask_id_number),
    (PermitRecord, "id_number", normalize_id_number, mask_id_number),
    (EligibilityCheck, "id_number", normalize_id_number, mask_id_number),
    (Permit, "id_number", normalize_id_number, mask_id_number),
    (Person, "id_number", normalize_id_number, mask_id_number),
    (Person, "phone", normalize_phone, mask_phone),
    (FamilyMember, "id_number", normalize_id_number, mask_id_number),
    (Declaration, "id_number", normalize_id_number, mask_id_number),
    (Declaration, "phone", normalize_phone, mask_phone),
    (Occupancy, "id_number", normalize_id_number, mask_id_number),
    # A walk-in declarant at the counter, kept as typed in a JSON column; the SMS a number was sent.
    (Declaration, "declarant__id_number", normalize_id_number, mask_id_number),
    (Declaration, "declarant__phone", normalize_phone, mask_phone),
    (SmsChallenge, "phone", normalize_phone, mask_phone),
    (SmsMessage, "to", normalize_phone, mask_phone),
    (User, "phone", normalize_phone, mask_phone),
    (Organisation, "credit_code", normalize_credit_code, str),
]


class Command(BaseCommand):
    help = (
        "Check every stored ID number, mobile number and credit code again with today's validators and list "
        "those that fail (or are not in their normal form), for an operator to review. Exit 1 when any do."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--unmasked", action="store_true", help="print the values in full, not masked")

    def handle(self, *args, unmasked, **options):
        failures = 0
        for model, field, check, mask in STORED:
            # As text, a key of a JSON column too (SQLite's would come back decoded: an ID number as a
            # number); a phone not given is stored empty (or null): nothing to check.
            stored = model.objects.annotate(value=KT(field) if "__" in field else F(field)).exclude(value__isnull=True)
            for row in stored.values("value").annotate(rows=Count("pk")).order_by("value").iterator(chunk_size=10_000):
                value = row["value"]
                if value == "":
                    continue
                try:
                    normal = check(value)
                except ValidationError as e:
                    reason = sentences(e.messages)
                else:
                    if normal == value:
                        continue
                    reason = _("not in its normal form")
                failures += 1
                shown = value if unmasked else mask(value)
                self.stdout.write(
                    f"{model._meta.label}.{field}\t{shown}\t" + _("%(n)d row(s)") % {"n": row["rows"]} + f"\t{reason}"
                )
        if failures:
            self.stderr.write(_("%(n)d stored identifier(s) fail the checks; review them.") % {"n": failures})
            raise SystemExit(1)
        self.stdout.write(_("Every stored identifier passes the checks."))
