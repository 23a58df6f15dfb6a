"""`{{ reason|reason_shown }}`: a refusal's reason in the reader's language when it is a common one."""

from django import template

from residence.applications.staff_forms import reason_shown

register = template.Library()
register.filter("reason_shown", reason_shown)
