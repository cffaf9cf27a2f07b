"""The read endpoints with no framework at all: a bare WSGI callable.

The same access-key check, the same reads and the same JSON as the API, on
the same database: the driver (psycopg, or sqlite3) and orjson, one
connection per worker process, nothing else. No Django, no middleware, no
ORM. The benchmark serves it with gunicorn beside the service; what the
service costs beyond it is the whole framework's share of a request.

Serve: ``DATABASE_URL=… gunicorn benchmarks.bare.app:application``.
"""

import hashlib
import os
import re
import sqlite3
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import orjson

from outdials.timestamps import SENTINEL, format_seed, parse_ts

TARGET_COLUMNS = (
    "t.id, t.outdial_id, t.name, t.detail, t.data, t.status,"
    " t.tm_create, t.tm_update, t.tm_delete"
)
OUTDIAL_COLUMNS = (
    "id, customer_id, campaign_id, name, detail, data, tm_create, tm_update, tm_delete"
)
_UUID = r"[0-9a-fA-F-]{32,36}"
_ROUTES = [
    (re.compile(r"^/v1\.0/outdials$"), "outdials"),
    (re.compile(rf"^/v1\.0/outdials/({_UUID})/targets$"), "targets"),
    (re.compile(rf"^/v1\.0/outdials/({_UUID})/targets/({_UUID})$"), "target"),
]


class Database:
    """One connection per process; SQLite stores UUIDs as hex and times as
    naive UTC text, PostgreSQL as its own types."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.sqlite = parts.scheme == "sqlite"
        if self.sqlite:
            self.conn = sqlite3.connect(parts.path, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
        else:
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)

    def rows(self, sql: str, params: list) -> list:
        if self.sqlite:
            return self.conn.execute(sql.replace("%s", "?"), params).fetchall()
        return self.conn.execute(sql, params).fetchall()

    def key(self, value: uuid.UUID):
        return value.hex if self.sqlite else value

    def time(self, value: datetime):
        if self.sqlite:
            return str(value.astimezone(UTC).replace(tzinfo=None))
        return value

    def uuid_text(self, value) -> str:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))

    def ts(self, value) -> str:
        if value is None:
            return SENTINEL
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_seed(value)  # no Django here: the seed form, as served


_db: Database | None = None


def db() -> Database:
    global _db
    if _db is None:
        _db = Database(os.environ["DATABASE_URL"])
    return _db


def _answer(start_response, status: int, body) -> list[bytes]:
    payload = orjson.dumps(body)
    start_response(
        f"{status} {'OK' if status == 200 else 'ERROR'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _customer(environ):
    scheme, _, key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        return None
    found = db().rows(
        "SELECT customer_id FROM outdials_accesskey WHERE token_hash = %s"
        " AND tm_delete IS NULL AND tm_expire > %s",
        [hashlib.sha256(key.encode()).hexdigest(), db().time(datetime.now(UTC))],
    )
    return found[0][0] if found else None


def _page(query: dict) -> tuple[int, str, list] | None:
    raw = query.get("page_size", [""])[0]
    size = int(raw) if raw.isdigit() and len(raw) <= 6 else 100
    size = size if 1 <= size <= 100 else 100
    token = query.get("page_token", [""])[0]
    if not token:
        return size, "", []
    stamp, _, last = token.partition(",")
    try:
        tm_create = db().time(parse_ts(stamp))
        pk = uuid.UUID(last) if last else None
    except ValueError:
        return None
    if pk is None:
        return size, " AND t.tm_create < %s", [tm_create]
    return size, " AND (t.tm_create, t.id) < (%s, %s)", [tm_create, db().key(pk)]


def _next_token(rows: list, size: int, at: int) -> str:
    if not rows:
        return ""
    last = rows[min(size, len(rows)) - 1]
    token = db().ts(last[at])
    if len(rows) > size and rows[size][at] == last[at]:
        token = f"{token},{db().uuid_text(last[0])}"
    return token


def _target(row, slots) -> dict:
    d = db()
    body = {
        "id": d.uuid_text(row[0]),
        "outdial_id": d.uuid_text(row[1]),
        "name": row[2],
        "detail": row[3],
        "data": row[4],
        "status": row[5],
    }
    for index, slot in enumerate(slots):
        body[f"destination_{index}"] = (
            None
            if slot is None
            else {
                "type": slot[0],
                "target": slot[1],
                "target_name": slot[2],
                "name": slot[3],
                "detail": slot[4],
            }
        )
    for index, slot in enumerate(slots):
        body[f"try_count_{index}"] = 0 if slot is None else slot[5]
    body["tm_create"] = d.ts(row[6])
    body["tm_update"] = d.ts(row[7])
    body["tm_delete"] = d.ts(row[8])
    return body


def outdials(customer, query) -> tuple[int, dict]:
    page = _page(query)
    if page is None:
        return 400, {"error": {"status": "INVALID_PAGE_TOKEN"}}
    size, after, params = page
    rows = db().rows(
        f"SELECT {OUTDIAL_COLUMNS} FROM outdials_outdial t"
        f" WHERE customer_id = %s AND tm_delete IS NULL{after}"
        " ORDER BY tm_create DESC, id DESC LIMIT %s",
        [customer, *params, size + 1],
    )
    d = db()
    result = [
        {
            "id": d.uuid_text(r[0]),
            "customer_id": d.uuid_text(r[1]),
            "campaign_id": d.uuid_text(r[2]),
            "name": r[3],
            "detail": r[4],
            "data": r[5],
            "tm_create": d.ts(r[6]),
            "tm_update": d.ts(r[7]),
            "tm_delete": d.ts(r[8]),
        }
        for r in rows[:size]
    ]
    return 200, {"result": result, "next_page_token": _next_token(rows, size, 6)}


def targets(customer, query, outdial_id: str) -> tuple[int, dict]:
    page = _page(query)
    if page is None:
        return 400, {"error": {"status": "INVALID_PAGE_TOKEN"}}
    size, after, params = page
    d = db()
    outdial = d.key(uuid.UUID(outdial_id))
    # Like the API: the outdial is the caller's, with whether a lease is overdue.
    if not d.rows(
        "SELECT EXISTS(SELECT 1 FROM outdials_attempt a WHERE a.outdial_id = o.id"
        " AND a.outcome = '' AND a.lease_expires <= %s) FROM outdials_outdial o"
        " WHERE o.id = %s AND o.customer_id = %s AND o.tm_delete IS NULL",
        [d.time(datetime.now(UTC)), outdial, customer],
    ):
        return 404, {"error": {"status": "OUTDIAL_NOT_FOUND"}}
    rows = d.rows(
        f"SELECT {TARGET_COLUMNS} FROM outdials_outdialtarget t"
        f" WHERE t.outdial_id = %s AND t.tm_delete IS NULL{after}"
        " ORDER BY t.tm_create DESC, t.id DESC LIMIT %s",
        [outdial, *params, size + 1],
    )
    shown = rows[:size]
    slots = {row[0]: [None] * 5 for row in shown}
    if shown:
        marks = ", ".join(["%s"] * len(shown))
        for owner, index, *address in d.rows(
            'SELECT outdial_target_id, "index", type, target, target_name, name,'
            " detail, try_count FROM outdials_destination"
            f" WHERE outdial_target_id IN ({marks})",
            list(slots),
        ):
            slots[owner][index] = address
    result = [_target(row, slots[row[0]]) for row in shown]
    return 200, {"result": result, "next_page_token": _next_token(rows, size, 6)}


def target(customer, query, outdial_id: str, target_id: str) -> tuple[int, dict]:
    d = db()
    rows = d.rows(
        f'SELECT {TARGET_COLUMNS}, d."index", d.type, d.target, d.target_name,'
        " d.name, d.detail, d.try_count FROM outdials_outdialtarget t"
        " JOIN outdials_outdial o ON o.id = t.outdial_id"
        " LEFT JOIN outdials_destination d ON d.outdial_target_id = t.id"
        " WHERE t.id = %s AND t.outdial_id = %s AND o.customer_id = %s",
        [d.key(uuid.UUID(target_id)), d.key(uuid.UUID(outdial_id)), customer],
    )
    if not rows:
        return 404, {"error": {"status": "TARGET_NOT_FOUND"}}
    slots = [None] * 5
    for row in rows:
        if row[9] is not None:
            slots[row[9]] = row[10:]
    return 200, _target(rows[0], slots)


_VIEWS = {"outdials": outdials, "targets": targets, "target": target}


def _route(path: str):
    for pattern, name in _ROUTES:
        match = pattern.match(path)
        if match:
            return name, match
    return None


def application(environ, start_response):
    found = _route(environ.get("PATH_INFO", ""))
    if found is None:
        return _answer(start_response, 404, {"error": {"status": "NOT_FOUND"}})
    name, match = found
    customer = _customer(environ)
    if customer is None:
        return _answer(start_response, 401, {"error": {"status": "UNAUTHENTICATED"}})
    query = parse_qs(environ.get("QUERY_STRING", ""))
    status, body = _VIEWS[name](customer, query, *match.groups())
    return _answer(start_response, status, body)
