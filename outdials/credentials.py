"""Login tokens and access keys: how a caller proves who it is.

Login tokens are JWTs (PyJWT, HS256 only, so ``alg: none`` and algorithm
swaps are refused) that expire after ``OUTDIALS["TOKEN_LIFETIME"]``. They carry
a fingerprint of the user's password hash, so changing the password ends every
token issued before, and the user's token version, which signing out moves on
(:func:`end_tokens`): one column read with the user, so ending tokens costs no
lookup per call, unlike a list of denied tokens. Access keys are random
256-bit secrets of which only the SHA-256 is stored: a high-entropy key needs
no slow hash, and lookup stays a single indexed query.

Both lookups run on every API call, so each is a statement compiled once
(``queries.py``). The instances they answer hold the columns the API reads
(ids, the key's prefix, the user's name and password hash); any other field
loads on first use, as after ``only()``.
"""

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import AccessKey, Customer, User
from .queries import ACCESS_KEY_FIELDS, USER_FIELDS, access_key_row, user_row

ALGORITHM = "HS256"
MAX_ACCESS_KEY_SECONDS = 10 * 365 * 24 * 3600
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
        "ver": user.token_version,
    }
    return jwt.encode(claims, settings.SECRET_KEY, algorithm=ALGORITHM)


def user_for_token(token: str) -> User | None:
    """The active user a login token names, or ``None`` if it is not good."""
    try:
        claims = jwt.decode(
            token,
            settings.SECRET_KEY,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat", "pwd", "ver"]},
        )
    except jwt.PyJWTError:
        return None
    user_id = _uuid_or_none(claims["sub"])
    row = user_id and user_row(user_id)
    if not row:
        return None
    user = _loaded(User, USER_FIELDS, row)
    if user.customer_id is not None:
        _with_customer(user)
    if not constant_time_compare(claims["pwd"], _password_fingerprint(user)):
        return None
    if claims["ver"] != user.token_version:
        return None
    return user


def end_tokens(user: User) -> None:
    """End every login token ``user`` holds (signing out, API or pages);
    access keys are not touched."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)


def end_tokens_on_sign_out(sender, request, user, **kwargs) -> None:
    """``user_logged_out``: a staff sign-out ends the user's API tokens too."""
    if user is not None and user.pk is not None:
        end_tokens(user)


def _uuid_or_none(text: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def _loaded(model, names: list[str], row, converted: bool = False):
    """An instance of ``model`` from a row of the fields ``names``; its other
    fields load on first use (deferred, as after ``only()``).

    Made as unpickling makes one (its state set, its ``__init__`` not run):
    on every API call ``from_db`` walking each field of the model was a
    fifth of the credential's time; these models have no ``post_init``
    receiver.
    """
    attnames, converters = _layout(model, tuple(names))
    instance = model.__new__(model)
    if converted:  # the values are already Python's
        instance.__dict__.update(zip(attnames, row, strict=True))
    else:
        for attname, convert, value in zip(attnames, converters, row, strict=True):
            instance.__dict__[attname] = convert(value)
    state = instance._state = ModelState()
    state.adding, state.db = False, DEFAULT_DB_ALIAS
    return instance


@functools.cache
def _layout(model, names: tuple[str, ...]) -> tuple:
    """How ``_loaded`` places a row of ``names``: each field's attname and
    the converter of its value (worked out once)."""
    fields = [model._meta.get_field(name) for name in names]
    return [field.attname for field in fields], [field.to_python for field in fields]


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
    row = access_key_row(hash_access_key(key))
    if row is None:
        return None
    access_key = _loaded(AccessKey, ACCESS_KEY_FIELDS, row)
    _with_customer(access_key)
    return access_key


def _with_customer(instance) -> None:
    """``instance.customer`` from its ``customer_id``, no query (the
    descriptor's checks skipped: the id was just read with it)."""
    customer = _loaded(Customer, ["id"], [instance.customer_id], converted=True)
    type(instance).customer.field.set_cached_value(instance, customer)
