"""What pages share. Long lists a page at a time (`?page=N`, newest or first items on page 1): an
outsider's organisation saw 500 of its 3,000 houses and 45,000 declarations, and a citizen 200 of
507 messages, with no way to the rest and nothing to say they were cut. The refusal page. And the
check your answers pages' guard: what is sent is what the page showed."""

import hashlib
import json
from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from residence.audit.services import access_refused


@dataclass(frozen=True)
class Page:
    rows: list
    number: int
    first_shown: int  # the position of the first row, from 1
    previous_url: str
    next_url: str
    first_url: str


def page_of(request, queryset, size: int) -> Page:
    """Rows of page `?page=N` (a page past the last is empty; anything else is page 1), read as
    `size + 1` rows to learn whether another page follows: no count of the whole list."""
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 and int(raw) > 0 else 1
    rows = list(queryset[(number - 1) * size : number * size + 1])

    def url(n: int) -> str:
        query = request.GET.copy()
        query["page"] = str(n)
        return f"{request.path}?{query.urlencode()}"

    return Page(
        rows=rows[:size],
        number=number,
        first_shown=(number - 1) * size + 1,
        previous_url=url(number - 1) if number > 1 else "",
        next_url=url(number + 1) if len(rows) > size else "",
        first_url=url(1),
    )


def error_page(request, message, status: int = 403, *, back=None, back_label=None):
    """A page that says why the request was not done, titled by its status (an outsider's pending
    organisation was refused under the heading "There is a problem", as if it had typed wrong)."""
    context = {"message": message, "status": status, "back": back, "back_label": back_label}
    if status == 403:
        access_refused(request)
    return render(request, "web/error.html", context, status=status)


def changed_in_another_window(request, context: dict, answers) -> bool:
    """A check page's answers go back with its form as a fingerprint (`answers_digest`, a hidden
    field): True, with the problem said, when the answers sent were changed in another tab since
    the page was shown. What is sent is what the page showed (an outsider's second tab made the
    first one's "send" record another person)."""
    digest = hashlib.sha256(json.dumps(answers, sort_keys=True, default=str).encode()).hexdigest()
    context["answers_digest"] = digest[:32]
    if request.method == "POST" and request.POST.get("answers") != context["answers_digest"]:
        context["problem"] = _("Your answers were changed in another window. Check them again below, then send.")
        return True
    return False


def nothing_to_send(request, to: str, *args):
    """A check page sent once its answers were gone: sent, or started again, in another tab. Said,
    and the list where sent ones show opened (an outsider's stale tab fell silently on an empty form,
    not knowing whether anything was recorded). None for a GET: the caller leads to the form."""
    if request.method != "POST":
        return None
    messages.info(
        request,
        _("Nothing was sent from that page: it had been sent or started again in another window. Check the list."),
    )
    return redirect(to, *args)
