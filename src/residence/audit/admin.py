from django.contrib import admin
from django.core.exceptions import ValidationError

from residence.core.admin import ReadOnlyAdmin
from residence.core.validators import normalize_id_number

from .models import AuditEvent
from .services import person_index, personal_data_viewed


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only. Searching for an ID number finds the events about that person by its blind
    index; anything else searches usernames and addresses."""

    list_display = ["at", "type", "actor", "actor_key", "subject", "address"]
    list_filter = ["type"]
    search_fields = ["subject__username", "actor__username", "address"]
    date_hierarchy = "at"

    def get_search_results(self, request, queryset, search_term):
        try:
            id_number = normalize_id_number(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        # Who looked a person up is itself a look at that person, here as on the supervisor's page.
        personal_data_viewed(
            actor=request.user,
            person=id_number,
            address=getattr(request, "client_address", ""),
            what="audit_trail",
        )
        return queryset.filter(person_index=person_index(id_number)), False
