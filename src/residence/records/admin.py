from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from residence.audit.models import AuditEventType
from residence.audit.services import audit_record
from residence.core.admin import ReadOnlyAdmin
from residence.core.validators import mask_id_number

from .models import Identity


@admin.register(Identity)
class IdentityAdmin(ReadOnlyAdmin):
    """Read-only: identities change only through the records import (versions and audit).

    Lists mask the ID number; opening one person's record is logged as a view of personal
    data, with the person as the event's subject.
    """

    list_display = ["masked_id_number", "name", "sex", "birth_date", "shenzhen_hukou"]
    search_fields = ["=id_number", "name"]

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        identity = self.get_object(request, object_id)
        if identity is not None and response.status_code == 200:
            audit_record(
                type=AuditEventType.PERSONAL_DATA_VIEWED,
                actor=request.user,
                person=identity.id_number,
                address=getattr(request, "client_address", ""),
                what="identity record (admin)",
            )
        return response
