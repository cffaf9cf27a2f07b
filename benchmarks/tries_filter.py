"""The try-count filter's first page (issue 14) beside the unfiltered one.

A fresh database per kind with one outdial of 100,000 targets (quick: 20,000
on SQLite), two destinations each: a fifth tried once, one in a hundred three
times, the rest never. The first page (50 rows, newest first, as the list
reads it) with ``tries_min``/``tries_max`` reads the targets' ``tries`` column
(``target_tries_page``); set against the unfiltered first page measured in
the same run, and beside the sum of every target's destinations' try counts
the filter used before (``summed``), for comparison. ``tries_min=5`` matches
no one: the old filter then summed every target.
"""

import json
import os
import statistics
import sys
import time

from .harness import at_most, databases
from .read_path import child, fresh_database

REPEAT = 15
QUERIES = ("tries_min=3", "tries_min=5", "tries_max=0", "tries_min=1&tries_max=1")
MAXIMUM = 3.0  # the filtered page against the unfiltered one


def run(quick: bool) -> list:
    figures = []
    for kind, url in databases():
        size = 100_000 if kind == "postgresql" or not quick else 20_000
        with fresh_database(kind, url) as database_url:
            found = child(database_url, "benchmarks.tries_filter", "measure", str(size))
        floor = found["unfiltered"]
        for query in QUERIES:
            column, summed = found[query]["column"], found[query]["summed"]
            figures.append(
                at_most(
                    f"tries filter {kind} {size:,} targets: {query}",
                    column,
                    "ms",
                    floor,
                    MAXIMUM,
                    note=(
                        f"first page of 50; floor: the unfiltered first page; "
                        f"summed per target as before: {summed:.1f} ms"
                    ),
                    details=found[query],
                )
            )
    return figures


# --- the child process ------------------------------------------------------------


def seed(size: int):
    from django.core.management import call_command
    from django.db import connection

    from outdials import statistics as planner
    from outdials.models import Customer, Destination, Outdial, OutdialTarget

    call_command("migrate", verbosity=0, interactive=False)
    customer = Customer.objects.create(name="Bench Co")
    outdial = Outdial.objects.create(customer=customer, name="big")
    targets = OutdialTarget._meta.db_table
    destinations = Destination._meta.db_table
    # n % 100 = 0: three tries (two on the first number); n % 5 = 1: one.
    tries = "CASE WHEN n %% 100 = 0 THEN 3 WHEN n %% 5 = 1 THEN 1 ELSE 0 END"
    first = "CASE WHEN n %% 100 = 0 THEN 2 WHEN n %% 5 = 1 THEN 1 ELSE 0 END"
    second = "CASE WHEN n %% 100 = 0 THEN 1 ELSE 0 END"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            numbers = "generate_series(1, %s) AS n"
            key = "md5('t' || n)::uuid"
            stamp = "now() - make_interval(secs => %s - n)"
        else:
            numbers = (
                "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s"
                " WHERE n < %s) SELECT n FROM s)"
            )
            key = "printf('%%032x', n)"
            stamp = "datetime('now', '-' || (%s - n) || ' seconds')"
        cursor.execute(
            f"INSERT INTO {targets} (id, outdial_id, name, detail, data, status,"
            f" tm_create, tm_update, tries) SELECT {key}, %s, 't' || n, '', '',"
            f" 'idle', {stamp}, {stamp}, {tries} FROM {numbers}",
            [
                outdial.pk if connection.vendor == "postgresql" else outdial.pk.hex,
                size,
                size,
                size,
            ],
        )
        for index, count in ((0, first), (1, second)):
            cursor.execute(
                f'INSERT INTO {destinations} (outdial_target_id, "index", type,'
                " target, target_name, name, detail, try_count)"
                f" SELECT {key}, %s, 'tel', '+1202' || (5000000 + n), '', '', '',"
                f" {count} FROM {numbers}",
                [index, size],
            )
    planner.refresh_after_bulk_write(size, OutdialTarget, Destination)
    return outdial


def measure(size: int) -> dict:
    from django.http import QueryDict

    from outdials import targets
    from outdials.filters import filtered_targets
    from outdials.models import OutdialTarget
    from outdials.paging import window

    outdial = seed(size)

    def timed(make) -> tuple[float, int]:
        times, rows = [], 0
        for _ in range(REPEAT + 1):
            started = time.perf_counter()
            page = window(make(), after="", before="", size=50)
            rows = len(page.items)
            times.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(sorted(times[1:])), 2), rows

    def summed(params):
        # The filter as it was: each target's destinations summed.
        queryset = (
            OutdialTarget.objects.live()
            .filter(outdial_id=outdial.pk)
            .alias(summed=targets.summed_tries())
        )
        if "tries_min" in params:
            queryset = queryset.filter(summed__gte=int(params["tries_min"]))
        if "tries_max" in params:
            queryset = queryset.filter(summed__lte=int(params["tries_max"]))
        return queryset

    results = {
        "unfiltered": timed(lambda: filtered_targets(outdial.pk, QueryDict()))[0]
    }
    for query in QUERIES:
        params = QueryDict(query)
        column, rows = timed(lambda p=params: filtered_targets(outdial.pk, p))
        before, rows_before = timed(lambda p=params: summed(p))
        if rows != rows_before:
            raise RuntimeError(f"{query}: {rows} rows, {rows_before} summed")
        results[query] = {"column": column, "summed": before, "rows": rows}
    return results


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outdialsite.settings")
        os.environ["DATABASE_STATEMENT_TIMEOUT"] = "3600"
        import django

        django.setup()
        print(json.dumps(measure(int(sys.argv[2]))))
