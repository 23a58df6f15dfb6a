from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "residence.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from django.conf import settings

        from .sms import backend

        backend(settings.SMS_BACKEND)
        if not settings.DEBUG and settings.SMS_BACKEND == "file":
            import logging

            logging.getLogger(__name__).warning(
                "SMS_BACKEND=file in production: codes are written to %s, not sent.", settings.SMS_FILE
            )
