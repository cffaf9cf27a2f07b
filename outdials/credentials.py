"""Login tokens and access keys: how a caller proves who it is.

Login tokens are JWTs (PyJWT, HS256 only, so ``alg: none`` and algorithm
swaps are refused) that expire after ``OUTDIALS["TOKEN_LIFETIME"]``. They carry
a fingerprint of the user's password hash, so changing the password ends every
token issued before. Access keys are random 256-bit secrets of which only the
SHA-256 is stored: a high-entropy key needs no slow hash, and lookup stays a
single indexed query.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import AccessKey, Customer, User

ALGORITHM = "HS256"
ACCESS_KEY_PREFIX = "odk_"


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: a user, or an access key of a customer."""

    customer: Customer
    user: User | None = None
    access_key: AccessKey | None = None

    is_authenticated = True
    is_anonymous = False

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.access_key is not None:
            return f"access key {self.access_key.token_prefix}"
        return ""


def _password_fingerprint(user: User) -> str:
    return salted_hmac("outdials.token", user.password).hexdigest()[:16]


def issue_token(user: User) -> str:
    now = timezone.now()
    lifetime: timedelta = settings.OUTDIALS["TOKEN_LIFETIME"]
    claims = {
        "sub": str(user.pk),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "pwd": _password_fingerprint(user),
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def user_for_token(token: str) -> User | None:
    """The active user a login token names, or ``None`` if it is not good."""
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat", "pwd"]},
        )
    except jwt.PyJWTError:
        return None
    users = User.objects.select_related("customer").filter(
        pk=_uuid_or_none(claims["sub"]), is_active=True
    )
    # [:1], not first(): a lookup by key needs no ORDER BY to compile.
    user = next(iter(users[:1]), None)
    if user is None or not constant_time_compare(
        claims["pwd"], _password_fingerprint(user)
    ):
        return None
    return user


def _uuid_or_none(text: object) -> str | None:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None


def hash_access_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_access_key(
    customer: Customer, name: str, detail: str, expire_seconds: int
) -> tuple[AccessKey, str]:
    """Create an access key; returns it and the full key, which is never stored."""
    key = ACCESS_KEY_PREFIX + secrets.token_urlsafe(32)
    access_key = AccessKey.objects.create(
        customer=customer,
        name=name,
        detail=detail,
        token_prefix=key[: len(ACCESS_KEY_PREFIX) + 8],
        token_hash=hash_access_key(key),
        tm_expire=timezone.now() + timedelta(seconds=expire_seconds),
    )
    return access_key, key


def access_key_for(key: str) -> AccessKey | None:
    """The live, unexpired access key for ``key``, or ``None``."""
    if not key or len(key) > 200:
        return None
    found = AccessKey.objects.usable().select_related("customer")
    # [:1], not first(): a lookup by key needs no ORDER BY to compile.
    return next(iter(found.filter(token_hash=hash_access_key(key))[:1]), None)
