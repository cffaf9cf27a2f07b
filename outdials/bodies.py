"""Request bodies: judged by their headers before a byte is read, then read
whole before anything parses them, on every path (API, pages, admin).

A body over its limit is refused from ``Content-Length`` alone. A body that
ends before its ``Content-Length`` (the client closed its side early) is
refused with 400 before any view, form or CSRF check sees it: a cut-short
CSV or form would otherwise parse as a complete, smaller one and be acted on.
The body is spooled (memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE``, then a
temporary file) and the request reads it from there.
"""

import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render

from .api.errors import error_response
from .api.paths import is_api_path

# Multipart framing and the upload form's other fields, beside the file.
MULTIPART_ALLOWANCE = 64 * 1024
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Refusal:
    http_status: int
    reason: str
    message: str


def body_limit(request) -> int:
    """The largest body ``request`` may send: uploads (CSV, multipart) have
    their own limit, every other body Django's."""
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("text/csv"):
        return settings.OUTDIALS["UPLOAD_MAX_BYTES"]
    if content_type.startswith("multipart/form-data"):
        return settings.OUTDIALS["UPLOAD_MAX_BYTES"] + MULTIPART_ALLOWANCE
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def refusal_from_headers(request) -> Refusal | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", ""):
        # Django reads no body without a length: it would be dropped
        # silently and the request handled as if it had sent nothing.
        return Refusal(
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
        return Refusal(400, "INVALID_CONTENT_LENGTH", "Content-Length is not a number.")
    maximum = body_limit(request)
    if length > maximum:
        return Refusal(
            413,
            "REQUEST_TOO_LARGE",
            f"The request body is {length} bytes; the limit is {maximum} bytes.",
        )
    return None


def read_whole(request) -> Refusal | None:
    """Read the body announced by ``Content-Length`` into a spool the request
    then reads from; a refusal when it ends short."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length == 0:
        return None
    spool = tempfile.SpooledTemporaryFile(
        max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, prefix="outdials-body-"
    )
    received = 0
    try:
        while received < length:
            chunk = request._stream.read(min(READ_CHUNK, length - received))
            if not chunk:
                break
            spool.write(chunk)
            received += len(chunk)
    except OSError:  # the connection broke or timed out
        pass
    if received < length:
        spool.close()
        return Refusal(
            400,
            "INCOMPLETE_BODY",
            f"The request body ended after {received} of the {length} bytes its "
            "Content-Length announced, so nothing was done; send it again.",
        )
    spool.seek(0)
    request._stream = spool
    return None


def spooled_body(request):
    """The whole body as a seekable binary file (at its start), or ``None``
    when the request has no body."""
    stream = request._stream
    return stream if isinstance(stream, tempfile.SpooledTemporaryFile) else None


class WholeBodyMiddleware:
    """Refuse a body too large or cut short before anything reads it: the
    envelope on API paths, a page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = refusal_from_headers(request) or read_whole(request)
        if refusal is None:
            return self.get_response(request)
        if is_api_path(request.path):
            return error_response(
                request, refusal.http_status, refusal.reason, refusal.message
            )
        return render(
            request,
            "request_refused.html",
            {"refusal": refusal},
            status=refusal.http_status,
        )
