from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _

from residence.core.admin import client_address

from .models import AcceptancePoint, District, Street
from .services import place_delete, place_save


class PlaceAdmin(admin.ModelAdmin):
    """A place's code is its identity: set when it is added, never changed (a changed code made a
    second place beside the first, which kept its open work). Every save is audited."""

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def save_model(self, request, obj, form, change):
        changes = {field: (form.initial.get(field), form.cleaned_data.get(field)) for field in form.changed_data}
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
    """Why a point cannot close now ("" if it can): its open applications would have nobody to
    receive and hand over their cards, and its clerks nowhere to work."""
    from residence.accounts.models import Role, User
    from residence.applications.selectors import open_applications_at

    # The point's row is locked first: a supervisor's move into it waits, or is seen (services'
    # _move_target locks it too), so no work lands on a point as it closes (an outsider's race).
    AcceptancePoint.objects.select_for_update(no_key=True).filter(pk=point.pk).first()
    applications = open_applications_at(point=point).count()
    clerks = User.objects.filter(point=point, role=Role.CLERK, is_active=True).count()
    if not applications and not clerks:
        return ""
    return _(
        "%(applications)d open application(s) are handled here and %(clerks)d clerk(s) work here: a supervisor "
        "moves the applications to another point, and the clerks are given another point, before it closes."
    ) % {"applications": applications, "clerks": clerks}


class AcceptancePointForm(forms.ModelForm):
    class Meta:
        model = AcceptancePoint
        fields = ["code", "name", "kind", "street", "address", "active"]

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
