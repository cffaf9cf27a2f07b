"""Request ids, the error envelope outside DRF's own views, and the pages'
middleware kept off the API's calls."""

import logging
import re
import uuid

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)

from .errors import INTERNAL_MESSAGE, error_response
from .paths import is_api_path, is_resource_path

logger = logging.getLogger("outdials.api")

_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{8,64}")


class RequestIDMiddleware:
    """Every response carries ``X-Request-ID``: the caller's if it is sane,
    else a fresh one; the error envelope repeats it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not request.headers: that builds a dict of every header.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = (
            incoming if _GOOD_REQUEST_ID.fullmatch(incoming) else str(uuid.uuid4())
        )
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class APIErrorMiddleware:
    """An exception no view handled answers in the envelope: 500 logged,
    never shown. (Body limits: ``outdials.bodies``.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

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


class _PagesOnly:
    """A middleware of the staff pages that steps aside on calls on the API's
    resources (``paths.is_resource_path``): those carry their credential and
    use no messages or signed-in user; their security headers, host check and
    CSRF rule are other middleware's and stay. (Sessions stay too: Django's
    deploy checks look for its own session middleware by name.)"""

    def __call__(self, request):
        if is_resource_path(request.path_info):
            return self.get_response(request)
        return super().__call__(request)


class AuthenticationMiddleware(_PagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_PagesOnly, messages.MessageMiddleware):
    pass
