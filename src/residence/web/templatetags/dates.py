"""Dates kept on one line: a phone's browser broke "2026-12-03" after a hyphen, leaving "2026-"
at the end of a line (an outsider at 320 px).

`{{ day|date:"Y-m-d"|whole }}` for one date; `{{ text|whole_dates }}` for the dates in a text
(a message)."""

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@register.filter
def whole(value):
    return format_html('<span class="nowrap">{}</span>', value) if value else value


@register.filter(needs_autoescape=True)
def whole_dates(text, autoescape=True):
    shown = conditional_escape(text) if autoescape else str(text)
    return mark_safe(ISO_DAY.sub(lambda m: f'<span class="nowrap">{m.group()}</span>', shown))  # noqa: S308 -- escaped above
