"""JSON out through orjson: the list endpoints spend most of their time here."""

import datetime
import uuid

import orjson
from rest_framework.renderers import BaseRenderer

from ..timestamps import format_ts


def _default(value):
    if isinstance(value, datetime.datetime):
        return format_ts(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data) -> bytes:
    # Datetimes go through our wire format, never orjson's ISO form.
    return orjson.dumps(data, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


class FastJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)
