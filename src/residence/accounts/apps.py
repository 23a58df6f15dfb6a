from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "residence.accounts"
    label = "accounts"
