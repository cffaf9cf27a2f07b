"""The error envelope (SPEC §5) on every kind of failure, and ``X-Request-ID``."""

import json
import logging
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousFileOperation
from django.http import Http404
from django.test import override_settings
from rest_framework import exceptions
from rest_framework.exceptions import PermissionDenied

from outdials.api import views
from outdials.api.errors import APIError
from outdials.models import Outdial
from tests.helpers import assert_error, by_field

UUID4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)


def post_raw(client, path, body: bytes, content_type="application/json", **extra):
    return client.generic("POST", path, body, content_type=content_type, **extra)


# --- request bodies ---------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "x",',
        b"{'name': 'x'}",
        b'{"name": NaN}',
        b'{"name": Infinity}',
        b"\xff\xfe{}",
        b"not json at all",
        b'{"name": "x"} trailing',
    ],
)
def test_malformed_json_is_a_400(api, body):
    response = post_raw(api, "/v1.0/outdials", body)
    error = assert_error(response, 400, "INVALID_JSON_BODY")
    assert error["message"] == "The request body is not valid JSON."
    assert not Outdial.objects.exists()


def test_deeply_nested_json_is_a_400_not_a_crash(api):
    body = b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = post_raw(api, "/v1.0/outdials", body)
    assert_error(response, 400, "INVALID_JSON_BODY")


@pytest.mark.parametrize(
    "body,kind",
    [(b"[]", "list"), (b'[{"name": "x"}]', "list"), (b'"x"', "str"), (b"5", "int")],
)
def test_a_body_that_is_not_an_object_is_a_400(api, body, kind):
    response = post_raw(api, "/v1.0/outdials", body)
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    message = f"Invalid data. Expected a dictionary, but got {kind}."
    assert by_field(error["details"]) == {"body": [message]}
    assert error["message"] == message
    assert not Outdial.objects.exists()


def test_a_null_body_is_a_400(api):
    response = post_raw(api, "/v1.0/outdials", b"null")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == {"body": ["No data provided"]}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""],
)
def test_a_body_is_json_whatever_its_content_type_says(api, content_type):
    """VoIPbin's BindJSON reads the body as JSON whatever the header says; a
    form is not JSON, and never a blank create."""
    response = post_raw(
        api, "/v1.0/outdials", b'{"name": "typed"}', content_type=content_type
    )
    assert response.status_code == 200
    assert response.json()["name"] == "typed"
    response = post_raw(api, "/v1.0/outdials", b"name=x", content_type=content_type)
    assert_error(response, 400, "INVALID_JSON_BODY")
    assert list(Outdial.objects.values_list("name", flat=True)) == ["typed"]


def test_an_oversize_body_is_a_413(api, settings):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = b'{"name": "' + b"x" * limit + b'"}'
    response = post_raw(api, "/v1.0/outdials", body)
    error = assert_error(response, 413, "REQUEST_TOO_LARGE", "INVALID_ARGUMENT")
    assert error["message"] == (
        f"The request body is {len(body)} bytes; the limit is {limit} bytes."
    )
    assert not Outdial.objects.exists()


def test_a_body_at_the_limit_is_read(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    body = b'{"name": "' + b"x" * (200 - 12) + b'"}'
    assert len(body) == 200
    assert post_raw(api, "/v1.0/outdials", body).status_code == 200
    response = post_raw(api, "/v1.0/outdials", body + b" ")
    assert_error(response, 413, "REQUEST_TOO_LARGE", "INVALID_ARGUMENT")


def test_oversize_bodies_are_refused_before_authentication(anon, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = post_raw(anon, "/auth/login", b"{" + b" " * 200 + b"}")
    assert_error(response, 413, "REQUEST_TOO_LARGE", "INVALID_ARGUMENT")


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_a_bad_content_length_is_a_400(api, length):
    response = post_raw(api, "/v1.0/outdials", b"{}", CONTENT_LENGTH=length)
    error = assert_error(response, 400, "INVALID_CONTENT_LENGTH")
    assert error["message"] == "Content-Length is not a number."
    assert not Outdial.objects.exists()


def test_a_chunked_body_without_a_length_is_refused_not_ignored(api):
    response = post_raw(
        api,
        "/v1.0/outdials",
        b'{"name": "chunked"}',
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    error = assert_error(response, 411, "LENGTH_REQUIRED", "INVALID_ARGUMENT")
    assert error["message"] == (
        "Send the body with a Content-Length header; chunked request bodies are "
        "not supported."
    )
    assert not Outdial.objects.exists()


# --- routes and methods -----------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1.0",
        "/v1.0/",
        "/v1.0/nothing",
        "/v1.0/outdials/x/y/z",
        "/v1.0/outdials/40bea034-1d17-474d-a5de-da00d0861c69/unknown",
        "/auth",
        "/auth/",
        "/auth/register",  # (/auth/logout exists: issue 19)
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_an_unknown_api_url_is_a_404_envelope(api, anon, path, method):
    for client in (api, anon):
        response = getattr(client, method)(path, HTTP_ACCEPT="text/html")
        error = assert_error(response, 404, "ROUTE_NOT_FOUND")
        assert error["message"] == (
            "The requested endpoint does not exist. "
            f"There is no {method.upper()} {path}."
        )
        assert b"<html" not in response.content.lower()


@pytest.mark.parametrize(
    "method,path",
    [
        ("delete", "/v1.0/outdials"),
        ("put", "/v1.0/outdials"),
        ("patch", "/v1.0/outdials/{id}"),
        ("post", "/v1.0/outdials/{id}"),
        ("get", "/v1.0/outdials/{id}/campaign_id"),
        ("post", "/v1.0/outdials/{id}/data"),
        ("put", "/v1.0/outdials/{id}/targets"),
        ("delete", "/v1.0/accesskeys"),
    ],
)
def test_a_wrong_method_is_a_route_not_found(api, outdial, method, path):
    """VoIPbin answers a wrong method as an unknown route (its status list has
    no 405): bin-api-manager/server/no_route.go. ``Allow`` still says what
    the path takes."""
    response = getattr(api, method)(path.format(id=outdial.id), {}, format="json")
    error = assert_error(response, 404, "ROUTE_NOT_FOUND")
    assert error["message"] == (
        f'The requested endpoint does not exist. Method "{method.upper()}" not allowed.'
    )
    assert method.upper() not in response["Allow"]


def test_an_api_error_is_json_even_when_html_is_asked_for(api):
    response = api.get(f"/v1.0/outdials/{uuid.uuid4()}", HTTP_ACCEPT="text/html")
    assert_error(response, 404, "OUTDIAL_NOT_FOUND")


# --- unhandled exceptions ---------------------------------------------------


def explode(*args, **kwargs):
    raise RuntimeError("database password is hunter2")


@pytest.mark.parametrize("debug", [False, True])
def test_an_unhandled_exception_is_a_500_envelope_without_a_traceback(
    api, outdial, monkeypatch, caplog, debug
):
    monkeypatch.setattr(views.OutdialViewSet, "retrieve", explode)
    with override_settings(DEBUG=debug), caplog.at_level(logging.ERROR):
        response = api.get(f"/v1.0/outdials/{outdial.id}")
    error = assert_error(response, 500, "INTERNAL", "INTERNAL")
    assert error["message"] == (
        "Something went wrong on our side; quote the request id if you report it."
    )
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content
    assert b"RuntimeError" not in response.content
    # The details go to the log, with the request id to find them by.
    logged = [r for r in caplog.records if r.name == "outdials.api"]
    assert logged and error["request_id"] in logged[0].getMessage()
    assert "hunter2" in str(logged[0].exc_info[1])


def test_an_exception_while_building_a_list_is_a_500_envelope(
    api, outdial, monkeypatch
):
    monkeypatch.setattr(views.wire, "outdial", explode)
    response = api.get("/v1.0/outdials")
    assert_error(response, 500, "INTERNAL", "INTERNAL")


# --- X-Request-ID -----------------------------------------------------------


def test_every_response_carries_a_request_id(api, anon, outdial, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    responses = [
        api.get("/v1.0/outdials"),
        api.get(f"/v1.0/outdials/{outdial.id}"),
        api.get("/v1.0/outdials/nope"),
        api.get("/v1.0/nothing"),
        api.delete("/v1.0/outdials"),
        anon.get("/v1.0/outdials"),
        post_raw(api, "/v1.0/outdials", b'{"name": "too long for ten bytes"}'),
        anon.post("/auth/login", {"username": "a", "password": "b"}, format="json"),
    ]
    ids = [response["X-Request-ID"] for response in responses]
    assert all(UUID4.fullmatch(value) for value in ids), ids
    assert len(set(ids)) == len(ids)
    for response in responses:
        if response.status_code >= 400:
            assert response.json()["error"]["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize(
    "incoming", ["abc-123_XYZ.456", "a" * 64, "0f8e5d3c-1b2a-4c5d-9e8f-7a6b5c4d3e2f"]
)
def test_a_sane_incoming_request_id_is_echoed(api, incoming):
    response = api.get("/v1.0/nothing", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] == incoming
    assert response.json()["error"]["request_id"] == incoming
    assert api.get("/v1.0/outdials", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == (
        incoming
    )


@pytest.mark.parametrize(
    "incoming",
    ["short", "a" * 65, "has spaces in it", "<script>alert(1)</script>", "ünïcödé-id"],
)
def test_an_insane_incoming_request_id_is_replaced(api, incoming):
    response = api.get("/v1.0/nothing", HTTP_X_REQUEST_ID=incoming)
    assert UUID4.fullmatch(response["X-Request-ID"])
    assert response.json()["error"]["request_id"] == response["X-Request-ID"]


# --- requests Django itself refuses -----------------------------------------


def test_too_many_query_fields_is_a_400(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    query = "&".join(f"f{i}=1" for i in range(51))
    error = assert_error(api.get(f"/v1.0/outdials?{query}"), 400, "TOO_MANY_FIELDS")
    assert error["message"] == "The request has too many query or form fields."
    body = "&".join(f"f{i}=1" for i in range(51))
    response = post_raw(
        api, "/v1.0/outdials", body, content_type="application/x-www-form-urlencoded"
    )
    # A form is not JSON: refused as such, whatever its size.
    assert_error(response, 400, "INVALID_JSON_BODY")
    assert not Outdial.objects.exists()


def test_a_host_not_allowed_is_a_400_envelope_on_api_paths(anon):
    for path in ("/v1.0/outdials", "/auth/login"):
        response = anon.get(path, HTTP_HOST="evil.example")
        error = assert_error(response, 400, "BAD_REQUEST")
        assert error["message"] == "The request is malformed and was refused."


def test_a_host_not_allowed_is_a_page_elsewhere(anon):
    response = anon.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_django_500_view_answers_the_envelope_on_api_paths(rf):
    from outdials.api.errors import server_error

    request = rf.get("/v1.0/outdials")
    request.request_id = "req-12345678"
    response = server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "error": {
            "status": "INTERNAL",
            "reason": "INTERNAL",
            "message": (
                "Something went wrong on our side; quote the request id if you "
                "report it."
            ),
            "request_id": "req-12345678",
        }
    }
    page = server_error(rf.get("/accounts/login/"))
    assert page.status_code == 500 and b"{" not in page.content[:1]


# --- the envelope for every DRF exception -----------------------------------


def handled(exc, rf):
    from rest_framework.request import Request

    from outdials.api.errors import exception_handler

    request = rf.get("/v1.0/outdials")
    request.request_id = "req-12345678"
    response = exception_handler(exc, {"request": Request(request)})
    return response, response.data["error"]


@pytest.mark.parametrize(
    "exc,http_status,status,reason",
    [
        (PermissionDenied(), 403, "PERMISSION_DENIED", "PERMISSION_DENIED"),
        (DjangoPermissionDenied(), 403, "PERMISSION_DENIED", "PERMISSION_DENIED"),
        (Http404(), 404, "NOT_FOUND", "RESOURCE_NOT_FOUND"),
        (exceptions.NotFound(), 404, "NOT_FOUND", "RESOURCE_NOT_FOUND"),
        (exceptions.NotAcceptable(), 400, "INVALID_ARGUMENT", "NOT_ACCEPTABLE"),
        (
            exceptions.Throttled(wait=4.2),
            429,
            "RESOURCE_EXHAUSTED",
            "RATE_LIMIT_EXCEEDED",
        ),
        (exceptions.APIException(), 500, "INTERNAL", "ERROR"),
        (
            APIError(409, "ALREADY_THERE", "It exists.", status="ALREADY_EXISTS"),
            409,
            "ALREADY_EXISTS",
            "ALREADY_THERE",
        ),
    ],
)
def test_every_drf_exception_becomes_the_envelope(rf, exc, http_status, status, reason):
    response, error = handled(exc, rf)
    assert response.status_code == http_status
    assert (error["status"], error["reason"]) == (status, reason)
    assert error["request_id"] == "req-12345678"
    assert error["message"]


def test_a_throttled_answer_says_when_to_retry(rf):
    response, error = handled(exceptions.Throttled(wait=4.2), rf)
    # DRF rounds the wait up to 5 s; the header never says less than that.
    assert int(response["Retry-After"]) >= 5
    assert error["message"] == "Too many requests; retry in 5 s."


def test_an_api_error_carries_its_headers_and_details(rf):
    exc = APIError(
        400,
        "BAD_ROWS",
        "Two rows are bad.",
        details={"rows": [2, 5]},
        headers={"X-Thing": "1"},
    )
    response, error = handled(exc, rf)
    assert response["X-Thing"] == "1"
    assert error["details"] == [{"rows": [2, 5]}]


def test_other_exceptions_are_left_to_the_middleware(rf):
    from rest_framework.request import Request

    from outdials.api.errors import exception_handler

    assert (
        exception_handler(RuntimeError("x"), {"request": Request(rf.get("/"))}) is None
    )


def test_nested_validation_errors_are_flattened_with_paths():
    from outdials.api.errors import flatten_validation

    detail = {
        "non_field_errors": ["Bad body."],
        "destination_0": {"target": ["Too short."]},
        "rows": [{"name": ["Too long."]}, {}, {"name": ["Empty."]}],
        "tags": ["A", "B"],
    }
    assert flatten_validation(detail) == {
        "body": ["Bad body."],
        "destination_0.target": ["Too short."],
        "rows[0].name": ["Too long."],
        "rows[2].name": ["Empty."],
        "tags": ["A", "B"],
    }


@pytest.mark.parametrize(
    "exc,http_status,reason",
    [
        (RequestDataTooBig(), 413, "REQUEST_TOO_LARGE"),
        (SuspiciousFileOperation("../../etc/passwd"), 400, "BAD_REQUEST"),
    ],
)
def test_suspicious_requests_raised_in_a_view_are_envelopes(
    api, outdial, monkeypatch, exc, http_status, reason
):
    def refuse(*args, **kwargs):
        raise exc

    monkeypatch.setattr(views.OutdialViewSet, "retrieve", refuse)
    response = api.get(f"/v1.0/outdials/{outdial.id}")
    assert_error(response, http_status, reason, "INVALID_ARGUMENT")
    assert b"etc/passwd" not in response.content


def test_the_json_renderer_writes_times_and_ids_in_the_wire_format():
    from datetime import UTC, datetime

    from outdials.api.renderers import FastJSONRenderer, dumps

    when = datetime(2022, 4, 28, 1, 41, 40, 503790, tzinfo=UTC)
    ident = uuid.UUID("40bea034-1d17-474d-a5de-da00d0861c69")
    assert json.loads(dumps({"t": when, "id": ident})) == {
        "t": "2022-04-28 01:41:40.503790",
        "id": "40bea034-1d17-474d-a5de-da00d0861c69",
    }
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"s": {1}})
    assert FastJSONRenderer().render(None) == b""
