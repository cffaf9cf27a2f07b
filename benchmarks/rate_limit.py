"""The per-customer API rate limit holds across two gunicorn servers.

Two servers of two workers each share one database (and, in the second round,
Redis through ``REDIS_URL``), with ``OUTDIALS_API_RATE=60/min``. Eight clients
send 200 ``GET /v1.0/outdials`` of one customer, alternating between the
servers, inside one minute window. At most 60 may pass; before the limit was
shared, each worker counted its own (4 workers: 240 would have passed).
"""

import collections
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tests import live

from .harness import Figure

LIMIT = 60
REQUESTS = 200
CLIENTS = 8


def _wait_for_room(period: int = 60, room: float = 20.0) -> None:
    """Start early enough in a window that the burst stays inside it."""
    left = period - time.time() % period
    if left < room:
        time.sleep(left + 0.1)


def one_round(store: str) -> Figure:
    with live.fresh_database("sqlite") as url:
        extra = {"OUTDIALS_API_RATE": f"{LIMIT}/min"}
        if store == "redis":
            extra["REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env = live.environment(url, **extra)
        live.prepare(env)
        two = ("--workers", "2")
        with live.gunicorn(env, *two) as first, live.gunicorn(env, *two) as second:
            bearer = {"Authorization": f"Bearer {live.login(first)}"}
            servers = [first, second]
            _wait_for_room()
            window = int(time.time() // 60)

            def call(n: int) -> tuple[int, int]:
                server = servers[n % 2]
                status, _ = live.request(server, "GET", "/v1.0/outdials", None, bearer)
                return server.port, status

            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(call, range(REQUESTS)))
            same_window = int(time.time() // 60) == window
    counts = collections.Counter(status for _, status in answers)
    by_server = collections.Counter(port for port, status in answers if status == 200)
    passed = counts[200]
    print(
        f"   rate limit ({store}): {dict(counts)}; passed per server "
        f"{sorted(by_server.values())}; one window: {same_window}",
        file=sys.stderr,
    )
    return Figure(
        f"rate limit {LIMIT}/min, 2 servers × 2 workers ({store})",
        passed,
        "requests passed",
        target=f"≤ {LIMIT}",
        ok=passed <= LIMIT and counts[200] + counts[429] == REQUESTS,
        note=(
            f"{REQUESTS} requests from {CLIENTS} clients alternating servers: "
            f"{counts[200]} × 200, {counts[429]} × 429, "
            f"{REQUESTS - counts[200] - counts[429]} other"
        ),
        details={"statuses": dict(counts), "one_window": same_window},
    )


def run(quick: bool) -> list[Figure]:
    stores = ["database"] + (["redis"] if live.redis_up() else [])
    return [one_round(store) for store in stores]
