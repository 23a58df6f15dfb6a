from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "residence.applications"
    verbose_name = _("Permit applications")

    def ready(self):
        from residence.core.services import register_deadline_recompute

        from .services import deadlines_recompute

        register_deadline_recompute(deadlines_recompute)
