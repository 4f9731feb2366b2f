from django.apps import AppConfig


class LegacyUsersConfig(AppConfig):
    name = "legacy_users"
    default_auto_field = "django.db.models.BigAutoField"
