from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "residence.notifications"
    label = "notifications"

    def ready(self):
        from django.conf import settings

        if not settings.DEBUG and settings.SMS_BACKEND == "file":
            import logging

            logging.getLogger(__name__).warning(
                "SMS_BACKEND=file in production: codes are written to %s, not sent.", settings.SMS_FILE
            )
