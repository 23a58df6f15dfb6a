"""`{{ value|zh }}`: data in Chinese (a name, an address, a note) on a page in another language,
marked `lang="zh-CN"` so that a screen reader reads it with a Chinese voice (WCAG 3.1.2);
`{{ text|zh_runs }}`: the Chinese inside a sentence of another language marked so (a hint's
example, a name in a message); `{{ number|masked }}`: a masked number shown as it is and said as its
visible ends."""

import re

from django import template
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")


@register.filter(needs_autoescape=True)
def zh(value, autoescape=True):
    shown = conditional_escape(value) if autoescape else value
    if (translation.get_language() or "").startswith("zh") or not CJK.search(str(value)):
        return shown
    return mark_safe(f'<span lang="zh-CN">{shown}</span>')  # noqa: S308 -- `shown` is escaped above


# A run of Chinese, with the numbers and spaces inside it ("福田区福华路 8 号").
CJK_RUN = re.compile(f"{CJK.pattern}+(?:[ 0-9]+{CJK.pattern}+)*")


@register.filter(needs_autoescape=True)
def zh_runs(value, autoescape=True):
    shown = str(conditional_escape(value) if autoescape else value)
    if (translation.get_language() or "").startswith("zh"):
        return mark_safe(shown)  # noqa: S308 -- escaped above
    return mark_safe(CJK_RUN.sub(lambda run: f'<span lang="zh-CN">{run.group(0)}</span>', shown))  # noqa: S308


MASK = re.compile(r"([^*]*)\*+([^*]*)")


@register.filter
def masked(value):
    """A screen reader read a masked ID number's eight asterisks one by one (an outsider): it is
    said as its two visible ends, the stars shown but not read."""
    match = MASK.fullmatch(str(value))
    if match is None:
        return value
    start, end = match.groups()
    spoken = _("%(start)s, hidden digits, %(end)s") % {"start": start, "end": end} if start or end else _("hidden")
    return format_html('<span aria-hidden="true">{}</span><span class="visually-hidden">{}</span>', value, spoken)
