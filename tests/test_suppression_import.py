"""Suppression lists at import (issue 16): a row whose address is on a list
that applies is counted in ``suppressed``, with the list named, and skipped,
refused or imported as ``on_suppressed`` says; claims still pass over it."""

import io

import pytest

from outdials import suppression
from outdials.importing import ImportRejected, import_csv
from outdials.models import OutdialTarget

FILE = (
    "name,destination_0,destination_1\n"
    "Ann,+15550002001,\n"
    "Ben,+15550002002,\n"
    "Cid,+19005550100,\n"
    "Dee,+15550002004,HELP@example.org\n"
)


def run(outdial, **options):
    return import_csv(outdial, io.BytesIO(FILE.encode()), **options)


@pytest.fixture
def listed(alice):
    made = suppression.create_list(alice.customer, name="Registry")
    suppression.add(made, type_="tel", address="+15550002002")
    suppression.add(made, type_="tel", address="+1900", kind="prefix")
    suppression.add(made, type_="email", address="Help@Example.ORG")
    return made


def names(outdial) -> list[str]:
    return sorted(
        OutdialTarget.objects.filter(outdial=outdial).values_list("name", flat=True)
    )


def test_it_skips_suppressed_rows_by_default_and_names_the_list(outdial, listed):
    report = run(outdial)
    assert (report.rows, report.created, report.suppressed, report.invalid) == (
        4,
        1,
        3,
        0,
    )
    assert names(outdial) == ["Ann"]
    assert report.as_dict()["suppressed"] == 3
    assert report.warnings[-3:] == [
        {
            "row": 3,
            "column": "destination_0",
            "message": "+15550002002 is on the suppression list “Registry”; "
            "row skipped.",
        },
        {
            "row": 4,
            "column": "destination_0",
            "message": "+19005550100 is on the suppression list “Registry”; "
            "row skipped.",
        },
        {
            "row": 5,
            "column": "destination_1",
            "message": "HELP@example.org is on the suppression list “Registry”; "
            "row skipped.",
        },
    ]


def test_on_suppressed_error_counts_them_invalid_and_aborts(outdial, listed):
    with pytest.raises(ImportRejected) as raised:
        run(outdial, on_suppressed="error")
    report = raised.value.report
    assert (report.created, report.suppressed, report.invalid) == (1, 3, 3)
    assert report.errors[0] == {
        "row": 3,
        "column": "destination_0",
        "message": "+15550002002 is on the suppression list “Registry”.",
    }
    assert names(outdial) == []


def test_on_suppressed_error_with_on_error_skip_imports_the_rest(outdial, listed):
    report = run(outdial, on_suppressed="error", on_error="skip")
    assert (report.created, report.suppressed, report.invalid) == (1, 3, 3)
    assert names(outdial) == ["Ann"]


def test_on_suppressed_allow_imports_them_and_claims_pass_over(outdial, listed):
    from outdials import dialing

    report = run(outdial, on_suppressed="allow")
    assert (report.created, report.suppressed, report.invalid) == (4, 3, 0)
    assert report.warnings[-1]["message"] == (
        "HELP@example.org is on the suppression list “Registry”; imported "
        "(on_suppressed=allow), claims pass over it."
    )
    assert names(outdial) == ["Ann", "Ben", "Cid", "Dee"]
    claims = dialing.claim(outdial, max_try_counts=[1, 1, 0, 0, 0], limit=10)
    assert sorted(c.destination.target for c in claims) == [
        "+15550002001",
        "+15550002004",
    ]


def test_a_dry_run_reports_the_same_counts(outdial, listed):
    report = run(outdial, dry_run=True)
    assert (report.created, report.suppressed) == (1, 3)
    assert names(outdial) == []


def test_another_customers_list_does_not_apply(outdial, bob):
    made = suppression.create_list(bob.customer, name="Bob's")
    suppression.add(made, type_="tel", address="+15550002002")
    report = run(outdial)
    assert (report.created, report.suppressed) == (4, 0)


def test_an_expired_entry_does_not_suppress_an_import(outdial, alice):
    from datetime import timedelta

    from django.utils import timezone

    made = suppression.create_list(alice.customer, name="Old")
    suppression.add(
        made,
        type_="tel",
        address="+15550002002",
        tm_expire=timezone.now() - timedelta(seconds=1),
    )
    assert run(outdial).suppressed == 0


def test_the_api_takes_on_suppressed(api, outdial, listed):
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/import?on_suppressed=allow&wait=5",
        {"file": io.BytesIO(FILE.encode())},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["suppressed"]) == (4, 3)


def test_a_sip_address_with_its_host_in_capitals_is_suppressed(outdial, alice):
    made = suppression.create_list(alice.customer, name="Registry")
    suppression.add(made, type_="sip", address="sip:Alice@pbx.example.com")
    text = (
        "name,destination_0\n"
        "Ann,SIP:Alice@PBX.Example.COM\n"
        "Ben,sip:alice@pbx.example.com\n"
    )
    report = import_csv(outdial, io.BytesIO(text.encode()))
    assert (report.created, report.suppressed) == (1, 1)
    assert names(outdial) == ["Ben"]
    assert report.warnings[-1] == {
        "row": 2,
        "column": "destination_0",
        "message": "SIP:Alice@PBX.Example.COM is on the suppression list "
        "“Registry”; row skipped.",
    }


# --- rows that update a keyed target ------------------------------------------------

KEYED = (
    "crm,name,destination_0\n"
    "A1,Ann,+15550003001\n"
    "A2,Ben,+15550003002\n"
    "A3,Cid,+15550003003\n"
)
# A1 brings a listed number, A3 keeps its number, listed since, and is
# renamed; A2 is renamed only.
UPDATE = (
    "crm,name,destination_0\n"
    "A1,Ann,+15550003009\n"
    "A2,Benny,+15550003002\n"
    "A3,Cidney,+15550003003\n"
)


@pytest.fixture
def keyed(outdial, alice):
    first = import_csv(outdial, io.BytesIO(KEYED.encode()), key="crm")
    assert first.created == 3
    made = suppression.create_list(alice.customer, name="Registry")
    suppression.add(made, type_="tel", address="+15550003009")
    suppression.add(made, type_="tel", address="+15550003003")
    return made


def rerun(outdial, **options):
    return import_csv(outdial, io.BytesIO(UPDATE.encode()), key="crm", **options)


def people(outdial) -> list[tuple[str, str]]:
    return sorted(
        OutdialTarget.objects.filter(outdial=outdial).values_list(
            "name", "destinations__target"
        )
    )


def test_an_update_with_a_suppressed_address_is_skipped_by_default(outdial, keyed):
    report = rerun(outdial)
    assert (report.updated, report.suppressed, report.invalid) == (1, 2, 0)
    assert report.warnings[-2:] == [
        {
            "row": 2,
            "column": "destination_0",
            "message": "+15550003009 is on the suppression list “Registry”; "
            "row skipped.",
        },
        {
            "row": 4,
            "column": "destination_0",
            "message": "+15550003003 is on the suppression list “Registry”; "
            "row skipped.",
        },
    ]
    assert people(outdial) == [
        ("Ann", "+15550003001"),
        ("Benny", "+15550003002"),
        ("Cid", "+15550003003"),
    ]


def test_an_update_with_a_suppressed_address_refused_aborts(outdial, keyed):
    with pytest.raises(ImportRejected) as raised:
        rerun(outdial, on_suppressed="error")
    report = raised.value.report
    assert (report.updated, report.suppressed, report.invalid) == (1, 2, 2)
    assert report.errors[0] == {
        "row": 2,
        "column": "destination_0",
        "message": "+15550003009 is on the suppression list “Registry”.",
    }
    assert people(outdial)[0] == ("Ann", "+15550003001")
    assert people(outdial)[1] == ("Ben", "+15550003002")


def test_an_update_refused_with_on_error_skip_writes_the_rest(outdial, keyed):
    report = rerun(outdial, on_suppressed="error", on_error="skip")
    assert (report.updated, report.suppressed, report.invalid) == (1, 2, 2)
    assert people(outdial) == [
        ("Ann", "+15550003001"),
        ("Benny", "+15550003002"),
        ("Cid", "+15550003003"),
    ]


def test_an_update_with_a_suppressed_address_allowed_is_written(outdial, keyed):
    from outdials import dialing

    report = rerun(outdial, on_suppressed="allow")
    assert (report.updated, report.suppressed, report.invalid) == (3, 2, 0)
    assert report.warnings[-2]["message"] == (
        "+15550003009 is on the suppression list “Registry”; imported "
        "(on_suppressed=allow), claims pass over it."
    )
    assert people(outdial) == [
        ("Ann", "+15550003009"),
        ("Benny", "+15550003002"),
        ("Cidney", "+15550003003"),
    ]
    claims = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=10)
    assert [c.destination.target for c in claims] == ["+15550003002"]
