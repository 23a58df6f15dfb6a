"""The codes of the paper residence registration form (居住登记表), as choices for the pages:
occupation 1–13 and reason for coming 1–14 (rules.OCCUPATIONS, rules.REASONS)."""

from django.utils.translation import gettext_lazy as _

OCCUPATION_CHOICES = [
    (1, _("1 Head of a state organ, party or mass organisation, enterprise or public institution")),
    (2, _("2 Professional or technical staff")),
    (3, _("3 Clerical and related staff")),
    (4, _("4 Commerce and service staff")),
    (5, _("5 Agriculture, forestry, animal husbandry, fishery and water conservancy")),
    (6, _("6 Production and transport equipment operators")),
    (7, _("7 Armed forces")),
    (8, _("8 Other employed persons")),
    (9, _("9 Student")),
    (10, _("10 Retired")),
    (11, _("11 Homemaker")),
    (12, _("12 Unemployed")),
    (13, _("13 Other")),
]

REASON_CHOICES = [
    (1, _("1 Work")),
    (2, _("2 Farming")),
    (3, _("3 Business")),
    (4, _("4 Study or training")),
    (5, _("5 Services (e.g. domestic help)")),
    (6, _("6 Accompanying family member")),
    (7, _("7 Joining relatives or friends")),
    (8, _("8 Official business trip")),
    (9, _("9 Medical treatment")),
    (10, _("10 Visiting relatives or friends")),
    (11, _("11 Tourism")),
    (12, _("12 Marriage")),
    (13, _("13 Relocation after demolition")),
    (14, _("14 Other")),
]

OCCUPATIONS = dict(OCCUPATION_CHOICES)
REASONS = dict(REASON_CHOICES)
