"""VoIPbin's published OpenAPI contract for its outdial paths, as test data.

Source: the public repository voipbin/monorepo at commit 2bf22fa4e87d (2026-08),
``bin-openapi-manager/openapi/openapi.yaml`` (components: ``PageSize``,
``PageToken`` at line 216, ``CommonAddress`` 3424, ``CommonPagination`` 3469,
``OutdialManagerOutdial`` 6022, ``OutdialManagerOutdialtarget`` 6086,
``ErrorBody`` 8162, the error responses from 8205) and
``bin-openapi-manager/openapi/paths/outdials/{main,id,id_campaign_id,id_data,
id_targets,id_targets_id}.yaml``. It is restated here for the subset the
outdial operations use (types, formats, enums, required keys and the answers
each operation documents; descriptions and examples left out), not copied.

``VOIPBIN_OWN_DEVIATIONS`` lists, with the VoIPbin code that shows it, where
VoIPbin's own service answers outside this document; the test relaxes the
document exactly there, and the README lists the same cases.
"""

import copy

TIME = {"type": "string", "format": "date-time"}
UUID = {"type": "string", "format": "uuid"}
STRING = {"type": "string"}
ERRORS = {
    "400": "BadRequest",
    "401": "Unauthenticated",
    "403": "PermissionDenied",
    "404": "NotFound",
    "500": "InternalError",
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _answers(ok: str, *codes: str, page: bool = False) -> dict:
    body = _ref(ok)
    if page:
        body = {
            "allOf": [
                _ref("CommonPagination"),
                {
                    "type": "object",
                    "properties": {"result": {"type": "array", "items": _ref(ok)}},
                },
            ]
        }
    found = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": body}},
        }
    }
    for code in codes:
        found[code] = {"$ref": f"#/components/responses/{ERRORS[code]}"}
    return found


def _body(properties: dict, required: list[str]) -> dict:
    return {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": properties,
                    "required": required,
                }
            }
        }
    }


def _path(*names: str) -> list[dict]:
    return [
        {"name": name, "in": "path", "required": True, "schema": STRING}
        for name in names
    ]


PAGING = [
    {"$ref": "#/components/parameters/PageSize"},
    {"$ref": "#/components/parameters/PageToken"},
]
ALL = ("400", "401", "403", "404", "500")
DESTINATIONS = [f"destination_{i}" for i in range(5)]

OUTDIAL = {
    "type": "object",
    "properties": {
        "id": UUID,
        "customer_id": UUID,
        "campaign_id": UUID,
        "name": STRING,
        "detail": STRING,
        "data": STRING,
        "tm_create": TIME,
        "tm_update": TIME,
        "tm_delete": TIME,
    },
}
TARGET = {
    "type": "object",
    "properties": {
        "id": UUID,
        "outdial_id": UUID,
        "name": STRING,
        "detail": STRING,
        "data": STRING,
        "status": _ref("OutdialManagerOutdialtargetStatus"),
        **{name: _ref("CommonAddress") for name in DESTINATIONS},
        **{f"try_count_{i}": {"type": "integer"} for i in range(5)},
        "tm_create": TIME,
        "tm_update": TIME,
        "tm_delete": TIME,
    },
}
ERROR_BODY = {
    "type": "object",
    "required": ["status", "reason", "message", "request_id"],
    "properties": {
        "status": {
            "type": "string",
            "enum": [
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
            ],
        },
        "reason": STRING,
        "message": STRING,
        "request_id": STRING,
        "details": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": True},
        },
    },
}

DOCUMENT = {
    "openapi": "3.0.0",
    "info": {"title": "VoIPBin API (outdial paths)", "version": "1.0.0"},
    # The service serves these paths under /v1.0 (VoIPbin's server URL is
    # https://api.voipbin.net/v1.0).
    "servers": [{"url": "/v1.0"}],
    "paths": {
        "/outdials": {
            "get": {
                "parameters": PAGING,
                "responses": _answers("OutdialManagerOutdial", "401", "500", page=True),
            },
            "post": {
                "requestBody": _body(
                    {
                        "campaign_id": STRING,
                        "name": STRING,
                        "detail": STRING,
                        "data": STRING,
                    },
                    ["campaign_id", "name", "detail", "data"],
                ),
                "responses": _answers("OutdialManagerOutdial", "400", "401", "500"),
            },
        },
        "/outdials/{id}": {
            "get": {
                "parameters": _path("id"),
                "responses": _answers("OutdialManagerOutdial", *ALL),
            },
            "delete": {
                "parameters": _path("id"),
                "responses": _answers("OutdialManagerOutdial", *ALL),
            },
            "put": {
                "parameters": _path("id"),
                "requestBody": _body(
                    {"name": STRING, "detail": STRING}, ["name", "detail"]
                ),
                "responses": _answers("OutdialManagerOutdial", *ALL),
            },
        },
        "/outdials/{id}/campaign_id": {
            "put": {
                "parameters": _path("id"),
                "requestBody": _body({"campaign_id": STRING}, ["campaign_id"]),
                "responses": _answers("OutdialManagerOutdial", *ALL),
            }
        },
        "/outdials/{id}/data": {
            "put": {
                "parameters": _path("id"),
                "requestBody": _body({"data": STRING}, ["data"]),
                "responses": _answers("OutdialManagerOutdial", *ALL),
            }
        },
        "/outdials/{id}/targets": {
            "get": {
                "parameters": [*PAGING, *_path("id")],
                "responses": _answers("OutdialManagerOutdialtarget", *ALL, page=True),
            },
            "post": {
                "parameters": _path("id"),
                "requestBody": _body(
                    {
                        "name": STRING,
                        "detail": STRING,
                        "data": STRING,
                        **{name: _ref("CommonAddress") for name in DESTINATIONS},
                    },
                    ["name", "detail", "data", *DESTINATIONS],
                ),
                "responses": _answers("OutdialManagerOutdialtarget", *ALL),
            },
        },
        "/outdials/{id}/targets/{target_id}": {
            "get": {
                "parameters": _path("id", "target_id"),
                "responses": _answers("OutdialManagerOutdialtarget", *ALL),
            },
            "delete": {
                "parameters": _path("id", "target_id"),
                "responses": _answers("OutdialManagerOutdialtarget", *ALL),
            },
        },
    },
    "components": {
        "parameters": {
            "PageSize": {
                "name": "page_size",
                "in": "query",
                "required": False,
                "schema": {"type": "integer"},
            },
            "PageToken": {
                "name": "page_token",
                "in": "query",
                "required": False,
                "schema": STRING,
            },
        },
        "schemas": {
            "CommonAddress": {
                "type": "object",
                "properties": {
                    "type": {
                        "type": "string",
                        "enum": [
                            "",
                            "agent",
                            "conference",
                            "email",
                            "extension",
                            "line",
                            "sip",
                            "tel",
                            "web_session",
                        ],
                    },
                    "target": STRING,
                    "target_name": STRING,
                    "name": STRING,
                    "detail": STRING,
                },
            },
            "CommonPagination": {
                "type": "object",
                "properties": {"next_page_token": STRING},
            },
            "OutdialManagerOutdial": OUTDIAL,
            "OutdialManagerOutdialtargetStatus": {
                "type": "string",
                "enum": ["progressing", "done", "idle"],
            },
            "OutdialManagerOutdialtarget": TARGET,
            "ErrorBody": ERROR_BODY,
            "ErrorResponse": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": _ref("ErrorBody")},
            },
        },
        "responses": {
            name: {
                "description": name,
                "content": {"application/json": {"schema": _ref("ErrorResponse")}},
            }
            for name in ERRORS.values()
        },
    },
}

# Where VoIPbin's own service answers outside its document, each with the code
# that shows it. The test relaxes the document there and nowhere else.
VOIPBIN_OWN_DEVIATIONS = {
    "unset times are null": (
        "bin-outdial-manager/models/outdial/webhook.go:23-25 and "
        "models/outdialtarget/webhook.go:37-39 write TMUpdate/TMDelete as "
        "*time.Time without omitempty: null until set; the document types "
        "tm_update and tm_delete as a non-nullable date-time string."
    ),
    "unused destination slots are null": (
        "bin-outdial-manager/models/outdialtarget/webhook.go:24-28 write "
        "Destination0..4 as *address.Address without omitempty: null for an "
        "unused slot; the document types them as a non-nullable CommonAddress."
    ),
    "GET /outdials answers 400": (
        "bin-api-manager/gens/openapi_server/gen.go:15227 answers 400 for a "
        "page_size that is not an integer (server/error.go:117-139 writes the "
        "envelope); the document lists only 200, 401 and 500 for GET /outdials. "
        "Outdials also answers 400 there for a page_token it did not give out."
    ),
}


def relaxed_document() -> dict:
    """``DOCUMENT`` with ``VOIPBIN_OWN_DEVIATIONS`` applied, and nothing else."""
    document = copy.deepcopy(DOCUMENT)
    schemas = document["components"]["schemas"]
    for name in ("OutdialManagerOutdial", "OutdialManagerOutdialtarget"):
        for key in ("tm_update", "tm_delete"):
            schemas[name]["properties"][key] = {**TIME, "nullable": True}
    for key in DESTINATIONS:
        schemas["OutdialManagerOutdialtarget"]["properties"][key] = {
            **schemas["CommonAddress"],
            "nullable": True,
        }
    responses = document["paths"]["/outdials"]["get"]["responses"]
    responses["400"] = {"$ref": "#/components/responses/BadRequest"}
    return document
