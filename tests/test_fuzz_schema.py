"""Schema fuzzing: schemathesis against the app, over the app's own document.

Every operation of ``/v1.0/openapi.json``, in positive and negative modes,
signed in as a real customer (alice) whose outdial, targets, claim, import and
access key were made in the test, with bob's data beside them. Each answer must
be no server error; conform to the document (status code, content type, body,
headers); use the error envelope for every error; and never show bob's data.

Examples per operation and mode: 50 in CI (``CI=true``), 5 locally so that
``make test`` stays quick; ``OUTDIALS_FUZZ_EXAMPLES`` overrides both.
"""

import io
import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings, strategies
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi import checks as openapi_checks

from outdials import credentials, dialing, importing, targets
from outdials.api.errors import STATUS_OF_HTTP
from outdials.models import Outdial
from outdialsite.wsgi import application
from tests.helpers import tel

IN_CI = os.environ.get("CI", "").lower() == "true"
EXAMPLES = int(os.environ.get("OUTDIALS_FUZZ_EXAMPLES") or (50 if IN_CI else 5))

DOCUMENT = json.loads(
    OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True))
)
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            # The test signs every request in itself, as alice.
            "with-security-parameters": False,
            # Unknown query parameters are ignored (as most APIs do); the
            # negative mode should break declared ones, not invent new ones.
            "allow-extra-parameters": False,
        }
    }
)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
SCHEMA.app = application
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Operations without parameters or a body have nothing the negative mode
# could break (``POST /auth/logout``): fuzzed in the positive mode only.
NOTHING_TO_BREAK = {
    f"{method.upper()} {path}"
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict)
    and not operation.get("parameters")
    and "requestBody" not in operation
}


@schemathesis.check
def rejects_what_the_document_forbids(ctx, response, case):
    """Schemathesis's negative_data_rejection, except for ``page_size``: SPEC
    §4 makes the server read any value outside 1..100 as 100; and for a
    ``text/csv`` body, which is text whatever it holds (a "number" is a
    one-cell file): the import job judges its rows, after the 202."""
    data = getattr(case.meta.phase, "data", None) if case.meta else None
    if getattr(data, "parameter", None) == "page_size":
        return None
    where = getattr(data, "parameter_location", None)
    if case.media_type == "text/csv" and where == ParameterLocation.BODY:
        return None
    return openapi_checks.negative_data_rejection(ctx, response, case)


@schemathesis.check
def errors_use_the_envelope(ctx, response, case):
    """Every 4xx/5xx is ``{"error": {status, reason, message, request_id}}``
    with the status that matches its HTTP code and the X-Request-ID header."""
    if response.status_code < 400:
        return None
    body = json.loads(response.content)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"status", "reason", "message", "request_id"} <= set(error), error
    assert set(error) <= {"status", "reason", "message", "request_id", "details"}
    assert error["request_id"] == response.headers["x-request-id"][0]
    if response.status_code in STATUS_OF_HTTP:
        assert error["status"] == STATUS_OF_HTTP[response.status_code], error
    assert error["reason"].isupper() and error["message"], error
    return True


CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    rejects_what_the_document_forbids,
    errors_use_the_envelope,
]
# Left out, and why:
# - unsupported_method and allow_header_conformance: they expect 405, and a
#   wrong method answers 404 ROUTE_NOT_FOUND as VoIPbin's does (SPEC §5).
# - positive_data_acceptance: the document cannot say everything a value must
#   be (a phone number possible for its country, a page_token this server
#   gave out), so schema-valid input may rightly be refused with a 400.
# - ignored_auth: the test sends alice's valid token on purpose; the carriers
#   and invalid credentials are covered by test_tenancy_matrix and test_auth.


@pytest.fixture
def wsgi_calls_keep_the_test_transaction():
    """Calling the WSGI app directly fires request_started/finished, which
    would close the test's database connection (Django's test client avoids
    that the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CSV = b"name,destination_0\nfrom a file,+15551230001\nanother,+15551230002\n"


def _customer_data(persona, label: str) -> dict:
    outdial = Outdial.objects.create(
        customer=persona.customer, name=f"{label}'s list", data=f"{label} data"
    )
    first = targets.create_target(
        outdial, name=f"{label} one", slots=[tel("+15559876543")]
    )
    second = targets.create_target(
        outdial,
        name=f"{label} two",
        slots=[targets.Address(type="sip", target=f"sip:{label}@pbx.example.com")],
    )
    dialing.claim(
        outdial, max_try_counts=[3] * 5, limit=1, lease_seconds=600, try_interval_ms=0
    )
    report = importing.import_csv(outdial, io.BytesIO(CSV), file_name=f"{label}.csv")
    access_key, _ = credentials.new_access_key(
        persona.customer, f"{label} key", "", 3600
    )
    return {
        "outdial": str(outdial.id),
        "targets": [str(first.id), str(second.id)],
        "import": report.as_dict()["import_id"],
        "access_key": str(access_key.id),
        "customer": str(persona.customer.id),
        "name": f"{label}'s list",
    }


@pytest.fixture
def world(alice, bob, wsgi_calls_keep_the_test_transaction):
    return {"alice": _customer_data(alice, "alice"), "bob": _customer_data(bob, "bob")}


def _real_ids(operation, mine: dict) -> list[dict]:
    """Path parameters that point at alice's own resources (generated ids
    only ever reach the 404 branch), one set per target of hers."""
    names = {p.name for p in operation.path_parameters}
    found = []
    for target in mine["targets"]:
        ids = {
            "id": mine["access_key"]
            if operation.path.startswith("/v1.0/accesskeys")
            else mine["outdial"],
            "target_id": target,
            "import_id": mine["import"],
        }
        found.append({name: value for name, value in ids.items() if name in names})
    return found if names else []


def _foreign_values(theirs: dict) -> list[str]:
    values = [theirs["outdial"], theirs["import"], theirs["access_key"]]
    return [*values, *theirs["targets"], theirs["customer"], theirs["name"]]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", [operation.label for operation in OPERATIONS])
def test_the_document_holds_under_fuzzing(label, mode, alice, world):
    if mode == GenerationMode.NEGATIVE and label in NOTHING_TO_BREAK:
        pytest.skip("nothing to break: no parameters, no body")
    operation = SCHEMA.find_operation_by_label(label)
    mine, foreign = world["alice"], _foreign_values(world["bob"])
    seen = []

    real = _real_ids(operation, mine)
    cases = operation.as_strategy(generation_mode=mode)
    if real:
        # Half the cases on alice's resources, half on generated ids.
        cases = strategies.one_of(
            cases,
            strategies.sampled_from(real).flatmap(
                lambda ids: operation.as_strategy(
                    generation_mode=mode, path_parameters=ids
                )
            ),
        )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=IN_CI,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers={"Authorization": alice.bearer})
        case.validate_response(response, checks=CHECKS)
        text = response.text
        assert not [value for value in foreign if value in text], text
        seen.append(response.status_code)

    run()
    print(f"{label} [{mode.value}]: {len(seen)} examples, statuses {sorted(set(seen))}")
    assert seen


def test_every_operation_is_fuzzed():
    """The fuzzing covers the whole document (and the document is not empty)."""
    documented = {
        f"{method.upper()} {path}"
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }
    assert {operation.label for operation in OPERATIONS} == documented
    assert len(documented) >= 29
