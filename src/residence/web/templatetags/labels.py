"""`{{ field.label|bare }}`: a field's label without its closing question mark or colon, for
"label: problem" in an error summary (an outsider read "您申请哪一项？：…"). `{% colon %}`,
`{% open %}`, `{% comma %}`, `{% close %}`: the punctuation between a label and its value, and
around an aside, in the page's language (an outsider read "公安: 待核查" and "王芳 (配偶, …)").
`{% error_prefix %}`: "Error:" before a page's title, spaced as the language spaces it (an
outsider read "错误： 登录")."""

from django import template
from django.utils import translation
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def bare(label) -> str:
    return str(label).rstrip("?？:： ")


def _chinese() -> bool:
    return (translation.get_language() or "").startswith("zh")


def _punctuation(chinese: str, other: str):
    def tag() -> str:
        return chinese if _chinese() else other

    return tag


@register.simple_tag
def gap() -> str:
    """Between a sentence and a link or button after it: a space, but none after a Chinese full
    stop (an outsider read "…一件申请。 查看申请进度")."""
    return "" if _chinese() else " "


@register.simple_tag
def error_prefix() -> str:
    return _("Error:") + ("" if _chinese() else " ")


for name, chinese, other in (("colon", "：", ": "), ("open", "（", " ("), ("comma", "，", ", "), ("close", "）", ")")):
    register.simple_tag(_punctuation(chinese, other), name=name)
