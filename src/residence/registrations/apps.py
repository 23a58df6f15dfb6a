from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistrationsConfig(AppConfig):
    name = "residence.registrations"
    verbose_name = _("Residence registration")

    def ready(self):
        from residence.records.importing import AFTER_IMPORT

        from .services import occupancies_ended_by_import

        AFTER_IMPORT.setdefault("registrations", []).append(occupancies_ended_by_import)
