"""Parameters for the hand-written statements of the hot paths (claims, the
read path): values in the form the database driver takes, as the ORM would
send them."""

import uuid
from datetime import datetime

from django.db import connection, models

_UUID = models.UUIDField()


def db_id(value: uuid.UUID):
    """A UUID key as the database takes it (hex text on SQLite, uuid on
    PostgreSQL); every model here keys on UUID fields alike."""
    return _UUID.get_db_prep_value(value, connection)


def db_ids(values) -> list:
    """``db_id`` of each value, the connection asked once (a page's keys)."""
    if connection.features.has_native_uuid_field:
        return [
            value if isinstance(value, uuid.UUID) else db_id(value) for value in values
        ]
    return [
        value.hex if isinstance(value, uuid.UUID) else db_id(value) for value in values
    ]


def db_time(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def placeholders(count: int) -> str:
    """``%s, %s, …`` for an ``IN (…)`` of ``count`` values."""
    return ", ".join(["%s"] * count)
