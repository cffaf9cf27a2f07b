"""Planner statistics after bulk writes (outdials.statistics): the first page
right after an import already follows the page index."""

import io
import json

import pytest
from django.db import connection

from outdials import dialing, statistics, targets
from outdials.importing import import_csv, undo_import
from outdials.models import ImportBatch, OutdialTarget

ROWS = 2 * statistics.BULK_ROWS


def csv_of(count: int, first: int = 0) -> bytes:
    lines = ["name,destination_0"]
    lines += [f"customer {n},+1202555{n:04d}" for n in range(first, first + count)]
    return ("\n".join(lines) + "\n").encode()


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def first_page_plan(outdial) -> list[str]:
    """The node types of the plan of the targets list's first page (the
    keyset order, newest first, one more row than the page)."""
    page = (
        OutdialTarget.objects.live()
        .filter(outdial=outdial)
        .order_by("-tm_create", "-pk")[:101]
    )
    plan = page.explain(format="json")
    return [node["Node Type"] for node in nodes(json.loads(plan)[0]["Plan"])]


@pytest.mark.django_db
def test_the_first_page_right_after_an_import_reads_the_index_without_a_sort(
    outdial,
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner only")
    report = import_csv(outdial, io.BytesIO(csv_of(ROWS)))
    assert report.created == ROWS

    plan = first_page_plan(outdial)

    assert "Sort" not in plan
    assert "Index Scan" in plan or "Index Only Scan" in plan


def analysed(monkeypatch) -> list[tuple[int, tuple]]:
    calls = []
    real = statistics.refresh_after_bulk_write

    def spy(changed_rows, *models):
        calls.append((changed_rows, tuple(m.__name__ for m in models)))
        return real(changed_rows, *models)

    monkeypatch.setattr(statistics, "refresh_after_bulk_write", spy)
    return calls


@pytest.mark.django_db
def test_an_import_its_undo_and_bulk_changes_refresh_the_statistics(
    outdial, monkeypatch
):
    calls = analysed(monkeypatch)
    import_csv(outdial, io.BytesIO(csv_of(ROWS)))
    batch = ImportBatch.objects.get()
    undo_import(batch)
    import_csv(outdial, io.BytesIO(csv_of(ROWS, first=ROWS)))
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    dialing.override_status(live, "done")
    targets.delete_targets(live)

    assert calls == [
        (ROWS, ("OutdialTarget", "Destination")),
        (ROWS, ("OutdialTarget",)),
        (ROWS, ("OutdialTarget", "Destination")),
        (ROWS, ("OutdialTarget",)),
        (ROWS, ("OutdialTarget",)),
    ]
    assert OutdialTarget.objects.live().filter(outdial=outdial).count() == 0


def test_a_small_write_leaves_the_statistics_alone():
    assert statistics.refresh_after_bulk_write(3, OutdialTarget) is False
