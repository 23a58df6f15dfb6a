"""`{{ field.label|bare }}`: a field's label without its closing question mark or colon, for
"label: problem" in an error summary (an outsider read "您申请哪一项？：…"). `{% colon %}`,
`{% open %}`, `{% comma %}`, `{% close %}`: the punctuation between a label and its value, and
around an aside, in the page's language (an outsider read "公安: 待核查" and "王芳 (配偶, …)")."""

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def bare(label) -> str:
    return str(label).rstrip("?？:： ")


def _punctuation(chinese: str, other: str):
    def tag() -> str:
        return chinese if (translation.get_language() or "").startswith("zh") else other

    return tag


for name, chinese, other in (("colon", "：", ": "), ("open", "（", " ("), ("comma", "，", ", "), ("close", "）", ")")):
    register.simple_tag(_punctuation(chinese, other), name=name)
