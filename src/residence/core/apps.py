from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "residence.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self):
        from . import checks, schema  # noqa: F401  (register the deploy checks and the schema's extensions)
