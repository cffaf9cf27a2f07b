"""Response headers: ``no-store`` that keeps one caller's data out of shared
caches, and the Content-Security-Policy."""

import functools

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .api.paths import PUBLIC_API_PATHS, is_api_path


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer: each one is a caller's
    own data (or a token), which no browser or proxy cache may keep."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path
        if is_api_path(path) and not path.rstrip("/").startswith(PUBLIC_API_PATHS):
            response["Cache-Control"] = "no-store"
        return response


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's ``Content-Security-Policy``, its text built once.

    The library builds the policy text for every answer (a tenth of an API
    call's time); an answer whose page used no nonce and changed no directive
    (every API answer) gets the text built from the settings alone, which is
    kept until the settings change. Any other answer is built as usual.
    """

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _POLICY_CHANGES
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        path = request.path_info
        for header, exempt, excluded, text in _default_policies():
            if text and header not in response and not getattr(response, exempt, False):
                if not path.startswith(excluded):
                    response[header] = text
        # As the library does: a nonce asked for from now on is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


# A view's changes to the policy of its answer (csp.decorators).
_POLICY_CHANGES = [
    f"_csp_{change}{ro}"
    for change in ("config", "update", "replace")
    for ro in ("", "_ro")
]


@functools.cache
def _default_policies() -> tuple:
    """``(header, exempt attribute, excluded prefixes, text)`` of the policy
    and of the report-only policy as the settings define them."""
    found = []
    for header, setting, report_only, exempt in (
        (HEADER, "CONTENT_SECURITY_POLICY", False, "_csp_exempt"),
        (
            HEADER_REPORT_ONLY,
            "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            True,
            "_csp_exempt_ro",
        ),
    ):
        policy = getattr(settings, setting, None) or {}
        excluded = tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
        # An empty tuple of prefixes excludes nothing (startswith(()) is False).
        found.append((header, exempt, excluded, build_policy(report_only=report_only)))
    return tuple(found)


@receiver(setting_changed)
def _forget_policies(setting, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _default_policies.cache_clear()
