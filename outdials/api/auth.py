"""The three credential carriers of SPEC §6, tried in this order:
cookie ``token``/``accesskey``; query ``?token=``/``?accesskey=``;
header ``Authorization: Bearer <token>`` (which may also hold an access key).
"""

from rest_framework import authentication, exceptions

from ..credentials import ACCESS_KEY_PREFIX, Caller, access_key_for, user_for_token


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


def presented_credential(request) -> tuple[str, str] | None:
    """The first credential the request carries: ``(kind, value)``."""
    for source in (request.COOKIES, request.GET):
        if source.get("token"):
            return "token", source["token"]
        if source.get("accesskey"):
            return "accesskey", source["accesskey"]
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        value = value.strip()
        kind = "accesskey" if value.startswith(ACCESS_KEY_PREFIX) else "token"
        return kind, value
    return None


class CredentialAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        credential = presented_credential(request._request)
        if credential is None:
            return None
        kind, value = credential
        caller = (
            _caller_for_token(value)
            if kind == "token"
            else _caller_for_access_key(value)
        )
        if caller is None:
            raise exceptions.AuthenticationFailed()
        return caller, kind

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
