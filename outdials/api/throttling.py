"""Sign-in throttling and per-customer API rate limits.

Sign-in: ``LOGIN_FAILURES`` failed sign-ins for one username from one address
within ``LOGIN_WINDOW`` lock that pair out (429 with ``Retry-After``) until the
oldest of those failures has aged out; the right password is refused meanwhile.
Every sign-in path (``POST /auth/login``, the staff sign-in page, the admin)
goes through :class:`ThrottledModelBackend`, so they share one count.

The count lives in the ``login`` cache (the database): gunicorn's workers share
it and it survives a restart. Each attempt first reserves one of the pair's
``LOGIN_FAILURES`` slots with an atomic ``add``, and only then checks the
password; so parallel guesses cannot slip past the limit between a check and
the write of its failure. A success frees every slot of the pair.
"""

import functools
import hashlib
import math
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from rest_framework.throttling import BaseThrottle

from .. import limits
from .errors import APIError


def now() -> float:
    """The clock of both throttles (tests move it)."""
    return time.time()


def client_address(request) -> str:
    """The caller's address: ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry
    the nearest trusted proxy wrote when ``TRUSTED_PROXIES`` says there are
    some. Entries further left are the client's to forge, so never those."""
    trusted = settings.OUTDIALS["TRUSTED_PROXIES"]
    if trusted:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.META.get("REMOTE_ADDR", "")


@dataclass(frozen=True)
class LoginLocked:
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes = math.ceil(self.retry_after / 60)
        unit = "minute" if minutes == 1 else "minutes"
        return (
            f"Too many failed sign-ins for this username; try again in "
            f"{minutes} {unit}."
        )


class LoginThrottle:
    """The failed sign-ins of one username from one address."""

    def __init__(self, username: str, address: str):
        pair = f"{username.casefold()}\0{address}".encode()
        digest = hashlib.sha256(pair).hexdigest()
        limit = settings.OUTDIALS["LOGIN_FAILURES"]
        self.keys = [f"login-failure:{digest}:{slot}" for slot in range(limit)]
        self.window = settings.OUTDIALS["LOGIN_WINDOW"].total_seconds()
        self.cache = caches["login"]

    def reserve(self) -> LoginLocked | None:
        """Take a slot for this attempt, counted as a failure until
        :meth:`succeeded`; or, when every slot is taken, the lock."""
        moment = now()
        expires = moment + self.window
        held = self.cache.get_many(self.keys)
        for key in self.keys:
            if key not in held:
                if self.cache.add(key, expires, timeout=self.window):
                    return None
            elif held[key] <= moment:
                # Aged out by our clock a moment before the cache's own expiry.
                self.cache.set(key, expires, timeout=self.window)
                return None
        stamps = self.cache.get_many(self.keys).values()
        oldest = min(stamps, default=moment + 1)
        return LoginLocked(retry_after=max(1, math.ceil(oldest - moment)))

    def succeeded(self) -> None:
        self.cache.delete_many(self.keys)


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend behind the sign-in throttle.

    A locked pair is refused before its password is checked; the lock is left
    on the request (``request.login_locked``) for the view to answer 429.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None or username is None or password is None:
            return None
        throttle = LoginThrottle(str(username), client_address(request))
        locked = throttle.reserve()
        if locked is not None:
            request.login_locked = locked
            raise PermissionDenied(locked.message)  # no other backend tries
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            throttle.succeeded()
        return user


def refuse_if_locked(request) -> None:
    """For API views: the 429 envelope when the sign-in just tried was locked."""
    locked: LoginLocked | None = getattr(request, "login_locked", None)
    if locked is not None:
        raise APIError(
            429,
            "TOO_MANY_SIGN_IN_ATTEMPTS",
            locked.message,
            headers={"Retry-After": str(locked.retry_after)},
        )


_RATE = re.compile(
    r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$"
)
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"6000/min"`` → ``(6000, 60)``; also ``"10/5s"``; empty or ``off`` → None."""
    if not rate or rate.strip().lower() in ("off", "none", "0"):
        return None
    match = _RATE.match(rate.lower())
    if match is None or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"OUTDIALS_API_RATE must look like 6000/min (or /s, /hour, /day), "
            f"not {rate!r}"
        )
    return int(match[1]), int(match[2] or 1) * _PERIODS[match[3][0]]


class CustomerRateThrottle(BaseThrottle):
    """At most ``API_RATE`` calls per customer per period (fixed windows).

    Counted in a store every worker and server shares (outdials.limits:
    Redis, or the database), so the limit holds for the whole service.
    """

    @staticmethod
    def is_on() -> bool:
        """Whether a rate is configured (else the API makes no throttle)."""
        return parse_rate(settings.OUTDIALS["API_RATE"]) is not None

    def allow_request(self, request, view) -> bool:
        rate = parse_rate(settings.OUTDIALS["API_RATE"])
        customer = getattr(request.user, "customer", None)
        if rate is None or customer is None:
            return True
        limit, period = rate
        moment = now()
        window = int(moment // period)
        key = f"api-rate:{customer.pk}:{period}:{window}"
        used = limits.hit(key, expires=(window + 1) * period)
        self.retry_after = (window + 1) * period - moment
        return used <= limit

    def wait(self) -> float:
        return self.retry_after
