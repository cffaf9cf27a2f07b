"""The CSV endpoints: POST targets/import, GET targets/export, GET/DELETE imports."""

import csv
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from outdials import importing, targets
from outdials.models import ImportBatch, Outdial, OutdialTarget
from tests.helpers import by_field, tel

GOOD = "name,destination_0\nAnn,(202) 555-0143\nBob,+44 20 7946 0958\n"
REPORT_KEYS = [
    "import_id",
    "rows",
    "created",
    "updated",
    "unchanged",
    "duplicates",
    "invalid",
    "suppressed",
    "mapping",
    "key",
    "errors",
    "warnings",
]


def waiting(query: str) -> str:
    """``query`` with ``wait``: the answer is the import's report, as before
    imports were jobs (the jobs run in process in these tests)."""
    if "wait=" in query:
        return query
    return query + ("&" if query else "?") + "wait=25"


def upload(api, outdial, text: str = GOOD, query: str = "", **fields):
    body = {"file": SimpleUploadedFile("list.csv", text.encode(), "text/csv")}
    body.update(fields)
    return api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import{waiting(query)}",
        body,
        format="multipart",
    )


def post_csv(api, outdial, data, query: str = ""):
    data = data.encode() if isinstance(data, str) else data
    return api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import{waiting(query)}",
        data,
        content_type="text/csv",
    )


def assert_error(response, http_status: int, reason: str):
    assert response.status_code == http_status, response.content
    body = response.json()["error"]
    assert body["reason"] == reason
    assert body["request_id"] == response["X-Request-ID"]
    return body


# -- import ------------------------------------------------------------------------


def test_it_imports_a_multipart_file_and_answers_the_report(api, outdial, alice):
    response = upload(api, outdial)
    assert response.status_code == 200
    report = response.json()
    assert list(report) == REPORT_KEYS
    batch = ImportBatch.objects.get()
    assert report == {
        "import_id": str(batch.id),
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "suppressed": 0,
        "invalid": 0,
        "errors": [],
        "warnings": [],
        "mapping": {"name": "name", "destination_0": "destination_0"},
        "key": None,
    }
    assert (batch.file_name, batch.created_by, batch.created_by_name) == (
        "list.csv",
        alice.user,
        "alice",
    )
    listed = api.get(f"/v1.0/outdials/{outdial.id}/targets").json()["result"]
    assert [t["destination_0"]["target"] for t in listed] == [
        "+442079460958",
        "+12025550143",
    ]


def test_it_imports_a_text_csv_body_with_query_parameters(api, outdial):
    response = post_csv(
        api,
        outdial,
        "destination_0\n020 7946 0958\n",
        "?region=gb&file_name=uk.csv",
    )
    assert response.status_code == 200, response.content
    assert OutdialTarget.objects.get().destinations.get().target == "+442079460958"
    assert ImportBatch.objects.get().file_name == "uk.csv"


def test_a_text_csv_body_larger_than_the_json_limit_is_streamed(api, outdial):
    rows = "".join(f"Person number {i:06d},+1202{i:07d}\n" for i in range(40000))
    data = ("name,destination_0\n" + rows).encode()
    assert len(data) > 1024 * 1024
    response = post_csv(api, outdial, data)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 40000


def test_multipart_fields_carry_the_parameters(api, outdial):
    response = upload(
        api, outdial, "destination_0\n+15559876543\n", strict="true", on_error="skip"
    )
    assert response.status_code == 200
    assert response.json()["invalid"] == 1


def test_an_access_key_import_names_the_key(anon, alice, outdial):
    from outdials.credentials import new_access_key

    key, secret = new_access_key(alice.customer, "crm", "", 3600)
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert upload(anon, outdial).status_code == 200
    batch = ImportBatch.objects.get()
    assert batch.created_by is None
    assert batch.created_by_name == f"access key {key.token_prefix}"


def test_an_invalid_row_aborts_with_the_report_in_details(api, outdial):
    response = upload(api, outdial, GOOD + "Bad,12\n")
    body = assert_error(response, 400, "INVALID_ROWS")
    assert body["status"] == "INVALID_ARGUMENT"
    assert body["details"] == [
        {
            "import_id": None,
            "rows": 3,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "duplicates": 0,
            "suppressed": 0,
            "invalid": 1,
            "mapping": {"name": "name", "destination_0": "destination_0"},
            "key": None,
            "errors": [
                {
                    "row": 4,
                    "column": "destination_0",
                    "message": "12 is too short for its country code.",
                }
            ],
            "warnings": [],
        }
    ]
    assert "nothing was imported" in body["message"]
    assert OutdialTarget.objects.count() == 0
    # The import's job stays in the history, failed, with why.
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.error_reason, batch.created) == (
        "failed",
        "INVALID_ROWS",
        0,
    )


def test_on_error_skip_imports_the_valid_rows(api, outdial):
    response = upload(api, outdial, GOOD + "Bad,12\n", "?on_error=skip")
    assert response.status_code == 200
    assert [response.json()[k] for k in ("rows", "created", "invalid")] == [3, 2, 1]
    assert OutdialTarget.objects.count() == 2


def test_a_dry_run_answers_the_report_and_writes_nothing(api, outdial):
    response = upload(api, outdial, GOOD + "Bad,12\n", "?dry_run=true")
    assert response.status_code == 200
    assert response.json()["import_id"] is None
    assert response.json()["created"] == 2
    assert OutdialTarget.objects.count() == 0


def test_on_duplicate_is_honoured(api, outdial):
    targets.create_target(outdial, slots=[tel("+12025550143")])
    skipped = upload(api, outdial, GOOD, "?dry_run=1")
    assert skipped.json()["duplicates"] == 1
    refused = upload(api, outdial, GOOD, "?on_duplicate=error")
    assert_error(refused, 400, "INVALID_ROWS")
    allowed = upload(api, outdial, GOOD, "?on_duplicate=allow")
    assert allowed.json()["created"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?on_duplicate=merge", "on_duplicate"),
        ("?on_error=ignore", "on_error"),
        ("?dry_run=maybe", "dry_run"),
        ("?strict=sometimes", "strict"),
        ("?region=Narnia", "region"),
    ],
)
def test_bad_parameters_are_400s_that_name_the_field(api, outdial, query, field):
    body = assert_error(upload(api, outdial, GOOD, query), 400, "INVALID_ARGUMENT")
    assert field in by_field(body["details"])
    assert OutdialTarget.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "reason", "http_status"),
    [
        (b"", "EMPTY_FILE", 400),
        (b"name,destination_0\n", "NO_ROWS", 400),
        (b"name,destination_0\nA\x00,+12025550143\n", "NUL_BYTES", 400),
        (b'destination_0\n"+12025550143\n', "MALFORMED_CSV", 400),
        (b"name\nAnn\n", "MISSING_COLUMN", 400),
        (b"destination_0,DESTINATION_0\n1,2\n", "DUPLICATE_COLUMN", 400),
        ("detail,destination_0\n" + "x" * 2001 + ",+1\n", "CELL_TOO_LONG", 400),
    ],
)
def test_bad_files_are_clear_errors_never_500s(api, outdial, data, reason, http_status):
    body = assert_error(post_csv(api, outdial, data), http_status, reason)
    assert body["status"] == "INVALID_ARGUMENT"
    assert OutdialTarget.objects.count() == 0


def test_too_many_rows_is_a_413(api, outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "IMPORT_MAX_ROWS": 2}
    body = assert_error(
        upload(api, outdial, GOOD + "Cy,+12025550144\n"), 413, "TOO_MANY_ROWS"
    )
    assert body["details"][0]["errors"][0]["row"] == 4


def test_a_body_over_the_upload_limit_is_a_413_before_the_view(api, outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "UPLOAD_MAX_BYTES": 64}
    response = post_csv(api, outdial, GOOD * 3)
    assert_error(response, 413, "REQUEST_TOO_LARGE")
    assert OutdialTarget.objects.count() == 0


def test_other_content_types_are_400s(api, outdial):
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import",
        {"destination_0": "+12025550143"},
        format="json",
    )
    assert_error(response, 400, "UNSUPPORTED_MEDIA_TYPE")


def test_a_multipart_body_without_a_file_is_a_400(api, outdial):
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import",
        {"region": "US"},
        format="multipart",
    )
    assert_error(response, 400, "MISSING_FILE")


def test_importing_needs_a_credential(anon, outdial):
    assert_error(upload(anon, outdial), 401, "AUTHENTICATION_REQUIRED")


def test_another_customers_outdial_is_a_404_everywhere(api, bobs_outdial, bob):
    importing.import_csv(bobs_outdial, io.BytesIO(GOOD.encode()))
    bobs_import = ImportBatch.objects.get()
    base = f"/v1.0/outdials/{bobs_outdial.id}"
    for response in (
        upload(api, bobs_outdial),
        api.get(f"{base}/targets/export"),
        api.get(f"{base}/imports"),
        api.get(f"{base}/imports/{bobs_import.id}"),
        api.delete(f"{base}/imports/{bobs_import.id}"),
    ):
        assert_error(response, 404, "OUTDIAL_NOT_FOUND")
    assert OutdialTarget.objects.filter(outdial=bobs_outdial).count() == 2
    assert ImportBatch.objects.get().tm_undo is None


def test_another_outdials_import_is_a_404(api, outdial, bobs_outdial):
    importing.import_csv(bobs_outdial, io.BytesIO(GOOD.encode()))
    bobs_import = ImportBatch.objects.get()
    response = api.delete(f"/v1.0/outdials/{outdial.id}/imports/{bobs_import.id}")
    assert_error(response, 404, "IMPORT_NOT_FOUND")
    missing = api.get(f"/v1.0/outdials/{outdial.id}/imports/{uuid.uuid4()}")
    assert_error(missing, 404, "IMPORT_NOT_FOUND")


def test_ids_that_are_not_uuids_are_400s(api, outdial):
    assert_error(upload(api, Outdial(id="nope")), 400, "INVALID_ID")
    response = api.delete(f"/v1.0/outdials/{outdial.id}/imports/nope")
    body = assert_error(response, 400, "INVALID_ID")
    assert body["message"] == "The provided import_id is not a valid UUID."


def test_a_deleted_outdial_takes_no_import(api, outdial):
    targets.soft_delete(outdial)
    assert_error(upload(api, outdial), 404, "OUTDIAL_NOT_FOUND")


def test_concurrent_imports_of_one_list_create_each_person_once(api, outdial):
    """Two uploads of overlapping files, the second landing while the first is
    being checked: every address ends up in the outdial once."""
    second = "destination_0\n+12025550143\n+12025550199\n"

    def meanwhile(phase, done, total):
        if phase == "check" and not ImportBatch.objects.exists():
            assert post_csv(api, outdial, second).status_code == 200

    report = importing.import_csv(
        outdial, io.BytesIO(GOOD.encode()), region="US", progress=meanwhile
    )
    assert (report.created, report.duplicates) == (1, 1)
    addresses = OutdialTarget.objects.values_list("destinations__target", flat=True)
    assert sorted(addresses) == ["+12025550143", "+12025550199", "+442079460958"]


# -- imports: list, show, undo -----------------------------------------------------


def test_the_imports_list_shows_who_when_what_and_counts(api, outdial):
    upload(api, outdial)
    upload(api, outdial, "destination_0\n+12025550143\n12\n", "?on_error=skip")
    response = api.get(f"/v1.0/outdials/{outdial.id}/imports")
    assert response.status_code == 200
    first, second = ImportBatch.objects.order_by("tm_create")
    body = response.json()
    assert [item["id"] for item in body["result"]] == [str(second.id), str(first.id)]
    assert body["result"][0] == {
        "id": str(second.id),
        "outdial_id": str(outdial.id),
        "file_name": "list.csv",
        "created_by": "alice",
        "rows": 2,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 1,
        "invalid": 1,
        "tm_create": body["result"][0]["tm_create"],
        "tm_undo": "9999-01-01 00:00:00.000000",
        "status": "done",
        "progress": {"checked": 2, "written": 0, "total": 0},
        "tm_start": body["result"][0]["tm_start"],
        "tm_end": body["result"][0]["tm_end"],
        "error": None,
        "dry_run": False,
    }
    page = api.get(f"/v1.0/outdials/{outdial.id}/imports?page_size=1").json()
    assert [item["id"] for item in page["result"]] == [str(second.id)]


def test_one_import_shows_its_report(api, outdial):
    upload(api, outdial, GOOD + "Bad,12\n", "?on_error=skip")
    batch = ImportBatch.objects.get()
    body = api.get(f"/v1.0/outdials/{outdial.id}/imports/{batch.id}").json()
    assert body["report"]["errors"][0]["row"] == 4
    assert body["report"]["import_id"] == str(batch.id)


def test_undo_answers_what_it_deleted_and_kept(api, outdial):
    upload(api, outdial)
    batch = ImportBatch.objects.get()
    kept = OutdialTarget.objects.get(name="Ann")
    kept.tm_last_attempt = kept.tm_create
    kept.save(update_fields=["tm_last_attempt"])
    response = api.delete(f"/v1.0/outdials/{outdial.id}/imports/{batch.id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["deleted"], body["kept"]) == (str(batch.id), 1, 1)
    assert body["tm_undo"] != "9999-01-01 00:00:00.000000"
    listed = api.get(f"/v1.0/outdials/{outdial.id}/targets").json()["result"]
    assert [t["name"] for t in listed] == ["Ann"]
    again = api.delete(f"/v1.0/outdials/{outdial.id}/imports/{batch.id}")
    body = assert_error(again, 409, "IMPORT_ALREADY_UNDONE")
    assert body["status"] == "FAILED_PRECONDITION"


# -- export ------------------------------------------------------------------------


def export(api, outdial, query: str = "", **headers):
    response = api.get(f"/v1.0/outdials/{outdial.id}/targets/export{query}", **headers)
    assert response.status_code == 200, response.content
    text = b"".join(response.streaming_content).decode("utf-8")
    return response, text


def test_export_streams_a_csv_attachment(api, outdial):
    upload(api, outdial)
    response, text = export(api, outdial)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="outdial-{outdial.id}-targets.csv"'
    )
    assert text.startswith("\ufeffname,detail,data,destination_0,")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["name"], r["destination_0"], r["status"]) for r in rows] == [
        ("Ann", "+12025550143", "idle"),
        ("Bob", "+442079460958", "idle"),
    ]


def test_export_answers_a_client_that_accepts_only_csv(api, outdial):
    upload(api, outdial)
    response, text = export(api, outdial, HTTP_ACCEPT="text/csv")
    assert text.count("\r\n") == 3
    missing = api.get(
        f"/v1.0/outdials/{uuid.uuid4()}/targets/export", HTTP_ACCEPT="text/csv"
    )
    assert_error(missing, 404, "OUTDIAL_NOT_FOUND")


def test_export_takes_the_targets_list_filters(api, outdial):
    upload(api, outdial)
    OutdialTarget.objects.filter(name="Bob").update(status="done")
    _, text = export(api, outdial, "?status=done")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Bob"]
    body = assert_error(
        api.get(f"/v1.0/outdials/{outdial.id}/targets/export?status=gone"),
        400,
        "INVALID_ARGUMENT",
    )
    assert "status" in by_field(body["details"])


def test_export_leaves_out_deleted_targets(api, outdial):
    upload(api, outdial)
    targets.soft_delete(OutdialTarget.objects.get(name="Ann"))
    _, text = export(api, outdial)
    assert "Ann" not in text and "Bob" in text


def test_export_then_import_through_the_api_is_faithful(api, outdial, alice):
    tricky = (
        "name,detail,data,destination_0,destination_0_name,destination_1\n"
        '=HYPERLINK("http://x"),"multi\nline, with comma","{""a"": 1}",'
        "+12025550143,@home,sip:ann@pbx.example.com\n"
        "-5,'quoted,+3,(202) 555-0144,\t tab,ops@example.com\n"
    )
    assert post_csv(api, outdial, tricky).status_code == 200
    _, text = export(api, outdial)
    copy = Outdial.objects.create(customer=alice.customer, name="copy")
    response = post_csv(api, copy, text.encode("utf-8"))
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2

    def shape(o):
        return [
            (
                t["name"],
                t["detail"],
                t["data"],
                [t[f"destination_{n}"] for n in range(5)],
            )
            for t in api.get(f"/v1.0/outdials/{o.id}/targets").json()["result"]
        ]

    assert shape(copy) == shape(outdial)
    assert shape(outdial)[1][0] == '=HYPERLINK("http://x")'


def test_paging_over_100000_imported_targets_returns_each_once(api, outdial):
    rows = "".join(f"+1202{i:07d}\n" for i in range(100_000))
    response = post_csv(api, outdial, "destination_0\n" + rows)
    assert response.json()["created"] == 100_000
    seen = []
    token = ""
    while True:
        page = api.get(
            f"/v1.0/outdials/{outdial.id}/targets?page_size=100&page_token={token}"
        ).json()
        if not page["result"]:
            break
        seen.extend(item["id"] for item in page["result"])
        token = page["next_page_token"]
    assert len(seen) == 100_000
    assert len(set(seen)) == 100_000
