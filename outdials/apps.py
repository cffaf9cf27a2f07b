from django.apps import AppConfig


class OutdialsConfig(AppConfig):
    name = "outdials"
    verbose_name = "Outdials"
    default_auto_field = "django.db.models.BigAutoField"
