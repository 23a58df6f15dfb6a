from django import template
from django.utils.html import format_html

from residence.places.selectors import street_shown

register = template.Library()
# An English page named a point only in Chinese (an outsider): its street in the reader's language first.
register.filter("street_shown", street_shown)


@register.filter
def point_shown(point) -> str:
    """The point's name, after its street in the reader's language when that is not Chinese; the
    name, Chinese, marked so inside other text (a screen reader read it in the English voice)."""
    street = street_shown(point)
    return format_html('{} · <span lang="zh-CN">{}</span>', street, point.name) if street else point.name
