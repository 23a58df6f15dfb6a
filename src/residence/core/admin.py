import contextlib
import datetime as dt
import hashlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import locks
from .models import CalendarDay, CalendarYear
from .schedule import by_default_working, day_problem
from .services import calendar_day_set, calendar_year_publish, calendar_years_publish
from .validators import ISO_DATE_RE, has_forbidden_characters, plain_text_problem

NOTHING_OFFICIAL = _(
    "%(year)s: nothing official is entered for this year. Enter its schedule first: "
    "python manage.py load_calendar FILE.csv (or each holiday and make-up day here, with its notice)."
)


NOTHING_OFFICIAL_YEARS = _(
    "%(count)d years (%(years)s): nothing official is entered for them. Enter their schedules first: "
    "python manage.py load_calendar FILE.csv (or each holiday and make-up day here, with its notice)."
)


def official_entries(year: int) -> bool:
    """Whether any day of the year carries the notice that declares it: a year of the holiday
    package's guesses only was published with one click (an outsider)."""
    return CalendarDay.objects.filter(date__year=year).exclude(notice="").exists()


def client_address(request) -> str:
    return getattr(request, "client_address", "")


class ModelAdmin(admin.ModelAdmin):
    """Every admin page of the platform: a bulk action runs only on a selection that can be keys of
    the rows (an outsider's "abc", NUL byte or 5,000-digit key was a 500); another is said to
    select nothing, as Django says of an empty one."""

    def response_action(self, request, queryset):
        key = self.model._meta.pk
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        try:
            if request.POST.get("select_across", "0") not in ("0", "1"):
                raise ValidationError("")  # a NUL byte here was taken for "every row"
            keys = set()
            for value in selected:
                if has_forbidden_characters(value):
                    raise ValidationError("")
                keys.add(key.to_python(value))
            # Rows that are not there: an outsider's year 9999 was "published".
            if request.POST.get("select_across") != "1" and queryset.filter(pk__in=keys).count() != len(keys):
                raise ValidationError("")
        except ValidationError:
            self.message_user(request, _("The rows selected are not in the list: select them again."), messages.WARNING)
            return None
        return super().response_action(request, queryset)


def fingerprint(row) -> str:
    """The stored values of a row, hashed: what a change form was opened on."""
    values = repr([(field.attname, field.value_from_object(row)) for field in row._meta.concrete_fields])
    return hashlib.sha256(values.encode()).hexdigest()


class ChangedMeanwhileForm(forms.ModelForm):
    """A change form that refuses to save over a change made since it was opened: the row's
    fingerprint when the page was made rides in a hidden field (an outsider's second tab, opened
    before the point was closed, opened it again when it saved an address). Two administrators
    adding one key: the second waits for the first (the admin's view is one transaction), then is
    told the key is taken (an outsider's parallel adds were 500s)."""

    loaded = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.fields["loaded"].initial = fingerprint(self.instance)

    def clean(self):
        data = super().clean()
        model = type(self.instance)
        if self.instance._state.adding:
            if (key := data.get(model._meta.pk.name)) not in (None, ""):
                locks.for_transaction(f"admin-add:{model._meta.label}:{key}")
        else:
            stored = model.objects.select_for_update().get(pk=self.instance.pk)
            # A form without its fingerprint saved over a change made meanwhile (an outsider's).
            if fingerprint(stored) != data.get("loaded"):
                raise forms.ValidationError(
                    _("Someone changed this since you opened it: reload the page to see what it holds now.")
                )
        return data


class ReadOnlyAdmin(ModelAdmin):
    """Shown, never changed here: these rows change only through their services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(ModelAdmin):
    list_display = ["year", "published", "source", "updated_at"]
    list_filter = ["published"]
    actions = ["publish", "unpublish"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The year is the row: edited, it named another year's row (a 500 for a year not stored).
        # The time of the last change is the platform's to set (an outsider's typed one was ignored).
        return ["year", "updated_at"] if obj else ["updated_at"]

    class form(ChangedMeanwhileForm):
        def clean(self):
            data = super().clean()
            if data.get("published") and not official_entries(self.instance.year):
                raise forms.ValidationError(NOTHING_OFFICIAL % {"year": self.instance.year})
            if data.get("source") and (problem := plain_text_problem(data["source"])):
                self.add_error("source", problem)  # as the days' notices (an outsider's "=cmd" was kept)
            return data

    def save_model(self, request, obj, form, change):
        calendar_year_publish(
            year=obj.year,
            published=obj.published,
            source=obj.source,
            actor=request.user,
            address=client_address(request),
        )

    @admin.action(description=_("Mark the official schedule as published"))
    def publish(self, request, queryset):
        years = [entry.year for entry in queryset.filter(published=False)]
        bare = [year for year in years if not official_entries(year)]
        if bare:  # none published: the operator chose them together
            # One message, however many (an outsider's "all" put up 170, one a year).
            if len(bare) == 1:
                messages.error(request, NOTHING_OFFICIAL % {"year": bare[0]})
            else:
                shown = ", ".join(map(str, bare[:10])) + (" …" if len(bare) > 10 else "")
                messages.error(request, NOTHING_OFFICIAL_YEARS % {"count": len(bare), "years": shown})
            return
        self._publish(request, years, published=True)

    @admin.action(description=_("Mark as not published (provisional)"))
    def unpublish(self, request, queryset):
        self._publish(request, [entry.year for entry in queryset.filter(published=True)], published=False)

    def _publish(self, request, years: list[int], *, published: bool):
        changed = calendar_years_publish(
            years=years, published=published, actor=request.user, address=client_address(request)
        )
        if not changed:
            messages.info(request, _("Nothing to change: the years selected were so already."))
        elif published:
            messages.success(
                request,
                _("Published: %(years)s; stored deadlines in these years are recomputed.")
                % {"years": ", ".join(map(str, changed))},
            )
        else:
            messages.success(
                request,
                _("Marked provisional: %(years)s; stored deadlines in these years are recomputed.")
                % {"years": ", ".join(map(str, changed))},
            )


@admin.register(CalendarDay)
class CalendarDayAdmin(ModelAdmin):
    list_display = ["date", "working", "name", "notice"]
    list_filter = ["working"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The date is the row: edited, it overwrote another day (or was a 500 for a day not stored).
        return ["date"] if obj else []

    def get_search_results(self, request, queryset, search_term):
        """By name, and by a date (2027-01-01) or a year (2027) typed in the box (an outsider's
        search for a date found nothing)."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if ISO_DATE_RE.fullmatch(term):
            with contextlib.suppress(ValueError):  # no such day (2027-02-30): nothing more found
                found |= queryset.filter(date=dt.date.fromisoformat(term))
        elif term.isascii() and term.isdigit() and len(term) == 4:
            found |= queryset.filter(date__year=int(term))
        return found, duplicates

    class form(ChangedMeanwhileForm):
        def clean(self):
            """A day that departs from the week's rule is named, with its notice (an outsider's
            Saturday made a working day with neither was taken)."""
            data = super().clean()
            day = self.instance.date
            working, name, notice = data.get("working"), data.get("name", ""), data.get("notice", "")
            departs = (working, name, notice) != (by_default_working(day), "", "")
            if departs and (problem := day_problem(day, bool(working), name, notice)):
                raise forms.ValidationError(problem)
            return data

    def save_model(self, request, obj, form, change):
        calendar_day_set(
            date=obj.date,
            working=obj.working,
            name=obj.name,
            notice=obj.notice,
            actor=request.user,
            address=client_address(request),
        )
