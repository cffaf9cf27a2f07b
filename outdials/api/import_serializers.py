"""The parameters of a CSV import, from the query string or multipart fields."""

from rest_framework import serializers

from .. import importing, validators
from .serializers import StrictCharField


class ImportParamsSerializer(serializers.Serializer):
    """Query parameters arrive as strings, so the booleans take ``true``/``false``
    (and ``1``/``0``); give this a plain dict, never a QueryDict, or a missing
    ``strict`` would read as false instead of "the server's setting"."""

    region = StrictCharField(rule=validators.validate_region, required=False)
    on_duplicate = serializers.ChoiceField(
        choices=importing.ON_DUPLICATE, default="skip"
    )
    on_error = serializers.ChoiceField(choices=importing.ON_ERROR, default="abort")
    dry_run = serializers.BooleanField(default=False)
    strict = serializers.BooleanField(required=False, allow_null=True, default=None)
    file_name = StrictCharField(required=False, default="", max_length=255)
