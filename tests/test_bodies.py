"""Request bodies are judged before they are read, and read whole before they
are acted on (outdials.bodies): a body cut short of its Content-Length is a 400
that writes nothing, on every endpoint that reads one; an oversize one is
refused from the header, the staff upload page included."""

import io
import json
import socket
import tracemalloc
from urllib.parse import urlsplit

import pytest
from django.test import Client

from outdials import importing
from outdials.models import ImportBatch, Outdial, OutdialTarget
from tests.helpers import assert_error

CSV = "name,destination_0\n" + "".join(f"p{i},+1202555{i:04d}\n" for i in range(40))
BOUNDARY = "----outdials-test-boundary"


def multipart(fields: dict, csv_text: str) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n"
        )
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="leads.csv"\r\nContent-Type: text/csv\r\n\r\n{csv_text}\r\n'
        f"--{BOUNDARY}--\r\n"
    )
    return "".join(parts).encode()


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


class Exploding(io.RawIOBase):
    """A request body that must not be read."""

    def readable(self):
        return True

    def read(self, *args):
        raise AssertionError("the body was read")

    readinto = read


def cut(client, method, path, body: bytes, content_type: str, keep: int, **extra):
    """Send ``body`` announcing its full length, but only its first ``keep``
    bytes arrive (the client closed its side early)."""
    return client.generic(
        method,
        path,
        **{
            "wsgi.input": io.BytesIO(body[:keep]),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": content_type,
        },
        **extra,
    )


def assert_incomplete(response, received: int, length: int):
    error = assert_error(response, 400, "INCOMPLETE_BODY", "INVALID_ARGUMENT")
    assert error["message"] == (
        f"The request body ended after {received} of the {length} bytes its "
        "Content-Length announced, so nothing was done; send it again."
    )


# -- at the WSGI level -----------------------------------------------------------


def test_a_cut_short_csv_import_writes_nothing(api, outdial):
    body = CSV.encode()
    response = cut(
        api,
        "POST",
        f"/v1.0/outdials/{outdial.id}/targets/import",
        body,
        "text/csv",
        300,
    )
    assert_incomplete(response, 300, len(body))
    assert not OutdialTarget.objects.exists()
    assert not ImportBatch.objects.exists()


def test_the_whole_csv_body_still_imports(api, outdial):
    response = api.generic(
        "POST", f"/v1.0/outdials/{outdial.id}/targets/import?wait=25", CSV, "text/csv"
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 40


def test_a_cut_short_multipart_import_writes_nothing(api, outdial):
    body = multipart({"on_error": "skip"}, CSV)
    response = cut(
        api,
        "POST",
        f"/v1.0/outdials/{outdial.id}/targets/import",
        body,
        MULTIPART,
        len(body) - 30,
    )
    assert_incomplete(response, len(body) - 30, len(body))
    assert not OutdialTarget.objects.exists()


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b'{"name": "whole", "detail": "all of it"}   ', "application/json"),
        (b"name=whole&detail=all+of+it", "application/x-www-form-urlencoded"),
    ],
)
def test_a_cut_short_api_body_writes_nothing(api, body, content_type):
    """Cut where the rest would still parse: JSON ending in spaces, a form."""
    response = cut(api, "POST", "/v1.0/outdials", body, content_type, len(body) - 3)
    assert_incomplete(response, len(body) - 3, len(body))
    assert not Outdial.objects.exists()


def test_a_cut_short_login_is_refused(anon, alice):
    body = json.dumps({"username": "alice", "password": "x" * 30}).encode()
    response = cut(anon, "POST", "/auth/login", body, "application/json", 20)
    assert_incomplete(response, 20, len(body))
    assert "token" not in response.cookies


def test_a_cut_short_page_upload_imports_nothing(alice_page, outdial):
    body = multipart({"region": "US", "on_duplicate": "skip", "on_error": "skip"}, CSV)
    response = cut(
        alice_page,
        "POST",
        f"/outdials/{outdial.pk}/upload/",
        body,
        MULTIPART,
        len(body) - 30,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>The request was refused</h1>" in html
    assert f"ended after {len(body) - 30} of the {len(body)} bytes" in html
    assert not OutdialTarget.objects.exists()


def test_a_cut_short_page_form_changes_nothing(alice_page, outdial):
    body = b"name=renamed&detail=&data=&campaign_id="
    response = cut(
        alice_page,
        "POST",
        f"/outdials/{outdial.pk}/",
        body,
        "application/x-www-form-urlencoded",
        12,
    )
    assert response.status_code == 400
    outdial.refresh_from_db()
    assert outdial.name != "renamed"


# -- limits before reading -------------------------------------------------------


def test_the_upload_page_refuses_an_oversize_file_before_reading_it(
    alice_page, outdial, settings
):
    settings.OUTDIALS = {**settings.OUTDIALS, "UPLOAD_MAX_BYTES": 1000}
    length = 1000 + 64 * 1024 + 1
    response = alice_page.generic(
        "POST",
        f"/outdials/{outdial.pk}/upload/",
        content_type=MULTIPART,
        **{
            "wsgi.input": Exploding(),
            "CONTENT_LENGTH": str(length),
            "CONTENT_TYPE": MULTIPART,
        },
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "<h1>The file is too large</h1>" in html
    assert f"The request body is {length} bytes; the limit is 66536 bytes." in html


def test_the_api_refuses_an_oversize_upload_before_reading_it(api, outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "UPLOAD_MAX_BYTES": 1000}
    response = api.generic(
        "POST",
        f"/v1.0/outdials/{outdial.id}/targets/import",
        content_type="text/csv",
        **{
            "wsgi.input": Exploding(),
            "CONTENT_LENGTH": "1001",
            "CONTENT_TYPE": "text/csv",
        },
    )
    error = assert_error(response, 413, "REQUEST_TOO_LARGE", "INVALID_ARGUMENT")
    assert (
        error["message"] == "The request body is 1001 bytes; the limit is 1000 bytes."
    )


def test_a_file_of_one_endless_line_is_refused_in_bounded_memory(outdial):
    """40 MiB without a line break: refused at the row limit, having held a
    few MiB, not the line."""
    body = b"name,destination_0," + b"x" * (40 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(importing.ImportRejected) as caught:
            importing.import_csv(outdial, io.BytesIO(body))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.reason == "ROW_TOO_LONG"
    assert caught.value.message == (
        "Row 1 is longer than 1,048,576 characters, the limit of one row; a quote "
        "left open or a file without line breaks can cause this."
    )
    assert peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB"


def test_a_row_spread_over_many_quoted_lines_is_bounded_too(outdial):
    text = "name,destination_0\n" + '"x\n",' * 300_000 + "\n"
    with pytest.raises(importing.ImportRejected) as caught:
        importing.import_csv(outdial, io.BytesIO(text.encode()))
    assert caught.value.reason == "ROW_TOO_LONG"
    assert caught.value.report.errors[0]["row"] == 2


# -- against a real server, over a socket ----------------------------------------


def raw_request(url: str, head: str, body: bytes) -> bytes:
    """Send ``head`` and ``body``, close our side, read the whole answer."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.django_db(transaction=True)
def test_a_half_closed_upload_to_a_real_server_is_a_400(live_server, alice):
    outdial = Outdial.objects.create(customer=alice.customer, name="list")
    body = CSV.encode()
    head = (
        f"POST /v1.0/outdials/{outdial.id}/targets/import?wait=25 HTTP/1.1\r\n"
        f"Host: localhost\r\nAuthorization: {alice.bearer}\r\n"
        f"Content-Type: text/csv\r\nContent-Length: {len(body) + 500}\r\n"
        "Connection: close\r\n\r\n"
    )
    answer = raw_request(live_server.url, head, body)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer[:500]
    payload = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert payload["error"]["reason"] == "INCOMPLETE_BODY"
    assert not OutdialTarget.objects.exists()
    # The same body, whole, is imported.
    head = head.replace(f"{len(body) + 500}", f"{len(body)}")
    answer = raw_request(live_server.url, head, body)
    assert answer.split()[1] == b"200", answer[:500]
    assert OutdialTarget.objects.count() == 40


def test_the_test_client_has_no_other_body_hook():
    """The WSGI-level tests above feed ``wsgi.input`` through the client."""
    assert "wsgi.input" not in Client().defaults
