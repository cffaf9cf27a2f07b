"""Staff pages: the outdials list, a new outdial, the outdial's edit form and
progress panel."""

import re
import uuid
from datetime import timedelta

from django.utils import timezone

from outdials import dialing, targets
from outdials.models import NIL_UUID, Outdial, OutdialTarget
from tests.helpers import messages_of, tel


def names_in(html: str) -> list[str]:
    """Outdial names in the list's rows, top to bottom."""
    return re.findall(r'<th scope="row"><a href="/outdials/[^"]+/">([^<]+)</a>', html)


def test_the_list_shows_each_outdial_with_its_progress(alice_page, outdial):
    campaign = uuid.uuid4()
    Outdial.objects.filter(pk=outdial.pk).update(campaign_id=campaign)
    first = targets.create_target(outdial, slots=[tel("+15559876543")])
    targets.create_target(outdial, slots=[tel("+15559876544")])
    dialing.set_status(first, "done")
    html = alice_page.get("/outdials/").content.decode()
    assert names_in(html) == ["test outdial"]
    assert "outdial for test use." in html
    assert str(campaign)[:12] in html
    assert "1 of 2 done" in html
    assert 'aria-label="1 done, 0 progressing, 1 idle of 2 targets"' in html
    assert '<rect class="fill-done" x="0.00" y="0" width="50.00"' in html
    assert "New outdial" in html


def test_the_list_leaves_out_deleted_and_other_customers_outdials(
    alice_page, alice, bobs_outdial
):
    gone = Outdial.objects.create(customer=alice.customer, name="old list")
    targets.soft_delete(gone)
    Outdial.objects.create(customer=alice.customer, name="kept list")
    html = alice_page.get("/outdials/").content.decode()
    assert names_in(html) == ["kept list"]
    assert "bob&#x27;s list" not in html


def test_the_list_is_newest_first_and_searchable_by_name(alice_page, alice):
    now = timezone.now()
    for i, name in enumerate(["Spring leads", "Summer leads", "Autumn renewals"]):
        Outdial.objects.create(
            customer=alice.customer, name=name, tm_create=now + timedelta(seconds=i)
        )
    html = alice_page.get("/outdials/").content.decode()
    assert names_in(html) == ["Autumn renewals", "Summer leads", "Spring leads"]
    html = alice_page.get("/outdials/?q=LEADS").content.decode()
    assert names_in(html) == ["Summer leads", "Spring leads"]
    assert 'value="LEADS"' in html
    html = alice_page.get("/outdials/?q=winter").content.decode()
    assert names_in(html) == []
    assert "No outdial’s name contains “winter”." in html


def test_the_list_pages_by_keyset_without_skipping_equal_times(alice_page, alice):
    """120 outdials written in one instant: three pages, each row once."""
    same = timezone.now()
    Outdial.objects.bulk_create(
        Outdial(customer=alice.customer, name=f"list {i:03}", tm_create=same)
        for i in range(120)
    )
    seen, url = [], "/outdials/"
    for _ in range(3):
        html = alice_page.get(url).content.decode()
        seen += names_in(html)
        older = re.search(r'href="\?after=([^"]+)" rel="next"', html)
        if older is None:
            break
        url = f"/outdials/?after={older.group(1)}"
    assert len(seen) == 120
    assert len(set(seen)) == 120
    assert 'rel="next"' not in html
    # and back again from the last page
    newer = re.search(r'href="\?before=([^"]+)" rel="prev"', html)
    html = alice_page.get(f"/outdials/?before={newer.group(1)}").content.decode()
    assert names_in(html) == seen[50:100]


def test_a_tampered_page_link_shows_the_newest_page(alice_page, outdial):
    response = alice_page.get("/outdials/?after=not-a-token")
    assert response.status_code == 200
    assert names_in(response.content.decode()) == ["test outdial"]


def test_the_list_counts_in_a_fixed_number_of_queries(
    alice_page, alice, django_assert_max_num_queries
):
    for i in range(30):
        outdial = Outdial.objects.create(customer=alice.customer, name=f"list {i}")
        targets.create_target(outdial, slots=[tel("+15559876543")])
    # session, user, outdials page, one grouped count
    with django_assert_max_num_queries(4):
        response = alice_page.get("/outdials/")
    assert len(names_in(response.content.decode())) == 30


def test_it_creates_an_outdial(alice_page, alice):
    response = alice_page.post(
        "/outdials/new/",
        {"name": "March callbacks", "detail": "asked for a call", "data": '{"a": 1}'},
    )
    outdial = Outdial.objects.get(name="March callbacks")
    assert response["Location"] == f"/outdials/{outdial.pk}/"
    assert outdial.customer == alice.customer
    assert (outdial.detail, outdial.data) == ("asked for a call", '{"a": 1}')
    assert outdial.campaign_id == NIL_UUID
    assert messages_of(response) == ["Created the outdial “March callbacks”."]


def test_a_new_outdial_with_bad_fields_shows_the_reasons(alice_page):
    response = alice_page.post(
        "/outdials/new/", {"name": "x" * 256, "campaign_id": "not-a-uuid"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ensure this value has at most 255 characters (it has 256)." in html
    assert "Enter the campaign&#x27;s id, a UUID such as 0f8fad5b-" in html
    assert messages_of(response) == [
        "The outdial was not created: fix the fields below."
    ]
    assert 'aria-invalid="true"' in html
    assert Outdial.objects.count() == 0


def test_the_outdial_page_shows_its_fields_and_progress(alice_page, outdial):
    claimed = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    targets.create_target(outdial, name="Bo", slots=[tel("+15559876544")])
    [claim] = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=1)
    assert claim.target.pk == claimed.pk
    dialing.report_result(outdial, claimed.pk, claim.claim_id, "no_answer")
    html = alice_page.get(f"/outdials/{outdial.pk}/").content.decode()
    assert "<h1>test outdial</h1>" in html
    assert 'value="test outdial"' in html
    assert (
        f'<dt>Idle</dt><dd><a href="/outdials/{outdial.pk}/'
        f'?status=idle">1</a></dd>' in html
    )
    assert (
        f'<dt>Done</dt><dd><a href="/outdials/{outdial.pk}/'
        f'?status=done">1</a></dd>' in html
    )
    assert (
        f'<dt>Exhausted</dt><dd><a href="/outdials/{outdial.pk}/'
        f'?exhausted=true">1</a></dd>' in html
    )
    assert 'Attempts by destination <span class="muted">(1 in all)</span>' in html
    assert '<span class="badge badge--no_answer">No answer</span> 1 attempt ·' in html
    assert 'href="/outdials/' in html and "Upload file" in html and "Export CSV" in html


def test_it_saves_the_outdials_fields(alice_page, outdial):
    campaign = uuid.uuid4()
    response = alice_page.post(
        f"/outdials/{outdial.pk}/",
        {
            "name": "renamed",
            "detail": "new detail",
            "data": "payload",
            "campaign_id": str(campaign),
        },
    )
    assert response["Location"] == f"/outdials/{outdial.pk}/"
    assert messages_of(response) == ["Saved the outdial."]
    outdial.refresh_from_db()
    assert (outdial.name, outdial.detail, outdial.data) == (
        "renamed",
        "new detail",
        "payload",
    )
    assert outdial.campaign_id == campaign
    assert outdial.tm_update is not None


def test_an_empty_campaign_id_detaches_the_outdial(alice_page, alice):
    outdial = Outdial.objects.create(customer=alice.customer, campaign_id=uuid.uuid4())
    alice_page.post(f"/outdials/{outdial.pk}/", {"name": "n", "campaign_id": ""})
    outdial.refresh_from_db()
    assert outdial.campaign_id == NIL_UUID


def test_an_outdial_with_bad_fields_is_not_saved(alice_page, outdial):
    response = alice_page.post(
        f"/outdials/{outdial.pk}/", {"name": "ok", "data": "a\x00b"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "The outdial was not saved: fix the fields below." in html
    assert "Null characters are not allowed." in html
    assert '<details class="disclosure" open>' in html
    outdial.refresh_from_db()
    assert outdial.name == "test outdial"


def test_an_oversize_data_field_names_the_byte_limit(alice_page, outdial):
    response = alice_page.post(
        f"/outdials/{outdial.pk}/", {"name": "ok", "data": "é" * 40_000}
    )
    assert "Must be at most 65536 bytes (UTF-8)." in response.content.decode()


def test_another_customers_outdial_is_a_404_like_a_missing_one(
    alice_page, bobs_outdial
):
    for pk in (bobs_outdial.pk, uuid.uuid4()):
        assert alice_page.get(f"/outdials/{pk}/").status_code == 404
        response = alice_page.post(f"/outdials/{pk}/", {"name": "mine now"})
        assert response.status_code == 404
        assert alice_page.get(f"/outdials/{pk}/targets/new/").status_code == 404
        assert alice_page.get(f"/outdials/{pk}/upload/").status_code == 404
        assert alice_page.get(f"/outdials/{pk}/export.csv").status_code == 404
    bobs_outdial.refresh_from_db()
    assert bobs_outdial.name == "bob's list"


def test_a_deleted_outdial_and_a_non_uuid_id_are_404s(alice_page, outdial):
    assert alice_page.get("/outdials/not-a-uuid/").status_code == 404
    targets.soft_delete(outdial)
    response = alice_page.get(f"/outdials/{outdial.pk}/")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.content.decode()


def test_the_outdial_page_needs_no_query_per_target(
    alice_page, outdial, django_assert_max_num_queries
):
    for i in range(60):
        targets.create_target(
            outdial,
            name=f"t{i}",
            slots=[tel(f"+1555987{i:04}"), None, tel(f"+1555986{i:04}")],
        )
    # 9: the summary also counts the idle targets by the dialing policy; the
    # filter form offers the outdial's imports.
    with django_assert_max_num_queries(9):
        response = alice_page.get(f"/outdials/{outdial.pk}/")
    assert response.content.decode().count('name="ids"') == 50
    assert OutdialTarget.objects.count() == 60
