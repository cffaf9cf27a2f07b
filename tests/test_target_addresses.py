"""A target's ``addresses`` (issue 14): its destinations' addresses, one a
line, written by every write of its destinations, so the contains-search
that reads the list in order tests that column instead of each target's
destinations. After each kind of write the column is what the destinations
say, and that search finds the new addresses and not the old ones."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from outdials import importing, jobs, search, targets
from outdials.models import Destination, ImportBatch, OutdialTarget
from tests.helpers import make_staff, signed_in, slot_rows, tel
from tests.test_pages_targets import slot_form


def written(outdial) -> dict[str, str]:
    """Each live target's name → its ``addresses`` column."""
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    return dict(live.values_list("name", "addresses"))


def from_destinations(outdial) -> dict[str, str]:
    """Each live target's name → its destinations' addresses, in slot order,
    one a line: what the column must hold."""
    live = OutdialTarget.objects.live().filter(outdial=outdial).with_destinations()
    return {
        t.name: "\n".join(d.target for d in t.slots() if d is not None) for t in live
    }


def assert_kept(outdial) -> dict[str, str]:
    kept = written(outdial)
    assert kept == from_destinations(outdial)
    return kept


@pytest.fixture
def walking(monkeypatch):
    """The search reads the list in order, for every text."""
    monkeypatch.setattr(search, "FEW", -1)


def walked(outdial, text: str) -> list[str]:
    """The names the search finds reading the list in order (``walking``)."""
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    found = search.targets_matching(live, text, outdial.region)
    return sorted(found.values_list("name", flat=True))


def test_pages_api_and_admin_writes_keep_addresses(
    alice, alice_page, api, outdial, walking
):
    page = f"/outdials/{outdial.pk}/"
    email = {"type": "email", "target": "ann@example.com"}
    response = api.post(
        f"/v1.0/outdials/{outdial.pk}/targets",
        {"name": "Ann", "destination_0": {"type": "tel", "target": "+15559870001"}}
        | {"destination_2": email},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (
        alice_page.post(
            page + "targets/new/", slot_form(name="Bo", target_0="+15559870002")
        ).status_code
        == 302
    )
    assert assert_kept(outdial) == {
        "Ann": "+15559870001\nann@example.com",
        "Bo": "+15559870002",
    }

    # The target page: a new address replaces the old one.
    bo = OutdialTarget.objects.get(name="Bo")
    alice_page.post(
        f"{page}targets/{bo.pk}/",
        slot_form(name="Bo", target_0="+15559870012", target_3="+15559870013"),
    )
    assert assert_kept(outdial)["Bo"] == "+15559870012\n+15559870013"
    assert walked(outdial, "870013") == ["Bo"]
    assert walked(outdial, "9870002") == []

    # The admin: add, change a slot, drop a slot.
    admin = signed_in(make_staff(alice.customer, "alice-ops"))
    added = admin.post(
        reverse("admin:outdials_outdialtarget_add"),
        {"outdial": str(outdial.pk), "name": "Cy", "detail": "", "data": ""}
        | slot_rows([(0, "tel", "+15559870003"), (1, "email", "cy@example.com")]),
    )
    assert added.status_code == 302
    cy = OutdialTarget.objects.get(name="Cy")
    first, second = cy.slots()[:2]
    second.target = "cy@example.org"
    change = reverse("admin:outdials_outdialtarget_change", args=[cy.pk])
    fields = {"name": "Cy", "detail": "", "data": ""}
    assert (
        admin.post(change, fields | slot_rows([], existing=[first, second])).status_code
        == 302
    )
    assert assert_kept(outdial)["Cy"] == "+15559870003\ncy@example.org"
    assert walked(outdial, "EXAMPLE.ORG") == ["Cy"]
    dropped = slot_rows([], existing=[first, second]) | {"destinations-1-DELETE": "on"}
    assert admin.post(change, fields | dropped).status_code == 302
    assert assert_kept(outdial)["Cy"] == "+15559870003"
    assert walked(outdial, "example.org") == []

    # A change of the text fields alone leaves the addresses as they are.
    targets.update_target(cy, name="Cy Diaz")
    assert assert_kept(outdial)["Cy Diaz"] == "+15559870003"


KEYED = "crm,name,phone,email\nA1,Ann,+12025550143,ann@example.com\n"
KEYED += "A2,Bo,+12025550144,\n"
KEYED_AGAIN = "crm,name,phone,email\nA1,Ann,+12025550153,\nA2,Bo,+12025550144,\n"


def test_imports_their_keyed_updates_and_undo_keep_addresses(outdial, walking):
    def run(text):
        return importing.import_csv(outdial, io.BytesIO(text.encode()), key="crm")

    run(KEYED)
    assert assert_kept(outdial) == {
        "Ann": "+12025550143\nann@example.com",
        "Bo": "+12025550144",
    }
    again = run(KEYED_AGAIN)
    assert again.updated == 1
    assert assert_kept(outdial)["Ann"] == "+12025550153"
    assert walked(outdial, "ann@") == []

    importing.undo_import(ImportBatch.objects.get(pk=again.import_id))
    assert assert_kept(outdial)["Ann"] == "+12025550143\nann@example.com"
    assert walked(outdial, "ann@") == ["Ann"]


def test_a_text_across_two_addresses_is_in_neither(outdial, walking):
    address = targets.Address(type="email", target="ann@example.com")
    targets.create_target(outdial, name="Ann", slots=[tel("+15559870001"), address])
    assert walked(outdial, "0001") == walked(outdial, "ann@") == ["Ann"]
    assert walked(outdial, "0001\nann") == []


def test_the_search_reads_the_column_once_written_else_the_destinations(
    outdial, walking
):
    """Targets from before the column (or inserted raw) have none: the
    search looks at their destinations until the workers' housekeeping has
    written it, and never writes over a person's change."""
    ann, bo = OutdialTarget.objects.bulk_create(
        [OutdialTarget(outdial=outdial, name=name) for name in ("Ann", "Bo")]
    )
    Destination.objects.bulk_create(
        [
            Destination(outdial_target=ann, index=1, type="email", target="a@x.org"),
            Destination(outdial_target=ann, index=0, type="tel", target="+15550001"),
            Destination(outdial_target=bo, index=0, type="tel", target="+15550002"),
        ]
    )
    assert written(outdial) == {"Ann": None, "Bo": None}
    assert walked(outdial, "A@X.ORG") == ["Ann"]
    targets.update_target(bo, slots=[tel("+15550003")])

    assert jobs.housekeeping()["addresses_written"] == 1
    assert assert_kept(outdial) == {"Ann": "+15550001\na@x.org", "Bo": "+15550003"}
    assert targets.write_missing_addresses() == 0

    # Written, the column is what the search reads.
    OutdialTarget.objects.filter(pk=ann.pk).update(addresses="sip:ann@pbx")
    assert walked(outdial, "A@X.ORG") == []
    assert walked(outdial, "ann@pbx") == ["Ann"]


def test_missing_addresses_are_written_in_chunks(outdial, monkeypatch):
    OutdialTarget.objects.bulk_create(
        [OutdialTarget(outdial=outdial, name=f"t{n}") for n in range(5)]
    )
    monkeypatch.setattr(targets, "MISSING_ADDRESSES_CHUNK", 2)
    assert targets.write_missing_addresses(limit=3) == 3
    assert targets.write_missing_addresses(limit=3) == 2
    assert set(written(outdial).values()) == {""}


def test_the_command_writes_every_missing_address(outdial, monkeypatch):
    ann, bo = OutdialTarget.objects.bulk_create(
        [OutdialTarget(outdial=outdial, name=name) for name in ("Ann", "Bo")]
    )
    Destination.objects.create(outdial_target=ann, index=0, type="tel", target="+1")
    monkeypatch.setattr(targets, "MISSING_ADDRESSES_ROUND", 1)
    out = io.StringIO()

    call_command("write_target_addresses", stdout=out)

    assert out.getvalue() == "Wrote the addresses of 2 targets.\n"
    assert written(outdial) == {"Ann": "+1", "Bo": ""}
