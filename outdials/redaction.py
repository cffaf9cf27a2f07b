"""Credentials never reach a log line or an error report.

A caller may put its token in the query (``?token=``, ``?accesskey=``), in a
cookie or in ``Authorization``; any of them can end up in a logged URL, a
traceback's local variables or the request dump of an error mail. Log records
pass through :class:`RedactSecretsFilter`; error reports are built by
:class:`RedactingExceptionReporter` with :class:`RedactingReporterFilter`.
"""

import html
import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from django.http.cookie import parse_cookie
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = "********************"
# Query parameters and cookies that carry a credential or a session.
SECRET_NAMES = ("token", "accesskey", "sessionid", "csrftoken")

_PATTERNS = [
    # token=… / accesskey=… in URLs, query strings and Cookie headers
    (re.compile(r"(?i)\b(token|accesskey)=[^&;\s\"'<>#]+"), rf"\1={MASK}"),
    # "Authorization: Bearer …" (or Basic) however it was written down
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=\-]+"), rf"\1\2{MASK}"),
    # login tokens (JWTs) anywhere
    (re.compile(r"eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*"), MASK),
    # full access keys; the 12-character prefix alone is shown in the API
    (re.compile(r"odk_[A-Za-z0-9_\-]{16,}"), MASK),
]
_SHORTEST_SECRET = 6
# What each of _PATTERNS starts with, in lower case: ASCII text holding none
# of them cannot match any (a line per request is tested in 3 µs where the
# four patterns take 23).
_MARKS = ("token=", "accesskey=", "bearer", "basic", "eyj", "odk_")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials masked: known shapes, plus the exact ``secrets``
    (values a request presented, whatever they look like)."""
    for value in sorted(set(secrets), key=len, reverse=True):
        if len(value) >= _SHORTEST_SECRET:
            text = text.replace(value, MASK)
            escaped = html.escape(value)
            if escaped != value:
                text = text.replace(escaped, MASK)
    if text.isascii():  # else case folding may match other letters
        lowered = text.lower()
        if not any(mark in lowered for mark in _MARKS):
            return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def request_secrets(request) -> set[str]:
    """Every credential value ``request`` carries, as sent. Reads the raw
    query string, not ``request.GET``, which may refuse (too many fields)
    just when its refusal is being logged."""
    if request is None:
        return set()
    found: set[str] = set()
    meta = getattr(request, "META", {})
    try:
        query = parse_qsl(meta.get("QUERY_STRING", ""), keep_blank_values=False)
    except ValueError:
        query = []
    found.update(value for name, value in query if name in SECRET_NAMES)
    cookies = parse_cookie(meta.get("HTTP_COOKIE", ""))
    found.update(cookies[name] for name in SECRET_NAMES if cookies.get(name))
    header = meta.get("HTTP_AUTHORIZATION", "")
    if header:
        found.add(header)
        found.add(header.partition(" ")[2].strip())
    return {value for value in found if value}


class RedactSecretsFilter(logging.Filter):
    """A logging filter that masks credentials in the message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._redact(record)
        except Exception:  # a log line is never lost to its filter
            record.msg, record.args = "(a log line that could not be redacted)", ()
            record.exc_info = record.exc_text = None
        return True

    def _redact(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        clean = redact(message, request_secrets(getattr(record, "request", None)))
        if clean != message or record.args:
            # Formatted once: the handler writes the text as it is.
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)


class RedactingReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, which hides settings and headers named like secrets,
    also hides session cookies and credentials inside query strings."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|SESSION|CSRF",
        flags=re.IGNORECASE,
    )

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        secrets = request_secrets(request)
        return {
            key: redact(value, secrets) if isinstance(value, str) else value
            for key, value in meta.items()
        }


class RedactingExceptionReporter(ExceptionReporter):
    """Error reports (the mails to ADMINS) without the request's credentials:
    query values, the URL, frame variables and anything else that shows one."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (name, MASK if name in SECRET_NAMES else value)
                for name, value in data["request_GET_items"]
            ]
        if data.get("request_insecure_uri"):
            data["request_insecure_uri"] = redact(
                data["request_insecure_uri"], self._secrets()
            )
        return data

    def get_traceback_html(self):
        return redact(super().get_traceback_html(), self._secrets())

    def get_traceback_text(self):
        return redact(super().get_traceback_text(), self._secrets())

    def _secrets(self) -> set[str]:
        return request_secrets(self.request)
