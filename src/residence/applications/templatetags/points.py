from django import template

from ..forms import street_shown

register = template.Library()
# An English page named a point only in Chinese (an outsider): its street in the reader's language first.
register.filter("street_shown", street_shown)


@register.filter
def point_shown(point) -> str:
    """The point's name, after its street in the reader's language when that is not Chinese."""
    street = street_shown(point)
    return f"{street} · {point.name}" if street else point.name
