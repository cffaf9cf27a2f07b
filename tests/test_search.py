"""Search that finds people: a number as people write it finds its E.164
row exactly; other digits, names, emails and SIP addresses are found by
what they contain, case-insensitively; the pages, the API, the export and
the admin search alike."""

import pytest
from django.db import connection
from django.urls import reverse

from outdials import search, targets
from outdials.models import Outdial, OutdialTarget
from tests.helpers import make_staff, signed_in, tel
from tests.test_pages_targets import rows_in


def address(type_: str, target: str) -> targets.Address:
    return targets.Address(type=type_, target=target)


@pytest.fixture
def people(outdial):
    """Four people of a US outdial, and one in another outdial."""
    make = targets.create_target
    make(outdial, name="Ann Lee", slots=[tel("+12018159083")])
    make(outdial, name="Bo Chen", slots=[tel("+12018159084"), tel("+442079460958")])
    make(outdial, name="Cy Diaz", slots=[address("email", "Cy.Diaz@Example.com")])
    make(outdial, name="Di Ito", slots=[address("sip", "sip:DiIto@pbx.example.com")])
    elsewhere = Outdial.objects.create(customer=outdial.customer, name="other")
    make(elsewhere, name="Ann Other", slots=[tel("+12018159083")])


def found(client, outdial, q: str) -> list[str]:
    response = client.get(f"/outdials/{outdial.pk}/", {"q": q})
    assert response.status_code == 200
    return sorted(rows_in(response.content.decode()))


@pytest.mark.parametrize(
    "q", ["(201) 815-9083", "201-815-9083", "+1 201 815 9083", "2018159083"]
)
def test_a_number_as_people_write_it_finds_that_person(alice_page, outdial, people, q):
    assert found(alice_page, outdial, q) == ["Ann Lee"]


def test_a_number_finds_its_exact_row_not_a_longer_one(alice_page, outdial, people):
    # +12018159084 contains 201815908 but is another number
    assert found(alice_page, outdial, "(201) 815-9084") == ["Bo Chen"]


def test_a_national_number_is_read_in_the_outdials_country(alice_page, outdial, people):
    assert found(alice_page, outdial, "+44 20 7946 0958") == ["Bo Chen"]
    outdial.region = "GB"
    outdial.save()
    assert found(alice_page, outdial, "020 7946 0958") == ["Bo Chen"]


def test_part_of_a_number_matches_by_its_digits(alice_page, outdial, people):
    assert found(alice_page, outdial, "815-908") == ["Ann Lee", "Bo Chen"]
    assert found(alice_page, outdial, "9083") == ["Ann Lee"]


def test_names_emails_and_sip_addresses_match_case_insensitively(
    alice_page, outdial, people
):
    assert found(alice_page, outdial, "ann") == ["Ann Lee"]
    assert found(alice_page, outdial, "cy.diaz@example.COM") == ["Cy Diaz"]
    assert found(alice_page, outdial, "EXAMPLE.com") == ["Cy Diaz", "Di Ito"]
    assert found(alice_page, outdial, "sip:diito@PBX") == ["Di Ito"]


def test_a_miss_finds_no_one(alice_page, outdial, people):
    assert found(alice_page, outdial, "(202) 555-0199") == []
    assert found(alice_page, outdial, "nobody") == []


def test_the_api_search_reads_numbers_in_the_outdials_country(api, outdial, people):
    response = api.get(f"/v1.0/outdials/{outdial.pk}/targets", {"q": "201-815-9083"})
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["result"]] == ["Ann Lee"]


def test_the_export_has_exactly_the_rows_the_search_finds(alice_page, outdial, people):
    response = alice_page.get(
        f"/outdials/{outdial.pk}/export.csv", {"q": "(201) 815-9083"}
    )
    body = b"".join(response.streaming_content).decode()
    assert body.count("\n") == 2  # the header and Ann's row
    assert "Ann Lee" in body and "Bo Chen" not in body


def test_the_admin_search_finds_a_number_as_people_write_it(alice, outdial, people):
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    url = reverse("admin:outdials_outdialtarget_changelist")
    response = client.get(url, {"q": "(201) 815-9083"})
    names = sorted(str(target) for target in response.context["cl"].result_list)
    assert names == ["Ann Lee", "Ann Other"]
    response = client.get(url, {"q": "(201) 815-9083", "outdial": str(outdial.pk)})
    assert [str(t) for t in response.context["cl"].result_list] == ["Ann Lee"]


def test_the_admin_reads_national_numbers_in_the_filtered_outdials_country(
    alice, outdial, people
):
    outdial.region = "GB"
    outdial.save()
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    url = reverse("admin:outdials_outdialtarget_changelist")
    response = client.get(url, {"q": "020 7946 0958", "outdial": str(outdial.pk)})
    assert [str(t) for t in response.context["cl"].result_list] == ["Bo Chen"]


@pytest.mark.parametrize(
    "knobs",
    [
        {"FEW": 0},  # more matches than few: the list is read in order
        {"FEW": 0, "DENSE": 1},  # found common in the newest targets
        {"FEW": 0, "DENSE": 1, "SAMPLE": 2},  # … in the newest two
        {"DENSE": 1, "SAMPLE": 2},  # common, but the estimate says few
    ],
)
def test_a_common_word_finds_the_same_people_reading_the_list_in_order(
    alice_page, outdial, people, monkeypatch, knobs
):
    """Whichever way the search reads (the list in order, or the matches by
    id), and whatever it decides from a sample of the list: the same
    people."""
    for name, value in knobs.items():
        monkeypatch.setattr(search, name, value)
    assert found(alice_page, outdial, "ann") == ["Ann Lee"]
    assert found(alice_page, outdial, "EXAMPLE.com") == ["Cy Diaz", "Di Ito"]
    assert found(alice_page, outdial, "815-908") == ["Ann Lee", "Bo Chen"]
    assert found(alice_page, outdial, "nobody") == []


def test_a_region_is_looked_up_only_when_the_text_needs_it(outdial):
    asked = []

    def region():
        asked.append(True)
        return "US"

    assert search.as_number("+1 201 815 9083", region) == "+12018159083"
    assert search.as_number("Ann", region) is None
    assert asked == []
    assert search.as_number("201 815 9083", region) == "+12018159083"
    assert asked == [True]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's"
)
@pytest.mark.django_db
def test_postgresql_has_trigram_indexes_for_contains_search():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE indexname IN ('target_name_trgm', 'destination_target_trgm') "
            "ORDER BY indexname"
        )
        rows = cursor.fetchall()
    assert [name for name, _ in rows] == ["destination_target_trgm", "target_name_trgm"]
    assert all("gin_trgm_ops" in definition for _, definition in rows)


def test_few_matches_are_read_by_id_and_many_by_walking_the_list(
    outdial, people, monkeypatch
):
    """The plans at 1,000,000 targets are in ``make bench``
    (benchmarks/search.py); here, the two shapes of the page's statement."""
    queryset = OutdialTarget.objects.live().filter(outdial=outdial)
    few = str(search.targets_matching(queryset, "Ann", "US").query).upper()
    assert " IN (" in few and "LIKE" not in few  # the matches, by id
    monkeypatch.setattr(search, "FEW", 0)
    many = str(search.targets_matching(queryset, "Ann", "US").query).upper()
    # each row checked in order, on the row itself (its addresses column)
    assert '"ADDRESSES"' in many and "OUTDIALS_DESTINATION" not in many
    # a row whose addresses are not written yet has its destinations looked up
    OutdialTarget.objects.filter(name="Ann Lee").update(addresses=None)
    many = str(search.targets_matching(queryset, "Ann", "US").query).upper()
    assert '"ADDRESSES" IS NULL AND' in many and "LIMIT 1" in many


def test_the_admin_finds_destinations_and_attempts_by_a_written_number(
    alice, outdial, people
):
    from outdials import dialing

    client = signed_in(make_staff(alice.customer, "alice-ops"))
    destinations = reverse("admin:outdials_destination_changelist")
    response = client.get(destinations, {"q": "(201) 815-9084"})
    assert [str(d) for d in response.context["cl"].result_list] == ["tel:+12018159084"]
    dialing.claim(outdial, max_try_counts=[1, 1, 1, 1, 1], limit=10)
    attempts = reverse("admin:outdials_attempt_changelist")
    response = client.get(attempts, {"q": "201-815-9083"})
    assert [a.address for a in response.context["cl"].result_list] == ["+12018159083"]
