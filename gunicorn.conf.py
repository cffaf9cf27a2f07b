"""gunicorn reads ./gunicorn.conf.py when it starts in this directory: the
settings live in outdialsite/gunicorn.conf.py, run here."""

import runpy
from pathlib import Path

globals().update(
    (name, value)
    for name, value in runpy.run_path(
        str(Path(__file__).resolve().parent / "outdialsite" / "gunicorn.conf.py")
    ).items()
    if not name.startswith("__")
)
