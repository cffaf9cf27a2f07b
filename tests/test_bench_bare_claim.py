"""The claim benchmark's framework-free claim writes exactly what a claim writes.

`make bench` sets SQLite's claims beside the same statements sent through the
bare driver (``benchmarks/claim.py``); the comparison only means something
while both leave the same rows behind.
"""

import pytest
from django.db import connection

from benchmarks.claim import _bare_drain
from outdials import dialing, targets
from outdials.models import Attempt, Outdial
from tests.helpers import tel

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the framework-free claim is SQLite's"
)


def listed(alice, name: str) -> Outdial:
    outdial = Outdial.objects.create(customer=alice.customer, name=name)
    for n in range(3):
        targets.create_target(
            outdial,
            name=f"t{n}",
            slots=[tel(f"+1555987654{n}"), tel(f"+1555123456{n}")],
        )
    return outdial


def written(outdial: Outdial) -> list:
    """What the claims left: each target, its try counts and its attempts."""
    rows = []
    for target in outdial.targets.order_by("name"):
        attempts = Attempt.objects.filter(outdial_target=target)
        rows.append(
            (
                target.name,
                target.status,
                target.tries,
                target.day_attempts,
                target.tm_day_end,
                target.tm_last_attempt is not None,
                [(d.index, d.try_count) for d in target.destinations.all()],
                [
                    (
                        a.destination_index,
                        a.address,
                        a.try_count,
                        a.max_try_counts,
                        a.outcome,
                        round((a.lease_expires - a.tm_start).total_seconds()),
                    )
                    for a in attempts
                ],
            )
        )
    return rows


def test_it_leaves_the_rows_a_claim_leaves(transactional_db, alice):
    bare, claimed = listed(alice, "bare"), listed(alice, "claimed")
    rate = _bare_drain(bare.pk, connection.settings_dict["NAME"])
    while dialing.claim(claimed, max_try_counts=[1, 0, 0, 0, 0]):
        pass
    assert rate > 0
    assert written(bare) == written(claimed)
    assert written(bare)[0][1:4] == ("progressing", 1, 1)
    assert written(bare)[0][6:] == (
        [(0, 1), (1, 0)],
        [(0, "+15559876540", 1, [1, 0, 0, 0, 0], "", 600)],
    )
