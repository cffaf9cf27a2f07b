"""Prometheus metrics: HTTP answers, the dialing engine and imports.

Written with ``prometheus_client`` itself rather than django-prometheus: we
want a handful of request metrics (not ten per request with per-view model
and database series, whose database half would need its own engine in place
of ours, outdialsite.postgresql), the domain's own series, and gunicorn's
multi-process mode, which is prometheus_client's (``PROMETHEUS_MULTIPROC_DIR``,
set by outdialsite/gunicorn.conf.py; each process writes its own files and a
scrape adds them up).

Counters count in the process that did the work (a gunicorn worker, a job
worker's housekeeping, the ``release_expired_claims`` command): give them one
``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any web worker sees them all.
Gauges of the database's state (open leases, the job queue) are read at scrape
time, so they need no coordination between processes.

Served at ``/metrics`` only when ``OUTDIALS_METRICS_TOKEN`` is set, to a
caller sending ``Authorization: Bearer <that token>``.
"""

import functools
import hmac
import os
import time

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter(
    "outdials_http_requests_total",
    "HTTP requests answered, by method, route (URL name) and status code.",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "outdials_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CLAIMS = Counter(
    "outdials_claims_total", "Targets leased to dialers by claims (one per claim_id)."
)
OUTCOMES = Counter(
    "outdials_claim_outcomes_total",
    "Claims settled, by outcome: answered, no_answer, busy, failed (reported by "
    "dialers) or expired (the lease passed without a result).",
    ["outcome"],
)
EXPIRED_SETTLED = Counter(
    "outdials_expired_leases_settled_total",
    "Leases that passed without a result and were settled as expired.",
)
IMPORT_SECONDS = Histogram(
    "outdials_import_duration_seconds",
    "CSV imports, by result (imported, dry_run, rejected, failed).",
    ["result"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
IMPORT_ROWS = Counter(
    "outdials_import_rows_total",
    "Rows of CSV imports, by what became of them (created, duplicate, invalid).",
    ["kind"],
)


def claimed(count: int) -> None:
    if count:
        CLAIMS.inc(count)


def settled(outcome: str) -> None:
    """Called once the settling transaction has committed."""
    OUTCOMES.labels(outcome).inc()


def expired(count: int) -> None:
    if count:
        OUTCOMES.labels("expired").inc(count)
        EXPIRED_SETTLED.inc(count)


def settle_on_commit(outcome: str) -> None:
    transaction.on_commit(lambda: settled(outcome))


class DomainCollector:
    """The database's state, read at scrape time."""

    def collect(self):
        from .models import Attempt

        open_leases = Attempt.objects.filter(outcome="")
        now = timezone.now()
        gauge = GaugeMetricFamily(
            "outdials_open_leases",
            "Claims holding a target, by whether the lease has passed (overdue: "
            "waiting for the next settling).",
            labels=["state"],
        )
        gauge.add_metric(["live"], open_leases.filter(lease_expires__gt=now).count())
        gauge.add_metric(
            ["overdue"], open_leases.filter(lease_expires__lte=now).count()
        )
        yield gauge
        yield from _job_queue()


def _job_queue():
    """Jobs by status, when the jobs engine (django-tasks-db) is installed."""
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    gauge = GaugeMetricFamily(
        "outdials_job_queue", "Background jobs by status.", labels=["status"]
    )
    for row in DBTaskResult.objects.values("status").annotate(n=Count("id")):
        gauge.add_metric([str(row["status"]).lower()], row["n"])
    yield gauge


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def exposition() -> bytes:
    """Every series, in Prometheus' text format."""
    if _multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        process_wide = generate_latest(registry)
    else:
        process_wide = generate_latest(REGISTRY)
    domain = CollectorRegistry()
    domain.register(DomainCollector())
    return process_wide + generate_latest(domain)


def metrics_view(request) -> HttpResponse:
    token = settings.OUTDIALS_METRICS_TOKEN
    if not token:
        return HttpResponse("Not found\n", status=404, content_type="text/plain")
    sent = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(
            "Send Authorization: Bearer <OUTDIALS_METRICS_TOKEN>.\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every answer (the probes and /metrics excepted: they
    are answered before this middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = match.view_name if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        counter, timer = _series(method, route, response.status_code)
        counter.inc()
        timer.observe(time.perf_counter() - started)
        return response


@functools.lru_cache(maxsize=4096)
def _series(method: str, route: str, status: int) -> tuple:
    """The request counter and timer of one method, route and status, looked
    up once (``labels()`` checks and locks on every call)."""
    return (
        REQUESTS.labels(method, route, str(status)),
        REQUEST_SECONDS.labels(method, route),
    )


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def timed_import(import_csv):
    """Wraps ``importing.import_csv``: its duration by result, its rows."""

    @functools.wraps(import_csv)
    def timed(*args, **kwargs):
        from .importing.report import ImportRejected

        started = time.perf_counter()
        result = "failed"
        try:
            report = import_csv(*args, **kwargs)
            result = "dry_run" if kwargs.get("dry_run") else "imported"
            if result == "imported":
                for kind, count in (
                    ("created", report.created),
                    ("duplicate", report.duplicates),
                    ("invalid", report.invalid),
                ):
                    if count:
                        IMPORT_ROWS.labels(kind).inc(count)
            return report
        except ImportRejected:
            result = "rejected"
            raise
        finally:
            IMPORT_SECONDS.labels(result).observe(time.perf_counter() - started)

    return timed
