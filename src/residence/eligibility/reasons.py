"""The human text of each reason key of `rules`, in the active language."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from residence.records.models import Enrolment, TalentCertificate

from .rules import Reason

TEXTS = {
    "identity_ok": _("In the population records, without Shenzhen hukou."),
    "identity_unknown": _("This ID number is not in the population records."),
    "identity_name": _("The name does not match the population records."),
    "identity_hmt": _(
        "Hong Kong, Macao and Taiwan residents apply for the national Residence Permit for Hong "
        "Kong, Macao and Taiwan Residents (港澳台居民居住证) instead."
    ),
    "identity_hukou": _("Holders of Shenzhen hukou do not need a residence permit."),
    "identity_foreign": _("Foreigners cannot apply for this permit (Ordinance art. 51)."),
    "residence_none": _("No current residence registration in Shenzhen."),
    "residence_from": _("No current residence registration in Shenzhen: the one in the records starts on %(on)s."),
    "residence_registered": _("Registered continuously since %(since)s."),
    "residence_ok": _("Registered continuously since %(since)s: 12 months reached."),
    "residence_short": _("Registered continuously since %(since)s; 12 months are reached on %(on)s."),
    "residence_ends": _(
        "Registered continuously since %(since)s, until %(until)s: the registration ends before 12 months are reached."
    ),
    # Plural by the count the sentence turns on (an outsider read "1 consecutive months").
    "employment_consecutive": ngettext_lazy(
        "Social insurance paid for %(consecutive)d consecutive month.",
        "Social insurance paid for %(consecutive)d consecutive months.",
        "consecutive",
    ),
    "employment_total": ngettext_lazy(
        "Social insurance paid for %(total)d month within the last 24.",
        "Social insurance paid for %(total)d months within the last 24.",
        "total",
    ),
    "employment_short": ngettext_lazy(
        # As of the day the check is for, which may be past (an outsider's 2024 check said "up to now").
        "Social insurance paid for %(consecutive)d consecutive month up to the day checked, %(missing)d more needed "
        "(or 18 within the last 24 months: %(total)d so far).",
        "Social insurance paid for %(consecutive)d consecutive months up to the day checked, %(missing)d more needed "
        "(or 18 within the last 24 months: %(total)d so far).",
        "consecutive",
    ),
    "talent_ok": _("Valid talent certificate (%(category)s)."),
    "talent_expired": _("The talent certificate has expired."),
    "talent_from": _("No talent certificate in force yet: the one in the records takes effect on %(on)s."),
    "talent_none": _("No valid talent certificate in the records."),
    "education_ok": _("Enrolled full time (%(level)s)."),
    "education_ended": _("The enrolment has ended."),
    "education_from": _("No current full-time enrolment: the one in the records starts on %(on)s."),
    "education_none": _("No current full-time enrolment in the records."),
}


# Parameters that are record codes, shown by their names (an outsider read "(degree)").
LABELS = {"category": TalentCertificate.Category, "level": Enrolment.Level}


def _shown(name: str, value):
    choices = LABELS.get(name)
    return str(choices(value).label) if choices is not None and value in choices.values else value


def render(reason: Reason) -> str:
    if not reason.params:
        return str(TEXTS[reason.key])
    # The lazy text itself takes the parameters: a plural one picks its form by them.
    return TEXTS[reason.key] % {name: _shown(name, value) for name, value in reason.params.items()}
