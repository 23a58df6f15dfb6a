from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "residence.records"
    label = "records"
