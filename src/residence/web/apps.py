from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "residence.web"
    label = "web"
