"""What the suppression endpoints accept (``/v1.0/suppressions…``); the
rules are ``suppression.py``'s and ``validators.py``'s."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .. import suppression, validators
from ..models import DestinationType, SuppressionKind, SuppressionScope
from .dialing_serializers import CallbackTimeField
from .serializers import StrictCharField, StrictUUIDField


class ListSerializer(serializers.Serializer):
    name = StrictCharField(rule=validators.validate_name, allow_blank=False)
    detail = StrictCharField(rule=validators.validate_detail, required=False)
    scope = serializers.ChoiceField(
        choices=SuppressionScope.values,
        required=False,
        help_text="`all`: every outdial of the customer; `chosen`: those in "
        "`outdial_ids`.",
    )
    outdial_ids = serializers.ListField(
        child=StrictUUIDField(),
        required=False,
        max_length=1000,
        help_text="The outdials a list of scope `chosen` applies to.",
    )


class ListUpdateSerializer(ListSerializer):
    name = StrictCharField(
        rule=validators.validate_name, allow_blank=False, required=False
    )


class AddressSerializer(serializers.Serializer):
    """An address (or a phone prefix), normalized as targets are."""

    type = serializers.ChoiceField(
        choices=DestinationType.choices,
        required=False,
        help_text="The destination type; guessed from the address when left "
        "out (tel, email or sip).",
    )
    address = StrictCharField(allow_blank=False, max_length=2000)
    kind = serializers.ChoiceField(
        choices=SuppressionKind.values,
        default=SuppressionKind.ADDRESS,
        help_text="`prefix`: every phone number starting with `address` "
        "(e.g. `+1900`).",
    )

    def validate(self, data):
        data["type"] = data.get("type") or validators.infer_address_type(
            data["address"]
        )
        try:
            data["address"] = suppression.normalize(
                data["type"], data["address"], data["kind"]
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError({"address": error.messages}) from None
        return data


class EntrySerializer(AddressSerializer):
    tm_expire = CallbackTimeField(
        required=False,
        allow_null=True,
        help_text="When the entry stops suppressing by itself; none: never.",
    )
    reason = StrictCharField(required=False, default="", max_length=255)
    source = StrictCharField(
        required=False,
        default="",
        max_length=255,
        help_text="Who or what asked (default: the caller).",
    )


class CheckSerializer(AddressSerializer):
    kind = serializers.HiddenField(default=SuppressionKind.ADDRESS)
