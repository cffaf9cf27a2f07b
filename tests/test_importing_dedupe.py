"""The importer's seen addresses (outdials.importing.dedupe) and the header
check: right answers on the inputs that once made them quadratic. Their speed
is measured by ``make bench`` (benchmarks/hostile_import.py), not here."""

import io
import pickle
import random

import pytest
from django.test import override_settings

from outdials import importing
from outdials.importing.dedupe import EXISTING, IN_FILE, SeenAddresses, first_rows
from outdials.models import Outdial, OutdialTarget


def test_existing_addresses_come_before_those_of_the_file():
    seen = SeenAddresses([442079460958, "ops@example.com"])
    seen.bring([12025550143, "sip:a@pbx.example.com"])
    seen.bring([442079460958])
    assert seen.where(442079460958) == EXISTING
    assert seen.where("ops@example.com") == EXISTING
    assert seen.where(12025550143) == IN_FILE
    assert seen.where("sip:a@pbx.example.com") == IN_FILE
    assert seen.where(442079460959) is None
    assert 12025550143 in seen and 442079460959 not in seen
    assert len(seen) == 4


def test_progressions_and_random_numbers_are_all_told_apart():
    """Arithmetic progressions with power-of-two steps (what stalled the old
    table) mixed with random numbers, probed present and absent."""
    rng = random.Random(7)
    keys = [12020000000 + i * (1 << 20) for i in range(20000)]
    keys += [10**14 + i * 1000 for i in range(20000)]
    keys += [rng.randrange(10**10, 10**15) for _ in range(20000)]
    seen = SeenAddresses()
    for key in keys:
        seen.bring([key])
    assert len(seen) == len(set(keys))
    assert all(seen.where(key) == IN_FILE for key in keys)
    assert seen.where(12020000000 - (1 << 20)) is None
    assert seen.where(10**14 + 1) is None


def test_first_rows_finds_the_first_spooled_row_of_each_key():
    spool = io.BytesIO()
    pickle.dump(
        [(2, "a", "", "", (), (111, 222), ""), (3, "b", "", "", (), (333,), "")],
        spool,
    )
    pickle.dump([(5, "c", "", "", (), (222, 444), "k")], spool)
    spool.seek(7)
    assert first_rows(spool, {222, 444, 999}) == {222: 2, 444: 5}
    assert spool.tell() == 7


# -- through the importer ----------------------------------------------------------


@pytest.fixture
def outdial(alice):
    return Outdial.objects.create(customer=alice.customer, name="list")


def run(outdial, text: str, **options):
    return importing.import_csv(outdial, io.BytesIO(text.encode()), **options)


def test_repeats_name_the_first_row_in_a_long_progression(outdial):
    """A progression of numbers, then the same numbers again: every repeat
    names the row that brought its number first, in every policy."""
    numbers = [f"+1202{2000000 + i * 64:07d}" for i in range(3000)]
    text = "name,destination_0\n" + "".join(
        f"p{i},{n}\n" for i, n in enumerate(numbers + numbers[:5])
    )
    report = run(outdial, text)
    assert (report.rows, report.created, report.duplicates) == (3005, 3000, 5)
    assert [w["message"] for w in report.warnings] == [
        f"{numbers[i]} repeats row {i + 2}; row skipped." for i in range(5)
    ]
    assert OutdialTarget.objects.filter(outdial=outdial).count() == 3000
    again = run(outdial, "name,destination_0\nx,+12022000064\n", on_duplicate="allow")
    assert again.warnings[0]["message"] == (
        "+12022000064 is already a target; imported (on_duplicate=allow)."
    )


def test_a_refused_file_still_names_the_rows_repeated(outdial):
    text = "name,destination_0\na,+12025550143\nb,+12025550143\nc,+12025550100\n"
    with override_settings(OUTDIALS={**_settings(), "IMPORT_MAX_ROWS": 2}):
        with pytest.raises(importing.ImportRejected) as caught:
            run(outdial, text, on_duplicate="error")
    assert caught.value.reason == "TOO_MANY_ROWS"
    assert caught.value.report.errors[0] == {
        "row": 3,
        "column": "destination_0",
        "message": "+12025550143 repeats row 2.",
    }


def _settings():
    from django.conf import settings

    return settings.OUTDIALS


def test_fifty_thousand_columns_are_checked_and_a_repeat_named(outdial):
    labels = ["destination_0"] + [f"extra_{i}" for i in range(50000)]
    width = len(labels)
    row = ",".join(["+12025550143"] + [""] * (width - 1))
    report = run(outdial, ",".join(labels) + "\n" + row + "\n")
    assert report.created == 1
    assert len(report.warnings) == 1000  # the unknown columns, as many as listed
    repeated = labels + ["extra_7", "destination_0"]
    with pytest.raises(importing.ImportRejected) as caught:
        run(outdial, ",".join(repeated) + "\n" + row + ",,\n")
    assert caught.value.reason == "DUPLICATE_COLUMN"
    assert caught.value.message == (
        "The header names destination_0, extra_7 more than once; keep one "
        "column of each name."
    )


def test_a_repeat_of_an_address_a_keyed_update_brought_names_that_row(outdial):
    """Rows that update a keyed target are not spooled; their addresses still
    name their row."""
    run(outdial, "crm,name,destination_0\nA1,ann,+12025550143\n", key="crm")
    text = (
        "crm,name,destination_0\n"
        "A1,ann,+12025550199\n"  # updates A1 with a new number
        "B2,bob,+12025550199\n"  # repeats it
    )
    report = run(outdial, text, key="crm")
    assert report.updated == 1
    assert report.warnings[-1]["message"] == "+12025550199 repeats row 2; row skipped."
