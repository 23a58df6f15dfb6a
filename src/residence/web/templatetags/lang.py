"""`{{ value|zh }}`: data in Chinese (a name, an address, a note) on a page in another language,
marked `lang="zh-CN"` so that a screen reader reads it with a Chinese voice (WCAG 3.1.2)."""

import re

from django import template
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@register.filter(needs_autoescape=True)
def zh(value, autoescape=True):
    shown = conditional_escape(value) if autoescape else value
    if (translation.get_language() or "").startswith("zh") or not CJK.search(str(value)):
        return shown
    return mark_safe(f'<span lang="zh-CN">{shown}</span>')  # noqa: S308 -- `shown` is escaped above
