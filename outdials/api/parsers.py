"""JSON in: DRF's parser, with every malformed body a 400 (SPEC §5)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json gives up on deep nesting with RecursionError, not ValueError;
            # a small body of "[[[[…" must not become a 500.
            raise ParseError("JSON parse error - nested too deeply.") from None
