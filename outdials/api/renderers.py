"""JSON out through orjson: the list endpoints spend most of their time here."""

import datetime
import uuid

import orjson
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
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


class JSONFallbackNegotiation(DefaultContentNegotiation):
    """An API view answers in its first renderer when the client's ``Accept``
    (or ``?format=``) names nothing it has, instead of a 406 or 404 that would
    hide the real answer; views with several renderers still negotiate."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1:  # nothing to choose: no need to parse Accept
            return renderers[0], renderers[0].media_type
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except (NotAcceptable, Http404):
            return renderers[0], renderers[0].media_type
