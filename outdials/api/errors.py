"""The error envelope (SPEC §5): every 4xx/5xx of the API has this body.

``{"error": {"status", "reason", "message", "request_id"[, "details"]}}``.
Views raise :class:`APIError` (or DRF's exceptions); the DRF exception handler
and the middleware turn everything else into the same shape.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults
from rest_framework import exceptions

from .renderers import dumps

logger = logging.getLogger("outdials.api")

INTERNAL_MESSAGE = (
    "Something went wrong on our side; quote the request id if you report it."
)

STATUS_OF_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    411: "INVALID_ARGUMENT",
    406: "INVALID_ARGUMENT",
    409: "FAILED_PRECONDITION",
    413: "INVALID_ARGUMENT",
    415: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class APIError(exceptions.APIException):
    """An error with an explicit HTTP code, stable reason and message."""

    def __init__(
        self,
        http_status: int,
        reason: str,
        message: str,
        details: dict | list | None = None,
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
        404, f"{what.upper()}_NOT_FOUND", f"The {what.replace('_', ' ')} was not found."
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
        error["details"] = details
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
    from .middleware import is_api_path

    if is_api_path(request.path):
        return error_response(
            request, 400, "BAD_REQUEST", "The request is malformed and was refused."
        )
    return defaults.bad_request(request, exception)


def server_error(request) -> HttpResponse:
    """Django's 500 view (``handler500``), for failures outside any view."""
    from .middleware import is_api_path

    if is_api_path(request.path):
        return error_response(request, 500, "INTERNAL_ERROR", INTERNAL_MESSAGE)
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


def _describe(exc: exceptions.APIException) -> tuple[int, str, str, object]:
    if isinstance(exc, APIError):
        return exc.status_code, exc.reason, exc.message, exc.details
    if isinstance(exc, exceptions.ValidationError):
        details = flatten_validation(exc.detail)
        field, messages = next(iter(details.items()), ("body", ["is invalid."]))
        message = f"{field}: {messages[0]}" if field != "body" else messages[0]
        return 400, "INVALID_FIELD", message, details
    if isinstance(exc, exceptions.ParseError):
        return 400, "INVALID_JSON_BODY", "The request body is not valid JSON.", None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return (
            401,
            "UNAUTHENTICATED",
            "Sign in first: send a valid token or access key.",
            None,
        )
    if isinstance(exc, exceptions.PermissionDenied):
        return 403, "PERMISSION_DENIED", str(exc.detail), None
    if isinstance(exc, exceptions.NotFound):
        return 404, "NOT_FOUND", "The resource was not found.", None
    if isinstance(exc, exceptions.MethodNotAllowed):
        return 405, "METHOD_NOT_ALLOWED", str(exc.detail), None
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return (
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"{exc.detail} Send JSON (Content-Type: application/json).",
            None,
        )
    if isinstance(exc, exceptions.NotAcceptable):
        return 406, "NOT_ACCEPTABLE", "The API answers application/json only.", None
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return 429, "RATE_LIMITED", f"Too many requests; retry in {wait} s.", None
    return exc.status_code, "ERROR", str(exc.detail), None


def exception_handler(exc, context):
    """DRF's hook: every exception raised in an API view becomes the envelope."""
    from rest_framework.response import Response

    request = context.get("request")
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
