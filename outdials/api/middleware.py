"""Request ids, the error envelope outside DRF's own views, and the pages'
middleware kept off the API's calls."""

import logging
import re
import uuid

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.middleware.csrf import CsrfViewMiddleware

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


class ResourceCallsMiddleware:
    """Calls on the API's resources (``paths.is_resource_path``) go past the
    staff pages' middleware: sessions, CSRF cookies, the signed-in user and
    messages. Those calls carry their own credential (a cookie-borne one
    passes Django's CSRF check in ``auth.py``) and use none of them; the
    security headers, the host check and the envelope are other middleware's
    and stay.

    Placed right before that block in ``MIDDLEWARE`` (each keeps its own
    name there: Django's deploy checks look for them), it sends such a call
    to whatever follows the block; every other path goes through it as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.past_pages = _past_pages(get_response)

    def __call__(self, request):
        if is_resource_path(request.path_info):
            return self.past_pages(request)
        return self.get_response(request)


PAGES_ONLY = (
    SessionMiddleware,
    CsrfViewMiddleware,
    auth.AuthenticationMiddleware,
    messages.MessageMiddleware,
)


def _past_pages(handler):
    """The handler after the pages' middleware ``handler`` starts with.

    Django wraps each middleware in a function (``functools.wraps``, so its
    ``__wrapped__`` is the middleware), whose ``get_response`` is the next.
    """
    while isinstance(getattr(handler, "__wrapped__", None), PAGES_ONLY):
        handler = handler.__wrapped__.get_response
    return handler
