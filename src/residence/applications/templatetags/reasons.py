"""`{{ reason|reason_shown }}`: a refusal's reason in the reader's language when it is a common one."""

from django import template

from residence.applications import reasons

register = template.Library()
register.filter("reason_shown", reasons.shown)
