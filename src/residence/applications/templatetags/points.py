from django import template

from ..forms import street_shown

register = template.Library()
# An English page named a point only in Chinese (an outsider): its street in the reader's language first.
register.filter("street_shown", street_shown)
