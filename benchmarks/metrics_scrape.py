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

from . import _live
from .harness import Figure, plain

OUTCOMES = ["answered", "no_answer", "busy", "failed"]
DIALERS = 4
TOKEN = "bench-metrics-token-0123456789"


def scrape(port: int) -> dict[str, float]:
    status, body = _live.request(
        port, "GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
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
    with _live.sqlite_url() as url:
        env = _live.environment(url, OUTDIALS_METRICS_TOKEN=TOKEN)
        _live.prepare(env)
        with _live.gunicorn(env) as port:
            bearer = {"Authorization": f"Bearer {_live.login(port)}"}
            _, body = _live.request(
                port, "POST", "/v1.0/outdials", {"name": "m"}, bearer
            )
            outdial = json.loads(body)["id"]
            rows = "".join(f"P{i},+1 202 555 {i:04d}\n" for i in range(targets))
            _import(port, outdial, bearer, "name,destination_0\n" + rows)
            turn = itertools.count()
            lock = threading.Lock()
            done = {"claims": 0}
            halfway = {}

            def dialer(_):
                while True:
                    status, body = _live.request(
                        port, "POST", f"/v1.0/outdials/{outdial}/claim", {}, bearer
                    )
                    result = json.loads(body)["result"]
                    if not result:
                        return
                    claim = result[0]
                    outcome = OUTCOMES[next(turn) % len(OUTCOMES)]
                    target = claim["target"]["id"]
                    _live.request(
                        port,
                        "POST",
                        f"/v1.0/outdials/{outdial}/targets/{target}/result",
                        {"claim_id": claim["claim_id"], "outcome": outcome},
                        bearer,
                    )
                    with lock:
                        done["claims"] += 1
                        if done["claims"] == targets // 2:
                            halfway["at"] = time.perf_counter()
                            halfway["series"] = scrape(port)

            started = time.perf_counter()
            before = scrape(port)
            # answered ends a target; the others leave it idle with no tries
            # left (one per destination by default), so each target is claimed once.
            with ThreadPoolExecutor(DIALERS) as pool:
                list(pool.map(dialer, range(DIALERS)))
            ended = time.perf_counter()
            after = scrape(port)
            expired = _expire(port, outdial, bearer, env)
            final = scrape(port)

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


def _import(port, outdial, bearer, text):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(
        "POST",
        f"/v1.0/outdials/{outdial}/targets/import",
        body=text.encode(),
        headers=bearer | {"Content-Type": "text/csv"},
    )
    answer = conn.getresponse()
    body = answer.read()
    conn.close()
    if answer.status != 200:
        raise RuntimeError(f"import failed: {answer.status} {body[:300]!r}")
    return answer.status, body


def _expire(port, outdial, bearer, env) -> int:
    """Re-open the targets, claim 20 on a 10 s lease, report none, settle."""
    _live.manage(
        env,
        "shell",
        "-c",
        "from outdials.models import OutdialTarget; "
        "OutdialTarget.objects.update(status='idle'); "
        "from outdials.models import Destination; "
        "Destination.objects.update(try_count=0)",
    )
    status, body = _live.request(
        port,
        "POST",
        f"/v1.0/outdials/{outdial}/claim",
        {"limit": 20, "lease_seconds": 10},
        bearer,
    )
    count = len(json.loads(body)["result"])
    time.sleep(11)
    # A summary settles the outdial's overdue leases, in the web worker.
    _live.request(port, "GET", f"/v1.0/outdials/{outdial}/summary", None, bearer)
    return count
