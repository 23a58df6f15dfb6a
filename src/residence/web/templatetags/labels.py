"""`{{ field.label|bare }}`: a field's label without its closing question mark or colon, for
"label: problem" in an error summary (an outsider read "您申请哪一项？：…")."""

from django import template

register = template.Library()


@register.filter
def bare(label) -> str:
    return str(label).rstrip("?？:： ")
