"""What every benchmark reports: figures beside a floor measured in the same run.

The machines are noisy, so a verdict rests on the ratio to the floor, never on
an absolute time. A benchmark module exposes ``run(quick: bool) -> list[Figure]``.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "artifacts" / "bench"


@dataclass
class Figure:
    """One measured figure and how it stands against its floor.

    ``ratio`` is value/floor. ``target`` is a readable rule (``"≥ 0.60"``) and
    ``ok`` whether the ratio meets it (``None`` when there is no target).
    """

    name: str
    value: float
    unit: str
    floor: float | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    note: str = ""
    details: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return {True: "ok", False: "MISS", None: "-"}[self.ok]


def at_least(
    name, value, unit, floor, minimum: float, note: str = "", details=None
) -> Figure:
    """A figure that should reach ``minimum`` × its floor (higher is better)."""
    ratio = value / floor if floor else None
    return Figure(
        name,
        value,
        unit,
        floor,
        ratio,
        f"≥ {minimum:.2f}×",
        None if ratio is None else ratio >= minimum,
        note,
        details or {},
    )


def at_most(
    name, value, unit, floor, maximum: float, note: str = "", details=None
) -> Figure:
    """A figure that should stay within ``maximum`` × its floor (lower is better)."""
    ratio = value / floor if floor else None
    return Figure(
        name,
        value,
        unit,
        floor,
        ratio,
        f"≤ {maximum:.2f}×",
        None if ratio is None else ratio <= maximum,
        note,
        details or {},
    )


def plain(name, value, unit, note: str = "", details=None) -> Figure:
    return Figure(name, value, unit, note=note, details=details or {})


def timed(fn, repeat: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def table(figures: list[Figure]) -> str:
    """A Markdown table; the ``note`` column appears when any figure has one."""
    with_notes = any(f.note for f in figures)
    header = ("figure", "value", "floor", "ratio", "target", "verdict")
    rows = [header + (("note",) if with_notes else ())]
    for f in figures:
        row = (
            f.name,
            f"{_fmt(f.value)} {f.unit}",
            f"{_fmt(f.floor)} {f.unit}" if f.floor is not None else "-",
            f"{f.ratio:.2f}×" if f.ratio is not None else "-",
            f.target or "-",
            f.verdict,
        )
        rows.append(row + ((f.note,) if with_notes else ()))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "| "
            + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
            + " |"
        )
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def save(figures: list[Figure], label: str) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{label}.json"
    payload = [asdict(f) | {"verdict": f.verdict} for f in figures]
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    return path


def databases() -> list[tuple[str, str]]:
    """The databases to measure: SQLite always, PostgreSQL when reachable."""
    found = [("sqlite", "sqlite")]
    url = os.environ.get(
        "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        found.append(("postgresql", url))
    except Exception:
        pass
    return found


def uptime() -> str:
    """The machine's load, to print beside figures measured on shared cores."""
    with open("/proc/loadavg") as loadavg:
        one, five, fifteen = loadavg.read().split()[:3]
    return f"load average {one}, {five}, {fifteen} ({os.cpu_count()} cores)"


def in_worker(module: str, database_url: str, *args: str) -> dict:
    """Run ``python -m benchmarks.<module> --worker ARGS`` on ``database_url``,
    in a fresh process (so no measure inherits another's caches or memory),
    and answer the JSON it printed on its last line."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "outdialsite.settings",
        # Measured as served in production: no query log.
        "DJANGO_DEBUG": "0",
        "OUTDIALS_ALLOW_DEV_SECRET": "1",
        "DJANGO_HTTPS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{module}", "--worker", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} {args} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker_main(argv: list[str], measures: dict) -> None:
    """The ``--worker`` side of :func:`in_worker`: set Django up, then either
    ``migrate``, or run ``measures[mode](*args)``; print the result as JSON."""
    import django

    django.setup()
    mode, *args = argv
    if mode == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = {}
    else:
        result = measures[mode](*args)
    print(json.dumps(result))
