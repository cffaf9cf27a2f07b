"""Request ids, body limits and the error envelope outside DRF's own views."""

import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)

from .errors import INTERNAL_MESSAGE, error_response

logger = logging.getLogger("outdials.api")

API_PREFIXES = ("/v1.0/", "/auth/")
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{8,64}")
UPLOAD_TYPES = ("multipart/form-data", "text/csv")


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path in ("/v1.0", "/auth")


class RequestIDMiddleware:
    """Every response carries ``X-Request-ID``: the caller's if it is sane,
    else a fresh one; the error envelope repeats it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = (
            incoming if _GOOD_REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        )
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class APIErrorMiddleware:
    """Oversize bodies answer 413 before anything parses them; an exception no
    view handled answers 500 in the envelope (logged, never shown)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_path(request.path):
            too_big = self._oversize(request)
            if too_big:
                return too_big
        return self.get_response(request)

    def _oversize(self, request):
        raw = request.META.get("CONTENT_LENGTH") or ""
        if not raw and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", ""):
            # Django reads no body without a length: it would be dropped
            # silently and the request handled as if it had sent nothing.
            return error_response(
                request,
                411,
                "LENGTH_REQUIRED",
                "Send the body with a Content-Length header; chunked request "
                "bodies are not supported.",
            )
        try:
            length = int(raw or 0)
        except ValueError:
            length = -1
        if length < 0:
            return error_response(
                request,
                400,
                "INVALID_CONTENT_LENGTH",
                "Content-Length is not a number.",
            )
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(UPLOAD_TYPES):
            maximum = settings.OUTDIALS["UPLOAD_MAX_BYTES"]
        else:
            maximum = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > maximum:
            return error_response(
                request,
                413,
                "REQUEST_TOO_LARGE",
                f"The request body is {length} bytes; the limit is {maximum} bytes.",
            )
        return None

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_response(
                request, 413, "REQUEST_TOO_LARGE", "The request body is too large."
            )
        if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            return error_response(
                request,
                400,
                "TOO_MANY_FIELDS",
                "The request has too many query or form fields.",
            )
        if isinstance(exception, SuspiciousOperation):
            return error_response(
                request, 400, "BAD_REQUEST", "The request is malformed and was refused."
            )
        logger.exception(
            "Unhandled error in %s %s (request %s)",
            request.method,
            request.path,
            getattr(request, "request_id", ""),
        )
        return error_response(request, 500, "INTERNAL", INTERNAL_MESSAGE)
