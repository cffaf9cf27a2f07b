"""What the read endpoints cannot avoid doing, and nothing else.

Each view does the same work as its API twin, in the same queries: check the
access key, check the outdial is the caller's, read one keyset page (rows after
``(tm_create, id)`` newest first, ``LIMIT n + 1``) and the page's destinations
in one query, then answer the same JSON built from plain dicts and rendered by
orjson. No DRF, no ORM, no serializer. The benchmark compares the API against
these in the same server, so what is left over is the framework's cost.

Served only with ``OUTDIALS_BENCH_FLOOR=1`` (the benchmark starts its server so).
Even then they keep tenancy: a bad key is 401, another customer's id a 404.
"""

import hashlib
import uuid
from datetime import UTC, datetime

import orjson
from django.db import connection
from django.http import HttpResponse

from outdials.timestamps import SENTINEL, format_ts, parse_ts

OUTDIAL_COLUMNS = (
    "id, customer_id, campaign_id, name, detail, data, tm_create, tm_update, tm_delete"
)
TARGET_COLUMNS = (
    "t.id, t.outdial_id, t.name, t.detail, t.data, t.status,"
    " t.tm_create, t.tm_update, t.tm_delete"
)


def _json(body, status=200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(body), status=status, content_type="application/json"
    )


def _error(status: int, reason: str) -> HttpResponse:
    return _json({"error": {"status": reason, "reason": reason}}, status)


def _db_uuid(value: uuid.UUID):
    # SQLite keeps UUIDs as 32 hex digits, PostgreSQL as its uuid type.
    return value if connection.features.has_native_uuid_field else value.hex


def _uuid_text(value) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


def _db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _ts(value) -> str:
    return SENTINEL if value is None else format_ts(value)


def _customer(request):
    """The customer id of the Bearer access key, or ``None``."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id FROM outdials_accesskey WHERE token_hash = %s"
            " AND tm_delete IS NULL AND tm_expire > %s",
            [hashlib.sha256(key.encode()).hexdigest(), _db_time(datetime.now(UTC))],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _page_size(request) -> int:
    raw = request.GET.get("page_size", "")
    size = int(raw) if raw.isdigit() and len(raw) <= 6 else 100
    return size if 1 <= size <= 100 else 100


def _after(request, alias: str) -> tuple[str, list] | None:
    """The keyset condition of ``page_token``; ``None`` if it is malformed."""
    token = request.GET.get("page_token", "")
    if not token:
        return "", []
    stamp, _, last_id = token.partition(",")
    try:
        tm_create = _db_time(parse_ts(stamp))
        pk = uuid.UUID(last_id) if last_id else None
    except ValueError:
        return None
    if pk is None:
        return f" AND {alias}tm_create < %s", [tm_create]
    return f" AND ({alias}tm_create, {alias}id) < (%s, %s)", [tm_create, _db_uuid(pk)]


def _next_token(rows: list, size: int) -> str:
    if not rows:
        return ""
    last = rows[min(size, len(rows)) - 1]
    token = format_ts(last[6])
    if len(rows) > size and rows[size][6] == last[6]:
        token = f"{token},{_uuid_text(last[0])}"
    return token


def _outdial(row) -> dict:
    return {
        "id": _uuid_text(row[0]),
        "customer_id": _uuid_text(row[1]),
        "campaign_id": _uuid_text(row[2]),
        "name": row[3],
        "detail": row[4],
        "data": row[5],
        "tm_create": _ts(row[6]),
        "tm_update": _ts(row[7]),
        "tm_delete": _ts(row[8]),
    }


def _target(row, slots) -> dict:
    body = {
        "id": _uuid_text(row[0]),
        "outdial_id": _uuid_text(row[1]),
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
    body["tm_create"] = _ts(row[6])
    body["tm_update"] = _ts(row[7])
    body["tm_delete"] = _ts(row[8])
    return body


def _targets(cursor, rows) -> list[dict]:
    """Target dicts for ``rows``, their destinations read in one query."""
    if not rows:
        return []
    slots = {row[0]: [None] * 5 for row in rows}
    marks = ", ".join(["%s"] * len(rows))
    cursor.execute(
        'SELECT outdial_target_id, "index", type, target, target_name, name, detail,'
        f" try_count FROM outdials_destination WHERE outdial_target_id IN ({marks})",
        list(slots),
    )
    for owner, index, *address in cursor.fetchall():
        slots[owner][index] = address
    return [_target(row, slots[row[0]]) for row in rows]


def outdials(request):
    customer = _customer(request)
    if customer is None:
        return _error(401, "UNAUTHENTICATED")
    after = _after(request, "")
    if after is None:
        return _error(400, "INVALID_PAGE_TOKEN")
    size = _page_size(request)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {OUTDIAL_COLUMNS} FROM outdials_outdial"
            f" WHERE customer_id = %s AND tm_delete IS NULL{after[0]}"
            " ORDER BY tm_create DESC, id DESC LIMIT %s",
            [customer, *after[1], size + 1],
        )
        rows = cursor.fetchall()
    return _json(
        {
            "result": [_outdial(row) for row in rows[:size]],
            "next_page_token": _next_token(rows, size),
        }
    )


def targets(request, outdial_id: uuid.UUID):
    customer = _customer(request)
    if customer is None:
        return _error(401, "UNAUTHENTICATED")
    after = _after(request, "t.")
    if after is None:
        return _error(400, "INVALID_PAGE_TOKEN")
    size = _page_size(request)
    with connection.cursor() as cursor:
        # Like the API, ask in the same query whether a lease is overdue (the
        # API would then settle it; the benchmark never has one).
        cursor.execute(
            "SELECT EXISTS(SELECT 1 FROM outdials_attempt a WHERE a.outdial_id = o.id"
            " AND a.outcome = '' AND a.lease_expires <= %s) FROM outdials_outdial o"
            " WHERE o.id = %s AND o.customer_id = %s AND o.tm_delete IS NULL",
            [_db_time(datetime.now(UTC)), _db_uuid(outdial_id), customer],
        )
        if cursor.fetchone() is None:
            return _error(404, "OUTDIAL_NOT_FOUND")
        cursor.execute(
            f"SELECT {TARGET_COLUMNS} FROM outdials_outdialtarget t"
            f" WHERE t.outdial_id = %s AND t.tm_delete IS NULL{after[0]}"
            " ORDER BY t.tm_create DESC, t.id DESC LIMIT %s",
            [_db_uuid(outdial_id), *after[1], size + 1],
        )
        rows = cursor.fetchall()
        result = _targets(cursor, rows[:size])
    return _json({"result": result, "next_page_token": _next_token(rows, size)})


def target(request, outdial_id: uuid.UUID, target_id: uuid.UUID):
    customer = _customer(request)
    if customer is None:
        return _error(401, "UNAUTHENTICATED")
    with connection.cursor() as cursor:
        # Like the API: the target joined to its destinations, one row each.
        cursor.execute(
            f'SELECT {TARGET_COLUMNS}, d."index", d.type, d.target, d.target_name,'
            " d.name, d.detail, d.try_count FROM outdials_outdialtarget t"
            " JOIN outdials_outdial o ON o.id = t.outdial_id"
            " LEFT JOIN outdials_destination d ON d.outdial_target_id = t.id"
            " WHERE t.id = %s AND t.outdial_id = %s AND o.customer_id = %s",
            [_db_uuid(target_id), _db_uuid(outdial_id), customer],
        )
        rows = cursor.fetchall()
    if not rows:
        return _error(404, "TARGET_NOT_FOUND")
    slots = [None] * 5
    for row in rows:
        if row[9] is not None:
            slots[row[9]] = row[10:]
    return _json(_target(rows[0], slots))
