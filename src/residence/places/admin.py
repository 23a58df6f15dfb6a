from django.contrib import admin

from .models import AcceptancePoint, District, Street


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district", "new_district"]
    list_filter = ["district"]


@admin.register(AcceptancePoint)
class AcceptancePointAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "street", "active"]
    list_filter = ["kind", "street__district", "active"]
    search_fields = ["code", "name"]
