from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, CalendarYear
from .services import calendar_day_set, calendar_year_publish


def client_address(request) -> str:
    return getattr(request, "client_address", "")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed here: these rows change only through their services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "published", "source", "updated_at"]
    list_filter = ["published"]
    actions = ["publish", "unpublish"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The year is the row: edited, it named another year's row (a 500 for a year not stored).
        return ["year"] if obj else []

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
        for entry in queryset:
            calendar_year_publish(year=entry.year, actor=request.user, address=client_address(request))
        messages.success(request, _("Published; stored deadlines in these years are recomputed."))

    @admin.action(description=_("Mark as not published (provisional)"))
    def unpublish(self, request, queryset):
        for entry in queryset:
            calendar_year_publish(year=entry.year, published=False, actor=request.user, address=client_address(request))


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        calendar_day_set(
            date=obj.date,
            working=obj.working,
            name=obj.name,
            notice=obj.notice,
            actor=request.user,
            address=client_address(request),
        )
