from residence.core.validators import normalize_name
from residence.records.models import Enrolment, Identity, InsuranceMonth, Registration, TalentCertificate

from . import rules


def person_records(*, id_number: str, name: str, route: str | None = None) -> tuple[rules.Person, list[dict]]:
    """The person as the departments' records describe them, and which records (and versions) were
    read; with a route, only the records that route's rules read (RULES §2)."""
    inputs = []
    identity = Identity.objects.filter(id_number=id_number).first()
    # The other records are read even without an identity record (API.md: they need none), so the
    # answer says which of their conditions hold (an outsider read "no registration" beside one).
    if identity is not None:
        inputs.append({"kind": "identities", "id": identity.pk, "version": identity.version})
    registrations = list(Registration.objects.filter(id_number=id_number))
    months, talents, enrolments = [], [], []
    if route in (None, "residence_employment"):
        months = list(InsuranceMonth.objects.filter(id_number=id_number).values_list("id", "month"))
    if route in (None, "talent"):
        talents = list(TalentCertificate.objects.filter(id_number=id_number))
    if route in (None, "education"):
        enrolments = list(Enrolment.objects.filter(id_number=id_number))
    for kind, records in (("registrations", registrations), ("talents", talents), ("enrolments", enrolments)):
        inputs += [{"kind": kind, "id": r.pk, "version": r.version} for r in records]
    inputs += [{"kind": "social_insurance", "id": pk, "version": 1} for pk, _ in months]
    person = rules.Person(
        id_number=id_number,
        known=identity is not None,
        name_matches=identity is not None and normalize_name(identity.name) == normalize_name(name),
        shenzhen_hukou=identity is not None and identity.shenzhen_hukou,
        registrations=tuple(rules.Registration(r.registered_on, r.ended_on) for r in registrations),
        insurance_months=frozenset(rules.month_number(m) for _, m in months),
        talents=tuple(rules.Talent(t.category, t.issued_on, t.valid_until) for t in talents),
        enrolments=tuple(rules.Enrolment(e.level, e.full_time, e.start_date, e.end_date) for e in enrolments),
    )
    return person, inputs
