"""Building blocks of the document: security schemes, field types, the answers
as ``wire.py`` writes them, the error envelope, parameters and examples."""

import json

import django_filters
from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers

from ... import timestamps, validators
from ...filters import UUID_PATTERN
from ...importing import mapping as import_mapping
from ...models import DestinationType, JobStatus, TargetStatus
from ..errors import STATUS_OF_HTTP

# --- security schemes: the three carriers of SPEC §6 --------------------------

CREDENTIAL_SCHEMES = {
    "tokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "token",
        "description": "The login token in the query: `?token=…`.",
    },
    "accesskeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "accesskey",
        "description": "An access key in the query: `?accesskey=…`.",
    },
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT or access key",
        "description": "`Authorization: Bearer <login token or access key>`.",
    },
    "tokenCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "token",
        "description": (
            "The login token, as `POST /auth/login` sets it; used only when the "
            "query and the header carry none. A write (POST, PUT, PATCH, DELETE) "
            "it authenticates needs CSRF proof: the `csrftoken` cookie's value "
            "in an `X-CSRFToken` header, else 403 `CSRF_FAILED`."
        ),
    },
    "accesskeyCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "accesskey",
        "description": "An access key in a cookie; writes need CSRF proof too.",
    },
}


class CredentialScheme(OpenApiAuthenticationExtension):
    """Any one of the carriers authenticates a call (tried in the order above)."""

    target_class = "outdials.api.auth.CredentialAuthentication"
    name = list(CREDENTIAL_SCHEMES)

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in CREDENTIAL_SCHEMES]

    def get_security_definition(self, auto_schema):
        return list(CREDENTIAL_SCHEMES.values())


# --- the strict input fields: their limits live in validators.py -------------

TEXT_LIMITS = {
    "name": ("NAME_MAX_LENGTH", "at most {} characters"),
    "target_name": ("NAME_MAX_LENGTH", "at most {} characters"),
    "detail": ("DETAIL_MAX_LENGTH", "at most {} characters"),
    "target": ("ADDRESS_MAX_LENGTH", "at most {} characters"),
    "data": ("DATA_MAX_BYTES", "at most {} bytes of UTF-8; opaque to the server"),
}


class StrictTextScheme(OpenApiSerializerFieldExtension):
    """A JSON string (never a number): with the limit its rule enforces."""

    target_class = "outdials.api.serializers.StrictCharField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = build_basic_type(OpenApiTypes.STR)
        if field.field_name in TEXT_LIMITS:
            setting, text = TEXT_LIMITS[field.field_name]
            maximum = settings.OUTDIALS[setting]
            if setting != "DATA_MAX_BYTES":
                schema["maxLength"] = maximum
            sentence = text.format(maximum)
            schema["description"] = sentence[0].upper() + sentence[1:] + "."
        if not field.allow_blank:
            schema["minLength"] = 1
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        return schema


# What ``target`` must look like for each type (validators.py has the whole
# rule: a tel number must also be possible for its country code).
PHONE_SHAPE = {
    "pattern": r"^\+[0-9]{2,15}$",
    "description": "E.164: `+` and 2–15 digits, possible for its country code.",
    "example": "+15559876543",
}
TARGET_SHAPES = {
    "tel": PHONE_SHAPE,
    "whatsapp": PHONE_SHAPE,
    "sip": {
        "pattern": r"^(sips?:)?[A-Za-z0-9\-_.!~*'()&=+$,;?/%]+@[A-Za-z0-9.\-\[\]:]+$",
        "description": "A SIP address `user@host`, with or without its scheme "
        "(`sip:`, `sips:`); stored with it.",
        "example": "alice@pbx.example.com",
    },
    "email": {
        "format": "email",
        "description": "An email address.",
        "example": "ops@example.com",
    },
}
# The other types of VoIPbin's address model name a resource by its id.
TARGET_SHAPES.update(
    {
        type_: {
            "format": "uuid",
            "description": f"The {type_.replace('_', ' ')}'s id.",
            "example": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        }
        for type_, rule in validators.ADDRESS_RULES.items()
        if rule is validators.validate_resource_id
    }
)
assert set(TARGET_SHAPES) == set(validators.ADDRESS_TYPES)


class CampaignIdScheme(OpenApiSerializerFieldExtension):
    """A campaign id, or ``""``/``null`` for none (VoIPbin's FromStringOrNil)."""

    target_class = "outdials.api.serializers.CampaignIdField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "oneOf": [
                {"type": "string", "format": "uuid"},
                {"type": "string", "maxLength": 0},
            ],
            "nullable": True,
            "description": 'The campaign\'s id; `""` or `null` for none (the nil '
            "UUID).",
        }


class AddressScheme(OpenApiSerializerExtension):
    """A destination in a request: one shape per ``type``."""

    target_class = "outdials.api.serializers.AddressSerializer"

    def map_serializer(self, auto_schema, direction):
        base = auto_schema._map_basic_serializer(self.target, direction)
        variants = []
        for type_, shape in TARGET_SHAPES.items():
            properties = {
                **base["properties"],
                # A pattern, not a one-value enum: the enum hook would merge
                # the three into one component.
                "type": {"type": "string", "pattern": f"^{type_}$", "example": type_},
                "target": {**base["properties"]["target"], **shape},
            }
            variants.append(
                {
                    "type": "object",
                    "title": type_,
                    "properties": properties,
                    "required": base["required"],
                }
            )
        # An unused slot may be sent as {} (or null), as VoIPbin's clients do.
        variants.append({"type": "object", "title": "unused", "maxProperties": 0})
        return {"oneOf": variants}


# --- answers, as wire.py writes them -----------------------------------------

TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$"


class TimestampField(serializers.CharField):
    """A time as ``timestamps.format_ts`` writes it in the mode that is on."""


class TimestampScheme(OpenApiSerializerFieldExtension):
    """The document describes the wire times of the mode that is on
    (``OUTDIALS_WIRE_TIMES``), read when the document is generated."""

    target_class = TimestampField

    def map_serializer_field(self, auto_schema, direction):
        if timestamps.mode() == timestamps.RFC3339:
            return {
                "type": "string",
                "format": "date-time",
                "nullable": True,
                "example": "2022-04-28T01:41:40.50379Z",
                "description": "RFC 3339, UTC; `null` when it has not happened.",
            }
        return {
            "type": "string",
            "pattern": TIMESTAMP_PATTERN,
            "example": "2022-04-28 01:41:40.503790",
            "description": "UTC; `9999-01-01 00:00:00.000000` when it has not "
            "happened.",
        }


class AddressOut(serializers.Serializer):
    type = serializers.ChoiceField(choices=DestinationType.choices)
    target = serializers.CharField()
    target_name = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "Address"


class OutdialOut(serializers.Serializer):
    id = serializers.UUIDField()
    customer_id = serializers.UUIDField()
    campaign_id = serializers.UUIDField(
        help_text="`00000000-0000-0000-0000-000000000000` when not attached."
    )
    name = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True)
    data = serializers.CharField(allow_blank=True)
    tm_create = TimestampField()
    tm_update = TimestampField()
    tm_delete = TimestampField()

    class Meta:
        ref_name = "Outdial"


def _target_fields() -> dict:
    fields = {
        "id": serializers.UUIDField(),
        "outdial_id": serializers.UUIDField(),
        "name": serializers.CharField(allow_blank=True),
        "detail": serializers.CharField(allow_blank=True),
        "data": serializers.CharField(allow_blank=True),
        "status": serializers.ChoiceField(choices=TargetStatus.choices),
    }
    for i in range(5):
        fields[f"destination_{i}"] = AddressOut(allow_null=True)
    for i in range(5):
        fields[f"try_count_{i}"] = serializers.IntegerField(min_value=0)
    for name in ("tm_create", "tm_update", "tm_delete"):
        fields[name] = TimestampField()
    return fields


TargetOut = type(
    "TargetOut",
    (serializers.Serializer,),
    {**_target_fields(), "Meta": type("Meta", (), {"ref_name": "Outdialtarget"})},
)


class AccessKeyOut(serializers.Serializer):
    id = serializers.UUIDField()
    customer_id = serializers.UUIDField()
    name = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True)
    token_prefix = serializers.CharField(help_text="The key's first characters.")
    tm_expire = TimestampField()
    tm_create = TimestampField()
    tm_update = TimestampField()
    tm_delete = TimestampField()

    class Meta:
        ref_name = "Accesskey"


class AccessKeyCreatedOut(AccessKeyOut):
    token = serializers.CharField(
        help_text="The full key: shown in this answer only, never again."
    )

    class Meta:
        ref_name = "AccesskeyCreated"


class LogoutOut(serializers.Serializer):
    username = serializers.CharField(help_text="Whose login tokens ended.")

    class Meta:
        ref_name = "Logout"


class LoginOut(serializers.Serializer):
    username = serializers.CharField()
    token = serializers.CharField(help_text="Valid for 7 days; also set as cookie.")

    class Meta:
        ref_name = "Login"


def page_of(item: type[serializers.Serializer], name: str):
    """The list answer of SPEC §4 around ``item`` (an object, not an array)."""
    page = type(
        f"{name}Page",
        (serializers.Serializer,),
        {
            "result": item(many=True),
            "next_page_token": serializers.CharField(
                allow_blank=True,
                help_text="Pass back unchanged as `page_token` for the next page; "
                "empty after the last page.",
            ),
            "Meta": type("Meta", (), {"ref_name": f"{name}Page"}),
        },
    )
    return extend_schema_serializer(many=False)(page)


# --- the error envelope -------------------------------------------------------


# VoIPbin's closed list (bin-common-handler/models/errors/status.go), which
# every status the code maps an HTTP code to belongs to.
ERROR_STATUSES = sorted(
    {
        "INVALID_ARGUMENT",
        "UNAUTHENTICATED",
        "PAYMENT_REQUIRED",
        "PERMISSION_DENIED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "FAILED_PRECONDITION",
        "RESOURCE_EXHAUSTED",
        "UNAVAILABLE",
        "INTERNAL",
    }
)
assert set(STATUS_OF_HTTP.values()) <= set(ERROR_STATUSES)


class ErrorBody(serializers.Serializer):
    status = serializers.ChoiceField(choices=ERROR_STATUSES)
    reason = serializers.CharField(help_text="A stable UPPER_SNAKE code.")
    message = serializers.CharField(help_text="A sentence a person can act on.")
    request_id = serializers.CharField(help_text="Also the X-Request-ID header.")
    details = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="An array of objects, as VoIPbin's: for a field that breaks its "
        'rule, `{"field": "destination_0.target", "message": "…"}` each.',
    )

    class Meta:
        ref_name = "ErrorBody"


class ErrorEnvelope(serializers.Serializer):
    error = ErrorBody()

    class Meta:
        ref_name = "Error"


def _error_example(http_status: int, reason: str, message: str, **extra):
    return OpenApiExample(
        reason,
        value={
            "error": {
                "status": STATUS_OF_HTTP[http_status],
                "reason": reason,
                "message": message,
                "request_id": "5f0c7c1e-8a4b-4a53-9d55-2b1f0c3f9e11",
                **extra,
            }
        },
        status_codes=[str(http_status)],
        response_only=True,
    )


ERRORS = {
    400: (
        "The request is malformed: an id that is not a UUID, a body that is "
        "not JSON, or a field that breaks its rule (named in `details`).",
        _error_example(400, "INVALID_ID", "The provided id is not a valid UUID."),
    ),
    401: (
        "No credential, or one that is not valid (expired, deleted, wrong).",
        _error_example(401, "AUTHENTICATION_REQUIRED", "Authentication is required."),
    ),
    403: ("The credential may not do this.", None),
    404: (
        "No such resource for this caller; another customer's looks the same.",
        _error_example(404, "OUTDIAL_NOT_FOUND", "The outdial was not found."),
    ),
    409: ("The resource is in a state that does not allow this now.", None),
    413: (
        "The request body is over the limit; nothing was read.",
        _error_example(
            413,
            "REQUEST_TOO_LARGE",
            "The request body is 2000000 bytes; the limit is 1048576 bytes.",
        ),
    ),
    429: ("Too many requests; `Retry-After` says when to try again.", None),
}


def errors(*codes: int) -> dict:
    answers = {}
    for code in codes:
        description, example = ERRORS[code]
        answers[code] = OpenApiResponse(
            ErrorEnvelope,
            description=description,
            examples=[example] if example else [],
        )
    return answers


# Every authenticated call may be refused these ways.
AUTHED = (401, 429)
# ... and a call with a JSON body these.
WITH_BODY = (400, 413)


def answers(ok, *codes: int, description: str = "") -> dict:
    found = {200: OpenApiResponse(ok, description=description or "OK")}
    found.update(errors(*sorted(set(codes))))
    return found


def json_body(serializer) -> dict:
    """A request body: JSON only (form bodies parse, but the contract is JSON)."""
    return {"application/json": serializer}


# --- parameters --------------------------------------------------------------


def _uuid_path(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        OpenApiTypes.UUID,
        OpenApiParameter.PATH,
        description=f"The {what}'s id; one that is not a UUID is a 400.",
    )


OUTDIAL_ID = _uuid_path("id", "outdial")
TARGET_ID = _uuid_path("target_id", "target")
ACCESS_KEY_ID = _uuid_path("id", "access key")

PAGING = [
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 100},
        OpenApiParameter.QUERY,
        description="Items per page, 1–100 (a whole number outside that is read "
        "as 100; anything else is a 400).",
    ),
    OpenApiParameter(
        "page_token",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="`next_page_token` of the previous page, unchanged.",
    ),
]


def filter_parameters(filterset) -> list[OpenApiParameter]:
    """A query parameter for each filter of ``filterset`` (the one home of the
    filters; a new one shows up here by itself)."""
    found = []
    for name, flt in filterset.base_filters.items():
        schema: dict = {"type": "string"}
        choices = flt.extra.get("choices")
        several = isinstance(flt, django_filters.MultipleChoiceFilter)
        if choices:
            # Empty means "any", as when the parameter is left out.
            schema["enum"] = [value for value, _ in choices] + [""]
        if several:
            # Comma-separated (?outcome=failed,busy), written as text with a
            # pattern: an empty value means "any", as for the other filters.
            one = "|".join(value for value, _ in choices)
            schema = {"type": "string", "pattern": f"^(?:(?:{one})(?:,(?:{one}))*)?$"}
        elif isinstance(flt, django_filters.NumberFilter):
            schema = {"type": "integer", "minimum": flt.extra.get("min_value", 0)}
            if flt.extra.get("max_value") is not None:
                schema["maximum"] = flt.extra["max_value"]
        elif isinstance(flt, django_filters.UUIDFilter):
            # An id, or empty for "any".
            schema["pattern"] = f"^(?:{UUID_PATTERN})?$"
        if flt.extra.get("max_length"):
            schema["maxLength"] = flt.extra["max_length"]
        found.append(
            OpenApiParameter(
                name,
                schema,
                OpenApiParameter.QUERY,
                description=str(flt.extra.get("help_text") or flt.label or ""),
            )
        )
    return found


# --- the seed's examples ------------------------------------------------------

SEED_OUTDIAL = {
    "id": "40bea034-1d17-474d-a5de-da00d0861c69",
    "customer_id": "7a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "campaign_id": "00000000-0000-0000-0000-000000000000",
    "name": "test outdial",
    "detail": "outdial for test use.",
    "data": "test data",
    "tm_create": "2022-04-28 01:41:40.503790",
    "tm_update": "9999-01-01 00:00:00.000000",
    "tm_delete": "9999-01-01 00:00:00.000000",
}
SEED_TARGET = {
    "id": "1b3d7a92-7146-466d-90f5-4bc701ada4c0",
    "outdial_id": "40bea034-1d17-474d-a5de-da00d0861c69",
    "name": "test destination 0",
    "detail": "test detatination 0 detail",
    "data": "test data",
    "status": "idle",
    "destination_0": {
        "type": "tel",
        "target": "+15559876543",
        "target_name": "",
        "name": "",
        "detail": "",
    },
    **{f"destination_{i}": None for i in range(1, 5)},
    **{f"try_count_{i}": 0 for i in range(5)},
    "tm_create": "2022-04-30 17:52:16.484341",
    "tm_update": "2022-04-30 17:52:16.484341",
    "tm_delete": "9999-01-01 00:00:00.000000",
}
SEED_ACCESS_KEY = {
    "id": "2d7f0a55-3c1e-4e0b-8f6a-9b1c2d3e4f50",
    "customer_id": "7a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "name": "crm sync",
    "detail": "",
    "token_prefix": "odk_Zt3kP0qa",
    "tm_expire": "2023-04-28 01:41:40.503790",
    "tm_create": "2022-04-28 01:41:40.503790",
    "tm_update": "9999-01-01 00:00:00.000000",
    "tm_delete": "9999-01-01 00:00:00.000000",
}


def example(name: str, value, *, request: bool = False) -> OpenApiExample:
    if request:
        return OpenApiExample(name, value=value, request_only=True)
    return OpenApiExample(name, value=value, response_only=True, status_codes=["200"])


OUTDIAL_EXAMPLE = example("an outdial", SEED_OUTDIAL)
TARGET_EXAMPLE = example("a target", SEED_TARGET)
ACCESS_KEY_EXAMPLE = example("an access key", SEED_ACCESS_KEY)


# --- dialing and import answers -----------------------------------------------

SLOT_INDEX = {"min_value": 0, "max_value": 4}


def _nullable_timestamp(help_text: str):
    return TimestampField(allow_null=True, help_text=help_text)


class ClaimOut(serializers.Serializer):
    claim_id = serializers.UUIDField(help_text="Report the result with this id.")
    lease_expires = TimestampField()
    destination_index = serializers.IntegerField(**SLOT_INDEX)
    destination = AddressOut()
    try_count = serializers.IntegerField(
        min_value=1, help_text="This destination's attempts, this one included."
    )
    target = TargetOut()

    class Meta:
        ref_name = "Claim"


def result_of(item, name: str):
    """``{"result": [item, ...]}`` (no paging)."""
    wrapper = type(
        f"{name}Result",
        (serializers.Serializer,),
        {
            "result": item(many=True),
            "Meta": type("Meta", (), {"ref_name": f"{name}Result"}),
        },
    )
    return extend_schema_serializer(many=False)(wrapper)


ATTEMPT_OUTCOMES = ["pending", "answered", "no_answer", "busy", "failed", "expired"]


class AttemptOut(serializers.Serializer):
    claim_id = serializers.UUIDField()
    target_id = serializers.UUIDField()
    destination_index = serializers.IntegerField(**SLOT_INDEX)
    address = serializers.CharField(help_text="The address dialed.")
    try_count = serializers.IntegerField(min_value=0)
    outcome = serializers.ChoiceField(
        choices=ATTEMPT_OUTCOMES, help_text="`pending` while the claim is open."
    )
    lease_expires = TimestampField()
    tm_start = TimestampField()
    tm_end = TimestampField()

    class Meta:
        ref_name = "Attempt"


def _counts(name: str, keys: list[str], help_text: str):
    return type(
        name,
        (serializers.Serializer,),
        {
            **{key: serializers.IntegerField(min_value=0) for key in keys},
            "Meta": type("Meta", (), {"ref_name": name}),
        },
    )(help_text=help_text)


class SummaryOut(serializers.Serializer):
    status = _counts("StatusCounts", TargetStatus.values, "Live targets by status.")
    attempts_by_destination = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        min_length=5,
        max_length=5,
        help_text="Attempts on destination 0–4.",
    )
    outcomes = _counts("OutcomeCounts", ATTEMPT_OUTCOMES, "Attempts by outcome.")
    exhausted = serializers.IntegerField(
        min_value=0, help_text="Targets done without an answer, out of attempts."
    )
    total = serializers.IntegerField(min_value=0, help_text="Live targets.")
    callable_now = serializers.IntegerField(
        min_value=0,
        help_text="Idle targets no rule of the outdial's policy holds back now.",
    )
    waiting = serializers.IntegerField(
        min_value=0,
        help_text="Idle targets waiting for their next-attempt time, calling "
        "hours or daily cap.",
    )
    suppressed = serializers.IntegerField(
        min_value=0,
        help_text="Idle targets whose every destination with attempts left is "
        "on a suppression list: claims pass over them.",
    )

    class Meta:
        ref_name = "Summary"


ELIGIBILITY_REASONS = [
    "DELETED",
    "DONE",
    "IN_PROGRESS",
    "EXHAUSTED",
    "WAITING_RETRY_INTERVAL",
    "SCHEDULED",
    "OUTSIDE_CALLING_HOURS",
    "DAILY_CAP_REACHED",
    "SUPPRESSED",
]


class SuppressingListOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()

    class Meta:
        ref_name = "SuppressingList"


class ReasonOut(serializers.Serializer):
    code = serializers.ChoiceField(choices=ELIGIBILITY_REASONS)
    message = serializers.CharField()
    until = _nullable_timestamp("When the reason ends, where that is known.")
    time_zone = serializers.CharField(
        required=False, help_text="OUTSIDE_CALLING_HOURS: the target's time zone."
    )
    until_local = serializers.CharField(
        required=False,
        help_text="OUTSIDE_CALLING_HOURS: when the hours open, in that zone "
        "(`YYYY-MM-DD HH:MM:SS`).",
    )
    lists = SuppressingListOut(
        many=True,
        required=False,
        help_text="SUPPRESSED: the lists whose entries suppress the target.",
    )

    class Meta:
        ref_name = "IneligibleReason"


class EligibilityOut(serializers.Serializer):
    eligible = serializers.BooleanField()
    next_destination_index = serializers.IntegerField(allow_null=True, **SLOT_INDEX)
    reasons = ReasonOut(many=True)

    class Meta:
        ref_name = "Eligibility"


class AvailableOut(serializers.Serializer):
    result = TargetOut(many=True)
    callable_now = serializers.IntegerField(
        min_value=0,
        help_text="Idle targets with attempts left under these maxima that a "
        "claim could take now.",
    )
    waiting = serializers.IntegerField(
        min_value=0,
        help_text="Idle targets with attempts left, held back now by the "
        "policy (next-attempt time, calling hours, daily cap) or try_interval.",
    )

    class Meta:
        ref_name = "Available"


class WindowOut(serializers.Serializer):
    days = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        )
    )
    start = serializers.CharField(help_text="HH:MM local time.")
    end = serializers.CharField(help_text="HH:MM local time (exclusive).")

    class Meta:
        ref_name = "CallingWindow"


class RetryDelaysOut(serializers.Serializer):
    busy = serializers.IntegerField(min_value=0)
    no_answer = serializers.IntegerField(min_value=0)
    failed = serializers.IntegerField(min_value=0)
    expired = serializers.IntegerField(min_value=0)

    class Meta:
        ref_name = "RetryDelays"


class PolicyOut(serializers.Serializer):
    outdial_id = serializers.UUIDField()
    max_try_count_0 = serializers.IntegerField(min_value=0)
    max_try_count_1 = serializers.IntegerField(min_value=0)
    max_try_count_2 = serializers.IntegerField(min_value=0)
    max_try_count_3 = serializers.IntegerField(min_value=0)
    max_try_count_4 = serializers.IntegerField(min_value=0)
    retry_delays = RetryDelaysOut(help_text="Seconds, by settled outcome.")
    daily_cap = serializers.IntegerField(min_value=0, help_text="0: no cap.")
    calling_hours = WindowOut(many=True, help_text="Empty: any time.")
    time_zone = serializers.CharField(help_text="The default IANA time zone.")
    tm_update = TimestampField()

    class Meta:
        ref_name = "DialingPolicy"


POLICY_EXAMPLE = example(
    "a policy",
    {
        "outdial_id": "40bea034-1d17-474d-a5de-da00d0861c69",
        "max_try_count_0": 3,
        "max_try_count_1": 1,
        "max_try_count_2": 1,
        "max_try_count_3": 1,
        "max_try_count_4": 1,
        "retry_delays": {"busy": 300, "no_answer": 3600, "failed": 600, "expired": 0},
        "daily_cap": 3,
        "calling_hours": [
            {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "start": "09:00",
                "end": "20:00",
            },
            {"days": ["sat"], "start": "10:00", "end": "14:00"},
        ],
        "time_zone": "America/New_York",
        "tm_update": "2022-04-28 01:41:40.503790",
    },
)


class RowMessageOut(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="The CSV row (1 is the header)."
    )
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()

    class Meta:
        ref_name = "ImportRowMessage"


MAPPING_FIELDS = ["", *import_mapping.FIELDS]
MAPPING_EXAMPLE = {
    "First Name": "first_name",
    "Last Name": "last_name",
    "Phone": "destination_0",
    "Mobile": "destination_1",
    "Time Zone": "",
}


class MappingScheme(OpenApiSerializerFieldExtension):
    """In the query string and in a form field the mapping travels as JSON text."""

    target_class = "outdials.api.import_serializers.MappingField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "description": "A JSON object of column → field; fields: "
            + ", ".join(import_mapping.FIELDS)
            + ', or "" to leave the column out.',
            "example": json.dumps(MAPPING_EXAMPLE),
        }


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "string", "enum": MAPPING_FIELDS},
        "description": "Column → field, as the import applied it.",
        "example": MAPPING_EXAMPLE,
    }
)
class ColumnMappingField(serializers.DictField):
    pass


class PreviewDestinationOut(serializers.Serializer):
    index = serializers.IntegerField(min_value=0, max_value=4)
    type = serializers.ChoiceField(choices=DestinationType.choices)
    target = serializers.CharField(help_text="Normalized: E.164 for phones.")
    target_name = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "ImportPreviewDestination"


class PreviewProblemOut(serializers.Serializer):
    level = serializers.ChoiceField(choices=["error", "warning"])
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()

    class Meta:
        ref_name = "ImportPreviewProblem"


class PreviewRowOut(serializers.Serializer):
    row = serializers.IntegerField(help_text="As a spreadsheet numbers it.")
    action = serializers.ChoiceField(
        choices=["create", "update", "unchanged", "duplicate", "invalid"]
    )
    name = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True)
    data = serializers.CharField(allow_blank=True)
    external_id = serializers.CharField(allow_blank=True)
    destinations = PreviewDestinationOut(many=True)
    problems = PreviewProblemOut(many=True)

    class Meta:
        ref_name = "ImportPreviewRow"


class PreviewColumnOut(serializers.Serializer):
    column = serializers.CharField(allow_blank=True)
    field = serializers.ChoiceField(choices=MAPPING_FIELDS)
    key = serializers.BooleanField()
    samples = serializers.ListField(child=serializers.CharField(), max_length=5)

    class Meta:
        ref_name = "ImportPreviewColumn"


class ImportReportOut(serializers.Serializer):
    import_id = serializers.UUIDField(
        allow_null=True, help_text="`null` for a dry run."
    )
    rows = serializers.IntegerField(min_value=0)
    created = serializers.IntegerField(min_value=0)
    updated = serializers.IntegerField(
        min_value=0, help_text="Rows whose key matched a live target, changed."
    )
    unchanged = serializers.IntegerField(
        min_value=0, help_text="Rows whose key matched a live target, as it was."
    )
    duplicates = serializers.IntegerField(min_value=0)
    invalid = serializers.IntegerField(min_value=0)
    suppressed = serializers.IntegerField(
        min_value=0,
        help_text="Rows with an address on a suppression list (skipped, "
        "invalid or imported, as on_suppressed says).",
    )
    errors = RowMessageOut(many=True)
    warnings = RowMessageOut(many=True)
    mapping = ColumnMappingField()
    key = serializers.CharField(allow_null=True, help_text="The key column.")
    sheet = serializers.CharField(
        required=False, help_text="The sheet read, for a workbook."
    )
    sheets = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Every worksheet of a workbook.",
    )
    preview = PreviewRowOut(
        many=True, required=False, help_text="With `preview`: the first rows."
    )
    columns = PreviewColumnOut(
        many=True, required=False, help_text="With `preview`: every column."
    )

    class Meta:
        ref_name = "ImportReport"


class JobProgressOut(serializers.Serializer):
    checked = serializers.IntegerField(min_value=0, help_text="Rows checked.")
    written = serializers.IntegerField(min_value=0, help_text="Targets written.")
    total = serializers.IntegerField(
        min_value=0,
        allow_null=True,
        help_text="Targets to write, once the check has counted them; else `null`.",
    )

    class Meta:
        ref_name = "JobProgress"


class JobErrorOut(serializers.Serializer):
    reason = serializers.CharField(
        help_text="`INVALID_ROWS`, `FILE_TOO_LARGE`… as a synchronous import's "
        "error, or `WORKER_LOST` / `IMPORT_FAILED`."
    )
    message = serializers.CharField()

    class Meta:
        ref_name = "JobError"


class ExportJobOut(serializers.Serializer):
    id = serializers.UUIDField()
    outdial_id = serializers.UUIDField()
    created_by = serializers.CharField(allow_blank=True)
    filters = serializers.DictField(
        child=serializers.CharField(), help_text="The targets list's filters used."
    )
    rows = serializers.IntegerField(
        min_value=0, allow_null=True, help_text="Targets exported, once done."
    )
    file = serializers.CharField(
        allow_null=True, help_text="The CSV's path once the export is done."
    )
    tm_create = TimestampField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = JobProgressOut()
    tm_start = TimestampField()
    tm_end = TimestampField()
    error = JobErrorOut(allow_null=True)

    class Meta:
        ref_name = "Export"


class ImportBatchOut(serializers.Serializer):
    id = serializers.UUIDField()
    outdial_id = serializers.UUIDField()
    file_name = serializers.CharField(allow_blank=True)
    created_by = serializers.CharField(
        allow_blank=True, help_text="A username, or an access key's prefix."
    )
    rows = serializers.IntegerField(min_value=0)
    created = serializers.IntegerField(min_value=0)
    updated = serializers.IntegerField(min_value=0)
    unchanged = serializers.IntegerField(min_value=0)
    duplicates = serializers.IntegerField(min_value=0)
    invalid = serializers.IntegerField(min_value=0)
    tm_create = TimestampField()
    tm_undo = TimestampField()
    status = serializers.ChoiceField(
        choices=JobStatus.choices,
        help_text="The import's job: `queued` → `running` → `done`, `failed` or "
        "`cancelled`. Only a `done` import wrote targets.",
    )
    progress = JobProgressOut()
    tm_start = TimestampField()
    tm_end = TimestampField()
    error = JobErrorOut(allow_null=True, help_text="Why it failed; else `null`.")
    dry_run = serializers.BooleanField(help_text="A check only: writes nothing.")

    class Meta:
        ref_name = "Import"


class ImportDetailOut(ImportBatchOut):
    report = ImportReportOut()

    class Meta:
        ref_name = "ImportWithReport"


class ImportUndoneOut(ImportBatchOut):
    deleted = serializers.IntegerField(
        min_value=0, help_text="Targets removed: never attempted."
    )
    kept = serializers.IntegerField(
        min_value=0, help_text="Targets kept: already attempted or changed."
    )
    restored = serializers.IntegerField(
        min_value=0, help_text="Updated targets given back their values before."
    )

    class Meta:
        ref_name = "ImportUndone"


IMPORT_ID = _uuid_path("import_id", "import")
EXPORT_ID = _uuid_path("export_id", "export")
