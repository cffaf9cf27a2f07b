"""The targets table and the target page for staff (issue 14): how many
match, the last outcome and attempt, sorting either way by created or last
attempt with keyset pages, the table's filters kept on the target page and
its previous/next links, Re-open and reset tries, a held target read-only."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outdials import counting, dialing, paging, targets, views
from outdials.models import OutdialTarget
from outdials.paging import key_token
from tests.helpers import messages_of, tel

ROW = re.compile(r'<th scope="row"><a href="([^"]+)">([^<]+)<')


def rows_in(html: str) -> list[str]:
    return [name for _, name in ROW.findall(html)]


def dial(outdial, target, outcome, when):
    """One attempt on ``target`` that started at ``when``, settled so."""
    [claim] = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0])
    assert claim.target.pk == target.pk
    dialing.report_result(outdial, target.pk, claim.claim_id, outcome)
    OutdialTarget.objects.filter(pk=target.pk).update(tm_last_attempt=when)


@pytest.fixture
def five(outdial):
    """Ann … Ed created in that order; Bo, Di and Ann attempted, in that
    order of time (Di failed, Bo busy, Ann answered); Cy and Ed never."""
    start = timezone.now() - timedelta(hours=1)
    made = {}
    for i, name in enumerate(["Ann", "Bo", "Cy", "Di", "Ed"]):
        made[name] = targets.create_target(
            outdial, name=name, slots=[tel(f"+1555000400{i}")]
        )
        OutdialTarget.objects.filter(pk=made[name].pk).update(
            tm_create=start + timedelta(minutes=i)
        )
    dial(outdial, made["Ann"], "answered", start + timedelta(minutes=30))
    dial(outdial, made["Bo"], "busy", start + timedelta(minutes=10))
    dialing.set_status(made["Cy"], "done")  # so that the claim takes Di
    dial(outdial, made["Di"], "failed", start + timedelta(minutes=20))
    dialing.set_status(made["Cy"], "idle")
    return made


@pytest.fixture
def page(outdial):
    return f"/outdials/{outdial.pk}/"


def test_the_table_shows_the_last_outcome_and_attempt(alice_page, page, five):
    html = alice_page.get(page).content.decode()
    assert '<span class="badge badge--failed">Failed</span>' in html
    assert '<span class="muted">never tried</span>' in html
    assert "5 targets · sorted newest first" in html
    assert ">Last attempt (UTC)</a>" in html


@pytest.mark.parametrize(
    "order, names",
    [
        ("", ["Ed", "Di", "Cy", "Bo", "Ann"]),
        ("-created", ["Ed", "Di", "Cy", "Bo", "Ann"]),
        ("created", ["Ann", "Bo", "Cy", "Di", "Ed"]),
        # never tried last (or first), in the order of their ids
        ("-last_attempt", ["Ann", "Di", "Bo", "Cy|Ed", "Cy|Ed"]),
        ("last_attempt", ["Cy|Ed", "Cy|Ed", "Bo", "Di", "Ann"]),
        ("nonsense", ["Ed", "Di", "Cy", "Bo", "Ann"]),
    ],
)
def test_the_table_sorts_by_created_or_last_attempt(
    alice_page, page, five, order, names
):
    html = alice_page.get(f"{page}?order={order}").content.decode()
    found = rows_in(html)
    assert len(found) == len(set(found)) == 5
    pairs = zip(found, names, strict=True)
    assert all(name in expected.split("|") for name, expected in pairs)


@pytest.mark.parametrize(
    "order", ["-created", "created", "-last_attempt", "last_attempt"]
)
def test_every_order_pages_by_keyset_both_ways(
    alice_page, page, five, order, monkeypatch
):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    whole = rows_in(alice_page.get(f"{page}?order={order}&size=all").content.decode())
    seen, url, pages = [], f"{page}?order={order}", []
    while url:
        html = alice_page.get(url).content.decode()
        pages.append(url)
        seen += rows_in(html)
        found = re.search(r'href="(\?[^"]*after=[^"]+)" rel="next"', html)
        url = page + found.group(1).replace("&amp;", "&") if found else ""
    assert len(pages) == 3
    html = alice_page.get(pages[-1]).content.decode()
    newer = re.search(r'href="(\?[^"]*before=[^"]+)" rel="prev"', html).group(1)
    back = alice_page.get(page + newer.replace("&amp;", "&")).content.decode()
    assert rows_in(back) == seen[2:4]
    assert len(seen) == 5 and len(set(seen)) == 5
    assert whole[:2] == seen[:2]


def test_a_column_header_sorts_and_flips(alice_page, page, five):
    html = alice_page.get(page).content.decode()
    assert 'href="?order=-last_attempt" title="Sort last attempted first"' in html
    assert 'aria-sort="descending"><a href="?order=created"' in html
    html = alice_page.get(page + "?order=-last_attempt&status=done").content.decode()
    assert 'href="?order=last_attempt&amp;status=done"' in html
    assert 'name="order" value="-last_attempt"' in html  # the filter form keeps it


def test_the_count_is_exact_then_an_honest_estimate(
    alice_page, page, five, monkeypatch
):
    html = alice_page.get(page + "?outcome=never").content.decode()
    assert "2 targets match these filters" in html
    html = alice_page.get(page + "?outcome=busy").content.decode()
    assert "1 target matches these filters" in html
    monkeypatch.setattr(counting, "EXACT_UP_TO", 1)
    # A list shorter than the sample of newest targets is counted whole.
    html = alice_page.get(page + "?outcome=never").content.decode()
    assert "2 targets match these filters" in html
    monkeypatch.setattr(counting, "SAMPLE", 2)
    html = alice_page.get(page + "?outcome=never").content.decode()
    assert re.search(r"(about \d+|more than 1) targets match these filters", html)


def test_a_target_keeps_the_tables_filters_and_knows_its_neighbours(
    alice_page, page, five, outdial
):
    query = "order=-last_attempt&tries_min=1"
    html = alice_page.get(f"{page}?{query}").content.decode()
    links = dict((name, href) for href, name in ROW.findall(html))
    assert list(links) == ["Ann", "Di", "Bo"]
    assert links["Di"].endswith(f"?{query.replace('&', '&amp;')}")

    target = alice_page.get(links["Di"].replace("&amp;", "&")).content.decode()
    escaped = query.replace("&", "&amp;")
    assert f'<a href="{page}?{escaped}">test outdial</a>' in target  # breadcrumb
    prev = f'{page}targets/{five["Ann"].pk}/?{escaped}" rel="prev">‹ Previous: Ann'
    following = f'{page}targets/{five["Bo"].pk}/?{escaped}" rel="next">Next: Bo ›'
    assert prev in target and following in target
    last = alice_page.get(f"{page}targets/{five['Bo'].pk}/?{query}").content.decode()
    assert 'rel="next"' not in last and "Previous: Di" in last


def test_saving_a_target_keeps_the_tables_filters(alice_page, page, five):
    url = f"{page}targets/{five['Cy'].pk}/?outcome=never"
    data = {"name": "Cy Two", "detail": "", "data": ""}
    for i in range(5):
        data |= {f"type_{i}": "tel", f"target_{i}": "", f"name_{i}": ""}
    response = alice_page.post(url, data | {"target_0": "+15550004002"})
    assert response["Location"] == url


def test_reopen_and_reset_tries_makes_the_engine_take_it_again(
    alice_page, page, five, outdial
):
    di = five["Di"]
    url = f"{page}targets/{di.pk}/"
    html = alice_page.get(url).content.decode()
    assert "Re-open and reset tries" in html
    assert "Every destination has used the attempts it is allowed" in html

    plain = alice_page.post(url + "reopen/")
    assert messages_of(plain) == [
        "Re-opened the target: it is idle, but every destination has used its "
        "attempts, so the dialer will not take it until its try counts are reset."
    ]
    di.refresh_from_db()
    reasons = dialing.eligibility(di, max_try_counts=[None] * 5)["reasons"]
    assert [r["code"] for r in reasons] == ["EXHAUSTED"]

    dialing.set_status(di, "done")
    reset = alice_page.post(url + "reopen/?outcome=failed", {"reset": "1"})
    assert reset["Location"] == url + "?outcome=failed"
    assert messages_of(reset)[-1] == (
        "Re-opened the target with its try counts reset to 0: the dialer will "
        "try it again from its first destination."
    )
    di.refresh_from_db()
    assert di.status == "idle" and di.last_outcome == "failed"
    assert dialing.eligibility(di, max_try_counts=[None] * 5)["eligible"]
    claims = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0], limit=5)
    assert di.pk in {claim.target.pk for claim in claims}


def test_a_held_target_is_read_only_and_says_until_when(alice_page, page, outdial):
    held = targets.create_target(outdial, name="Held", slots=[tel("+15550004099")])
    [claim] = dialing.claim(outdial, max_try_counts=[1, 0, 0, 0, 0])
    html = alice_page.get(f"{page}targets/{held.pk}/").content.decode()
    until = claim.lease_expires.strftime("%H:%M:%S")
    assert f"Held by a dialer until {until} (UTC)" in html
    assert re.search(r'<input type="text" name="name" value="Held"[^>]* disabled', html)
    assert "Save target" not in html
    assert "Back to the list" in html
    reset = alice_page.post(f"{page}targets/{held.pk}/reopen/", {"reset": "1"})
    assert messages_of(reset) == [
        "A dialer holds this target; re-open it after its attempt ends."
    ]
    assert OutdialTarget.objects.get(pk=held.pk).status == "progressing"


def explained(sql: str) -> str:
    """The plan of ``sql``; on PostgreSQL with sequential scans and sorts
    priced out, as on a big list (a handful of rows would be read whole)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return " ".join(str(row[-1]) for row in cursor.fetchall())
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return " ".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("direction", ["after", "before"])
@pytest.mark.parametrize(
    "order", ["-created", "created", "-last_attempt", "last_attempt"]
)
def test_a_deep_page_seeks_its_place_in_the_index(five, outdial, order, direction):
    """A page past a token starts at the token's place in the order's index
    (not at the top, reading every row before it), in every order, never
    attempted targets included (Cy and Ed share the last-attempt key)."""
    by_order = paging.order_named(order)
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    middle = by_order.ordered(live)[3]  # in the last-attempt orders, never tried
    with CaptureQueriesContext(connection) as queries:
        paging.window(live, size=1, order=by_order, **{direction: key_token(middle)})
    [page] = [query["sql"] for query in queries.captured_queries]
    plan = explained(page)
    index = "target_attempt_page" if "last_attempt" in order else "target_page"
    key = "attempt_key" if "last_attempt" in order else "tm_create"
    if connection.vendor == "sqlite":
        seek = rf"USING INDEX {index} \(outdial_id=\? AND \({key},id\)[<>]\(\?,\?\)"
    else:
        seek = rf"Index Scan (Backward )?using {index} .*Cond: .*ROW\({key}, id\) [<>]"
    assert re.search(seek, plan), plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan
