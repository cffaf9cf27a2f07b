from django.apps import AppConfig


class OutdialsConfig(AppConfig):
    name = "outdials"
    verbose_name = "Outdials"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from . import bulk, tasks  # noqa: F401
        from .credentials import end_tokens_on_sign_out

        # Signing out of the pages or the admin ends the API tokens too.
        user_logged_out.connect(end_tokens_on_sign_out, dispatch_uid="end_tokens")
        # The tasks, and with them each kind of job's clean-up for a job that
        # ends half-way (``jobs.on_lost``), are known before any worker runs.
