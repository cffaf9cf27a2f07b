"""The README's tour runs as written: every ``sh`` block from "Quick tour of
the API" to "API reference", in order, in one shell, against a live server
(gunicorn on a free port and a job worker, started as the production guide
starts them)."""

import json
import re
import subprocess
import tempfile
from pathlib import Path

from .live import ROOT, environment, fresh_database, gunicorn, job_worker, manage

START, END = "## Quick tour of the API", "## API reference"


def tour_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    tour = text[text.index(START) : text.index(END)]
    return re.findall(r"^```sh\n(.*?)^```$", tour, flags=re.S | re.M)


# Any HTTP error fails the run, as an example that does not work should.
PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --show-error "$@"; }
"""


def test_the_readme_tour_runs_in_order_against_a_live_server():
    blocks = tour_blocks()
    assert len(blocks) >= 6
    with (
        fresh_database("sqlite") as url,
        tempfile.TemporaryDirectory(prefix="outdials-media-") as media,
    ):
        env = environment(url, OUTDIALS_MEDIA_ROOT=media)
        manage(env, "migrate", "--noinput")
        manage(env, "ensuredemo")
        with (
            gunicorn(env, "--workers", "2") as server,
            job_worker(env),
            tempfile.TemporaryDirectory(prefix="outdials-tour-") as folder,
        ):
            Path(folder, ".venv").symlink_to(ROOT / ".venv")
            Path(folder, "manage.py").symlink_to(ROOT / "manage.py")
            script = PRELUDE + "\n".join(
                f"echo; echo '>>> block {n}'\n{block}" for n, block in enumerate(blocks)
            )
            done = subprocess.run(
                ["bash", "-c", script],
                cwd=folder,
                env=env | {"BASE": server.url, "PYTHONPATH": str(ROOT)},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, (
                f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}\n{server.logs()[-3000:]}"
            )
            assert Path(folder, "done.csv").exists()
    out = done.stdout
    # The sample answer shown under the dry run is exactly what the file gives.
    shown = re.search(
        r'^# (\{"import_id": null.*?\}\]\})$',
        (ROOT / "README.md").read_text(),
        flags=re.S | re.M,
    )
    assert shown is not None
    sample = json.loads(re.sub(r"\n#\s*", " ", shown[1]))
    dry_run = next(
        json.loads(line) for line in out.splitlines() if line.startswith('{"import_id"')
    )
    assert dry_run == sample
    assert "exit status 1: a row is invalid" in out
