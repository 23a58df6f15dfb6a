from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "residence.eligibility"
    label = "eligibility"
