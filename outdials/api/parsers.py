"""JSON in, whatever the ``Content-Type`` says (SPEC §2), as VoIPbin reads it:
gin's ``c.BindJSON`` (bin-api-manager/server/outdials.go) decodes the body as
JSON without looking at the header. A body that is not JSON (a form, text,
nothing at all) is a 400 ``INVALID_JSON_BODY``, never an empty create or a
silent no-op. The CSV import endpoint keeps its own parsers (multipart, or the
``text/csv`` body read as a stream).
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .errors import APIError


class JSONParser(parsers.JSONParser):
    # Every media type, and none: DRF picks the parser by the header, and
    # VoIPbin ignores the header.
    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json gives up on deep nesting with RecursionError, not ValueError;
            # a small body of "[[[[…" must not become a 500.
            raise ParseError("JSON parse error - nested too deeply.") from None


def json_body(request):
    """The request's parsed JSON body; an empty body is not JSON (VoIPbin's
    BindJSON answers ``EOF`` with ``INVALID_JSON_BODY``)."""
    if not int(request.META.get("CONTENT_LENGTH") or 0):
        raise APIError(
            400,
            "INVALID_JSON_BODY",
            "The request body is empty; send a JSON object.",
        )
    return request.data
