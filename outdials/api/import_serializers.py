"""The parameters of an import, from the query string or multipart fields."""

import json

from rest_framework import serializers

from .. import importing, validators
from ..importing import mapping
from .serializers import StrictCharField

PREVIEW_MAX = 100


class MappingField(serializers.Field):
    """``{column: field}``: a JSON object, or its text in a query string or a
    form field. Checked by ``importing.mapping.parse``, the one home of what a
    mapping may say."""

    default_error_messages = {"invalid": "{message}"}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail(
                    "invalid",
                    message='must be a JSON object such as {"Phone": '
                    '"destination_0", "First Name": "first_name"}.',
                )
        try:
            return mapping.parse(data)
        except ValueError as error:
            self.fail("invalid", message=str(error))

    def to_representation(self, value):
        return value


# Under gunicorn's 30 s worker timeout, with room to answer.
MAX_WAIT_SECONDS = 25


class ImportParamsSerializer(serializers.Serializer):
    """Query parameters arrive as strings, so the booleans take ``true``/``false``
    (and ``1``/``0``); give this a plain dict, never a QueryDict, or a missing
    ``strict`` would read as false instead of "the server's setting"."""

    region = StrictCharField(rule=validators.validate_region, required=False)
    on_duplicate = serializers.ChoiceField(
        choices=importing.ON_DUPLICATE, default="skip"
    )
    on_error = serializers.ChoiceField(choices=importing.ON_ERROR, default="abort")
    on_suppressed = serializers.ChoiceField(
        choices=importing.ON_SUPPRESSED,
        default="skip",
        help_text="A row with an address on a suppression list: skip it "
        "(counted in suppressed), count it as an error, or allow it.",
    )
    dry_run = serializers.BooleanField(default=False)
    strict = serializers.BooleanField(required=False, allow_null=True, default=None)
    file_name = StrictCharField(required=False, default="", max_length=255)
    mapping = MappingField(
        required=False,
        default=None,
        help_text="Which field each column fills: a JSON object of column → "
        "field (" + ", ".join(mapping.FIELDS) + ', or "" to leave a column '
        "out). Without it the importer guesses from the header and says so "
        "in warnings.",
    )
    key = StrictCharField(
        required=False,
        default="",
        max_length=255,
        help_text="A column whose value (a CRM id, say) is kept on each "
        "target: a row whose key matches a live target updates it (keeping "
        "its try counts) instead of adding another.",
    )
    unmapped_to_data = serializers.BooleanField(
        default=False,
        help_text="Keep the columns not mapped in data, as a JSON object of "
        "column → value.",
    )
    sheet = StrictCharField(
        required=False,
        default="",
        max_length=255,
        help_text="The sheet of a workbook to read (default: the first).",
    )
    preview = serializers.IntegerField(
        min_value=0,
        max_value=PREVIEW_MAX,
        default=0,
        help_text="Report this many rows as they would be stored, and each "
        "column with sample values (use with dry_run).",
    )
    wait = serializers.FloatField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_WAIT_SECONDS,
        help_text="Seconds (up to 25) to wait for the import to end: when it "
        "does, the answer is its report (or its error), as a synchronous "
        "import answers; otherwise 202 with the import to poll.",
    )
