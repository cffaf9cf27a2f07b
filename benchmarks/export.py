"""CSV export is linear: ten times the targets take at most eleven times as long.

For SQLite and PostgreSQL: seed one outdial with N targets (two destinations
each, in bulk writes sharing one ``tm_create`` as imports stamp them), then
time ``exporting.iter_csv`` over it; again with 10·N in a fresh database.
N is 100,000 (10,000 with ``--quick``). Each chunk of the export seeks past
the last with the row-value keyset, so a chunk costs the same wherever it
falls; a keyset the index cannot seek would make the time grow with the
square of the size.
"""

import json
import os
import sys
import time

from .harness import at_most, databases
from .read_path import child, fresh_database


def run(quick: bool) -> list:
    small = 10_000 if quick else 100_000
    figures = []
    for kind, url in databases():
        timings = {}
        for size in (small, 10 * small):
            with fresh_database(kind, url) as database_url:
                timings[size] = child(
                    database_url, "benchmarks.export", "worker", str(size)
                )
            print(
                f"   {kind}: exported {size:,} targets in "
                f"{timings[size]['seconds']:.1f} s",
                file=sys.stderr,
                flush=True,
            )
        big, little = timings[10 * small], timings[small]
        figures.append(
            at_most(
                f"{kind}: export {10 * small:,} vs {small:,} targets",
                big["seconds"],
                "s",
                little["seconds"],
                11.0,
                note=(
                    f"{little['rows'] / little['seconds']:,.0f} vs "
                    f"{big['rows'] / big['seconds']:,.0f} rows/s"
                ),
                details={"small": little, "big": big},
            )
        )
    return figures


def _worker(size: int) -> dict:
    from outdials import exporting
    from outdials.models import OutdialTarget

    from .read_path import seed

    outdial = seed(size)["outdial"]
    queryset = OutdialTarget.objects.live().filter(outdial_id=outdial)
    started = time.perf_counter()
    lines = sum(1 for _ in exporting.iter_csv(queryset))
    return {"seconds": time.perf_counter() - started, "rows": lines - 1}


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outdialsite.settings")
        import django

        django.setup()
        print(json.dumps(_worker(int(sys.argv[2]))))
