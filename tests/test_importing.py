"""The CSV importer (outdials.importing): format, rules, dedupe, limits, undo."""

import codecs
import io
import threading
import time

import pytest
from django.db import connection

from outdials import importing, jobs, targets
from outdials.importing import ImportRejected, import_csv, undo_import
from outdials.models import Attempt, Destination, ImportBatch, Outdial, OutdialTarget
from tests.helpers import tel


def run(outdial, text: str, encoding: str = "utf-8", **options):
    return import_csv(outdial, io.BytesIO(text.encode(encoding)), **options)


def rejected(outdial, data, **options) -> ImportRejected:
    stream = io.BytesIO(data if isinstance(data, bytes) else data.encode())
    with pytest.raises(ImportRejected) as caught:
        import_csv(outdial, stream, **options)
    assert OutdialTarget.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    return caught.value


def addresses(outdial) -> list[list[tuple]]:
    """Each target's (slot, type, address, target_name), in file order."""
    result = []
    for target in (
        OutdialTarget.objects.live()
        .filter(outdial=outdial)
        .order_by("tm_create", "pk")
        .with_destinations()
    ):
        result.append(
            [(d.index, d.type, d.target, d.target_name) for d in target.slots() if d]
        )
    return result


def counts(report) -> tuple:
    return report.rows, report.created, report.duplicates, report.invalid


# -- the header --------------------------------------------------------------


def test_it_matches_header_names_case_insensitively_and_trimmed(outdial):
    report = run(outdial, " Name ,DESTINATION_0 , Detail\nAnn,+12025550143,vip\n")
    assert counts(report) == (1, 1, 0, 0)
    target = OutdialTarget.objects.get()
    assert (target.name, target.detail) == ("Ann", "vip")


def test_it_refuses_a_header_without_destination_0(outdial):
    error = rejected(outdial, "name,destination_1\nAnn,+12025550143\n")
    assert error.reason == "MISSING_COLUMN"
    assert error.report.errors == [
        {"row": 1, "column": "destination_0", "message": error.message}
    ]


def test_it_refuses_a_type_column_without_its_address_column(outdial):
    error = rejected(outdial, "destination_0,destination_2_type\n+12025550143,tel\n")
    assert error.reason == "MISSING_COLUMN"
    assert "destination_2_type" in error.message


def test_it_refuses_duplicate_header_names(outdial):
    error = rejected(outdial, "name,destination_0,NAME\nAnn,+12025550143,Bo\n")
    assert error.reason == "DUPLICATE_COLUMN"
    assert error.http_status == 400
    assert "name" in error.message


def test_it_ignores_unknown_columns_and_lists_them_in_warnings(outdial):
    report = run(outdial, "name,destination_0,shoe size,\nAnn,+12025550143,42,\n")
    assert report.warnings == [
        {"row": 1, "column": "shoe size", "message": "Unknown column; it is ignored."},
        {"row": 1, "column": "", "message": "Column 4 has no name; it is ignored."},
    ]
    assert OutdialTarget.objects.get().name == "Ann"


def test_it_ignores_the_columns_the_export_adds_without_warning(outdial):
    report = run(
        outdial,
        "id,name,destination_0,status,try_count_0,tm_create\n"
        "x,Ann,+12025550143,done,7,2020-01-01 00:00:00.000000\n",
    )
    assert report.warnings == []
    target = OutdialTarget.objects.get()
    assert target.status == "idle"
    assert target.destinations.get().try_count == 0


# -- types, names, phone numbers ---------------------------------------------------


def test_it_infers_the_type_of_each_destination(outdial):
    run(
        outdial,
        "destination_0,destination_1,destination_2,destination_3\n"
        "sip:ann@pbx.example.com,SIPS:ann@pbx.example.com,ann@example.com,"
        "(202) 555-0143\n",
    )
    assert addresses(outdial) == [
        [
            (0, "sip", "sip:ann@pbx.example.com", ""),
            (1, "sip", "SIPS:ann@pbx.example.com", ""),
            (2, "email", "ann@example.com", ""),
            (3, "tel", "+12025550143", ""),
        ]
    ]


def test_it_takes_types_and_names_from_their_columns(outdial):
    run(
        outdial,
        "destination_0,destination_0_type,destination_0_name,destination_1,"
        "destination_1_type\n"
        "+12025550143, TEL ,Ann mobile,ops@example.com,email\n",
    )
    assert addresses(outdial) == [
        [(0, "tel", "+12025550143", "Ann mobile"), (1, "email", "ops@example.com", "")]
    ]


def test_it_reports_an_unknown_type(outdial):
    report = run(
        outdial,
        "destination_0,destination_0_type\n+12025550143,fax\n",
        on_error="skip",
    )
    assert counts(report) == (1, 0, 0, 1)
    assert report.errors == [
        {
            "row": 2,
            "column": "destination_0_type",
            "message": "'fax' is not a destination type; use one of: "
            "tel, sip, email, whatsapp, agent, ai, ai_team, conference, extension, "
            "line, webchat, web_session.",
        }
    ]


def test_it_checks_an_explicit_type_against_its_rule(outdial):
    report = run(
        outdial,
        "destination_0,destination_0_type\n+12025550143,email\n",
        on_error="skip",
    )
    assert report.errors == [
        {
            "row": 2,
            "column": "destination_0",
            "message": "+12025550143 must be an email address like ops@example.com.",
        }
    ]


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("(202) 555-0143", "US", "+12025550143"),
        ("202.555.0143", "us", "+12025550143"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+15559876543", "GB", "+15559876543"),
    ],
)
def test_it_normalizes_phone_numbers_to_e164(outdial, written, region, e164):
    run(outdial, f'destination_0\n"{written}"\n', region=region)
    assert Destination.objects.get().target == e164


def test_the_default_country_comes_from_the_setting(outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "DEFAULT_REGION": "GB"}
    run(outdial, "destination_0\n020 7946 0958\n")
    assert Destination.objects.get().target == "+442079460958"


def test_it_refuses_an_unknown_region(outdial):
    error = rejected(outdial, "destination_0\n+12025550143\n", region="XX")
    assert error.reason == "INVALID_REGION"


def test_it_rejects_numbers_that_are_not_possible(outdial):
    report = run(
        outdial,
        "destination_0\n555-01\n+1 202 555 01433 99\nnot a number\n",
        on_error="skip",
    )
    assert counts(report) == (3, 0, 0, 3)
    assert [e["message"] for e in report.errors] == [
        "555-01 is too short for its country code.",
        "+1 202 555 01433 99 is too long for its country code.",
        "not a number is not a phone number.",
    ]


def test_unassigned_numbers_are_imported_with_a_warning(outdial):
    report = run(outdial, "destination_0\n+15559876543\n")
    assert counts(report) == (1, 1, 0, 0)
    assert report.warnings == [
        {
            "row": 2,
            "column": "destination_0",
            "message": "+15559876543 is a possible number but not one phone "
            "numbers know as assigned; imported (strict=true would refuse it).",
        }
    ]


def test_strict_mode_rejects_unassigned_numbers(outdial):
    report = run(
        outdial,
        "destination_0\n+15559876543\n+12025550143\n",
        strict=True,
        on_error="skip",
    )
    assert counts(report) == (2, 1, 0, 1)
    assert report.errors[0]["message"] == (
        "+15559876543 is not an assigned phone number (strict mode)."
    )


def test_the_strict_setting_applies_when_strict_is_not_given(outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "STRICT_PHONE_NUMBERS": True}
    report = run(outdial, "destination_0\n+15559876543\n", on_error="skip")
    assert counts(report) == (1, 0, 0, 1)
    assert run(outdial, "destination_0\n+15559876543\n", strict=False).created == 1


def test_it_checks_names_details_and_data_against_their_limits(outdial):
    long_name = "n" * 256
    report = run(
        outdial,
        f"name,destination_0,destination_0_name\n{long_name},+12025550143,\n"
        f"Ann,+12025550144,{long_name}\n",
        on_error="skip",
    )
    assert report.errors == [
        {"row": 2, "column": "name", "message": "must be at most 255 characters."},
        {
            "row": 3,
            "column": "destination_0_name",
            "message": "must be at most 255 characters.",
        },
    ]


def test_a_row_without_destination_0_takes_its_other_slots(outdial):
    """Any one filled slot will do, as in the API and VoIPbin."""
    run(outdial, "name,destination_0,destination_1\nAnn,,+12025550143\n")
    assert addresses(outdial) == [[(1, "tel", "+12025550143", "")]]


def test_a_row_without_any_destination_is_invalid(outdial):
    report = run(
        outdial,
        "name,destination_0,destination_1\nAnn,,\n",
        on_error="skip",
    )
    assert report.errors == [
        {
            "row": 2,
            "column": "destination_0",
            "message": "is empty, as are the others; every target needs one.",
        }
    ]


def test_later_slots_may_be_empty_with_gaps(outdial):
    run(outdial, "destination_0,destination_1,destination_2\n+12025550143,,a@b.co\n")
    assert addresses(outdial) == [
        [(0, "tel", "+12025550143", ""), (2, "email", "a@b.co", "")]
    ]


def test_it_strips_exactly_the_formula_guard(outdial):
    run(
        outdial,
        "name,detail,data,destination_0\n'=SUM(A1:A2),''+1,'plain,'+12025550143\n",
    )
    target = OutdialTarget.objects.get()
    assert (target.name, target.detail, target.data) == ("=SUM(A1:A2)", "'+1", "'plain")
    assert Destination.objects.get().target == "+12025550143"


# -- encodings and delimiters ------------------------------------------------------

NAMES = "name,destination_0\nZoë Ångström,+12025550143\nJosé,+12025550144\n"


@pytest.mark.parametrize(
    "encoded",
    [
        NAMES.encode("utf-8"),
        codecs.BOM_UTF8 + NAMES.encode("utf-8"),
        NAMES.encode("utf-16"),  # with a BOM, native order
        codecs.BOM_UTF16_LE + NAMES.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + NAMES.encode("utf-16-be"),
        NAMES.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "utf-16-le", "utf-16-be", "cp1252"],
)
def test_it_reads_each_encoding(outdial, encoded):
    report = import_csv(outdial, io.BytesIO(encoded))
    assert counts(report) == (2, 2, 0, 0)
    names = OutdialTarget.objects.order_by("tm_create", "pk").values_list(
        "name", flat=True
    )
    assert list(names) == ["Zoë Ångström", "José"]


def test_cp1252_is_detected_even_far_into_the_file(outdial):
    rows = "".join(f"Person {i},+1202555{i:04d}\n" for i in range(3000))
    data = ("name,destination_0\n" + rows + "Café,+12025559999\n").encode("cp1252")
    assert len(data) > importing.READ_CHUNK // 16
    report = import_csv(outdial, io.BytesIO(data))
    assert report.created == 3001
    assert OutdialTarget.objects.filter(name="Café").exists()


def test_it_refuses_text_that_is_neither_utf8_nor_cp1252(outdial):
    error = rejected(outdial, b"name,destination_0\nA\x81,+12025550143\n")
    assert error.reason == "UNREADABLE_FILE"
    assert "Line 2" in error.message


def test_it_refuses_broken_text_behind_a_utf8_bom(outdial):
    error = rejected(outdial, codecs.BOM_UTF8 + b"destination_0\n\xff\xfe\n")
    assert error.reason == "UNREADABLE_FILE"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_detects_the_delimiter(outdial, delimiter):
    text = f'name{delimiter}destination_0\n"Doe, Ann; Jr"{delimiter}+12025550143\n'
    report = run(outdial, text)
    assert report.created == 1
    assert OutdialTarget.objects.get().name == "Doe, Ann; Jr"


def test_quoted_cells_keep_line_breaks_and_rows_keep_their_numbers(outdial):
    report = run(
        outdial,
        'name,detail,destination_0\nAnn,"line one\nline two",+12025550143\nBob,,12\n',
        on_error="skip",
    )
    assert OutdialTarget.objects.get().detail == "line one\nline two"
    assert report.errors[0]["row"] == 3  # the spreadsheet's row, not the line


# -- bad files ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\n", codecs.BOM_UTF8])
def test_it_refuses_an_empty_file(outdial, data):
    assert rejected(outdial, data).reason == "EMPTY_FILE"


def test_it_refuses_a_file_whose_first_row_is_blank(outdial):
    error = rejected(outdial, "\nname,destination_0\nAnn,+12025550143\n")
    assert error.reason == "MISSING_HEADER"


@pytest.mark.parametrize("data", ["name,destination_0\n", "name,destination_0\n,\n\n"])
def test_it_refuses_a_header_without_rows(outdial, data):
    assert rejected(outdial, data).reason == "NO_ROWS"


def test_it_refuses_nul_bytes_and_names_the_row(outdial):
    error = rejected(outdial, b"name,destination_0\nAnn,+12025550143\nB\x00,+1\n")
    assert error.reason == "NUL_BYTES"
    assert error.report.errors[0]["row"] == 3


def test_utf16_without_a_bom_is_refused_with_a_hint(outdial):
    error = rejected(outdial, "destination_0\n+12025550143\n".encode("utf-16-le"))
    assert error.reason == "NUL_BYTES"
    assert "byte order mark" in error.message


def test_a_stray_quote_is_an_error_with_its_row(outdial):
    error = rejected(
        outdial, 'name,destination_0\nAnn,+12025550143\n"Bo"b,+12025550144\n'
    )
    assert error.reason == "MALFORMED_CSV"
    assert error.report.errors[0]["row"] == 3


def test_an_unclosed_quote_never_merges_the_rows_after_it(outdial):
    error = rejected(
        outdial,
        'name,destination_0\nAnn,+12025550143\n"Bob,+12025550144\nCy,+12025550145\n',
    )
    assert error.reason == "MALFORMED_CSV"
    assert error.report.errors[0]["row"] == 3


def test_ragged_rows_are_invalid_rows(outdial):
    report = run(
        outdial,
        "name,destination_0\nAnn,+12025550143\nBob,+12025550144,extra\nCy\n",
        on_error="skip",
    )
    assert counts(report) == (3, 1, 0, 2)
    assert report.errors == [
        {
            "row": 3,
            "column": "",
            "message": "has 3 cells but the header has 2; quote cells that "
            "contain the delimiter.",
        },
        {
            "row": 4,
            "column": "",
            "message": "has 1 cells but the header has 2; quote cells that "
            "contain the delimiter.",
        },
    ]


def test_a_cell_over_the_limit_refuses_the_file(outdial):
    error = rejected(
        outdial, f"name,detail,destination_0\nAnn,{'x' * 2001},+12025550143\n"
    )
    assert (error.reason, error.http_status) == ("CELL_TOO_LONG", 400)
    assert error.report.errors == [
        {"row": 2, "column": "detail", "message": error.message}
    ]


def test_a_cell_past_the_csv_modules_own_limit_is_still_a_cell_too_long(outdial):
    error = rejected(
        outdial, f"name,destination_0\nAnn,+12025550143\n{'x' * 200_000},+1\n"
    )
    assert error.reason == "CELL_TOO_LONG"
    assert error.report.errors[0]["row"] == 3


def test_a_header_cell_over_the_limit_refuses_the_file(outdial):
    error = rejected(outdial, f"destination_0,{'x' * 2001}\n+12025550143,1\n")
    assert error.reason == "CELL_TOO_LONG"
    assert error.report.errors[0]["row"] == 1


def test_the_cell_limit_is_a_setting(outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "IMPORT_MAX_CELL_CHARS": 10}
    error = rejected(outdial, "name,destination_0\nAnn Example,+12025550143\n")
    assert error.reason == "CELL_TOO_LONG"


def test_more_rows_than_the_limit_refuse_the_file(outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "IMPORT_MAX_ROWS": 3}
    rows = "".join(f"+1202555{i:04d}\n" for i in range(4))
    error = rejected(outdial, "destination_0\n" + rows)
    assert (error.reason, error.http_status) == ("TOO_MANY_ROWS", 413)
    assert run(outdial, "destination_0\n" + rows[:-13]).created == 3


def test_a_file_over_the_size_limit_is_refused_before_parsing(outdial, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "UPLOAD_MAX_BYTES": 100}
    data = "destination_0\n" + "".join(f"+1202555{i:04d}\n" for i in range(10))
    error = rejected(outdial, data)
    assert (error.reason, error.http_status) == ("FILE_TOO_LARGE", 413)


def test_blank_rows_are_skipped_but_keep_row_numbers(outdial):
    report = run(outdial, "destination_0\n\n+12025550143\n,\n12\n", on_error="skip")
    assert counts(report) == (2, 1, 0, 1)
    assert report.errors[0]["row"] == 5
    assert report.warnings == [
        {"row": None, "column": "", "message": "2 empty rows were skipped."}
    ]


def test_it_reads_a_stream_that_cannot_seek(outdial):
    class Body:
        """Like a request body: read() only."""

        def __init__(self, data: bytes):
            self.stream = io.BytesIO(data)

        def read(self, size=-1):
            return self.stream.read(min(size, 7))

    report = import_csv(outdial, Body(NAMES.encode("cp1252")))
    assert report.created == 2


# -- the report --------------------------------------------------------------------


def test_the_report_adds_up_and_lists_why(outdial):
    targets.create_target(outdial, slots=[tel("+12025550100")])
    report = run(
        outdial,
        "name,destination_0,destination_1\n"
        "Ann,+12025550143,\n"
        "Ann again,(202) 555-0143,\n"
        "Old,+1 202 555 0100,\n"
        "Bad,12,\n"
        "Two bad,12,nope@\n"
        "Bob,+12025550144,sip:bob@pbx.example.com\n",
        on_error="skip",
    )
    assert counts(report) == (6, 2, 2, 2)
    assert report.rows == report.created + report.duplicates + report.invalid
    assert report.errors == [
        {
            "row": 5,
            "column": "destination_0",
            "message": "12 is too short for its country code.",
        },
        {
            "row": 6,
            "column": "destination_0",
            "message": "12 is too short for its country code.",
        },
        {
            "row": 6,
            "column": "destination_1",
            "message": "nope@ must be an email address like ops@example.com.",
        },
    ]
    assert report.warnings == [
        {
            "row": 3,
            "column": "destination_0",
            "message": "+12025550143 repeats row 2; row skipped.",
        },
        {
            "row": 4,
            "column": "destination_0",
            "message": "+12025550100 is already a target in this outdial; row skipped.",
        },
    ]
    assert report.as_dict() == {
        "import_id": str(report.import_id),
        "rows": 6,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 2,
        "invalid": 2,
        "suppressed": 0,
        "errors": report.errors,
        "warnings": report.warnings,
        "mapping": {
            "name": "name",
            "destination_0": "destination_0",
            "destination_1": "destination_1",
        },
        "key": None,
    }


def test_it_lists_the_first_thousand_errors_and_counts_them_all(outdial):
    report = run(outdial, "destination_0\n" + "12\n" * 1500, on_error="skip")
    assert counts(report) == (1500, 0, 0, 1500)
    assert len(report.errors) == 1000
    assert report.errors[-1]["row"] == 1001


def test_the_import_is_recorded_as_a_batch(outdial, alice):
    report = run(
        outdial,
        "name,destination_0\nAnn,+12025550143\nBad,12\n",
        on_error="skip",
        file_name="list.csv",
        created_by=alice.user,
        created_by_name="alice",
    )
    batch = ImportBatch.objects.get()
    assert report.import_id == batch.pk
    assert (batch.outdial, batch.created_by, batch.created_by_name) == (
        outdial,
        alice.user,
        "alice",
    )
    assert (batch.file_name, batch.rows, batch.created, batch.invalid) == (
        "list.csv",
        2,
        1,
        1,
    )
    assert batch.report == report.as_dict()
    target = OutdialTarget.objects.get()
    assert target.import_batch == batch
    assert (target.status, target.tm_update, target.tm_delete) == (
        "idle",
        target.tm_create,
        None,
    )
    assert target.tm_last_attempt is None


def test_imported_rows_keep_the_order_of_the_file(outdial):
    rows = "".join(f"P{i},+1202555{i:04d}\n" for i in range(50))
    run(outdial, "name,destination_0\n" + rows)
    listed = OutdialTarget.objects.order_by("-tm_create", "-pk").values_list(
        "name", flat=True
    )
    assert list(listed) == [f"P{i}" for i in reversed(range(50))]


# -- dedupe ------------------------------------------------------------------------


def test_it_dedupes_across_slots_and_formats_within_the_file(outdial):
    report = run(
        outdial,
        "destination_0,destination_1\n"
        "ops@example.com,+12025550143\n"
        "(202) 555-0143,\n"
        "OPS@Example.com,+12025550199\n"
        "+12025550199,\n",
    )
    assert counts(report) == (4, 2, 2, 0)
    assert addresses(outdial) == [
        [(0, "email", "ops@example.com", ""), (1, "tel", "+12025550143", "")],
        [(0, "tel", "+12025550199", "")],
    ]


def test_it_dedupes_against_live_targets_but_not_deleted_ones(outdial):
    targets.create_target(outdial, slots=[tel("+12025550143")])
    gone = targets.create_target(outdial, slots=[tel("+12025550144")])
    targets.soft_delete(gone)
    report = run(outdial, "destination_0\n(202) 555-0143\n(202) 555-0144\n")
    assert counts(report) == (2, 1, 1, 0)


def test_other_outdials_do_not_count_as_duplicates(outdial, alice):
    other = Outdial.objects.create(customer=alice.customer, name="other")
    targets.create_target(other, slots=[tel("+12025550143")])
    assert run(outdial, "destination_0\n+12025550143\n").created == 1


def test_on_duplicate_error_makes_duplicates_invalid(outdial):
    report = run(
        outdial,
        "destination_0\n+12025550143\n+12025550143\n",
        on_duplicate="error",
        on_error="skip",
    )
    assert counts(report) == (2, 1, 0, 1)
    assert report.errors == [
        {
            "row": 3,
            "column": "destination_0",
            "message": "+12025550143 repeats row 2.",
        }
    ]


def test_on_duplicate_error_with_abort_writes_nothing(outdial):
    error = rejected(
        outdial, "destination_0\n+12025550143\n+12025550143\n", on_duplicate="error"
    )
    assert error.reason == "INVALID_ROWS"


def test_on_duplicate_allow_imports_duplicates_with_a_warning(outdial):
    report = run(
        outdial, "destination_0\n+12025550143\n+12025550143\n", on_duplicate="allow"
    )
    assert counts(report) == (2, 2, 0, 0)
    assert report.warnings[0]["message"] == (
        "+12025550143 repeats row 2; imported (on_duplicate=allow)."
    )
    assert OutdialTarget.objects.count() == 2


def test_the_same_address_twice_in_one_row_is_invalid(outdial):
    report = run(
        outdial,
        "destination_0,destination_1\n+12025550143,(202) 555-0143\n",
        on_error="skip",
    )
    assert report.errors == [
        {
            "row": 2,
            "column": "destination_1",
            "message": "+12025550143 repeats another destination of this row.",
        }
    ]


def test_a_skipped_duplicate_does_not_block_its_other_addresses(outdial):
    report = run(
        outdial,
        "destination_0,destination_1\n+12025550143,\n+12025550143,+12025550144\n"
        "+12025550144,\n",
    )
    assert counts(report) == (3, 2, 1, 0)


def test_targets_added_while_the_file_is_checked_count_as_duplicates(outdial):
    """Another writer that lands between the check and the write is seen."""
    added = []

    def meanwhile(phase, done, total):
        if phase == "check" and not added:
            added.append(targets.create_target(outdial, slots=[tel("+12025550143")]))

    report = run(
        outdial,
        "destination_0\n+12025550143\n+12025550144\n",
        progress=meanwhile,
    )
    assert counts(report) == (2, 1, 1, 0)
    assert report.warnings[0]["message"] == (
        "+12025550143 was added to this outdial while the file was checked; row "
        "skipped."
    )
    assert OutdialTarget.objects.count() == 2
    assert ImportBatch.objects.get().duplicates == 1


def test_a_concurrent_duplicate_under_error_and_abort_rolls_back(outdial):
    def meanwhile(phase, done, total):
        if phase == "check" and not OutdialTarget.objects.exists():
            targets.create_target(outdial, slots=[tel("+12025550144")])

    with pytest.raises(ImportRejected) as caught:
        run(
            outdial,
            "destination_0\n+12025550143\n+12025550144\n",
            on_duplicate="error",
            progress=meanwhile,
        )
    assert caught.value.reason == "INVALID_ROWS"
    assert list(
        OutdialTarget.objects.values_list("destinations__target", flat=True)
    ) == ["+12025550144"]
    assert ImportBatch.objects.count() == 0


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has one writer at a time"
)
def test_targets_and_attempts_go_on_being_added_while_an_import_writes(
    transactional_db, outdial
):
    """The import's lock on the outdial does not block inserts that reference it."""
    outcome = []

    def add_one():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            targets.create_target(outdial, slots=[tel("+14155550100")])
            outcome.append("added")
        except Exception as error:  # reported by the assert below
            outcome.append(repr(error))
        finally:
            connection.close()

    def meanwhile(phase, done, total):
        if phase == "write" and not outcome:
            thread = threading.Thread(target=add_one)
            thread.start()
            thread.join(15)

    report = run(outdial, "destination_0\n+12025550143\n", progress=meanwhile)
    assert outcome == ["added"]
    assert report.created == 1
    assert OutdialTarget.objects.filter(outdial=outdial).count() == 2


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL writes in one transaction"
)
def test_on_sqlite_others_write_and_see_no_staged_row_while_an_import_writes(
    transactional_db, outdial
):
    """SQLite has one writer: the import writes its targets staged, in short
    transactions, so another writer gets through between two of them at once,
    and nobody counts the import's rows until one update publishes them."""
    seen = []

    def add_one():
        try:
            started = time.monotonic()
            targets.create_target(outdial, slots=[tel("+14155550100")])
            took = time.monotonic() - started
            live = OutdialTarget.objects.live().filter(outdial=outdial).count()
            seen.append((took < 2, live))
        except Exception as error:  # reported by the assert below
            seen.append(repr(error))
        finally:
            connection.close()

    def meanwhile(phase, done, total):
        if phase == "write" and not seen:
            thread = threading.Thread(target=add_one)
            thread.start()
            thread.join(30)

    rows = "".join(f"+1202555{i:04d}\n" for i in range(3))
    report = run(outdial, "destination_0\n" + rows, progress=meanwhile)
    assert seen == [(True, 1)]
    assert report.created == 3
    assert OutdialTarget.objects.live().filter(outdial=outdial).count() == 4


# -- abort, skip, dry run ----------------------------------------------------------


def test_an_error_in_the_last_of_10000_rows_leaves_the_outdial_untouched(outdial):
    targets.create_target(outdial, name="before", slots=[tel("+14155550100")])
    rows = "".join(f"Person {i},+1202{i:07d}\n" for i in range(9999))
    with pytest.raises(ImportRejected) as caught:
        run(outdial, "name,destination_0\n" + rows + "Last,12\n")
    error = caught.value
    assert (error.reason, error.http_status) == ("INVALID_ROWS", 400)
    assert counts(error.report) == (10000, 9999, 0, 1)
    assert error.report.errors == [
        {
            "row": 10001,
            "column": "destination_0",
            "message": "12 is too short for its country code.",
        }
    ]
    assert error.report.import_id is None
    assert list(OutdialTarget.objects.values_list("name", flat=True)) == ["before"]
    assert Destination.objects.count() == 1
    assert ImportBatch.objects.count() == 0


def test_on_error_skip_writes_the_valid_rows(outdial):
    report = run(outdial, "destination_0\n+12025550143\n12\n", on_error="skip")
    assert counts(report) == (2, 1, 0, 1)
    assert OutdialTarget.objects.count() == 1


def test_a_dry_run_reports_and_writes_nothing(outdial):
    report = run(outdial, "destination_0\n+12025550143\n12\n", dry_run=True)
    assert counts(report) == (2, 1, 0, 1)
    assert report.import_id is None
    assert OutdialTarget.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_unknown_options_are_programming_errors(outdial):
    with pytest.raises(ValueError):
        run(outdial, "destination_0\n+12025550143\n", on_duplicate="merge")
    with pytest.raises(ValueError):
        run(outdial, "destination_0\n+12025550143\n", on_error="ignore")


def test_the_number_of_queries_does_not_grow_with_the_rows(
    outdial, django_assert_max_num_queries, monkeypatch
):
    # Progress is written at most once a second: a still clock keeps a slow
    # machine from adding one more write to the count.
    monkeypatch.setattr(jobs.time, "monotonic", lambda: 1e9)
    small = "destination_0\n" + "".join(f"+1202555{i:04d}\n" for i in range(10))
    large = "destination_0\n" + "".join(f"+1203{i:07d}\n" for i in range(12000))
    # SQLite writes each 5,000-row chunk in a short transaction of its own
    # (two more statements a chunk under the test's transaction).
    chunks = 0 if connection.vendor == "postgresql" else 2
    # 17: one asks whether a suppression list applies (none here, so no
    # chunk is looked up).
    with django_assert_max_num_queries(17):
        run(outdial, small)
    # ... and a bulk write's worth refreshes the planner's statistics (up to 3).
    with django_assert_max_num_queries(17 + 2 * chunks + 3):
        run(outdial, large)
    assert OutdialTarget.objects.count() == 12010


# -- undo --------------------------------------------------------------------------


def test_undo_deletes_untouched_targets_and_keeps_attempted_ones(outdial):
    run(outdial, "name,destination_0\nA,+12025550143\nB,+12025550144\nC,+12025550145\n")
    batch = ImportBatch.objects.get()
    a, b, c = OutdialTarget.objects.order_by("name")
    Attempt.objects.create(
        outdial=outdial,
        outdial_target=a,
        destination_index=0,
        address="+12025550143",
        try_count=1,
        outcome="no_answer",
        lease_expires=a.tm_create,
    )
    Destination.objects.filter(outdial_target=b).update(try_count=1)
    result = undo_import(batch)
    assert (result.deleted, result.kept) == (1, 2)
    assert list(
        OutdialTarget.objects.live().values_list("name", flat=True).order_by("name")
    ) == ["A", "B"]
    c.refresh_from_db()
    assert c.tm_delete is not None
    batch.refresh_from_db()
    assert batch.tm_undo is not None


def test_undo_leaves_other_imports_and_other_targets_alone(outdial):
    run(outdial, "destination_0\n+12025550143\n")
    first = ImportBatch.objects.get()
    run(outdial, "destination_0\n+12025550144\n")
    targets.create_target(outdial, slots=[tel("+12025550145")])
    assert undo_import(first) == importing.UndoResult(deleted=1, kept=0)
    live = OutdialTarget.objects.live().values_list("destinations__target", flat=True)
    assert sorted(live) == ["+12025550144", "+12025550145"]


def test_an_import_is_undone_once(outdial):
    run(outdial, "destination_0\n+12025550143\n")
    batch = ImportBatch.objects.get()
    undo_import(batch)
    with pytest.raises(ImportRejected) as caught:
        undo_import(batch)
    assert (caught.value.reason, caught.value.http_status) == (
        "IMPORT_ALREADY_UNDONE",
        409,
    )


def test_after_undo_the_same_file_imports_again(outdial):
    run(outdial, "destination_0\n+12025550143\n")
    undo_import(ImportBatch.objects.get())
    assert run(outdial, "destination_0\n+12025550143\n").created == 1
