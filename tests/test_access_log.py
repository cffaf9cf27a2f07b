"""gunicorn's access log as the service writes it: the same line gunicorn's
own atoms make, for any format, with no credential in it."""

import datetime
import logging

from gunicorn import glogging
from gunicorn.config import Config

from outdials.redaction import MASK
from outdialsite.serving import LazyAtoms, RedactingLogger

KEY = "odk_" + "s" * 40
EVERY_ATOM = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(B)s "%(f)s" "%(a)s" %(T)s '
    "%(D)s %(M)s %(L)s %(p)s %(m)s %(U)s %(q)s %(H)s %(x)s "
    '"%({X-Request-ID}o)s" "%({content-type}o)s" "%({user-agent}i)s" '
    '"%({missing}i)s" "%({raw_uri}e)s" "%({nothing}e)s"'
)


class Request:
    headers = [
        ("HOST", "127.0.0.1:8000"),
        ("USER-AGENT", 'dialer "7"'),
        ("AUTHORIZATION", f"Bearer {KEY}"),
    ]


class Response:
    status = "404 Not Found"
    sent = 0
    headers = [
        ("Content-Type", "application/json"),
        ("X-Request-ID", "rid-00000001"),
    ]


ENVIRON = {
    "REQUEST_METHOD": "GET",
    "RAW_URI": f"/v1.0/outdials?accesskey={KEY}",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "PATH_INFO": "/v1.0/outdials",
    "QUERY_STRING": f"accesskey={KEY}",
    "REMOTE_ADDR": "10.0.0.7",
    "HTTP_USER_AGENT": 'dialer "7"',
    "HTTP_AUTHORIZATION": f"Bearer {KEY}",
}
TOOK = datetime.timedelta(seconds=2, microseconds=3456)


def logger(tmp_path, access_log_format=EVERY_ATOM) -> RedactingLogger:
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", access_log_format)
    return RedactingLogger(cfg)


def test_every_atom_reads_as_gunicorn_writes_it(tmp_path):
    log = logger(tmp_path)
    log.now = lambda: "[30/Nov/2026:17:00:00 +0000]"
    ours = EVERY_ATOM % LazyAtoms(log, Response, Request, ENVIRON, TOOK)
    gunicorns = EVERY_ATOM % glogging.SafeAtoms(
        log.atoms(Response, Request, ENVIRON, TOOK)
    )
    assert ours == gunicorns
    assert '"dialer \\"7\\""' in ours and " 404 0 0 " in ours


def test_the_access_line_holds_no_credential(tmp_path):
    log = logger(tmp_path, '%(h)s "%(r)s" %(s)s "%({authorization}i)s"')
    log.access(Response, Request, ENVIRON, TOOK)
    for handler in log.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text()
    assert line.startswith('10.0.0.7 "GET /v1.0/outdials?accesskey=')
    assert KEY not in line and KEY[:20] not in line
    assert line.count(MASK) == 2
    logging.getLogger("gunicorn.access").handlers.clear()
