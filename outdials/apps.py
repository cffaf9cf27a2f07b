from django.apps import AppConfig


class OutdialsConfig(AppConfig):
    name = "outdials"
    verbose_name = "Outdials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from .credentials import end_tokens_on_sign_out

        # Signing out of the pages or the admin ends the API tokens too.
        user_logged_out.connect(end_tokens_on_sign_out, dispatch_uid="end_tokens")
