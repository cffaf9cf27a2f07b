"""The background tasks (Django's Tasks API), run by ``manage.py db_worker``.

Each is a thin entry point: the work and its rules live in the domain
modules. A task takes the id of its job's row, which says what to do.
"""

from django_tasks import task

from .importing import background


@task()
def import_file(batch_id: str) -> None:
    """Import a kept CSV file into its outdial (``importing.background``)."""
    background.run_import(batch_id)


@task()
def change_targets(job_id: str) -> None:
    """A bulk change or an export over matching targets (``bulk``)."""
    from . import bulk

    bulk.run_job(job_id)


@task()
def load_suppressions(upload_id: str) -> None:
    """Load a kept CSV of entries into a suppression list (``suppression``)."""
    from . import suppression

    suppression.run_load(upload_id)


@task()
def delete_suppressions(job_id: str) -> None:
    """Remove the entries of a deleted suppression list (``suppression``)."""
    from . import suppression

    suppression.run_delete(job_id)
