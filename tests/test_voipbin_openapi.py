"""schemathesis against VoIPbin's own OpenAPI document for its outdial paths
(``tests/voipbin_contract.py``), in the ``rfc3339`` wire mode: a client
generated from VoIPbin's document gets no answer that breaks it, except where
VoIPbin's own service breaks it too (``VOIPBIN_OWN_DEVIATIONS``, README).

Signed in as alice, whose outdial and targets are made in the test; half the
cases use her real ids so the 200 answers are checked, not just the 404s.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, strategies
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from outdials import targets
from outdials.models import Outdial
from outdialsite.wsgi import application
from tests.helpers import tel
from tests.voipbin_contract import VOIPBIN_OWN_DEVIATIONS, relaxed_document

IN_CI = os.environ.get("CI", "").lower() == "true"
EXAMPLES = int(os.environ.get("OUTDIALS_VOIPBIN_EXAMPLES") or (30 if IN_CI else 10))

CONFIG = schemathesis.Config.from_dict(
    {"generation": {"with-security-parameters": False}}
)
SCHEMA = schemathesis.openapi.from_dict(relaxed_document(), config=CONFIG)
SCHEMA.app = application
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture
def rfc3339(settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "WIRE_TIMES": "rfc3339"}


@pytest.fixture
def wsgi_calls_keep_the_test_transaction():
    """As in test_fuzz_schema: the WSGI app's request signals must not close
    the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def alices_ids(alice, wsgi_calls_keep_the_test_transaction):
    outdial = Outdial.objects.create(customer=alice.customer, name="alice's list")
    made = [
        targets.create_target(outdial, name="by phone", slots=[tel("+15559876543")]),
        targets.create_target(
            outdial,
            name="by sip",
            slots=[None, targets.Address(type="sip", target="sip:a@pbx.example.com")],
        ),
    ]
    return [{"id": str(outdial.id), "target_id": str(t.id)} for t in made]


def test_the_deviations_are_the_readmes():
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()
    for title in VOIPBIN_OWN_DEVIATIONS:
        assert title in readme


@pytest.mark.parametrize("label", [operation.label for operation in OPERATIONS])
def test_answers_hold_to_voipbins_document(label, alice, alices_ids, rfc3339):
    operation = SCHEMA.find_operation_by_label(label)
    names = {parameter.name for parameter in operation.path_parameters}
    cases = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    if names:
        real = [{k: v for k, v in ids.items() if k in names} for ids in alices_ids]
        cases = strategies.one_of(
            cases,
            strategies.sampled_from(real).flatmap(
                lambda ids: operation.as_strategy(
                    generation_mode=GenerationMode.POSITIVE, path_parameters=ids
                )
            ),
        )
    seen = []

    @given(case=cases)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=IN_CI,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers={"Authorization": alice.bearer})
        case.validate_response(response, checks=CHECKS)
        seen.append(response.status_code)

    run()
    print(f"{label}: {len(seen)} examples, statuses {sorted(set(seen))}")
    assert seen
