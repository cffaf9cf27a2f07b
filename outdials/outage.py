"""A database that is away answers 503 UNAVAILABLE, not 500.

A lost, refused or hung database connection (``OperationalError``, including a
statement or answer timeout, or SQLite's "database is locked" after its busy
timeout) answers 503 with ``Retry-After``: the envelope on API paths, a plain
page elsewhere. It is logged once per burst, with how many more there were,
never as a traceback per request; Django drops the broken connection at the
end of the request, so the next one reconnects and recovery needs no restart.
"""

import logging
import sys
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

from .api.errors import error_response
from .api.errors import server_error as api_server_error
from .api.paths import is_api_path

logger = logging.getLogger("outdials.outage")

RETRY_AFTER_SECONDS = 5
# One log line (and one error mail) per this many seconds of failures.
BURST_SECONDS = 60

try:  # raw psycopg use (COPY) raises the driver's own errors
    from psycopg import InterfaceError as _PgInterfaceError
    from psycopg import OperationalError as _PgOperationalError

    OUTAGE_ERRORS = (
        OperationalError,
        InterfaceError,
        _PgOperationalError,
        _PgInterfaceError,
    )
except ImportError:  # pragma: no cover - psycopg is a dependency
    OUTAGE_ERRORS = (OperationalError, InterfaceError)


class _Burst:
    lock = threading.Lock()
    since: float | None = None
    unlogged = 0


def note_outage(error: BaseException) -> None:
    """Log the first failure of a burst; count the rest until the next line."""
    moment = time.monotonic()
    with _Burst.lock:
        if _Burst.since is not None and moment - _Burst.since < BURST_SECONDS:
            _Burst.unlogged += 1
            return
        unlogged, _Burst.unlogged, _Burst.since = _Burst.unlogged, 0, moment
    detail = " ".join(str(error).split())[:300]
    logger.error(
        "Database unavailable, answering 503: %s: %s (%d more failures since "
        "the last report; the next report in %d s at the earliest)",
        type(error).__name__,
        detail,
        unlogged,
        BURST_SECONDS,
    )


def unavailable(request) -> HttpResponse:
    if is_api_path(request.path):
        response = error_response(
            request,
            503,
            "DATABASE_UNAVAILABLE",
            f"The service cannot reach its database; retry in {RETRY_AFTER_SECONDS} s.",
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Logged by note_outage once per burst, not by django.request each time.
    response._has_been_logged = True
    return response


class DatabaseOutageMiddleware:
    """Last in ``MIDDLEWARE`` so that its ``process_exception`` runs first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OUTAGE_ERRORS):
            return None
        note_outage(exception)
        return unavailable(request)


def server_error(request) -> HttpResponse:
    """``handler500``: an outage raised outside a view (a middleware saving a
    session, say) is a 503 too; anything else is the usual 500."""
    error = sys.exc_info()[1]
    if isinstance(error, OUTAGE_ERRORS):
        note_outage(error)
        return unavailable(request)
    return api_server_error(request)
