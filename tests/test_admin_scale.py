"""The targets changelist over 100,000 targets: a fixed number of queries.

Rows are written with one set-based INSERT per table (generate_series on
PostgreSQL, a recursive CTE on SQLite), a second or two for 100,000 targets.
Timing lives in benchmarks, not here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outdials.models import Destination, Outdial, OutdialTarget
from tests.helpers import make_staff, signed_in

CHANGELIST = reverse("admin:outdials_outdialtarget_changelist")
MANY = 100_000

POSTGRES_TARGETS = """
INSERT INTO {targets} (id, outdial_id, name, detail, data, status,
                       tm_create, tm_update)
SELECT gen_random_uuid(), %s, 'target ' || g, '', '', 'idle',
       now() - g * interval '1 millisecond', now() - g * interval '1 millisecond'
FROM generate_series(1, %s) AS g
"""
SQLITE_TARGETS = """
INSERT INTO {targets} (id, outdial_id, name, detail, data, status,
                       tm_create, tm_update)
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < %s)
SELECT lower(hex(randomblob(16))), %s, 'target ' || n, '', '', 'idle',
       strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', printf('-%%d seconds', n)),
       strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', printf('-%%d seconds', n))
FROM g
"""
DESTINATIONS = """
INSERT INTO {destinations} (outdial_target_id, "index", type, target,
                            target_name, name, detail, try_count)
SELECT id, 0, 'tel', '+1555' || substr(name, 8), '', '', '', 0
FROM {targets} WHERE outdial_id = %s
"""


def fill(outdial: Outdial, count: int) -> None:
    """``count`` idle targets with one tel destination each, in two statements."""
    names = {
        "targets": OutdialTarget._meta.db_table,
        "destinations": Destination._meta.db_table,
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            outdial_id = outdial.pk
            cursor.execute(POSTGRES_TARGETS.format(**names), [outdial_id, count])
        else:
            outdial_id = outdial.pk.hex
            cursor.execute(SQLITE_TARGETS.format(**names), [count, outdial_id])
        cursor.execute(DESTINATIONS.format(**names), [outdial_id])
        if connection.vendor == "postgresql":
            # As autovacuum would after a load this size: the planner's figures.
            cursor.execute(f"ANALYZE {names['targets']}, {names['destinations']}")


@pytest.fixture
def big_outdial(alice) -> Outdial:
    outdial = Outdial.objects.create(customer=alice.customer, name="big list")
    fill(outdial, MANY)
    return outdial


def queries_of(client, params, path=CHANGELIST) -> list[dict]:
    """The queries a page ran (it must answer 200)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return queries.captured_queries


@pytest.mark.parametrize(
    "params",
    [{}, {"status__exact": "idle"}, {"p": "7"}],
    ids=["first page", "by status", "page 8"],
)
def test_the_targets_changelist_over_100k_targets_is_a_fixed_set_of_queries(
    alice, big_outdial, params, django_assert_num_queries
):
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    small = Outdial.objects.create(customer=alice.customer, name="small list")
    fill(small, 3)
    # Session, user, the user's and groups' permissions, the outdials of the
    # filter, the count (capped), the page's rows with their outdials, their
    # destinations; on PostgreSQL the count is bounded in time in a savepoint
    # (the savepoint, the bound, the rollback to it and its release: 4 more;
    # outside a test's transaction a BEGIN and ROLLBACK, not captured) and
    # the planner's estimate follows, as the count passes the cap.
    estimate = 1 if connection.vendor == "postgresql" else 0
    bound = 4 * estimate
    query = {"outdial": big_outdial.pk, **params}
    with django_assert_num_queries(8 + bound + estimate):
        response = client.get(CHANGELIST, query)
    cl = response.context["cl"]
    assert len(cl.result_list) == 100
    assert all(target.slots()[0] is not None for target in cl.result_list)
    page = response.content.decode()
    if estimate:
        label = f"about {cl.result_count:,}"
        assert 90_000 <= cl.result_count <= 110_000
    else:
        label = "more than 10,000"
    assert f"\n{label} outdial targets\n" in page
    assert f"Select all matching outdial targets ({label})" in page
    if "p" not in params:  # the same page of a three-target list
        small_queries = queries_of(client, {"outdial": small.pk, **params})
        assert len(small_queries) == 8 + bound


def test_an_operator_sees_every_outdials_targets_in_a_fixed_set_of_queries(
    admin_client, big_outdial, django_assert_num_queries
):
    """No outdial filter: the operator's whole table, customers in the sidebar."""
    estimate = 1 if connection.vendor == "postgresql" else 0
    bound = 4 * estimate  # the count's savepoint and time bound
    with django_assert_num_queries(7 + bound + estimate):  # no permission queries
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 100
