"""Counters for rate limits, shared by every gunicorn worker and server.

In Redis when ``REDIS_URL`` is set (``INCR`` is atomic), else in the
database: one row per key and window, bumped by a single
``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` (SQLite ≥ 3.35 and
PostgreSQL), which no two workers can interleave. Django's database cache
would not do: its ``incr`` is a read then a write, and parallel calls lose
counts.
"""

import time

from django.conf import settings
from django.core.cache import caches
from django.db import connection

_TABLE = "outdials_ratecount"  # models.RateCount
_UPSERT = (
    f"INSERT INTO {_TABLE} (key, count, expires) VALUES (%s, 1, %s) "
    f"ON CONFLICT (key) DO UPDATE SET count = {_TABLE}.count + 1 RETURNING count"
)


def hit(key: str, expires: float) -> int:
    """Counts one call under ``key`` (a window's name) until ``expires`` (a
    Unix time); answers the calls counted so far, this one included."""
    if settings.REDIS_URL:
        return _hit_redis(key, expires)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, expires])
        (count,) = cursor.fetchone()
    if count == 1:  # a new window: sweep the windows that have passed
        from .models import RateCount

        RateCount.objects.filter(expires__lt=time.time()).delete()
    return count


def _hit_redis(key: str, expires: float) -> int:
    cache = caches["limits"]
    timeout = max(1, int(expires - time.time()) + 1)
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
