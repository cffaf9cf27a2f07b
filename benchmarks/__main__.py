"""``python -m benchmarks [--quick] [NAME ...]``: run benchmarks, print one table.

Every module of this package that is not a helper is a benchmark exposing
``run(quick: bool) -> list[Figure]``; sub-packages (like ``floor``) are helpers.
A benchmark that crashes is reported and the others still run; the exit code
is non-zero only then, never because a figure missed its target.
"""

import argparse
import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from .harness import save, table

# Scripts run by hand (minutes long, or they stop a database): see each one.
BY_HAND = {"sqlite_import_under_load", "pg_outage", "request_cpu"}
SKIP = {"harness", "__main__", *BY_HAND}


def discover() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(here)])
        if m.name not in SKIP and not m.name.startswith("_") and not m.ispkg
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="reduced sizes")
    parser.add_argument("names", nargs="*", help=f"some of: {', '.join(discover())}")
    args = parser.parse_args(argv)
    figures, crashed = [], []
    for name in args.names or discover():
        started = time.perf_counter()
        print(f"== {name} ...", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            found = module.run(quick=args.quick)
        except Exception:
            traceback.print_exc()
            crashed.append(name)
            continue
        print(f"   {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
        figures.extend(found)
    print(table(figures))
    path = save(figures, "quick" if args.quick else "full")
    print(f"\nSaved to {path}")
    if crashed:
        print(f"Crashed: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
