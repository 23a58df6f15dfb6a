from django.contrib import admin

from .models import Identity


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["id_number", "name", "sex", "birth_date", "shenzhen_hukou"]
    search_fields = ["id_number", "name"]
