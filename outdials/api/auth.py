"""The three credential carriers of SPEC §6, tried in this order:
query ``?token=``/``?accesskey=``; header ``Authorization: Bearer <token>``
(which may also hold an access key); cookie ``token``/``accesskey``.

An explicit credential (query or header) wins over a cookie: the seed tries
the cookie first, so a cookie planted by another site (a sibling subdomain,
another port of the same host) would capture a client's own bearer calls. A
write authenticated by a cookie needs Django's CSRF proof, as the staff pages
do: the ``X-CSRFToken`` header holding the ``csrftoken`` cookie that
``/auth/login`` sets, and an ``Origin`` of this site when the browser sends one.
"""

from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware
from rest_framework import authentication, exceptions

from ..credentials import ACCESS_KEY_PREFIX, Caller, access_key_for, user_for_token
from .errors import APIError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
CSRF_MESSAGE = (
    "A write authenticated by a cookie needs CSRF proof: send the csrftoken "
    "cookie's value in an X-CSRFToken header, from a page of this site (or send "
    "the token in an Authorization header instead of the cookie)."
)


def _caller_for_token(token: str) -> Caller | None:
    user = user_for_token(token)
    if user is None or user.customer is None:
        return None
    return Caller(customer=user.customer, user=user)


def _caller_for_access_key(key: str) -> Caller | None:
    access_key = access_key_for(key)
    if access_key is None:
        return None
    return Caller(customer=access_key.customer, access_key=access_key)


def presented_credential(request) -> tuple[str, str, str] | None:
    """The credential the request carries: ``(kind, value, carrier)``, the
    carrier being ``query``, ``header`` or ``cookie``."""
    raw = request.META.get("QUERY_STRING", "")
    # Parsed only when it may name one ("%" for a name written escaped).
    if "token" in raw or "accesskey" in raw or "%" in raw:
        query = request.GET
        if query.get("token"):
            return "token", query["token"], "query"
        if query.get("accesskey"):
            return "accesskey", query["accesskey"], "query"
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        value = value.strip()
        kind = "accesskey" if value.startswith(ACCESS_KEY_PREFIX) else "token"
        return kind, value, "header"
    cookies = request.COOKIES
    if cookies.get("token"):
        return "token", cookies["token"], "cookie"
    if cookies.get("accesskey"):
        return "accesskey", cookies["accesskey"], "cookie"
    return None


def foreign_origin(request) -> str | None:
    """The ``Origin`` a browser sent when it is not this site's (nor one of
    ``CSRF_TRUSTED_ORIGINS``); ``None`` when it is, or when none was sent
    (a script, not a browser)."""
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return None
    if origin == f"{request.scheme}://{request.get_host()}":
        return None
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return None
    return origin


def _no_view(request):  # CsrfViewMiddleware needs a get_response
    return None


def csrf_failure(request) -> str | None:
    """Why Django's CSRF check refuses ``request``, or ``None``."""
    check = CsrfViewMiddleware(_no_view)
    check.process_request(request)
    refused = check.process_view(request, None, (), {})
    return None if refused is None else "refused"


class CredentialAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        django_request = request._request
        credential = presented_credential(django_request)
        if credential is None:
            return None
        kind, value, carrier = credential
        caller = (
            _caller_for_token(value)
            if kind == "token"
            else _caller_for_access_key(value)
        )
        if caller is None:
            raise exceptions.AuthenticationFailed()
        if carrier == "cookie" and request.method not in SAFE_METHODS:
            if csrf_failure(django_request):
                raise APIError(403, "CSRF_FAILED", CSRF_MESSAGE)
        return caller, carrier

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
