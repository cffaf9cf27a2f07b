"""An outdial's dialing policy (issue 17): default maxima, retry delays,
callbacks, calling hours in each target's zone, the daily cap, and what the
API, eligibility, available and the summary say about them.

The clock is controlled: ``clock.at(...)`` sets what ``timezone.now()``
answers (the engine reads it for every rule; PostgreSQL's statements take
the later of it and their own clock). Times are in 2031, whose calendar is
2025's, ahead of the real clock.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from outdials import dialing, guards, policy, targets
from outdials.models import Attempt, DialingPolicy, OutdialTarget
from outdials.timestamps import format_ts
from tests.helpers import assert_error, by_field, tel
from tests.test_dialing import claimed, make_target, report, reported

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
OFFICE_HOURS = [
    {"days": WEEKDAYS, "start": "09:00", "end": "20:00"},
    {"days": ["sat"], "start": "10:00", "end": "14:00"},
]
LONDON = "+442079460958"  # GB: one zone, Europe/London
NEW_YORK = "+12031550143"  # US: several zones, so the outdial's default
TOKYO = "+81312345678"  # JP: Asia/Tokyo


class Clock:
    def __init__(self, monkeypatch):
        self.now = datetime(2031, 6, 4, 12, 0, tzinfo=UTC)
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, *args) -> datetime:
        self.now = datetime(*args, tzinfo=UTC)
        return self.now

    def advance(self, **kwargs) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def put_policy(api, outdial, **body):
    return api.put(f"/v1.0/outdials/{outdial.id}/policy", body, format="json")


def set_policy(api, outdial, **body) -> dict:
    response = put_policy(api, outdial, **body)
    assert response.status_code == 200, response.content
    return response.json()


def eligibility(api, outdial, target, query=""):
    response = api.get(
        f"/v1.0/outdials/{outdial.id}/targets/{target.id}/eligibility?{query}"
    )
    assert response.status_code == 200, response.content
    return response.json()


def codes(body) -> list[str]:
    return [reason["code"] for reason in body["reasons"]]


def ids(items) -> list[str]:
    return [item["target"]["id"] for item in items]


def stored(target) -> OutdialTarget:
    return OutdialTarget.objects.get(pk=target.pk)


# --- the policy resource -------------------------------------------------------


def test_an_outdial_without_a_policy_answers_the_defaults(api, outdial):
    response = api.get(f"/v1.0/outdials/{outdial.id}/policy")
    assert response.status_code == 200
    assert response.json() == {
        "outdial_id": str(outdial.id),
        **{f"max_try_count_{i}": 1 for i in range(5)},
        "retry_delays": {"busy": 0, "no_answer": 0, "failed": 0, "expired": 0},
        "daily_cap": 0,
        "calling_hours": [],
        "time_zone": "UTC",
        "tm_update": "9999-01-01 00:00:00.000000",
    }


def test_a_put_changes_the_fields_it_names_and_keeps_the_others(api, outdial, clock):
    first = set_policy(
        api,
        outdial,
        max_try_count_0=3,
        retry_delays={"busy": 300},
        calling_hours=OFFICE_HOURS,
        time_zone="america/new_york",
    )
    assert first["max_try_count_0"] == 3
    assert first["retry_delays"] == {
        "busy": 300,
        "no_answer": 0,
        "failed": 0,
        "expired": 0,
    }
    assert first["calling_hours"] == OFFICE_HOURS
    assert first["time_zone"] == "America/New_York"
    assert first["tm_update"] == format_ts(clock.now)

    second = set_policy(api, outdial, daily_cap=2, retry_delays={"no_answer": 60})
    assert second["daily_cap"] == 2
    assert second["retry_delays"]["busy"] == 300
    assert second["retry_delays"]["no_answer"] == 60
    assert (second["max_try_count_0"], second["time_zone"]) == (3, "America/New_York")
    assert api.get(f"/v1.0/outdials/{outdial.id}/policy").json() == second
    row = DialingPolicy.objects.get(outdial=outdial)
    assert (row.max_try_counts, row.daily_cap) == ([3, 1, 1, 1, 1], 2)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"max_try_count_0": -1}, "max_try_count_0"),
        ({"max_try_count_2": "3"}, "max_try_count_2"),
        ({"retry_delays": {"busy": -5}}, "retry_delays.busy"),
        ({"retry_delays": {"busy": 10**9}}, "retry_delays.busy"),
        ({"retry_delays": {"answered": 5}}, "retry_delays"),
        ({"daily_cap": 1001}, "daily_cap"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": 5}, "time_zone"),
        (
            {"calling_hours": [{"days": ["mon"], "start": "20:00", "end": "09:00"}]},
            "calling_hours",
        ),
        (
            {"calling_hours": [{"days": ["moon"], "start": "09:00", "end": "17:00"}]},
            "calling_hours.days",
        ),
        (
            {"calling_hours": [{"days": ["mon"], "start": "9am", "end": "17:00"}]},
            "calling_hours",
        ),
        ({"calling_hours": "Mon-Fri 09:00-17:00"}, "calling_hours"),
    ],
)
def test_a_bad_policy_is_refused_and_nothing_changes(api, outdial, body, field):
    error = assert_error(put_policy(api, outdial, **body), 400, "INVALID_ARGUMENT")
    assert field in by_field(error["details"]), error
    assert not DialingPolicy.objects.exists()


def test_another_customers_or_a_deleted_outdials_policy_is_404(
    api, outdial, bobs_outdial
):
    for method in ("get", "put"):
        response = getattr(api, method)(
            f"/v1.0/outdials/{bobs_outdial.id}/policy", {}, format="json"
        )
        assert_error(response, 404, "OUTDIAL_NOT_FOUND")
    targets.soft_delete(outdial)
    assert_error(put_policy(api, outdial, daily_cap=1), 404, "OUTDIAL_NOT_FOUND")
    assert not DialingPolicy.objects.exists()


# --- maxima --------------------------------------------------------------------


def test_the_policy_fills_the_maxima_a_claim_leaves_out(api, outdial):
    target = make_target(outdial, NEW_YORK, TOKYO)
    set_policy(api, outdial, max_try_count_0=2, max_try_count_1=0)
    for _ in range(2):
        [item] = claimed(api, outdial)
        assert item["destination_index"] == 0
        reported(api, outdial, item, "no_answer")
    assert stored(target).status == "done"  # 2 on slot 0, none on slot 1
    assert Attempt.objects.filter(max_try_counts=[2, 0, 1, 1, 1]).count() == 2

    # A claim's own maxima win: slot 1 gets its try.
    dialing.set_status(target, "idle")
    [item] = claimed(api, outdial, max_try_count_1=1)
    assert item["destination_index"] == 1


# --- retry delays and callbacks -------------------------------------------------


@pytest.mark.parametrize("outcome", ["busy", "no_answer", "failed"])
def test_a_retry_delay_holds_the_target_back_by_outcome(api, outdial, clock, outcome):
    delays = {"busy": 60, "no_answer": 3600, "failed": 600}
    set_policy(api, outdial, retry_delays=delays)
    target = make_target(outdial, NEW_YORK)
    [item] = claimed(api, outdial, max_try_count_0=5)
    settled_at = clock.advance(seconds=5)
    body = reported(api, outdial, item, outcome)
    assert body["status"] == "idle"
    ready = settled_at + timedelta(seconds=delays[outcome])
    assert stored(target).tm_next_attempt == ready

    waiting = eligibility(api, outdial, target, "max_try_count_0=5")
    assert codes(waiting) == ["SCHEDULED"]
    assert waiting["reasons"][0]["until"] == format_ts(ready)
    assert claimed(api, outdial, max_try_count_0=5) == []
    clock.at(*ready.timetuple()[:6])
    assert ids(claimed(api, outdial, max_try_count_0=5)) == [str(target.id)]


def test_an_expired_lease_waits_for_its_retry_delay(api, outdial, clock):
    set_policy(api, outdial, retry_delays={"expired": 900})
    target = make_target(outdial, NEW_YORK)
    claimed(api, outdial, max_try_count_0=3, lease_seconds=60)
    Attempt.objects.update(lease_expires=clock.now + timedelta(seconds=60))
    swept = clock.advance(seconds=61)
    assert dialing.settle_expired() == 1
    assert stored(target).status == "idle"
    assert stored(target).tm_next_attempt == swept + timedelta(seconds=900)
    assert claimed(api, outdial, max_try_count_0=3) == []
    clock.advance(seconds=900)
    assert len(claimed(api, outdial, max_try_count_0=3)) == 1


def test_a_result_may_ask_for_a_callback(api, outdial, clock):
    set_policy(api, outdial, retry_delays={"no_answer": 60})
    ann = make_target(outdial, NEW_YORK, name="ann", age=timedelta(hours=2))
    bob = make_target(outdial, TOKYO, name="bob", age=timedelta(hours=1))
    first, second = claimed(api, outdial, limit=2, max_try_count_0=3)

    # callback_in wins over the retry delay...
    later = reported(api, outdial, first, "no_answer")  # plain: the delay
    assert later["status"] == "idle"
    assert stored(ann).tm_next_attempt == clock.now + timedelta(seconds=60)
    # ...and an answered call with a callback stays idle
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/{bob.id}/result",
        {
            "claim_id": second["claim_id"],
            "outcome": "answered",
            "callback_at": "2031-06-05T09:30:00+09:00",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "idle"
    callback = datetime(2031, 6, 5, 0, 30, tzinfo=UTC)
    assert stored(bob).tm_next_attempt == callback
    assert eligibility(api, outdial, bob, "max_try_count_0=3")["reasons"] == [
        {
            "code": "SCHEDULED",
            "message": eligibility(api, outdial, bob, "max_try_count_0=3")["reasons"][
                0
            ]["message"],
            "until": format_ts(callback),
        }
    ]
    clock.advance(seconds=61)
    [ann_again] = claimed(api, outdial, limit=2, max_try_count_0=3)
    assert ann_again["target"]["id"] == str(ann.id)
    reported(api, outdial, ann_again, "answered")
    clock.at(2031, 6, 5, 0, 30)
    [again] = claimed(api, outdial, limit=2, max_try_count_0=3)
    assert again["target"]["id"] == str(bob.id)
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/{bob.id}/result",
        {"claim_id": again["claim_id"], "outcome": "busy", "callback_in": 7200},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert stored(bob).tm_next_attempt == clock.now + timedelta(hours=2)


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"callback_in": 60, "callback_at": "2031-06-05 10:00:00"}, "callback_in"),
        ({"callback_at": "2031-06-01 10:00:00"}, "callback_at"),  # the past
        ({"callback_at": "2027-06-01 10:00:00"}, "callback_at"),  # > a year
        ({"callback_at": "tomorrow"}, "callback_at"),
        ({"callback_in": -1}, "callback_in"),
        ({"callback_in": "60"}, "callback_in"),
    ],
)
def test_a_bad_callback_is_refused_and_settles_nothing(
    api, outdial, clock, extra, field
):
    make_target(outdial, NEW_YORK)
    [item] = claimed(api, outdial)
    response = api.post(
        f"/v1.0/outdials/{outdial.id}/targets/{item['target']['id']}/result",
        {"claim_id": item["claim_id"], "outcome": "busy", **extra},
        format="json",
    )
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert list(by_field(error["details"])) == [field]
    assert Attempt.objects.get().outcome == ""


def test_a_person_schedules_a_callback_but_not_while_a_dialer_holds_the_target(
    api, outdial, clock
):
    target = make_target(outdial, NEW_YORK)
    policy.schedule(target, clock.now + timedelta(hours=1))
    assert claimed(api, outdial) == []
    policy.schedule(target, None)
    assert len(claimed(api, outdial)) == 1
    with pytest.raises(guards.TargetInProgress):
        policy.schedule(stored(target), clock.now + timedelta(hours=1))
    assert stored(target).tm_next_attempt is None


# --- calling hours ---------------------------------------------------------------


def test_zones_come_from_the_number_else_the_outdials_default(outdial):
    london = targets.create_target(outdial, slots=[tel(LONDON)])
    new_york = targets.create_target(outdial, slots=[tel(NEW_YORK), tel(TOKYO)])
    given = targets.create_target(outdial, slots=[tel(LONDON)], time_zone="Asia/Tokyo")
    email = targets.create_target(
        outdial, slots=[targets.Address("email", "a@example.com"), tel(TOKYO)]
    )
    assert [stored(t).time_zone for t in (london, new_york, given, email)] == [
        "Europe/London",
        "",  # the first number's country has several zones
        "Asia/Tokyo",
        "Asia/Tokyo",  # the first phone number, wherever it is
    ]


def test_a_claim_takes_only_targets_inside_their_calling_hours(api, outdial, clock):
    set_policy(api, outdial, calling_hours=OFFICE_HOURS, time_zone="America/New_York")
    # Oldest first: two New York targets come before the London ones.
    new_york = [
        make_target(outdial, f"+1203155{n:04}", age=timedelta(hours=9 - n))
        for n in range(2)
    ]
    london = [
        make_target(outdial, f"+44207946{n:04}", age=timedelta(hours=5 - n))
        for n in range(2)
    ]
    # Wednesday 2031-06-04 12:00 UTC: 13:00 in London (BST), 08:00 in New York.
    clock.at(2031, 6, 4, 12, 0)
    available = api.get(f"/v1.0/outdials/{outdial.id}/available?limit=5").json()
    assert [t["id"] for t in available["result"]] == [str(t.id) for t in london]
    assert (available["callable_now"], available["waiting"]) == (2, 2)
    summary = api.get(f"/v1.0/outdials/{outdial.id}/summary").json()
    assert (summary["callable_now"], summary["waiting"]) == (2, 2)

    # limit 2 is filled from the callable ones, not cut short by the others.
    assert ids(claimed(api, outdial, limit=2)) == [str(t.id) for t in london]

    closed = eligibility(api, outdial, new_york[0])
    assert codes(closed) == ["OUTSIDE_CALLING_HOURS"]
    [reason] = closed["reasons"]
    assert reason["until"] == "2031-06-04 13:00:00.000000"
    assert (reason["time_zone"], reason["until_local"]) == (
        "America/New_York",
        "2031-06-04 09:00:00",
    )
    assert "2031-06-04 09:00 America/New_York" in reason["message"]
    assert "(2031-06-04 13:00 UTC)" in reason["message"]

    clock.at(2031, 6, 4, 13, 0)  # 09:00 in New York
    assert ids(claimed(api, outdial, limit=5)) == [str(t.id) for t in new_york]


def test_saturday_hours_and_a_closed_sunday(api, outdial, clock):
    set_policy(api, outdial, calling_hours=OFFICE_HOURS, time_zone="Europe/Paris")
    target = make_target(outdial, "+33142685300")
    clock.at(2031, 6, 7, 12, 30)  # Saturday 14:30 in Paris: closed at 14:00
    reason = eligibility(api, outdial, target)["reasons"][0]
    assert reason["until_local"] == "2031-06-09 09:00:00"  # Monday
    assert reason["until"] == "2031-06-09 07:00:00.000000"
    assert claimed(api, outdial) == []
    clock.at(2031, 6, 7, 11, 59)  # 13:59
    assert len(claimed(api, outdial)) == 1


def test_calling_hours_follow_daylight_saving_time(api, outdial, clock):
    """New York springs forward on Sunday 2031-03-09: Monday's 09:00 is
    13:00 UTC, where Friday's was 14:00 UTC."""
    set_policy(api, outdial, calling_hours=OFFICE_HOURS, time_zone="America/New_York")
    target = make_target(outdial, NEW_YORK)
    clock.at(2031, 3, 8, 1, 30)  # Friday 20:30 EST
    reason = eligibility(api, outdial, target)["reasons"][0]
    assert reason["until_local"] == "2031-03-08 10:00:00"  # Saturday's window
    clock.at(2031, 3, 8, 19, 0)  # Saturday 14:00 EST: closed
    reason = eligibility(api, outdial, target)["reasons"][0]
    assert (reason["until"], reason["until_local"]) == (
        "2031-03-10 13:00:00.000000",
        "2031-03-10 09:00:00",
    )
    clock.at(2031, 3, 10, 12, 59)  # 08:59 EDT (would be 07:59 in EST)
    assert claimed(api, outdial) == []
    clock.at(2031, 3, 10, 13, 0)  # 09:00 EDT
    assert ids(claimed(api, outdial)) == [str(target.id)]


def test_a_targets_own_zone_beats_the_outdials_default(api, outdial, clock):
    set_policy(api, outdial, calling_hours=OFFICE_HOURS, time_zone="Asia/Tokyo")
    tokyo = make_target(outdial, NEW_YORK, age=timedelta(hours=1))  # the default
    london = make_target(outdial, LONDON)
    clock.at(2031, 6, 4, 12, 0)  # 21:00 in Tokyo, 13:00 in London
    assert stored(tokyo).time_zone == ""
    assert ids(claimed(api, outdial, limit=2)) == [str(london.id)]
    reason = eligibility(api, outdial, tokyo)["reasons"][0]
    assert (reason["time_zone"], reason["until_local"]) == (
        "Asia/Tokyo",
        "2031-06-05 09:00:00",
    )
    # Changing the default moves every target without a zone of its own.
    set_policy(api, outdial, time_zone="Europe/Lisbon")  # 13:00 there
    assert ids(claimed(api, outdial)) == [str(tokyo.id)]


# --- the daily cap ----------------------------------------------------------------


def test_the_daily_cap_counts_attempts_since_local_midnight(api, outdial, clock):
    set_policy(api, outdial, daily_cap=2, time_zone="America/New_York")
    target = make_target(outdial, LONDON)  # Europe/London
    clock.at(2031, 6, 4, 10, 0)
    for _ in range(2):
        [item] = claimed(api, outdial, max_try_count_0=9)
        reported(api, outdial, item, "busy")
        clock.advance(minutes=5)
    assert claimed(api, outdial, max_try_count_0=9) == []
    # London's midnight (BST, 23:00 UTC), not New York's or UTC's.
    midnight = "2031-06-04 23:00:00.000000"
    body = eligibility(api, outdial, target, "max_try_count_0=9")
    assert codes(body) == ["DAILY_CAP_REACHED"]
    assert body["reasons"][0]["until"] == midnight
    summary = api.get(f"/v1.0/outdials/{outdial.id}/summary").json()
    assert (summary["callable_now"], summary["waiting"]) == (0, 1)
    clock.at(2031, 6, 4, 22, 59)
    assert claimed(api, outdial, max_try_count_0=9) == []
    clock.at(2031, 6, 4, 23, 0)
    [item] = claimed(api, outdial, max_try_count_0=9)
    row = stored(target)
    assert (row.day_attempts, format_ts(row.tm_day_end)) == (
        1,
        "2031-06-05 23:00:00.000000",
    )


def test_the_daily_cap_day_is_23_hours_on_a_daylight_saving_change(api, outdial, clock):
    """London springs forward on 2031-03-30 at 01:00 UTC: that day ends at
    23:00 UTC; the day before ended at midnight UTC."""
    set_policy(api, outdial, daily_cap=1)
    target = make_target(outdial, LONDON)
    clock.at(2031, 3, 29, 12, 0)
    [item] = claimed(api, outdial, max_try_count_0=9)
    assert format_ts(stored(target).tm_day_end) == "2031-03-30 00:00:00.000000"
    reported(api, outdial, item, "busy")
    clock.at(2031, 3, 30, 0, 0)
    [item] = claimed(api, outdial, max_try_count_0=9)
    assert format_ts(stored(target).tm_day_end) == "2031-03-30 23:00:00.000000"
    reported(api, outdial, item, "busy")
    clock.at(2031, 3, 30, 22, 59)
    assert claimed(api, outdial, max_try_count_0=9) == []
    clock.at(2031, 3, 30, 23, 0)
    assert len(claimed(api, outdial, max_try_count_0=9)) == 1


def test_every_rule_at_once_and_only_the_claimable_are_handed_out(api, outdial, clock):
    set_policy(
        api,
        outdial,
        calling_hours=OFFICE_HOURS,
        time_zone="America/New_York",
        daily_cap=1,
        retry_delays={"busy": 3600},
    )
    clock.at(2031, 6, 4, 14, 0)  # 10:00 New York, 15:00 London, 23:00 Tokyo
    ready = [make_target(outdial, f"+44207946{n:04}") for n in range(3)]
    make_target(outdial, TOKYO)  # outside its hours
    capped = make_target(outdial, "+442079461111", age=timedelta(days=2))
    scheduled = make_target(outdial, NEW_YORK, age=timedelta(days=1))
    [item] = claimed(api, outdial, max_try_count_0=5)
    assert item["target"]["id"] == str(capped.id)
    reported(api, outdial, item, "no_answer")  # used its one attempt today
    policy.schedule(scheduled, clock.now + timedelta(hours=3))

    counts = api.get(f"/v1.0/outdials/{outdial.id}/available?max_try_count_0=5")
    assert (counts.json()["callable_now"], counts.json()["waiting"]) == (3, 3)
    taken = claimed(api, outdial, limit=10, max_try_count_0=5)
    assert sorted(ids(taken)) == sorted(str(t.id) for t in ready)
    assert claimed(api, outdial, limit=10, max_try_count_0=5) == []


def test_the_seed_contract_holds_under_a_policy_without_rules(api, outdial):
    """A policy row left at its defaults changes nothing a claim asks for."""
    DialingPolicy.objects.create(outdial=outdial)
    make_target(outdial, NEW_YORK)
    [item] = claimed(
        api,
        outdial,
        **{f"max_try_count_{i}": 1 for i in range(5)},
        try_interval=600000,
    )
    assert (
        report(
            api, outdial, item["target"]["id"], item["claim_id"], "no_answer"
        ).json()["status"]
        == "done"
    )


# --- the rules themselves -----------------------------------------------------------


def test_hours_as_people_write_them():
    parsed = policy.parse_hours_text(
        "Mon–Fri 9:00–20:00\nsat 10:00-14:00; Sun, Wed 07:00-08:00, 21:00-22:00"
    )
    assert parsed == [
        {"days": WEEKDAYS, "start": "09:00", "end": "20:00"},
        {"days": ["sat"], "start": "10:00", "end": "14:00"},
        {"days": ["sun", "wed"], "start": "07:00", "end": "08:00"},
        {"days": ["sun", "wed"], "start": "21:00", "end": "22:00"},
    ]
    assert policy.hours_text(parsed[:2]) == "Mon-Fri 09:00-20:00\nSat 10:00-14:00"
    assert policy.parse_hours_text("  ") == []
    for bad in (
        "Mon-Fri",
        "Funday 09:00-10:00",
        "Fri-Mon 09:00-10:00",
        "Mon 10:00-09:00",
    ):
        with pytest.raises(policy.ValidationError):
            policy.parse_hours_text(bad)


def test_single_zone_countries_come_from_the_zone_database():
    table = policy.single_zone_regions()
    assert (table["GB"], table["FR"], table["JP"]) == (
        "Europe/London",
        "Europe/Paris",
        "Asia/Tokyo",
    )
    assert "US" not in table and "AU" not in table and "DE" not in table
    assert policy.zone_of_number("+14415551234") == "Atlantic/Bermuda"  # NANP
    assert policy.zone_of_number("+12031550143") == ""


# --- the staff pages, the admin and the importer --------------------------------------


POLICY_FORM = {
    "calling_hours": "Mon-Fri 09:00-20:00\nSat 10:00-14:00",
    "time_zone": "Europe/Paris",
    "daily_cap": "2",
    **{f"max_try_count_{i}": "1" for i in range(5)},
    "max_try_count_0": "3",
    "delay_busy": "300",
    "delay_no_answer": "3600",
    "delay_failed": "600",
    "delay_expired": "0",
}


def test_staff_set_the_policy_on_the_outdial_page(alice_page, api, outdial):
    page = alice_page.get(f"/outdials/{outdial.pk}/").content.decode()
    assert "Dialing policy" in page and 'name="calling_hours"' in page
    response = alice_page.post(f"/outdials/{outdial.pk}/policy/", POLICY_FORM)
    assert response.status_code == 302
    saved = api.get(f"/v1.0/outdials/{outdial.id}/policy").json()
    assert saved["calling_hours"] == OFFICE_HOURS
    assert (saved["max_try_count_0"], saved["daily_cap"]) == (3, 2)
    assert saved["retry_delays"] == {
        "busy": 300,
        "no_answer": 3600,
        "failed": 600,
        "expired": 0,
    }
    page = alice_page.get(f"/outdials/{outdial.pk}/").content.decode()
    assert "Mon-Fri 09:00-20:00\nSat 10:00-14:00" in page


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"calling_hours": "Mon-Fri 9-5"},
            "Line 1: &#x27;9-5&#x27; is not a time span",
        ),
        ({"time_zone": "Paris"}, "is not an IANA time zone name"),
        ({"daily_cap": "-1"}, "greater than or equal to 0"),
    ],
)
def test_a_bad_policy_on_the_page_says_why_and_saves_nothing(
    alice_page, outdial, change, message
):
    response = alice_page.post(
        f"/outdials/{outdial.pk}/policy/", {**POLICY_FORM, **change}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DialingPolicy.objects.exists()


def test_another_customers_policy_page_is_404(alice_page, bobs_outdial):
    response = alice_page.post(f"/outdials/{bobs_outdial.pk}/policy/", POLICY_FORM)
    assert response.status_code == 404
    assert not DialingPolicy.objects.exists()


def test_the_target_page_shows_the_zone_and_sets_a_callback(
    api, clock, alice_page, outdial
):
    # The clock before the page's session, which is opened on its time.
    set_policy(api, outdial, time_zone="America/New_York", daily_cap=3)
    target = make_target(outdial, NEW_YORK)
    url = f"/outdials/{outdial.pk}/targets/{target.pk}/"
    page = alice_page.get(url).content.decode()
    assert 'America/New_York <span class="muted">(the outdial\'s default)' in page
    assert "any time" in page and "0 of 3" in page

    # 2031-06-05 09:30 in New York (EDT) is 13:30 UTC.
    response = alice_page.post(url + "callback/", {"when": "2031-06-05T09:30"})
    assert response.status_code == 302
    assert stored(target).tm_next_attempt == datetime(2031, 6, 5, 13, 30, tzinfo=UTC)
    page = alice_page.get(url).content.decode()
    assert "not before 2031-06-05 09:30 America/New_York (2031-06-05 13:30 UTC)" in page
    assert claimed(api, outdial) == []

    response = alice_page.post(url + "callback/", {"when": "2031-06-01T09:30"})
    assert response.status_code == 400
    assert "Is in the past" in response.content.decode()
    alice_page.post(url + "callback/", {"when": ""})
    assert stored(target).tm_next_attempt is None
    assert len(claimed(api, outdial)) == 1
    response = alice_page.post(url + "callback/", {"when": "2031-06-05T09:30"})
    assert stored(target).tm_next_attempt is None  # held by a dialer
    assert "A dialer holds this target" in alice_page.get(url).content.decode()


def test_the_admin_edits_a_policy_with_the_same_rules(alice, outdial, bobs_outdial):
    from django.urls import reverse

    from tests.helpers import make_staff, signed_in

    client = signed_in(make_staff(alice.customer, "alice-ops"))
    add = reverse("admin:outdials_dialingpolicy_add")
    form = {
        "outdial": str(outdial.pk),
        "max_try_counts": "[2, 1, 1, 1, 1]",
        "retry_delays": '{"busy": 60}',
        "daily_cap": "1",
        "hours": "Mon-Fri 25:00-26:00",
        "time_zone": "Europe/Paris",
    }
    response = client.post(add, form)
    assert response.status_code == 200
    assert "Window 1: start must be a time HH:MM" in response.content.decode()
    response = client.post(add, {**form, "outdial": str(bobs_outdial.pk)})
    assert response.status_code == 200  # not a choice for alice's staff
    assert not DialingPolicy.objects.exists()

    response = client.post(add, {**form, "hours": "Mon-Fri 09:00-20:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    row = DialingPolicy.objects.get(outdial=outdial)
    assert row.calling_hours == [{"days": WEEKDAYS, "start": "09:00", "end": "20:00"}]
    assert row.retry_delays == {"busy": 60, "no_answer": 0, "failed": 0, "expired": 0}
    change = client.get(reverse("admin:outdials_outdial_change", args=[outdial.pk]))
    assert reverse("admin:outdials_dialingpolicy_change", args=[outdial.pk]) in (
        change.content.decode()
    )


def test_an_import_takes_a_timezone_column(outdial):
    import io

    from outdials.importing import import_csv

    text = (
        "name,destination_0,timezone\n"
        "a,+442079460958,\n"
        "b,+12025550143,america/chicago\n"
        "c,+12025550144,\n"
        "d,+12025550145,Mars/Base\n"
    )
    report = import_csv(outdial, io.BytesIO(text.encode()), on_error="skip")
    assert (report.created, report.invalid) == (3, 1)
    assert report.errors == [
        {
            "row": 5,
            "column": "timezone",
            "message": "'Mars/Base' is not an IANA time zone name (e.g. "
            "America/New_York).",
        }
    ]
    assert dict(OutdialTarget.objects.values_list("name", "time_zone")) == {
        "a": "Europe/London",
        "b": "America/Chicago",
        "c": "",
    }


def test_a_crm_time_zone_column_mapped_to_timezone(outdial):
    import io

    from outdials.importing import import_csv

    text = "Phone,Time Zone\n+442079460958,America/Denver\n+12025550143,\n"
    report = import_csv(
        outdial,
        io.BytesIO(text.encode()),
        region="US",
        columns={"Phone": "destination_0", "Time Zone": "timezone"},
    )
    assert (report.created, report.invalid) == (2, 0)
    assert sorted(OutdialTarget.objects.values_list("time_zone", flat=True)) == [
        "",
        "America/Denver",
    ]
