"""``/healthz``, ``/readyz`` and ``/metrics`` for load balancers and monitoring.

Answered by :class:`OpsEndpointsMiddleware`, first in ``MIDDLEWARE``: before
the host check and the HTTPS redirect (a probe speaks plain HTTP to an
address, not a host name), without sessions, authentication or throttling.

- ``/healthz``: the process answers. Never touches the database; use it for
  liveness (restart when it fails).
- ``/readyz``: every check of ``OUTDIALS_READINESS_CHECKS`` passes, in order
  (by default: the database answers within ``DATABASE_CONNECT_TIMEOUT``, and
  every migration is applied, and a job worker was seen recently when jobs
  are queued or running). 200 ``{"status": "ready", "checks": {…}}``, or
  503 UNAVAILABLE in the error envelope with ``Retry-After`` and the failing
  check in ``details``. Use it to take a server out of rotation.

A check is a function taking nothing and answering ``None`` when all is
well, or a sentence saying what is wrong; a database error it raises counts
as a failure. Add one by appending its dotted path to the setting.
"""

import logging
import threading
import uuid
from contextlib import nullcontext

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.utils.module_loading import import_string

from . import jobs
from .api.errors import error_response
from .api.renderers import dumps
from .metrics import metrics_view
from .outage import OUTAGE_ERRORS

logger = logging.getLogger("outdials.health")

RETRY_AFTER_SECONDS = 5


def database_answers() -> str | None:
    """The database takes a connection and answers ``SELECT 1`` in time."""
    connection.ensure_connection()
    bound = getattr(connection, "answer_within", None)
    with bound(settings.DATABASE_CONNECT_TIMEOUT) if bound else nullcontext():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    return None


class _Migrated:
    # Once every migration was seen applied, this process need not look again.
    seen = False


def migrations_applied() -> str | None:
    """No migration of the code is missing from the database."""
    if _Migrated.seen:
        return None
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        return f"{len(plan)} migration(s) not applied: {names}; run manage.py migrate."
    _Migrated.seen = True
    return None


def worker_seen() -> str | None:
    """When jobs are queued or running, a ``db_worker`` wrote its heartbeat
    within ``OUTDIALS["WORKER_SEEN_WITHIN"]``."""
    return jobs.unattended()


def _name(path: str) -> str:
    return path.rsplit(".", 1)[-1]


class _Readiness:
    lock = threading.Lock()
    ready: bool | None = None


def readiness() -> tuple[bool, dict[str, str]]:
    """Runs the checks in order, stopping at the first that fails."""
    checks: dict[str, str] = {}
    for path in settings.OUTDIALS_READINESS_CHECKS:
        name = _name(path)
        try:
            problem = import_string(path)()
        except OUTAGE_ERRORS as error:
            problem = f"the database did not answer: {' '.join(str(error).split())}"
        if problem:
            checks[name] = problem
            return False, checks
        checks[name] = "ok"
    return True, checks


def _note(ready: bool, checks: dict[str, str]) -> None:
    """A log line when readiness changes, not one per probe."""
    with _Readiness.lock:
        changed, _Readiness.ready = _Readiness.ready != ready, ready
    if changed and not ready:
        logger.warning("Not ready: %s", checks)
    elif changed and _Readiness.ready is not None:
        logger.info("Ready.")


def _json(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps(body), status=status, content_type="application/json")


def healthz(request) -> HttpResponse:
    return _json({"status": "ok"})


def readyz(request) -> HttpResponse:
    ready, checks = readiness()
    _note(ready, checks)
    if ready:
        return _json({"status": "ready", "checks": checks})
    failing = next(name for name, value in checks.items() if value != "ok")
    response = error_response(
        request,
        503,
        "NOT_READY",
        f"Not ready: {failing}: {checks[failing]}",
        details=checks,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


ENDPOINTS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


class OpsEndpointsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = ENDPOINTS.get(request.path_info)
        if view is None:
            return self.get_response(request)
        request.request_id = str(uuid.uuid4())
        if request.method not in ("GET", "HEAD"):
            response = error_response(
                request, 405, "METHOD_NOT_ALLOWED", "Use GET or HEAD."
            )
            response["Allow"] = "GET, HEAD"
        else:
            response = view(request)
        response["Cache-Control"] = "no-store"
        response["X-Request-ID"] = request.request_id
        # Probes come every few seconds: a failing one is logged when the
        # state changes (above), never by django.request per probe.
        response._has_been_logged = True
        return response
