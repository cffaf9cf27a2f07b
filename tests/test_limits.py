"""Rate counters shared by every worker and server (outdials.limits)."""

import threading
import time
import uuid

import pytest
from django.test import override_settings

from outdials import limits
from outdials.models import RateCount
from tests import live


def test_the_database_counts_each_window_and_sweeps_old_ones(db):
    later = time.time() + 60
    assert [limits.hit("k:1", later) for _ in range(3)] == [1, 2, 3]
    assert limits.hit("k:2", later) == 1
    RateCount.objects.create(key="k:0", count=9, expires=time.time() - 1)
    assert limits.hit("k:3", later) == 1  # a new window sweeps the passed ones
    assert dict(RateCount.objects.values_list("key", "count")) == {
        "k:1": 3,
        "k:2": 1,
        "k:3": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_parallel_hits_lose_no_count():
    later = time.time() + 60
    seen: list[int] = []

    def worker():
        from django.db import connections

        for _ in range(25):
            seen.append(limits.hit("parallel", later))
        connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(1, 101))
    assert RateCount.objects.get(key="parallel").count == 100


@pytest.mark.skipif(not live.redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_url_the_counts_live_in_redis(db):
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "KEY_PREFIX": f"outdials-test-{uuid.uuid4()}",
    }
    with override_settings(
        REDIS_URL="redis://127.0.0.1:6379/0",
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "limits": redis,
        },
    ):
        later = time.time() + 5
        assert [limits.hit("k", later) for _ in range(3)] == [1, 2, 3]
    assert not RateCount.objects.exists()
