"""CSV export (outdials.exporting), its round trip through the importer, and
the export_targets command."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from outdials import exporting, targets
from outdials.importing import import_csv
from outdials.models import Attempt, Destination, Outdial, OutdialTarget
from outdials.timestamps import format_ts
from tests.helpers import tel


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def exported(outdial) -> str:
    queryset = OutdialTarget.objects.live().filter(outdial=outdial)
    return "".join(exporting.iter_csv(queryset))


# -- the formula guard -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "column", "guarded"),
    [
        ("=1+2", "name", "'=1+2"),
        ("+1", "detail", "'+1"),
        ("-5", "data", "'-5"),
        ("@SUM(A1)", "name", "'@SUM(A1)"),
        ("\tx", "name", "'\tx"),
        ("\rx", "name", "'\rx"),
        ("'=1", "name", "''=1"),
        ("'plain", "name", "'plain"),
        ("plain = fine", "name", "plain = fine"),
        ("", "name", ""),
        ("+12025550143", "destination_0", "+12025550143"),
        ("+12025550143", "name", "'+12025550143"),
        ("+1 202", "destination_1", "'+1 202"),
        ("@home", "destination_0_name", "'@home"),
    ],
)
def test_it_guards_cells_a_spreadsheet_would_run(value, column, guarded):
    assert exporting.guard_cell(value, column) == guarded
    assert exporting.unguard_cell(guarded) == value


# -- iter_csv ----------------------------------------------------------------------


def test_the_header_is_the_import_columns_then_the_servers(outdial):
    header = exported(outdial).splitlines()[0].split(",")
    assert header == exporting.export_columns()
    assert header[:6] == [
        "name",
        "detail",
        "data",
        "destination_0",
        "destination_0_type",
        "destination_0_name",
    ]
    assert header[18:] == [
        "timezone",
        "id",
        "status",
        "try_count_0",
        "try_count_1",
        "try_count_2",
        "try_count_3",
        "try_count_4",
        "tm_create",
        "tm_update",
        "last_attempt_outcome",
        "last_attempt_time",
    ]


def test_each_target_is_one_row_with_its_slots_and_counts(outdial):
    target = targets.create_target(
        outdial,
        name="Ann",
        detail="vip",
        data='{"crm": 7}',
        slots=[
            tel("+12025550143"),
            None,
            targets.Address("email", "ann@example.com", target_name="work"),
        ],
    )
    Destination.objects.filter(outdial_target=target, index=0).update(try_count=2)
    (row,) = rows_of(exported(outdial))
    assert row == {
        **{column: "" for column in exporting.export_columns()},
        "name": "Ann",
        "detail": "vip",
        "data": '{"crm": 7}',
        "destination_0": "+12025550143",
        "destination_0_type": "tel",
        "destination_2": "ann@example.com",
        "destination_2_type": "email",
        "destination_2_name": "work",
        # a US number: several zones, so the outdial's default
        "timezone": "UTC",
        "id": str(target.id),
        "status": "idle",
        "try_count_0": "2",
        "try_count_1": "0",
        "try_count_2": "0",
        "try_count_3": "0",
        "try_count_4": "0",
        "tm_create": format_ts(target.tm_create),
        "tm_update": format_ts(target.tm_update),
    }


def test_the_last_attempt_comes_from_the_attempt_log(outdial):
    target = targets.create_target(outdial, slots=[tel("+12025550143")])
    never = targets.create_target(outdial, slots=[tel("+12025550144")])
    pending = targets.create_target(outdial, slots=[tel("+12025550145")])
    start = target.tm_create
    for minutes, outcome in ((1, "busy"), (5, "no_answer"), (3, "failed")):
        Attempt.objects.create(
            outdial=outdial,
            outdial_target=target,
            destination_index=0,
            address="+12025550143",
            try_count=1,
            outcome=outcome,
            lease_expires=start,
            tm_start=start + timedelta(minutes=minutes),
        )
    Attempt.objects.create(
        outdial=outdial,
        outdial_target=pending,
        destination_index=0,
        address="+12025550145",
        try_count=1,
        lease_expires=start,
        tm_start=start,
    )
    rows = {row["id"]: row for row in rows_of(exported(outdial))}
    assert (
        rows[str(target.id)]["last_attempt_outcome"],
        rows[str(target.id)]["last_attempt_time"],
    ) == ("no_answer", format_ts(start + timedelta(minutes=5)))
    assert rows[str(never.id)]["last_attempt_outcome"] == ""
    assert rows[str(never.id)]["last_attempt_time"] == ""
    assert rows[str(pending.id)]["last_attempt_outcome"] == "pending"


def test_export_makes_two_queries_a_chunk_not_one_a_row(
    outdial, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(exporting, "CHUNK", 10)
    rows = "".join(f"+1202555{i:04d},a{i}@example.com\n" for i in range(25))
    import_csv(outdial, io.BytesIO(("destination_0,destination_1\n" + rows).encode()))
    # Three chunks of targets (10, 10, 5) with their destinations, then an empty one.
    with django_assert_num_queries(7):
        text = exported(outdial)
    assert len(rows_of(text)) == 25


def test_each_chunk_seeks_past_the_last_with_one_row_value(outdial, monkeypatch):
    """The row-value keyset the index seeks to, not an OR pair that re-reads
    every earlier row of a bulk write: a chunk costs the same wherever it is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(exporting, "CHUNK", 10)
    rows = "".join(f"+1202555{i:04d}\n" for i in range(25))
    import_csv(outdial, io.BytesIO(("destination_0\n" + rows).encode()))
    with CaptureQueriesContext(connection) as queries:
        assert len(rows_of(exported(outdial))) == 25
    pages = [q["sql"] for q in queries if '"tm_create"' in q["sql"]]
    quote = connection.ops.quote_name
    table = quote(OutdialTarget._meta.db_table)
    bound = f'({table}."tm_create", {table}."id") > '
    assert len(pages) == 4 and all(bound in sql for sql in pages[1:])
    assert not any(" OR " in sql for sql in pages)


def test_rows_come_oldest_first_and_keep_an_imported_files_order(outdial):
    names = [f"P{i}" for i in range(30)]
    body = "".join(f"{n},+1202555{i:04d}\n" for i, n in enumerate(names))
    import_csv(outdial, io.BytesIO(("name,destination_0\n" + body).encode()))
    targets.create_target(outdial, name="later", slots=[tel("+14155550100")])
    assert [row["name"] for row in rows_of(exported(outdial))] == [*names, "later"]


def test_iter_chunks_starts_with_a_bom_and_batches_lines(outdial):
    for i in range(5):
        targets.create_target(outdial, slots=[tel(f"+1202555010{i}")])
    queryset = OutdialTarget.objects.filter(outdial=outdial)
    chunks = list(exporting.iter_chunks(queryset, lines_per_chunk=2))
    assert chunks[0] == exporting.BOM
    assert [chunk.count("\r\n") for chunk in chunks[1:]] == [2, 2, 2]


# -- the round trip ----------------------------------------------------------------

TRICKY = [
    ('=HYPERLINK("http://evil")', "line one\nline two", '{"a": [1, 2]}'),
    ("-5", "'=already quoted", "+1"),
    ("@mention", "\ttabbed", "semi;colon, comma"),
    ("Zoë «Ångström» 北京", "'plain quote", ""),
    ("''=two quotes", "\r\ncarriage", "trailing space "),
]


def test_export_then_import_is_faithful(outdial, alice):
    for i, (name, detail, data) in enumerate(TRICKY):
        targets.create_target(
            outdial,
            name=name,
            detail=detail,
            data=data,
            slots=[
                targets.Address("tel", f"+1202555014{i}", target_name="=cell"),
                targets.Address("sip", f"sip:p{i}@pbx.example.com"),
                None,
                targets.Address("email", f"P{i}@Example.com", target_name="-x"),
            ],
        )
    copy = Outdial.objects.create(customer=alice.customer, name="copy")
    text = "".join(exporting.iter_chunks(OutdialTarget.objects.filter(outdial=outdial)))
    report = import_csv(copy, io.BytesIO(text.encode("utf-8")))
    assert (report.created, report.invalid, report.warnings) == (5, 0, [])

    def shape(o):
        result = []
        for t in OutdialTarget.objects.filter(outdial=o).order_by("tm_create", "pk"):
            slots = [
                (d.index, d.type, d.target, d.target_name)
                for d in Destination.objects.filter(outdial_target=t).order_by("index")
            ]
            result.append((t.name, t.detail, t.data, slots))
        return result

    assert shape(copy) == shape(outdial)
    assert shape(copy)[0][0] == '=HYPERLINK("http://evil")'


def test_an_export_reimported_into_its_own_outdial_is_all_duplicates(outdial):
    for i in range(3):
        targets.create_target(outdial, slots=[tel(f"+1202555014{i}")])
    report = import_csv(outdial, io.BytesIO(exported(outdial).encode()))
    assert (report.rows, report.created, report.duplicates) == (3, 0, 3)


# -- the command -------------------------------------------------------------------


def test_the_command_writes_a_file_with_filters(outdial, tmp_path):
    targets.create_target(outdial, name="Ann", slots=[tel("+12025550143")])
    done = targets.create_target(outdial, name="Bob", slots=[tel("+12025550144")])
    OutdialTarget.objects.filter(pk=done.pk).update(status="done")
    path = tmp_path / "out.csv"
    call_command("export_targets", str(outdial.id), str(path))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeffname,")
    assert [row["name"] for row in rows_of(text)] == ["Ann", "Bob"]
    call_command("export_targets", str(outdial.id), str(path), "--status", "done")
    assert [row["name"] for row in rows_of(path.read_text())] == ["Bob"]


def test_the_command_writes_to_standard_output(outdial):
    targets.create_target(outdial, name="Ann", slots=[tel("+12025550143")])
    out = io.StringIO()
    call_command("export_targets", str(outdial.id), stdout=out)
    assert [row["name"] for row in rows_of(out.getvalue())] == ["Ann"]


@pytest.mark.parametrize("value", ["nope", "00000000-0000-0000-0000-000000000001"])
def test_the_command_refuses_a_bad_or_missing_outdial(db, value):
    with pytest.raises(CommandError):
        call_command("export_targets", value)
