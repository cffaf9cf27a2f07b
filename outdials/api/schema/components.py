"""The OpenAPI document of the API (drf-spectacular): ``/v1.0/openapi.json``.

The views are plain ViewSets that answer hand-built dicts (``wire.py``), so
their operations are described here and applied to the view classes when this
module is imported (``api/urls.py`` does): request bodies are the strict input
serializers themselves; answers are documentation-only serializers that mirror
``wire.py``; every error is the one envelope of ``errors.py``.
"""

import re

from csp.decorators import csp_replace
from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
)
from drf_spectacular.views import (
    SpectacularJSONAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework import serializers

from ..models import DestinationType, TargetStatus
from . import views
from .errors import STATUS_OF_HTTP
from .filters import TargetFilter
from .serializers import (
    AccessKeyCreateSerializer,
    AccessKeyUpdateSerializer,
    CampaignSerializer,
    DataSerializer,
    LoginSerializer,
    OutdialCreateSerializer,
    OutdialUpdateSerializer,
    TargetCreateSerializer,
)

# --- security schemes: the three carriers of SPEC §6 --------------------------

CREDENTIAL_SCHEMES = {
    "tokenCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "token",
        "description": "The login token, as `POST /auth/login` sets it.",
    },
    "accesskeyCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "accesskey",
        "description": "An access key in a cookie.",
    },
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
        if field.field_name == "type":
            choice = serializers.ChoiceField(choices=DestinationType.choices)
            return auto_schema._map_serializer_field(choice, direction)
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


# --- answers, as wire.py writes them -----------------------------------------

TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": TIMESTAMP_PATTERN,
        "example": "2022-04-28 01:41:40.503790",
        "description": "UTC; `9999-01-01 00:00:00.000000` when it has not happened.",
    }
)
class TimestampField(serializers.CharField):
    pass


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


# SPEC §5's statuses, and any other the code maps an HTTP code to.
ERROR_STATUSES = sorted(
    {
        "INVALID_ARGUMENT",
        "UNAUTHENTICATED",
        "PERMISSION_DENIED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "FAILED_PRECONDITION",
        "RESOURCE_EXHAUSTED",
        "UNAVAILABLE",
        "INTERNAL",
        *STATUS_OF_HTTP.values(),
    }
)


class ErrorBody(serializers.Serializer):
    status = serializers.ChoiceField(choices=ERROR_STATUSES)
    reason = serializers.CharField(help_text="A stable UPPER_SNAKE code.")
    message = serializers.CharField(help_text="A sentence a person can act on.")
    request_id = serializers.CharField(help_text="Also the X-Request-ID header.")
    details = serializers.JSONField(
        required=False,
        help_text='Per-field messages, e.g. `{"destination_0.target": ["…"]}`.',
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
        _error_example(400, "INVALID_ID", "id must be a UUID."),
    ),
    401: (
        "No credential, or one that is not valid (expired, deleted, wrong).",
        _error_example(
            401, "UNAUTHENTICATED", "Sign in first: send a valid token or access key."
        ),
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
    415: ("The body is not JSON (`Content-Type: application/json`).", None),
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
WITH_BODY = (400, 413, 415)


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
        description="Items per page, 1–100 (other values are read as 100).",
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
        if choices:
            schema["enum"] = [value for value, _ in choices]
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

# --- the operations -----------------------------------------------------------

OUTDIALS = ["outdials"]
TARGETS = ["outdialtargets"]
ACCESS_KEYS = ["accesskeys"]
AUTH = ["auth"]

extend_schema_view(
    list=extend_schema(
        tags=OUTDIALS,
        summary="List outdials",
        description="The caller's live outdials, newest first.",
        parameters=PAGING,
        responses=answers(page_of(OutdialOut, "Outdial"), 400, *AUTHED),
        examples=[
            example(
                "a page",
                {
                    "result": [SEED_OUTDIAL],
                    "next_page_token": SEED_OUTDIAL["tm_create"],
                },
            )
        ],
    ),
    create=extend_schema(
        tags=OUTDIALS,
        summary="Create an outdial",
        description="Answers 200 (not 201) with the new outdial.",
        request=json_body(OutdialCreateSerializer),
        responses=answers(OutdialOut, *WITH_BODY, *AUTHED),
        examples=[
            example(
                "the seed's outdial",
                {
                    "name": "test outdial",
                    "detail": "outdial for test use.",
                    "data": "test data",
                },
                request=True,
            ),
            OUTDIAL_EXAMPLE,
        ],
    ),
    retrieve=extend_schema(
        tags=OUTDIALS,
        summary="Get an outdial",
        description="A deleted outdial still answers, with `tm_delete` set.",
        parameters=[OUTDIAL_ID],
        responses=answers(OutdialOut, 400, 404, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    update=extend_schema(
        tags=OUTDIALS,
        summary="Change an outdial's name and detail",
        parameters=[OUTDIAL_ID],
        request=json_body(OutdialUpdateSerializer),
        responses=answers(OutdialOut, 404, *WITH_BODY, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    destroy=extend_schema(
        tags=OUTDIALS,
        summary="Delete an outdial",
        description="A soft delete: the answer has `tm_delete` set.",
        parameters=[OUTDIAL_ID],
        responses=answers(OutdialOut, 400, 404, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    campaign_id=extend_schema(
        tags=OUTDIALS,
        summary="Attach an outdial to a campaign",
        parameters=[OUTDIAL_ID],
        request=json_body(CampaignSerializer),
        responses=answers(OutdialOut, 404, *WITH_BODY, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    data=extend_schema(
        tags=OUTDIALS,
        summary="Replace an outdial's data",
        parameters=[OUTDIAL_ID],
        request=json_body(DataSerializer),
        responses=answers(OutdialOut, 404, *WITH_BODY, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
)(views.OutdialViewSet)

extend_schema_view(
    list=extend_schema(
        tags=TARGETS,
        summary="List an outdial's targets",
        description="Live targets, newest first; filters combine with paging.",
        parameters=[OUTDIAL_ID, *PAGING, *filter_parameters(TargetFilter)],
        responses=answers(page_of(TargetOut, "Outdialtarget"), 400, 404, *AUTHED),
        examples=[
            example(
                "a page",
                {"result": [SEED_TARGET], "next_page_token": SEED_TARGET["tm_create"]},
            )
        ],
    ),
    create=extend_schema(
        tags=TARGETS,
        summary="Add a target to an outdial",
        description=(
            "`destination_0` is required, the others optional. Addresses: `tel` "
            "is E.164 (`+` and 2–15 digits, a possible number for its country), "
            "`sip` a `sip:`/`sips:` URI, `email` an address. Answers 200 with "
            "`status: idle` and try counts 0."
        ),
        parameters=[OUTDIAL_ID],
        request=json_body(TargetCreateSerializer),
        responses=answers(TargetOut, 404, *WITH_BODY, *AUTHED),
        examples=[
            example(
                "the seed's target",
                {
                    "name": "test destination 0",
                    "detail": "test detatination 0 detail",
                    "data": "test data",
                    "destination_0": {"type": "tel", "target": "+15559876543"},
                },
                request=True,
            ),
            TARGET_EXAMPLE,
        ],
    ),
    retrieve=extend_schema(
        tags=TARGETS,
        summary="Get a target",
        parameters=[OUTDIAL_ID, TARGET_ID],
        responses=answers(TargetOut, 400, 404, *AUTHED),
        examples=[TARGET_EXAMPLE],
    ),
    destroy=extend_schema(
        tags=TARGETS,
        summary="Delete a target",
        description="A soft delete; a target being dialed answers 409.",
        parameters=[OUTDIAL_ID, TARGET_ID],
        responses=answers(TargetOut, 400, 404, 409, *AUTHED),
        examples=[TARGET_EXAMPLE],
    ),
)(views.TargetViewSet)

extend_schema_view(
    list=extend_schema(
        tags=ACCESS_KEYS,
        summary="List access keys",
        parameters=PAGING,
        responses=answers(page_of(AccessKeyOut, "Accesskey"), 400, *AUTHED),
    ),
    create=extend_schema(
        tags=ACCESS_KEYS,
        summary="Create an access key",
        description="`expire` is its validity in seconds. The full key is in "
        "this answer only (`token`); only its hash is stored.",
        request=json_body(AccessKeyCreateSerializer),
        responses=answers(AccessKeyCreatedOut, *WITH_BODY, *AUTHED),
        examples=[
            example(
                "a year's key", {"name": "crm sync", "expire": 31536000}, request=True
            ),
            example(
                "a new key",
                {**SEED_ACCESS_KEY, "token": "odk_Zt3kP0qa" + "x" * 35},
            ),
        ],
    ),
    retrieve=extend_schema(
        tags=ACCESS_KEYS,
        summary="Get an access key",
        parameters=[ACCESS_KEY_ID],
        responses=answers(AccessKeyOut, 400, 404, *AUTHED),
        examples=[ACCESS_KEY_EXAMPLE],
    ),
    update=extend_schema(
        tags=ACCESS_KEYS,
        summary="Change an access key's name and detail",
        parameters=[ACCESS_KEY_ID],
        request=json_body(AccessKeyUpdateSerializer),
        responses=answers(AccessKeyOut, 404, *WITH_BODY, *AUTHED),
        examples=[ACCESS_KEY_EXAMPLE],
    ),
    destroy=extend_schema(
        tags=ACCESS_KEYS,
        summary="Delete an access key",
        description="It stops authenticating at once.",
        parameters=[ACCESS_KEY_ID],
        responses=answers(AccessKeyOut, 400, 404, *AUTHED),
        examples=[ACCESS_KEY_EXAMPLE],
    ),
)(views.AccessKeyViewSet)

extend_schema(
    tags=AUTH,
    summary="Sign in",
    description=(
        "A 7-day login token, in the body and as an HttpOnly cookie `token`. "
        "An unknown username and a wrong password answer alike (401). After "
        f"{settings.OUTDIALS['LOGIN_FAILURES']} failures for one username from one "
        "address within "
        f"{int(settings.OUTDIALS['LOGIN_WINDOW'].total_seconds() // 60)} minutes, "
        "sign-ins for it answer 429 with `Retry-After`, even with the right "
        "password, until the oldest failure is that old."
    ),
    request=json_body(LoginSerializer),
    responses={
        **answers(LoginOut, *WITH_BODY, 401, 403, 429),
    },
    examples=[
        example("demo", {"username": "demo", "password": "demo-password"}, request=True)
    ],
)(views.login)


# --- hooks --------------------------------------------------------------------


def documented_endpoints(endpoints, **kwargs):
    """Preprocessing: leave out the catch-all 404 routes; paths without the
    optional trailing slash; ``{id}``/``{target_id}`` as SPEC §2 names them."""
    kept = []
    for path, path_regex, method, callback in endpoints:
        if getattr(callback, "cls", None) is views.unknown.cls:
            continue
        if method == "OPTIONS" or "{path}" in path:
            continue
        if "/targets/{pk}" in path:
            path = path.replace("/targets/{pk}", "/targets/{target_id}")
            path_regex = path_regex.replace("(?P<pk>", "(?P<target_id>")
        path = path.replace("{outdial_pk}", "{id}")
        path_regex = path_regex.replace("(?P<outdial_pk>", "(?P<id>")
        if len(path) > 1:
            path = path.rstrip("/")
        kept.append((path, path_regex, method, callback))
    return kept


REQUEST_ID_HEADER = {
    "description": "The request's id, also in an error's `request_id`.",
    "schema": {"type": "string"},
}
RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
}


def finish_document(result, generator, request, public):
    """Postprocessing: headers every answer carries, and the servers entry."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                headers = response.setdefault("headers", {})
                headers["X-Request-ID"] = REQUEST_ID_HEADER
                if status == "429":
                    headers["Retry-After"] = RETRY_AFTER_HEADER
    result["servers"] = [{"url": "/", "description": "This server"}]
    return result


def operation_ids(document: dict) -> list[tuple[str, str]]:
    """Every (METHOD, path) in ``document``: for tests and checks."""
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if re.fullmatch(r"get|put|post|delete|patch", method)
    ]


# --- the served document and its viewers (local files, no CDN) ---------------

document_view = SpectacularJSONAPIView.as_view()
swagger_view = SpectacularSwaggerView.as_view(
    url_name="openapi", template_name="api/swagger_ui.html"
)
# ReDoc styles itself with <style> elements it writes at run time and renders
# in a web worker, so its page alone allows inline styles and blob: workers.
redoc_view = csp_replace(
    {
        "style-src": ["'self'", "'unsafe-inline'"],
        "worker-src": ["'self'", "blob:"],
        "img-src": ["'self'", "data:"],
    }
)(SpectacularRedocView.as_view(url_name="openapi", template_name="api/redoc.html"))
