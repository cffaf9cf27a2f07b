"""The admin for a customer's staff: the "Customer staff" group (made by a
migration) lets the demo user and ``createcustomer --staff`` users work in
the admin inside their own customer; labels, plurals, the optional
campaign, sortable columns, deep pages and the favicon."""

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from outdials import targets
from outdials.admin.paging import EstimatingPaginator
from outdials.admin.target import OutdialTargetAdmin
from outdials.models import NIL_UUID, Outdial, OutdialTarget, User
from outdials.staff import STAFF_GROUP
from tests.helpers import make_staff, signed_in, tel

OUTDIALS = reverse("admin:outdials_outdial_changelist")
TARGETS = reverse("admin:outdials_outdialtarget_changelist")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def names(response) -> list[str]:
    assert response.status_code == 200
    return sorted(str(row) for row in response.context["cl"].result_list)


@pytest.fixture
def demo(db) -> User:
    run("ensuredemo")
    return User.objects.get(username="demo")


@pytest.fixture
def demo_admin(demo):
    return signed_in(demo)


@pytest.fixture
def lists(demo, bob):
    """An outdial with a target for the demo customer and for bob's."""
    ours = Outdial.objects.create(customer=demo.customer, name="demo list")
    theirs = Outdial.objects.create(customer=bob.customer, name="bob's list")
    make = targets.create_target
    mine = make(ours, name="demo person", slots=[tel("+12018159083")])
    other = make(theirs, name="bob person", slots=[tel("+12018159084")])
    return ours, theirs, mine, other


def test_the_migration_made_the_customer_staff_group(db):
    group = Group.objects.get(name=STAFF_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"view_outdial", "change_outdial", "add_outdialtarget"} <= codenames
    assert {"change_outdialtarget", "view_attempt", "view_importbatch"} <= codenames
    assert "change_customer" not in codenames and "delete_outdial" not in codenames


def test_ensuredemo_puts_the_demo_user_in_the_group(demo):
    assert demo.is_staff and not demo.is_superuser
    assert list(demo.groups.values_list("name", flat=True)) == [STAFF_GROUP]
    run("ensuredemo")  # again: still one membership
    assert demo.groups.count() == 1


def test_createcustomer_staff_can_use_the_admin(db):
    run(
        "createcustomer",
        "Acme",
        "--username",
        "ann",
        "--password",
        "tall quiet harbour 42",
        "--staff",
    )
    ann = User.objects.get(username="ann")
    assert ann.is_staff and ann.groups.get().name == STAFF_GROUP
    client = signed_in(ann)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "You don’t have permission" not in index.content.decode()
    assert client.get(OUTDIALS).status_code == 200


def test_the_demo_user_sees_their_customers_outdials_and_no_one_elses(
    demo_admin, lists
):
    ours, theirs, _, _ = lists
    assert names(demo_admin.get(OUTDIALS)) == ["demo list"]
    url = reverse("admin:outdials_outdial_change", args=[ours.pk])
    assert demo_admin.get(url).status_code == 200
    foreign = demo_admin.get(reverse("admin:outdials_outdial_change", args=[theirs.pk]))
    # Django's admin answers a row it cannot find with a redirect home.
    assert foreign.status_code == 302 and foreign["Location"] == reverse("admin:index")
    home = demo_admin.get(foreign["Location"]).content.decode()
    assert "bob" not in home.lower()


def test_the_demo_user_sees_their_customers_targets_and_no_one_elses(demo_admin, lists):
    _, theirs, mine, other = lists
    assert names(demo_admin.get(TARGETS)) == ["demo person"]
    assert names(demo_admin.get(TARGETS, {"q": "(201) 815-9084"})) == []
    assert names(demo_admin.get(TARGETS, {"outdial": str(theirs.pk)})) == []
    mine_url = reverse("admin:outdials_outdialtarget_change", args=[mine.pk])
    assert demo_admin.get(mine_url).status_code == 200
    foreign = demo_admin.get(
        reverse("admin:outdials_outdialtarget_change", args=[other.pk])
    )
    assert foreign.status_code == 302 and foreign["Location"] == reverse("admin:index")


def test_the_demo_user_can_change_their_target_in_the_admin(demo_admin, lists):
    ours, _, mine, _ = lists
    mine_url = reverse("admin:outdials_outdialtarget_change", args=[mine.pk])
    slot = mine.slots()[0]
    response = demo_admin.post(
        mine_url,
        {
            "name": "demo person",
            "detail": "",
            "data": "",
            "destinations-TOTAL_FORMS": "1",
            "destinations-INITIAL_FORMS": "1",
            "destinations-MIN_NUM_FORMS": "0",
            "destinations-MAX_NUM_FORMS": "5",
            "destinations-0-id": str(slot.pk),
            "destinations-0-outdial_target": str(mine.pk),
            "destinations-0-index": "0",
            "destinations-0-type": "tel",
            "destinations-0-target": "(201) 815-9000",
            "destinations-0-target_name": "",
            "destinations-0-name": "",
            "destinations-0-detail": "",
        },
    )
    assert response.status_code == 302
    saved = OutdialTarget.objects.get(pk=mine.pk)
    assert saved.slots()[0].target == "+12018159000"


def test_the_admin_speaks_in_words(alice, outdial):
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    targets.create_target(outdial, name="Ann", slots=[tel("+12018159083")])
    html = client.get(TARGETS).content.decode()
    for label in ("Created", "Updated", "Last attempt"):
        assert f">{label}</a>" in html or f"<span>{label}</span>" in html
    assert "Tm create" not in html and "Tm last attempt" not in html
    index = client.get(reverse("admin:index")).content.decode()
    assert "Import batches" in index and "Import batchs" not in index


def test_an_outdial_needs_no_campaign_in_the_admin(alice):
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    response = client.post(
        reverse("admin:outdials_outdial_add"),
        {"name": "no campaign", "detail": "", "data": "", "campaign_id": ""},
    )
    assert response.status_code == 302
    outdial = Outdial.objects.get(name="no campaign")
    assert outdial.campaign_id == NIL_UUID and outdial.region == "US"
    change = client.get(reverse("admin:outdials_outdial_change", args=[outdial.pk]))
    html = change.content.decode()
    (field,) = re.findall(r'<input type="text" name="campaign_id"[^>]*>', html)
    assert "value=" not in field
    assert str(NIL_UUID) not in html


def test_targets_sort_by_created_both_ways(alice, outdial):
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    for name in ("first", "second", "third"):
        targets.create_target(outdial, name=name, slots=[tel("+12018159083")])
    html = client.get(TARGETS).content.decode()
    assert 'class="sortable column-tm_create sorted descending"' in html
    column = list(OutdialTargetAdmin.list_display).index("tm_create")
    oldest = client.get(TARGETS, {"o": str(column + 1)})
    newest = client.get(TARGETS, {"o": f"-{column + 1}"})
    assert [str(t) for t in oldest.context["cl"].result_list] == [
        "first",
        "second",
        "third",
    ]
    assert [str(t) for t in newest.context["cl"].result_list] == [
        "third",
        "second",
        "first",
    ]


def test_a_deep_page_past_the_count_cap_keeps_its_filter(alice, outdial, monkeypatch):
    """Without a planner estimate (SQLite) the count stops at a cap; a page
    beyond it still opens, filtered, instead of the unfiltered first page."""
    monkeypatch.setattr(EstimatingPaginator, "exact_limit", 3)
    monkeypatch.setattr(EstimatingPaginator, "pages_ahead", 1)
    monkeypatch.setattr(OutdialTargetAdmin, "list_per_page", 2)
    monkeypatch.setattr("outdials.counting.planner_estimate", lambda queryset: None)
    for n in range(13):
        targets.create_target(outdial, name=f"t{n:02d}", slots=[tel("+12018159083")])
    other = Outdial.objects.create(customer=alice.customer, name="other")
    targets.create_target(other, name="elsewhere", slots=[tel("+12018159083")])
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    response = client.get(TARGETS, {"outdial": str(outdial.pk), "p": "5"})
    assert response.status_code == 200  # not a redirect to ?e=1
    # newest first, two a page: page 5 holds the 9th and 10th newest
    assert names(response) == ["t03", "t04"]
    html = response.content.decode()
    assert "more than 12 outdial targets" in html
    assert f"outdial={outdial.pk}" in html  # the page links keep the filter


def test_the_pages_and_the_admin_have_a_favicon(alice_page, alice):
    icon = '<link rel="icon" href="/static/outdials/favicon.svg" type="image/svg+xml">'
    assert icon in alice_page.get("/outdials/").content.decode()
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    assert icon in client.get(reverse("admin:index")).content.decode()
    assert re.search(r"<svg[^>]*viewBox", open("static/outdials/favicon.svg").read())
