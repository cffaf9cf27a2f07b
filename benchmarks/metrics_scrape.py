"""Metrics scraped from a live server while dialers work.

One gunicorn (2 workers, SQLite, multi-process metrics as in production); an
outdial of N imported targets; 4 dialers over HTTP claim one target at a
time and report answered / no_answer / busy / failed in turn; 20 more claims
are left to expire and settled. ``/metrics`` is scraped halfway and at the
end: the figures are the scraped counters (claims per outcome, claims per
second between the two scrapes), checked against what the dialers did.
"""

import itertools
import json
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from tests import live

from .harness import Figure, plain

OUTCOMES = ["answered", "no_answer", "busy", "failed"]
DIALERS = 4
TOKEN = "bench-metrics-token-0123456789"


def scrape(server: live.Server) -> dict[str, float]:
    status, body = live.request(
        server, "GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    if status != 200:
        raise RuntimeError(f"/metrics answered {status}")
    series = {}
    for line in body.decode().splitlines():
        if line.startswith("outdials_") and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            series[name] = float(value)
    return series


def outcome_counts(series: dict[str, float]) -> dict[str, int]:
    found = {}
    for name, value in series.items():
        match = re.fullmatch(r'outdials_claim_outcomes_total\{outcome="(\w+)"\}', name)
        if match:
            found[match[1]] = int(value)
    return found


def run(quick: bool) -> list[Figure]:
    targets = 400 if quick else 2000
    with live.fresh_database("sqlite") as url:
        env = live.environment(url, OUTDIALS_METRICS_TOKEN=TOKEN)
        live.prepare(env)
        # The import runs in the worker; expired leases are settled by the
        # claim that finds them (in the web, whose counters the scrape sees),
        # not by the worker's housekeeping, which is left for later.
        with (
            live.gunicorn(env, "--workers", "2") as server,
            live.job_worker(env, "--housekeeping-interval", "3600"),
        ):
            bearer = {"Authorization": f"Bearer {live.login(server)}"}
            _, body = live.request(
                server, "POST", "/v1.0/outdials", {"name": "m"}, bearer
            )
            outdial = json.loads(body)["id"]
            rows = "".join(f"P{i},+1 202 555 {i:04d}\n" for i in range(targets))
            _import(server, outdial, bearer, "name,destination_0\n" + rows)
            turn = itertools.count()
            lock = threading.Lock()
            done = {"claims": 0}
            halfway = {}

            def dialer(_):
                while True:
                    status, body = live.request(
                        server, "POST", f"/v1.0/outdials/{outdial}/claim", {}, bearer
                    )
                    result = json.loads(body)["result"]
                    if not result:
                        return
                    claim = result[0]
                    outcome = OUTCOMES[next(turn) % len(OUTCOMES)]
                    target = claim["target"]["id"]
                    live.request(
                        server,
                        "POST",
                        f"/v1.0/outdials/{outdial}/targets/{target}/result",
                        {"claim_id": claim["claim_id"], "outcome": outcome},
                        bearer,
                    )
                    with lock:
                        done["claims"] += 1
                        if done["claims"] == targets // 2:
                            halfway["at"] = time.perf_counter()
                            halfway["series"] = scrape(server)

            started = time.perf_counter()
            before = scrape(server)
            # answered ends a target; the others leave it idle with no tries
            # left (one per destination by default), so each target is claimed once.
            with ThreadPoolExecutor(DIALERS) as pool:
                list(pool.map(dialer, range(DIALERS)))
            ended = time.perf_counter()
            after = scrape(server)
            expired = _expire(server, outdial, bearer, env)
            final = scrape(server)

    claims = final["outdials_claims_total"] - before.get("outdials_claims_total", 0)
    per_outcome = outcome_counts(final)
    half = halfway.get("series", before)
    rate = (after["outdials_claims_total"] - half["outdials_claims_total"]) / (
        ended - halfway.get("at", started)
    )
    print(f"   scraped claims per outcome: {per_outcome}", file=sys.stderr)
    print(f"   scraped claims/s (second half): {rate:.0f}", file=sys.stderr)
    figures = [
        plain(
            "metrics: claims/s scraped (2nd half)",
            round(rate, 1),
            "claims/s",
            note=f"{DIALERS} HTTP dialers, claim + result each; delta of "
            "outdials_claims_total between two scrapes",
        ),
        plain(
            "metrics: claims counted",
            claims,
            "claims",
            note=f"dialers made {targets} + {expired} left to expire",
        ),
    ]
    for outcome in [*OUTCOMES, "expired"]:
        figures.append(
            plain(f"metrics: outcome {outcome}", per_outcome.get(outcome, 0), "claims")
        )
    expected = {
        o: targets // 4 + (1 if i < targets % 4 else 0) for i, o in enumerate(OUTCOMES)
    }
    ok = (
        claims == targets + expired
        and {o: per_outcome.get(o, 0) for o in OUTCOMES} == expected
        and per_outcome.get("expired", 0) == expired
    )
    figures.append(
        Figure(
            "metrics: scraped counts match the work",
            1 if ok else 0,
            "",
            target="= 1",
            ok=ok,
            note="claims, each outcome and expired leases as the dialers made them",
        )
    )
    return figures


def _import(server, outdial, bearer, text):
    status, body = live.request(
        server,
        "POST",
        f"/v1.0/outdials/{outdial}/targets/import?wait=25",
        text.encode(),
        bearer | {"Content-Type": "text/csv"},
        timeout=120,
    )
    if status != 200:
        raise RuntimeError(f"import failed: {status} {body[:300]!r}")
    return status, body


def _expire(server, outdial, bearer, env) -> int:
    """Re-open the targets, claim 20 on a 10 s lease, report none; the next
    claim settles them as expired."""
    live.manage(
        env,
        "shell",
        "-c",
        "from outdials.models import OutdialTarget; "
        "OutdialTarget.objects.update(status='idle'); "
        "from outdials.models import Destination; "
        "Destination.objects.update(try_count=0)",
    )
    claim = f"/v1.0/outdials/{outdial}/claim"
    status, body = live.request(
        server, "POST", claim, {"limit": 20, "lease_seconds": 10}, bearer
    )
    count = len(json.loads(body)["result"])
    time.sleep(11)
    # Maxima of 0 take nothing, but the claim settles the overdue leases first.
    status, body = live.request(
        server, "POST", claim, {"max_try_count_0": 0, "max_try_count_1": 0}, bearer
    )
    if status != 200 or json.loads(body)["result"]:
        raise RuntimeError(f"the settling claim answered {status} {body[:300]!r}")
    return count
