"""The OpenAPI document at /v1.0/openapi.json and its viewers."""

import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import get_resolver
from drf_spectacular.generators import EndpointEnumerator

from outdials import credentials, validators
from outdials.api import schema
from outdials.models import User
from tests.helpers import make_persona

METHODS = ("get", "put", "post", "delete", "patch")
CARRIERS = {
    "tokenCookie": ("apiKey", "cookie", "token"),
    "accesskeyCookie": ("apiKey", "cookie", "accesskey"),
    "tokenQuery": ("apiKey", "query", "token"),
    "accesskeyQuery": ("apiKey", "query", "accesskey"),
}


@pytest.fixture
def document(anon):
    response = anon.get("/v1.0/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def test_it_serves_the_document_to_anyone(anon):
    """No credential is needed, and a bad one does not get in the way."""
    response = anon.get("/v1.0/openapi.json?token=not-a-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    body = response.json()
    assert body["openapi"] == "3.0.3"
    assert body["info"]["title"] == "Outdials API"
    assert body["servers"] == [{"url": "/", "description": "This server"}]


def test_the_document_validates_without_a_warning(tmp_path):
    """What CI runs: spectacular --validate --fail-on-warn (a view the
    document cannot describe, or an unresolvable schema, is a warning)."""
    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi: 3.0.3")


def test_every_api_route_is_in_the_document(document):
    """Every API endpoint the URLconf serves is documented, with the path
    names of SPEC §2; only the 404 catch-alls and the docs are left out."""
    endpoints = EndpointEnumerator(get_resolver().url_patterns).get_api_endpoints()
    kept = schema.documented_endpoints(endpoints)
    dropped = {
        callback.cls for _, _, method, callback in endpoints if method != "OPTIONS"
    } - {callback.cls for *_, callback in kept}
    assert dropped <= set(_docs_classes())
    documented = {(method.upper(), path) for method, path, _ in operations(document)}
    routed = {
        (method, path.replace("{pk}", "{id}"))
        for path, _, method, callback in kept
        if callback.cls not in _docs_classes()
    }
    assert routed == documented
    assert ("GET", "/v1.0/outdials/{id}/targets/{target_id}") in documented
    assert ("DELETE", "/v1.0/outdials/{id}/imports/{import_id}") in documented


def _docs_classes():
    return {
        schema.document_view.cls,
        schema.swagger_view.cls,
        schema.redoc_view.cls,
    }


def test_every_operation_describes_its_answer_and_errors(document):
    for method, path, operation in operations(document):
        responses = operation["responses"]
        # 202 for an operation that only queues a background job.
        ok = responses.get("200") or responses["202"]
        assert ok.get("content"), f"{method} {path} has no answer body"
        for code, response in responses.items():
            assert "X-Request-ID" in response["headers"]
            if code.startswith(("4", "5")):
                (media,) = response["content"].values()
                assert media["schema"] == {"$ref": "#/components/schemas/Error"}
        if path.startswith("/v1.0/"):
            assert "401" in responses and "429" in responses, f"{method} {path}"
            assert "Retry-After" in responses["429"]["headers"]
        if "{" in path:
            assert "404" in responses, f"{method} {path}"


def test_the_error_envelope_is_a_component(document):
    schemas = document["components"]["schemas"]
    assert schemas["Error"]["required"] == ["error"]
    body = schemas["ErrorBody"]
    assert body["required"] == ["message", "reason", "request_id", "status"]
    assert set(body["properties"]) == {
        "status",
        "reason",
        "message",
        "request_id",
        "details",
    }
    statuses = schemas["ErrorStatus"]["enum"]
    for status in ("INVALID_ARGUMENT", "UNAUTHENTICATED", "NOT_FOUND"):
        assert status in statuses
    assert "RESOURCE_EXHAUSTED" in statuses and "FAILED_PRECONDITION" in statuses


def test_it_names_every_credential_carrier(document):
    """The three carriers of SPEC §6 (token or access key in a cookie or the
    query, or a Bearer header); any one of them authenticates a call."""
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {*CARRIERS, "bearer"}
    for name, (kind, where, key) in CARRIERS.items():
        assert (schemes[name]["type"], schemes[name]["in"], schemes[name]["name"]) == (
            kind,
            where,
            key,
        )
    assert schemes["bearer"]["type"] == "http"
    assert schemes["bearer"]["scheme"] == "bearer"
    # In the order the server tries them: an explicit credential first.
    order = ["tokenQuery", "accesskeyQuery", "bearer", "tokenCookie", "accesskeyCookie"]
    for _, path, operation in operations(document):
        if path == "/auth/login":
            assert "security" not in operation
        else:
            assert operation["security"] == [{n: []} for n in order]


def test_strict_inputs_are_typed_with_their_limits(document):
    schemas = document["components"]["schemas"]
    outdial = schemas["OutdialCreateRequest"]["properties"]
    assert outdial["name"] == {
        "type": "string",
        "maxLength": 255,
        "description": "At most 255 characters.",
        "default": "",
    }
    assert outdial["campaign_id"]["oneOf"] == [
        {"type": "string", "format": "uuid"},
        {"type": "string", "maxLength": 0},
    ]
    assert outdial["campaign_id"]["nullable"] is True
    variants = {v["title"]: v for v in schemas["AddressRequest"]["oneOf"]}
    unused = variants.pop("unused")
    assert unused == {"type": "object", "title": "unused", "maxProperties": 0}
    assert set(variants) == set(validators.ADDRESS_TYPES)
    for kind, variant in variants.items():
        assert variant["required"] == ["target", "type"]
        assert variant["properties"]["type"]["pattern"] == f"^{kind}$"
    assert variants["tel"]["properties"]["target"]["pattern"] == r"^\+[0-9]{2,15}$"
    assert variants["email"]["properties"]["target"]["format"] == "email"
    assert variants["agent"]["properties"]["target"]["format"] == "uuid"
    assert variants["sip"]["properties"]["target"]["example"] == (
        "alice@pbx.example.com"
    )
    target = schemas["TargetCreateRequest"]
    assert "required" not in target  # any one slot will do
    assert target["properties"]["destination_1"]["nullable"] is True


def _example(operation, *, request: bool):
    if request:
        (media,) = operation["requestBody"]["content"].values()
    else:
        (media,) = operation["responses"]["200"]["content"].values()
    (example,) = media["examples"].values()
    return example["value"]


@pytest.mark.parametrize(
    ("method", "path", "persona_path"),
    [
        ("post", "/v1.0/outdials", "/v1.0/outdials"),
        ("post", "/v1.0/outdials/{id}/targets", "/v1.0/outdials/{outdial}/targets"),
        ("post", "/v1.0/accesskeys", "/v1.0/accesskeys"),
    ],
)
def test_the_seed_examples_work_as_written(
    document, api, outdial, method, path, persona_path
):
    """Each request example, sent as it stands, answers 200 with exactly the
    keys of the answer example (the seed's, for outdials and targets)."""
    operation = document["paths"][path][method]
    body = _example(operation, request=True)
    response = api.post(persona_path.format(outdial=outdial.id), body, format="json")
    assert response.status_code == 200, response.content
    answer = _example(operation, request=False)
    assert list(response.json()) == list(answer)
    for key in ("name", "detail", "data"):
        if key in body:
            assert response.json()[key] == body[key] == answer[key]


def test_the_outdial_example_is_the_seeds(document):
    operation = document["paths"]["/v1.0/outdials"]["post"]
    assert _example(operation, request=True) == {
        "name": "test outdial",
        "detail": "outdial for test use.",
        "data": "test data",
    }
    answer = _example(operation, request=False)
    assert answer["id"] == "40bea034-1d17-474d-a5de-da00d0861c69"
    assert answer["tm_update"] == "9999-01-01 00:00:00.000000"
    target = document["paths"]["/v1.0/outdials/{id}/targets"]["post"]
    assert _example(target, request=False)["destination_0"] == {
        "type": "tel",
        "target": "+15559876543",
        "target_name": "",
        "name": "",
        "detail": "",
    }


def test_the_login_example_signs_in(document, anon, db):
    persona = make_persona("demo")
    persona.user.set_password("demo-password")
    persona.user.save()
    operation = document["paths"]["/auth/login"]["post"]
    response = anon.post(
        "/auth/login", _example(operation, request=True), format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert credentials.user_for_token(token) == User.objects.get(username="demo")


def _local_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("page", ["/v1.0/docs", "/v1.0/redoc"])
def test_the_viewers_load_only_local_files(anon, page):
    """Swagger UI and ReDoc come from this server's static files (the
    sidecar's builds), never from a CDN, and point at the document."""
    response = anon.get(page)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assets = _local_assets(html)
    assert assets and all(
        a.startswith("/static/drf_spectacular_sidecar/") for a in assets
    )
    for asset in assets:
        served = anon.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(
            served.streaming_content if served.streaming else [served.content]
        )
    assert "/v1.0/openapi.json" in html


def test_swagger_ui_runs_its_inline_script_under_the_policy(anon):
    """The page's one inline script and style carry the response's nonce, so
    the Content-Security-Policy lets them (and nothing injected) run."""
    response = anon.get("/v1.0/docs")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)[1]
    html = response.content.decode()
    assert html.count(f'nonce="{nonce}"') == 2
    assert html.count("<script>") == 0
    assert "'unsafe-inline'" not in policy


def test_redoc_has_its_own_looser_style_policy(anon):
    policy = anon.get("/v1.0/redoc")["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split("; ") if part
    )
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["worker-src"] == ["'self'", "blob:"]
    assert directives["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]


def test_the_served_document_is_the_one_the_command_writes(document):
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out)
    assert json.loads(out.getvalue()) == document
