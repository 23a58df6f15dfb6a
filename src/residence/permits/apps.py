from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PermitsConfig(AppConfig):
    name = "residence.permits"
    verbose_name = _("Residence permits")

    def ready(self):
        from residence.core.services import register_deadline_recompute
        from residence.records.importing import AFTER_IMPORT, BEFORE_IMPORT

        from .services import (
            endorsement_checks_recompute,
            hukou_holders_with_live_permits,
            permits_from_records,
            permits_import_problems,
            permits_named,
        )

        register_deadline_recompute(endorsement_checks_recompute)

        BEFORE_IMPORT.setdefault("permits", []).append(permits_import_problems)
        AFTER_IMPORT.setdefault("permits", []).append(permits_from_records)
        AFTER_IMPORT.setdefault("identities", []).extend([permits_named, hukou_holders_with_live_permits])
