"""Suppression lists at every claim (issue 16): a suppressed destination is
never handed to a dialer, the claim moves to the target's next destination
or leaves the target out; prefixes, expiry, scope, tenancy; eligibility and
the summary; ``suppress: true`` on a result."""

from datetime import timedelta

from django.utils import timezone

from outdials import suppression, targets
from outdials.models import Attempt, SuppressionChange, SuppressionEntry
from tests.test_dialing import claimed, make_target, report

LISTED = "+15550001001"
OTHER = "+15550001002"
THIRD = "+15550001003"


def make_list(customer, *entries, scope="all", outdials=(), name="DNC"):
    made = suppression.create_list(customer, name=name, scope=scope, outdials=outdials)
    for entry in entries:
        address, *kind = entry if isinstance(entry, tuple) else (entry,)
        suppression.add(
            made, type_="tel", address=address, kind=kind[0] if kind else "address"
        )
    return made


def dialed(api, outdial, limit=10) -> list[str]:
    """The addresses a claim handed out."""
    items = claimed(api, outdial, limit=limit, max_try_count_0=1, max_try_count_1=1)
    ids = [item["claim_id"] for item in items]
    return sorted(Attempt.objects.filter(pk__in=ids).values_list("address", flat=True))


def test_it_claims_the_next_destination_when_the_first_is_suppressed(
    api, alice, outdial
):
    """Added after the import: the listed number is never dialed, the
    target's other number still is."""
    target = make_target(outdial, LISTED, OTHER)
    make_list(alice.customer, LISTED)
    items = claimed(api, outdial, max_try_count_0=1, max_try_count_1=1)
    assert [(i["target"]["id"], i["destination_index"]) for i in items] == [
        (str(target.id), 1)
    ]
    assert list(Attempt.objects.values_list("address", flat=True)) == [OTHER]


def test_it_leaves_out_a_target_whose_every_destination_is_suppressed(
    api, alice, outdial
):
    make_target(outdial, LISTED)
    make_target(outdial, THIRD)
    make_list(alice.customer, LISTED)
    assert dialed(api, outdial) == [THIRD]
    assert claimed(api, outdial) == []
    assert not Attempt.objects.filter(address=LISTED).exists()


def test_a_prefix_suppresses_every_number_it_starts(api, alice, outdial):
    make_target(outdial, "+19005550100")
    make_target(outdial, "+19015550100")
    make_list(alice.customer, ("+1900", "prefix"))
    assert dialed(api, outdial) == ["+19015550100"]


def test_an_expired_entry_stops_suppressing_by_itself(api, alice, outdial):
    make_target(outdial, LISTED)
    listed = make_list(alice.customer)
    suppression.add(
        listed,
        type_="tel",
        address=LISTED,
        tm_expire=timezone.now() - timedelta(seconds=1),
    )
    assert dialed(api, outdial) == [LISTED]


def test_an_entry_not_yet_expired_suppresses(api, alice, outdial):
    make_target(outdial, LISTED)
    listed = make_list(alice.customer)
    suppression.add(
        listed, type_="tel", address=LISTED, tm_expire=timezone.now() + timedelta(1)
    )
    assert dialed(api, outdial) == []


def test_a_list_of_chosen_outdials_leaves_the_others_alone(api, alice, outdial):
    from outdials.models import Outdial

    second = Outdial.objects.create(customer=alice.customer, name="second")
    make_target(outdial, LISTED)
    make_target(second, LISTED)
    make_list(alice.customer, LISTED, scope="chosen", outdials=[second])
    assert dialed(api, outdial) == [LISTED]
    assert dialed(api, second) == []


def test_another_customers_list_never_applies(api, bob, outdial):
    make_target(outdial, LISTED)
    make_list(bob.customer, LISTED)
    assert dialed(api, outdial) == [LISTED]


def test_eligibility_answers_suppressed_with_the_list(api, alice, outdial):
    target = make_target(outdial, LISTED)
    listed = make_list(alice.customer, LISTED, name="Registry")
    response = api.get(f"/v1.0/outdials/{outdial.id}/targets/{target.id}/eligibility")
    assert response.status_code == 200
    body = response.json()
    assert body["eligible"] is False
    assert body["next_destination_index"] is None
    assert body["reasons"] == [
        {
            "code": "SUPPRESSED",
            "message": "Every destination with attempts left is on a suppression "
            "list: Registry.",
            "until": None,
            "lists": [{"id": str(listed.id), "name": "Registry"}],
        }
    ]


def test_eligibility_names_the_next_destination_past_a_suppressed_one(
    api, alice, outdial
):
    target = make_target(outdial, LISTED, OTHER)
    make_list(alice.customer, LISTED)
    response = api.get(
        f"/v1.0/outdials/{outdial.id}/targets/{target.id}/eligibility?max_try_count_1=1"
    )
    assert response.json()["eligible"] is True
    assert response.json()["next_destination_index"] == 1


def test_the_summary_counts_suppressed_targets(api, alice, outdial):
    make_target(outdial, LISTED)
    make_target(outdial, LISTED, OTHER)
    make_target(outdial, THIRD)
    make_list(alice.customer, LISTED)
    summary = api.get(f"/v1.0/outdials/{outdial.id}/summary").json()
    # The second target's other number still has a try (the policy's
    # default maxima give each slot one).
    assert summary["suppressed"] == 1
    assert summary["callable_now"] == 3


def test_suppress_true_on_a_result_adds_the_address_to_the_default_list(
    api, alice, outdial
):
    make_target(outdial, LISTED, OTHER)
    (item,) = claimed(api, outdial, max_try_count_0=2, max_try_count_1=1)
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/{item['target']['id']}/result",
        {
            "claim_id": item["claim_id"],
            "outcome": "answered",
            "suppress": True,
            "suppress_reason": "asked to be removed",
            "callback_in": 0,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    entry = SuppressionEntry.objects.get()
    assert (entry.address, entry.reason, entry.source) == (
        LISTED,
        "asked to be removed",
        "result by alice",
    )
    assert entry.list.default_for == outdial
    assert entry.list.customer == alice.customer
    assert list(
        SuppressionChange.objects.order_by("id").values_list("action", flat=True)
    ) == ["create_list", "add"]
    # The next claim passes to the other number, never the suppressed one.
    (item,) = claimed(api, outdial, max_try_count_0=2, max_try_count_1=1)
    assert item["destination_index"] == 1


def test_a_refused_result_adds_nothing(api, alice, outdial):
    make_target(outdial, LISTED)
    (item,) = claimed(api, outdial)
    assert report(api, outdial, item["target"]["id"], item["claim_id"], "busy")
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/{item['target']['id']}/result",
        {"claim_id": item["claim_id"], "outcome": "answered", "suppress": True},
        format="json",
    )
    assert response.status_code == 409
    assert not SuppressionEntry.objects.exists()


# --- a SIP address as people write it: scheme and host in any case --------------

SIP_WRITTEN = "SIP:Alice@PBX.Example.COM:5061;transport=TCP"
SIP_OTHER = "sip:Alice@pbx.example.com:5061;transport=tcp"


def sip_target(outdial, *addresses):
    return targets.create_target(
        outdial, slots=[targets.Address(type="sip", target=a) for a in addresses]
    )


def sip_list(customer, address="sip:Alice@pbx.example.com:5061;transport=TCP"):
    made = suppression.create_list(customer, name="Registry")
    suppression.add(made, type_="sip", address=address)
    return made


def test_a_sip_entry_suppresses_the_address_with_its_host_in_any_case(
    api, alice, outdial
):
    """The entry keeps the canonical form (scheme and host in lower case);
    the target keeps what was written: the claim still passes over it, and
    over nothing else (the user part and the parameters keep their case)."""
    listed = sip_target(outdial, SIP_WRITTEN, "sip:alice@pbx.example.com")
    other = sip_target(outdial, SIP_OTHER)
    sip_list(alice.customer)
    items = claimed(api, outdial, limit=10, max_try_count_0=1, max_try_count_1=1)
    assert sorted((i["target"]["id"], i["destination_index"]) for i in items) == sorted(
        [(str(listed.id), 1), (str(other.id), 0)]
    )
    assert not Attempt.objects.filter(address=SIP_WRITTEN).exists()


def test_a_sip_entry_written_in_capitals_suppresses_the_lower_case_address(
    api, alice, outdial
):
    sip_target(outdial, "sip:Alice@pbx.example.com")
    sip_list(alice.customer, "SIP:Alice@PBX.EXAMPLE.com")
    assert claimed(api, outdial, max_try_count_0=1) == []


def test_eligibility_answers_suppressed_for_a_sip_host_in_capitals(api, alice, outdial):
    target = sip_target(outdial, SIP_WRITTEN)
    listed = sip_list(alice.customer)
    response = api.get(f"/v1.0/outdials/{outdial.id}/targets/{target.id}/eligibility")
    body = response.json()
    assert body["eligible"] is False
    assert [r["code"] for r in body["reasons"]] == ["SUPPRESSED"]
    assert body["reasons"][0]["lists"] == [{"id": str(listed.id), "name": "Registry"}]
    summary = api.get(f"/v1.0/outdials/{outdial.id}/summary").json()
    assert summary["suppressed"] == 1
