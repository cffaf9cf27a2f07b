"""gunicorn's settings for Outdials, chosen on purpose.

Found by default: gunicorn reads ./gunicorn.conf.py from the directory it
starts in, and the project root's one runs this file; `make run`, the
Procfile and the systemd unit start from there. Each value can be changed on
the command line (it wins over this file) or through the environment below.

- Sync workers (outdialsite.serving.SyncWorker): a request is a few database
  statements (or a CSV streamed out), with no long polling, so one request
  per process is the simplest model that uses the cores; run
  ``WEB_CONCURRENCY`` (2 × cores, say) of them behind a buffering proxy (nginx
  reads slow clients' bodies, so a slow upload holds no worker).
- ``timeout`` 120 s (``GUNICORN_TIMEOUT``): imports, bulk changes and big
  exports run in the job worker, so a request is short. Its database
  statements end within ``DATABASE_STATEMENT_TIMEOUT`` (30 s) + 5 s, ``?wait=``
  holds it 25 s at most, and nginx hands over an upload already buffered. The
  one request that grows with the data is the streamed export (``GET
  …/targets/export``): about 15,000 rows a second on two idle cores (a
  million in about 70 s), 5,000 to 10,000 on two cores shared with other
  work (benchmarks/sqlite_import_under_load.py: 510,021 rows in 50 s at load
  average 5, 204,786 in 41 s at 9). 120 s
  lets a streamed export of a few hundred thousand rows end on any machine
  and stops only a runaway request (the worker then answers 503
  ``REQUEST_TIMEOUT`` itself); a bigger list belongs in an export job
  (``POST …/exports``), which no timeout cuts.
  nginx's ``proxy_read_timeout`` is 10 s above it (deploy/nginx).
- ``graceful_timeout`` 30 s: on a restart a worker finishes its request
  (most end in milliseconds) before it is stopped; a streamed export still
  running then is cut short, as the client can tell (an export job is not).
- ``max_requests`` 5,000 with a jitter of 500: workers are recycled one at a
  time, bounding any slow growth (an upload's or export's peak memory) without a
  moment when all restart together.
- ``limit_request_line`` 8,190 (gunicorn's largest), 100 header fields of at
  most 8,190 bytes: room for long search queries and page tokens; past them
  the answer is 414 or 431 in the error envelope.
- No control socket (gunicorn's default path is per user, not per server).
- Logs on stdout/stderr with credentials masked (outdialsite.serving), the
  access log without query strings, probes left out.
- Prometheus' multi-process mode: each worker writes its metrics to files in
  ``PROMETHEUS_MULTIPROC_DIR`` (a fresh directory when unset), which a scrape
  of /metrics adds up; a dead worker's gauges are dropped.
"""

import os
import shutil
import tempfile

wsgi_app = "outdialsite.wsgi"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "outdialsite.serving.SyncWorker"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max(1, max_requests // 10)
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

logger_class = "outdialsite.serving.RedactingLogger"
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%({x-request-id}o)s"'

# No control socket: its one default path would be shared by every server
# started by one user (two on one host, the benchmarks' pairs).
control_socket_disable = True

_MADE = "OUTDIALS_MADE_METRICS_DIR"  # this master made it, so removes it
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Before any worker imports prometheus_client, which reads it then.
    os.environ[_MADE] = tempfile.mkdtemp(prefix="outdials-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = os.environ[_MADE]


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    made = os.environ.get(_MADE)
    if made and made == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(made, ignore_errors=True)
