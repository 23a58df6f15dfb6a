"""Strings that Django 5.2 shows but its Simplified Chinese catalogue lacks (new or reworded
since it was last translated). Listed here so that makemessages puts them into our
catalogue, which Django consults first; otherwise the Chinese admin shows them in English."""

from django.utils.translation import gettext_noop

MISSING_FROM_DJANGO_ZH_HANS = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]
