"""The error envelope (SPEC §5): every 4xx/5xx of the API has this body.

``{"error": {"status", "reason", "message", "request_id"[, "details"]}}``,
as VoIPbin writes it (``bin-api-manager/lib/apierror/envelope.go``):
``details`` is an array of objects, ``status`` one of VoIPbin's closed list
(``bin-common-handler/models/errors/status.go``), and the reason VoIPbin's
own wherever it has one for the case. Views raise :class:`APIError` (or DRF's
exceptions); the DRF exception handler and the middleware turn everything
else into the same shape.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions

from .. import guards, paging
from ..filters import InvalidFilters
from .paths import is_api_path
from .renderers import dumps

logger = logging.getLogger("outdials.api")

INTERNAL_MESSAGE = (
    "Something went wrong on our side; quote the request id if you report it."
)

# VoIPbin's HTTPStatusFor (bin-common-handler/models/errors/rpc.go), plus the
# refusals VoIPbin has no answer for (a body over the limit, a body without a
# length, a probe asked with the wrong method), which keep their HTTP codes as
# INVALID_ARGUMENT. The API itself answers a wrong method 404 ROUTE_NOT_FOUND.
STATUS_OF_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "INVALID_ARGUMENT",
    409: "FAILED_PRECONDITION",
    411: "INVALID_ARGUMENT",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

# A missing resource's reason, as VoIPbin's reason catalogue names it
# (bin-api-manager/docsdev/source/restful_api_errors.rst).
NOT_FOUND_REASONS = {
    "outdial": "OUTDIAL_NOT_FOUND",
    "target": "OUTDIAL_TARGET_NOT_FOUND",
    "access_key": "ACCESSKEY_NOT_FOUND",
}
ROUTE_NOT_FOUND_MESSAGE = "The requested endpoint does not exist."


class APIError(exceptions.APIException):
    """An error with an explicit HTTP code, stable reason and message."""

    def __init__(
        self,
        http_status: int,
        reason: str,
        message: str,
        details: list | dict | None = None,
        status: str | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status_code = http_status
        self.reason = reason
        self.message = message
        self.details = details
        self.status = status or STATUS_OF_HTTP.get(http_status, "INTERNAL")
        self.headers = headers or {}


def not_found(what: str) -> APIError:
    """A missing resource, or another customer's: the two look the same."""
    return APIError(
        404,
        NOT_FOUND_REASONS.get(what, f"{what.upper()}_NOT_FOUND"),
        f"The {what.replace('_', ' ')} was not found.",
    )


def route_not_found(request) -> APIError:
    """A path (or a method at a path) the API does not serve: VoIPbin's
    ``ROUTE_NOT_FOUND`` (bin-api-manager/server/no_route.go), which answers a
    wrong method the same way."""
    return APIError(
        404,
        "ROUTE_NOT_FOUND",
        f"{ROUTE_NOT_FOUND_MESSAGE} There is no {request.method} {request.path}.",
    )


def envelope(
    request: HttpRequest | None,
    http_status: int,
    reason: str,
    message: str,
    details=None,
    status: str | None = None,
) -> dict:
    error = {
        "status": status or STATUS_OF_HTTP.get(http_status, "INTERNAL"),
        "reason": reason,
        "message": message,
        "request_id": getattr(request, "request_id", ""),
    }
    if details:
        # VoIPbin's details are an array of objects, never one object.
        error["details"] = [details] if isinstance(details, dict) else details
    return {"error": error}


def error_response(
    request, http_status, reason, message, details=None, status=None
) -> HttpResponse:
    """The envelope as a plain Django response, for code outside DRF views."""
    body = envelope(request, http_status, reason, message, details, status)
    return HttpResponse(
        dumps(body), status=http_status, content_type="application/json"
    )


def bad_request(request, exception) -> HttpResponse:
    """Django's 400 view (``handler400``: a Host header not allowed, too many
    fields): the envelope on API paths, the usual page elsewhere."""
    if is_api_path(request.path):
        return error_response(
            request, 400, "BAD_REQUEST", "The request is malformed and was refused."
        )
    return defaults.bad_request(request, exception)


def server_error(request) -> HttpResponse:
    """Django's 500 view (``handler500``), for failures outside any view."""
    if is_api_path(request.path):
        return error_response(request, 500, "INTERNAL", INTERNAL_MESSAGE)
    return defaults.server_error(request)


def flatten_validation(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error dict as ``{"destination_0.target": ["..."]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            flat.update(flatten_validation(value, path))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat.setdefault(prefix or "body", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                flat.update(flatten_validation(item, f"{prefix}[{index}]"))
    else:
        flat.setdefault(prefix or "body", []).append(str(detail))
    return flat


def field_details(detail) -> list[dict]:
    """DRF's error detail as VoIPbin's ``details`` array: one
    ``{"field", "message"}`` per message, ``field`` a path such as
    ``destination_0.target`` (``body`` for the body as a whole)."""
    return [
        {"field": field, "message": message}
        for field, messages in flatten_validation(detail).items()
        for message in messages
    ]


def _describe(exc: exceptions.APIException) -> tuple[int, str, str, object]:
    if isinstance(exc, APIError):
        return exc.status_code, exc.reason, exc.message, exc.details
    if isinstance(exc, exceptions.ValidationError):
        details = field_details(exc.detail) or [
            {"field": "body", "message": "is invalid."}
        ]
        field, first = details[0]["field"], details[0]["message"]
        message = f"{field}: {first}" if field != "body" else first
        # VoIPbin's reason for a body that fails handler-level validation
        # (bin-api-manager/server/outdials.go).
        return 400, "INVALID_ARGUMENT", message, details
    if isinstance(exc, exceptions.ParseError):
        return 400, "INVALID_JSON_BODY", "The request body is not valid JSON.", None
    if isinstance(exc, exceptions.NotAuthenticated):
        # bin-api-manager/lib/middleware/authenticate.go: no credential ...
        return 401, "AUTHENTICATION_REQUIRED", "Authentication is required.", None
    if isinstance(exc, exceptions.AuthenticationFailed):
        # ... and one that is not valid (expired, deleted, wrong).
        return (
            401,
            "INVALID_CREDENTIALS",
            "The provided credentials are invalid.",
            None,
        )
    if isinstance(exc, exceptions.PermissionDenied):
        return 403, "PERMISSION_DENIED", str(exc.detail), None
    if isinstance(exc, exceptions.NotFound):
        return 404, "RESOURCE_NOT_FOUND", "The resource was not found.", None
    if isinstance(exc, exceptions.MethodNotAllowed):
        return 404, "ROUTE_NOT_FOUND", f"{ROUTE_NOT_FOUND_MESSAGE} {exc.detail}", None
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return (
            400,
            "UNSUPPORTED_MEDIA_TYPE",
            f"{exc.detail} Send JSON (Content-Type: application/json).",
            None,
        )
    if isinstance(exc, exceptions.NotAcceptable):
        return 400, "NOT_ACCEPTABLE", "The API answers application/json only.", None
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        # bin-api-manager/lib/middleware/customer_ratelimit.go
        return (
            429,
            "RATE_LIMIT_EXCEEDED",
            f"Too many requests; retry in {wait} s.",
            [{"limited_by": "customer"}],
        )
    code = exc.status_code if exc.status_code in STATUS_OF_HTTP else 400
    return code, "ERROR", str(exc.detail), None


def _from_domain(exc: Exception) -> Exception:
    """A domain module's refusal as the API answers it."""
    if isinstance(exc, paging.InvalidPageToken | paging.InvalidPageSize):
        return APIError(400, exc.reason, exc.message)
    if isinstance(exc, InvalidFilters):
        return exceptions.ValidationError(exc.errors)
    if isinstance(exc, guards.Refused):
        if exc.reason == "TARGET_NOT_FOUND":
            return not_found("target")
        return APIError(409, exc.reason, exc.message)
    return exc


def exception_handler(exc, context):
    """DRF's hook: every exception raised in an API view becomes the envelope."""
    from rest_framework.response import Response

    request = context.get("request")
    exc = _from_domain(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # the middleware answers 500 and logs it
    http_status, reason, message, details = _describe(exc)
    status = exc.status if isinstance(exc, APIError) else None
    response = Response(
        envelope(request, http_status, reason, message, details, status),
        status=http_status,
    )
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    if isinstance(exc, APIError):
        for header, value in exc.headers.items():
            response[header] = value
    if http_status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
