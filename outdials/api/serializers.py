"""What the API accepts. Output is built in ``wire.py``; rules come from
``validators.py``. Fields are strict about JSON types: ``"name": 5`` is an
error, not the string ``"5"``. Unknown and server-managed keys are ignored.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from .. import credentials, validators
from ..models import NIL_UUID
from ..targets import Address


def _rule(check):
    """A shared validator as a DRF field validator."""

    def run(value):
        try:
            check(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    return run


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "must be a string."}

    def __init__(self, rule=None, **kwargs):
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        if rule is not None:
            kwargs["validators"] = [_rule(rule)]
        super().__init__(**kwargs)
        if rule is not None:
            # The shared rule already refuses NUL and surrogate characters;
            # DRF's own checks would only repeat the message.
            self.validators = [
                check
                for check in self.validators
                if not isinstance(
                    check,
                    ProhibitNullCharactersValidator
                    | ProhibitSurrogateCharactersValidator,
                )
            ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    default_error_messages = {"invalid": "must be a UUID string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CampaignIdField(StrictUUIDField):
    """A campaign id; ``""`` (or ``null``) is the nil UUID, no campaign, as
    VoIPbin's ``uuid.FromStringOrNil`` reads it (bin-api-manager/server/
    outdials.go). Any other string that is not a UUID stays an error here,
    where VoIPbin would quietly detach the campaign."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None or data == "":
            return True, NIL_UUID
        return super().validate_empty_values(data)


def name_field(**kwargs):
    return StrictCharField(rule=validators.validate_name, **kwargs)


def detail_field(**kwargs):
    return StrictCharField(rule=validators.validate_detail, **kwargs)


def data_field(**kwargs):
    return StrictCharField(rule=validators.validate_data, **kwargs)


class AddressSerializer(serializers.Serializer):
    type = StrictCharField(rule=validators.validate_address_type, allow_blank=False)
    target = StrictCharField(allow_blank=False)
    target_name = name_field(required=False, default="")
    name = name_field(required=False, default="")
    detail = detail_field(required=False, default="")

    def validate(self, attrs):
        try:
            attrs["target"] = validators.validate_address(
                attrs["type"], attrs["target"]
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"target": error.messages}) from None
        return attrs


class OutdialCreateSerializer(serializers.Serializer):
    name = name_field(required=False, default="")
    detail = detail_field(required=False, default="")
    data = data_field(required=False, default="")
    campaign_id = CampaignIdField(required=False)


class OutdialUpdateSerializer(serializers.Serializer):
    """``PUT /outdials/{id}`` replaces both, an omitted one with ``""``, as
    VoIPbin's UpdateBasicInfo does (bin-api-manager/server/outdials.go)."""

    name = name_field(required=False, default="")
    detail = detail_field(required=False, default="")


class CampaignSerializer(serializers.Serializer):
    campaign_id = CampaignIdField()


class DataSerializer(serializers.Serializer):
    data = data_field()


DESTINATION_KEYS = [f"destination_{i}" for i in range(5)]
NO_DESTINATION = "At least one destination_N target is required."


def is_unused_slot(value) -> bool:
    """``null``, ``{}`` or an address without a target: VoIPbin's clients send
    all five slots, the unused ones so (bin-api-manager/server/outdials.go
    counts a slot as filled by its target alone)."""
    return value is None or (
        isinstance(value, dict) and value.get("target") in ("", None)
    )


class TargetCreateSerializer(serializers.Serializer):
    name = name_field(required=False, default="")
    detail = detail_field(required=False, default="")
    data = data_field(required=False, default="")
    destination_0 = AddressSerializer(required=False, allow_null=True)
    destination_1 = AddressSerializer(required=False, allow_null=True)
    destination_2 = AddressSerializer(required=False, allow_null=True)
    destination_3 = AddressSerializer(required=False, allow_null=True)
    destination_4 = AddressSerializer(required=False, allow_null=True)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            data = {
                key: value
                for key, value in data.items()
                if not (key in DESTINATION_KEYS and is_unused_slot(value))
            }
        return super().to_internal_value(data)

    def validate(self, attrs):
        # Any one slot, not necessarily destination_0 (outdials.go, as above).
        if not any(attrs.get(key) for key in DESTINATION_KEYS):
            raise serializers.ValidationError(NO_DESTINATION)
        return attrs

    def slots(self) -> list[Address | None]:
        data = self.validated_data
        return [
            Address(**data[f"destination_{i}"])
            if data.get(f"destination_{i}")
            else None
            for i in range(5)
        ]

    def texts(self) -> dict:
        return {key: self.validated_data[key] for key in ("name", "detail", "data")}


class AccessKeyCreateSerializer(serializers.Serializer):
    name = name_field(required=False, default="")
    detail = detail_field(required=False, default="")
    expire = StrictIntegerField(
        required=False,
        default=365 * 24 * 3600,
        min_value=60,
        max_value=credentials.MAX_ACCESS_KEY_SECONDS,
    )


class AccessKeyUpdateSerializer(serializers.Serializer):
    name = name_field(required=False)
    detail = detail_field(required=False)


class LoginSerializer(serializers.Serializer):
    username = StrictCharField(allow_blank=False, max_length=150)
    password = StrictCharField(allow_blank=False, max_length=1024)
