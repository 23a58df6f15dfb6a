from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from residence.core.admin import ChangedMeanwhileForm, ModelAdmin, client_address
from residence.core.validators import plain_text_problem

from .models import AcceptancePoint, District, Street
from .services import place_delete, place_save


class PlaceForm(ChangedMeanwhileForm):
    def clean(self):
        data = super().clean()
        # Names and addresses the public lists and the staff read as they are shown (an outsider's
        # "\u200b" district and right-to-left point name reached the public API).
        for field in ("name", "name_en", "address"):
            if data.get(field) and (problem := plain_text_problem(data[field])):
                self.add_error(field, problem)
        return data


class PlaceAdmin(ModelAdmin):
    """A place's code is its identity: set when it is added, never changed (a changed code made a
    second place beside the first, which kept its open work). Every save is audited."""

    form = PlaceForm

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def save_model(self, request, obj, form, change):
        stored = {field.name for field in obj._meta.concrete_fields}
        changes = {
            field: (form.initial.get(field), form.cleaned_data.get(field))
            for field in form.changed_data
            if field in stored
        }
        if change and not changes:
            return  # saved as it was: nothing to record
        place_save(place=obj, changes=changes, created=not change, actor=request.user, address=client_address(request))

    def delete_model(self, request, obj):
        place_delete(place=obj, actor=request.user, address=client_address(request))

    def delete_queryset(self, request, queryset):
        for place in queryset:
            place_delete(place=place, actor=request.user, address=client_address(request))


@admin.register(District)
class DistrictAdmin(PlaceAdmin):
    list_display = ["code", "name", "name_en"]


@admin.register(Street)
class StreetAdmin(PlaceAdmin):
    list_display = ["code", "name", "name_en", "district", "new_district"]
    list_filter = ["district"]


def point_closing_problem(point: AcceptancePoint) -> str:
    """Why a point cannot close now ("" if it can): open applications and no clerk to receive and
    hand over their cards. A closed point takes no new work and finishes its open applications."""
    from residence.accounts.models import Role, User
    from residence.applications.selectors import open_applications_at

    # The point's row is locked first: a supervisor's move into it waits, or is seen (services'
    # _move_target locks it too), so no work lands on a point as it closes (an outsider's race).
    AcceptancePoint.objects.select_for_update(no_key=True).filter(pk=point.pk).first()
    applications = open_applications_at(point=point).count()
    if not applications or User.objects.filter(point=point, role=Role.CLERK, is_active=True).exists():
        return ""
    return gettext(
        "%(applications)d open application(s) are handled here and no clerk works here to finish them: give "
        "the point a clerk, or have a supervisor move them to another point, before it closes."
    ) % {"applications": applications}


class AcceptancePointForm(PlaceForm):
    class Meta:
        model = AcceptancePoint
        fields = ["code", "name", "kind", "street", "address", "active"]
        help_texts = {
            # An outsider could never close a busy point: it had to be empty first, and applicants
            # kept choosing it meanwhile (a card on its way there cannot be moved).
            "active": _(
                "Untick to close the point to new work: it is offered to no applicant and takes no "
                "intake or moved application. Its open applications stay with its clerks, who receive "
                "and hand over their cards, unless a supervisor moves them to another point. A point whose "
                "open applications have no clerk cannot close."
            ),
        }

    def clean(self):
        data = super().clean()
        # The instance still holds what is stored: the form's values reach it only after clean().
        if self.instance.pk and self.instance.active and data.get("active") is False:
            problem = point_closing_problem(self.instance)
            if problem:
                self.add_error("active", problem)
        return data


@admin.register(AcceptancePoint)
class AcceptancePointAdmin(PlaceAdmin):
    form = AcceptancePointForm
    list_display = ["code", "name", "kind", "street", "active"]
    list_filter = ["kind", "street__district", "active"]
    search_fields = ["code", "name"]
