from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "residence.places"
    label = "places"
