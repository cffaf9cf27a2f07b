"""``manage.py db_worker``: django-tasks-db's worker, and its housekeeping.

The queue's own worker runs the jobs; beside it, a thread of each worker
settles dialing claims whose lease passed and fails jobs whose worker was
killed (``jobs.housekeeping``), every ``--housekeeping-interval`` seconds,
and notes every few seconds that the worker is alive (``/readyz`` asks).
Any number of workers may run, on any number of machines: a job is taken by
one of them only (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, an
exclusive transaction on SQLite), and each housekeeping step is a
conditional UPDATE that one worker wins.
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from outdials.jobs import Housekeeper


class Command(WorkerCommand):
    help = (
        "Run background jobs (imports, bulk changes, exports) from the "
        "database queue, and settle expired claims and lost jobs on the side."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--housekeeping-interval",
            type=float,
            default=15.0,
            help="seconds between two housekeeping rounds (default: 15)",
        )

    def handle(self, *args, housekeeping_interval: float, **options):
        # Under the autoreloader only the child process, which runs jobs,
        # keeps house.
        parent = options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        keeper = (
            None if parent else Housekeeper(housekeeping_interval, options["worker_id"])
        )
        if keeper is not None:
            keeper.start()
        try:
            super().handle(*args, **options)
        finally:
            if keeper is not None:
                keeper.stop()
