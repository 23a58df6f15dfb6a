from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "residence.core"
    label = "core"
