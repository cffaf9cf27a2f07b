"""gunicorn's logger and worker for Outdials (named in gunicorn.conf.py).

:class:`RedactingLogger` masks credentials (``?token=``, ``?accesskey=``,
``Authorization``, cookies, JWTs, access keys) in every line gunicorn writes,
the error log included: a worker killed at the timeout, or a request line
gunicorn refuses, logs the URI it was given. Readiness and liveness probes
that pass leave no access-log line.

:class:`SyncWorker` is gunicorn's sync worker whose own answers carry the
API's error envelope and an ``X-Request-ID``: a request stopped at the worker
timeout (503 ``REQUEST_TIMEOUT``), a request line or headers over the limits
(414, 431) or malformed (400). What it cannot do: once the application has
sent its status line (a streamed export cut by the timeout), nothing more can
be written and the connection is closed short; a worker killed with SIGKILL
(it ignored the timeout's SIGABRT for another timeout) answers nothing. It
readies the application as it starts (:func:`ready_to_serve`).
"""

import gc
import json
import os
import re
import traceback
import uuid
from datetime import datetime

from gunicorn import glogging, util
from gunicorn.http import errors
from gunicorn.http.wsgi import Response, default_environ
from gunicorn.workers import sync

from outdials.redaction import RedactSecretsFilter, redact

QUIET_PATHS = ("/healthz", "/readyz")
_GOOD_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{8,64}")


class RedactingLogger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())

    def access(self, resp, req, environ, request_time):
        if environ.get("PATH_INFO") in QUIET_PATHS and _status(resp) < 400:
            return
        if not self.access_log_enabled:
            return
        # gunicorn works out every atom (each header, each environ entry) for
        # each line; these are worked out when the format asks for them.
        atoms = LazyAtoms(self, resp, req, environ, request_time)
        try:
            self.access_log.info(self.cfg.access_log_format, atoms)
        except Exception:
            self.error(traceback.format_exc())


class LazyAtoms(dict):
    """gunicorn's access-log atoms (``glogging.Logger.atoms`` wrapped in its
    ``SafeAtoms``: quotes escaped, header names in any case, ``-`` for what is
    missing), each found only when the format names it."""

    def __init__(self, logger, resp, req, environ, request_time):
        # Never empty: logging takes a lone mapping as the format's only when
        # it is not empty.
        super().__init__(h=_escaped(environ.get("REMOTE_ADDR", "-")))
        self._logger = logger
        self._resp, self._req, self._environ = resp, req, environ
        self._time = request_time

    def __missing__(self, key: str):
        if key.startswith("{"):
            value = self._header_or_environ(key.lower())
        else:
            value = self._plain(key)
        self[key] = value = _escaped(value)
        return value

    def _header_or_environ(self, key: str):
        name, kind = key[1:-2], key[-1:]
        if kind == "e":
            pairs = self._environ.items()
        elif kind == "i":
            headers = getattr(self._req, "headers", self._req)
            pairs = headers.items() if hasattr(headers, "items") else headers
        elif kind == "o":
            headers = self._resp.headers
            pairs = headers.items() if hasattr(headers, "items") else headers
        else:
            return "-"
        found = "-"
        for candidate, value in pairs:  # the last of a repeated name, as gunicorn
            if candidate.lower() == name:
                found = value
        return found

    def _plain(self, key: str):
        found = _PLAIN_ATOMS.get(key)
        return "-" if found is None else found(self, self._environ, self._time)


def _status_atom(atoms, environ, took):
    status = atoms._resp.status
    return status.split(None, 1)[0] if isinstance(status, str) else status


def _sent(atoms):
    return getattr(atoms._resp, "sent", None)


_PLAIN_ATOMS = {
    "l": lambda atoms, environ, took: "-",
    "u": lambda atoms, environ, took: atoms._logger._get_user(environ) or "-",
    "t": lambda atoms, environ, took: atoms._logger.now(),
    "r": lambda atoms, environ, took: (
        f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
    ),
    "s": _status_atom,
    "m": lambda atoms, environ, took: environ.get("REQUEST_METHOD"),
    "U": lambda atoms, environ, took: environ.get("PATH_INFO"),
    "q": lambda atoms, environ, took: environ.get("QUERY_STRING"),
    "H": lambda atoms, environ, took: environ.get("SERVER_PROTOCOL"),
    "b": lambda atoms, environ, took: (
        "-" if _sent(atoms) is None else str(_sent(atoms)) or "-"
    ),
    "B": lambda atoms, environ, took: _sent(atoms),
    "f": lambda atoms, environ, took: environ.get("HTTP_REFERER", "-"),
    "a": lambda atoms, environ, took: environ.get("HTTP_USER_AGENT", "-"),
    "T": lambda atoms, environ, took: took.seconds,
    "D": lambda atoms, environ, took: took.seconds * 1000000 + took.microseconds,
    "M": lambda atoms, environ, took: (
        took.seconds * 1000 + int(took.microseconds / 1000)
    ),
    "L": lambda atoms, environ, took: f"{took.seconds}.{took.microseconds:06d}",
    "p": lambda atoms, environ, took: f"<{os.getpid()}>",
}


def _escaped(value):
    return value.replace('"', '\\"') if isinstance(value, str) else value


def _status(resp) -> int:
    try:
        return int(str(resp.status).split()[0])
    except (AttributeError, IndexError, ValueError):
        return 500


# gunicorn's refusals: HTTP code, phrase, the envelope's status and reason.
_REFUSALS = [
    (errors.LimitRequestLine, 414, "URI Too Long", "REQUEST_LINE_TOO_LONG"),
    (
        errors.LimitRequestHeaders,
        431,
        "Request Header Fields Too Large",
        "HEADERS_TOO_LARGE",
    ),
    (errors.UnsupportedTransferCoding, 501, "Not Implemented", "UNSUPPORTED_CODING"),
    (errors.ExpectationFailed, 417, "Expectation Failed", "EXPECTATION_FAILED"),
    (errors.ForbiddenProxyRequest, 403, "Forbidden", "FORBIDDEN"),
    (errors.ParseException, 400, "Bad Request", "MALFORMED_REQUEST"),
]
_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    414: "INVALID_ARGUMENT",
    417: "INVALID_ARGUMENT",
    431: "INVALID_ARGUMENT",
    500: "INTERNAL",
    501: "INVALID_ARGUMENT",  # VoIPbin's status list has no UNIMPLEMENTED
    503: "UNAVAILABLE",
}


def ready_to_serve() -> None:
    """Ready a worker's loaded application for its first request.

    Django imports the URL configuration, and with it every view,
    serializer and DRF, at its first request: a quarter of a second that
    the first caller of each new worker (one starts after every
    ``max_requests``) waited for; it is imported here. Then what is loaded,
    about a hundred thousand objects that live as long as the worker, is
    moved out of the cycle collector's sight (``gc.freeze()``): its full
    collections walked them all, 60 ms every few hundred requests of a young
    worker, and now walk only what requests leave behind.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the import is the point)
    gc.collect()
    gc.freeze()


class SyncWorker(sync.SyncWorker):
    _environ: dict | None = None

    def load_wsgi(self):
        super().load_wsgi()
        ready_to_serve()
        app = self.wsgi

        def with_request_id(environ, start_response):
            # The id is chosen here, so that an answer written by the worker
            # (a timeout) repeats the one the application logged and echoes.
            sent = environ.get("HTTP_X_REQUEST_ID", "")
            if not _GOOD_REQUEST_ID.fullmatch(sent):
                environ["HTTP_X_REQUEST_ID"] = str(uuid.uuid4())
            self._environ = environ
            return app(environ, start_response)

        self.wsgi = with_request_id

    def handle(self, listener, client, addr):
        try:
            super().handle(listener, client, addr)
        finally:
            self._environ = None

    def handle_error(self, req, client, addr, exc):
        started = datetime.now()
        addr = addr or ("", -1)
        request_id = self._request_id(req)
        method = getattr(req, "method", None) or "-"
        path = getattr(req, "path", None) or "-"
        refusal = next((r for r in _REFUSALS if isinstance(exc, r[0])), None)
        if isinstance(exc, SystemExit):  # the arbiter's SIGABRT at the timeout
            code, phrase, reason = 503, "Service Unavailable", "REQUEST_TIMEOUT"
            message = (
                f"The request ran longer than {self.cfg.timeout} s and was "
                "stopped; what it had not committed was rolled back. Retry, or "
                "split the work."
            )
            self.log.error(
                "Worker timeout (%s s) stopped %s %s (request %s)",
                self.cfg.timeout,
                method,
                path,
                request_id,
            )
        elif refusal is not None and not isinstance(
            exc, errors.InvalidResponseHeader | errors.InvalidResponseHeaderName
        ):
            _, code, phrase, reason = refusal
            message = f"{phrase}: {redact(str(exc))}"
            self.log.warning("Invalid request from ip=%s: %s", addr[0], exc)
        else:
            code, phrase, reason = 500, "Internal Server Error", "INTERNAL"
            message = (
                "Something went wrong on our side; quote the request id if you "
                "report it."
            )
            self.log.exception(
                "Error handling request %s %s (request %s)", method, path, request_id
            )
        body = json.dumps(
            {
                "error": {
                    "status": _STATUS.get(code, "INTERNAL"),
                    "reason": reason,
                    "message": message,
                    "request_id": request_id,
                }
            }
        ).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("X-Request-ID", request_id),
            ("Cache-Control", "no-store"),
        ]
        if req is not None:
            environ = self._environ or default_environ(req, client, self.cfg)
            environ.setdefault("REMOTE_ADDR", addr[0])
            resp = Response(req, client, self.cfg)
            resp.status = f"{code} {phrase}"
            resp.headers = headers
            resp.response_length = len(body)
            self.log.access(resp, req, environ, datetime.now() - started)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        raw = (
            f"HTTP/1.1 {code} {phrase}\r\nConnection: close\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode("latin-1") + body
        try:
            util.write_nonblock(client, raw)
        except Exception:
            self.log.debug("Failed to send error message.")

    def _request_id(self, req) -> str:
        if self._environ is not None:
            return self._environ["HTTP_X_REQUEST_ID"]
        for name, value in getattr(req, "headers", None) or []:
            if name == "X-REQUEST-ID" and _GOOD_REQUEST_ID.fullmatch(value):
                return value
        return str(uuid.uuid4())
