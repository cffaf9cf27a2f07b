"""``manage.py import_targets``: the importer from a shell."""

import io
import json
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from outdials.management.commands.import_targets import ProgressBars
from outdials.models import ImportBatch, OutdialTarget

GOOD = "name,destination_0\nAnn,(202) 555-0143\nBob,020 7946 0958\n"  # GB


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_targets", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD + "Bad,12\n")
    return path


def test_it_imports_and_prints_the_report(outdial, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    output = run(str(outdial.id), str(path), "--region", "GB", "--on-error", "skip")
    batch = ImportBatch.objects.get()
    assert output.splitlines()[0] == (
        f"2 rows: 2 created, 0 duplicates, 0 invalid (import {batch.id})"
    )
    assert batch.file_name == "people.csv"
    assert batch.created_by_name.startswith("command line (")
    addresses = OutdialTarget.objects.values_list("destinations__target", flat=True)
    assert sorted(addresses) == ["+442025550143", "+442079460958"]


def test_invalid_rows_print_their_errors_and_exit_1(outdial, good_file):
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "import_targets",
            str(outdial.id),
            str(good_file),
            "--region",
            "GB",
            stdout=out,
        )
    assert caught.value.returncode == 1
    assert "nothing was imported" in str(caught.value)
    lines = out.getvalue().splitlines()
    assert lines[0] == "3 rows: 2 created, 0 duplicates, 1 invalid (nothing written)"
    assert "  row 4, destination_0: 12 is too short for its country code." in lines
    assert OutdialTarget.objects.count() == 0


def test_on_error_skip_imports_the_rest_and_still_exits_1(outdial, good_file):
    with pytest.raises(CommandError) as caught:
        run(str(outdial.id), str(good_file), "--on-error", "skip", "--region", "GB")
    assert str(caught.value) == "1 row is invalid (listed above)."
    assert OutdialTarget.objects.count() == 2


def test_a_dry_run_writes_nothing(outdial, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    output = run(str(outdial.id), str(path), "--dry-run", "--region", "GB")
    assert "(nothing written)" in output
    assert OutdialTarget.objects.count() == 0


def test_json_output_is_the_api_report(outdial, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    report = json.loads(run(str(outdial.id), str(path), "--json", "--region", "GB"))
    assert report["import_id"] == str(ImportBatch.objects.get().id)
    assert (report["rows"], report["created"]) == (2, 2)


def test_it_reads_standard_input(outdial, monkeypatch):
    class Stdin:
        buffer = io.BytesIO(GOOD.encode())

    monkeypatch.setattr(sys, "stdin", Stdin)
    run(str(outdial.id), "-", "--region", "GB")
    assert OutdialTarget.objects.count() == 2
    assert ImportBatch.objects.get().file_name == ""


def test_strict_is_a_flag(outdial, tmp_path):
    path = tmp_path / "unassigned.csv"
    path.write_text("destination_0\n+15559876543\n")
    with pytest.raises(CommandError):
        run(str(outdial.id), str(path), "--strict")
    run(str(outdial.id), str(path), "--no-strict")
    assert OutdialTarget.objects.count() == 1


def test_a_refused_file_exits_1_with_the_reason(outdial, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError) as caught:
        run(str(outdial.id), str(path))
    assert "empty" in str(caught.value)


@pytest.mark.parametrize("value", ["nope", "00000000-0000-0000-0000-000000000001"])
def test_it_refuses_a_bad_or_missing_outdial(db, tmp_path, value):
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError):
        run(value, str(path))


def test_a_missing_file_is_a_clear_error(outdial, tmp_path):
    with pytest.raises(CommandError) as caught:
        run(str(outdial.id), str(tmp_path / "nope.csv"))
    assert "Cannot read" in str(caught.value)


def test_the_progress_bar_draws_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    bars = ProgressBars(screen)
    bars("check", 500, 1000)
    bars("check", 1000, 1000)
    bars("write", 3, 3)
    bars.close()
    assert "checking" in screen.getvalue() and "writing" in screen.getvalue()
    plain = io.StringIO()
    quiet = ProgressBars(plain)
    quiet("check", 1, 2)
    quiet.close()
    assert plain.getvalue() == ""


def test_background_queues_the_import_for_a_worker(outdial, tmp_path, settings):
    from django.core.files.storage import default_storage
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    output = run(str(outdial.id), str(path), "--region", "GB", "--background")
    batch = ImportBatch.objects.get()
    assert output == (
        f"Queued import {batch.pk}; a worker (manage.py db_worker) runs it. "
        f"Its page: /outdials/{outdial.pk}/imports/{batch.pk}/\n"
    )
    assert (batch.status, batch.file_name, batch.params["region"]) == (
        "queued",
        "people.csv",
        "GB",
    )
    assert default_storage.open(batch.file).read() == GOOD.encode()
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        "outdials.tasks.import_file",
        [str(batch.pk)],
    )
    assert OutdialTarget.objects.count() == 0


def test_background_in_process_ends_with_the_targets_written(outdial, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD)
    run(str(outdial.id), str(path), "--region", "GB", "--background")
    assert ImportBatch.objects.get().status == "done"
    assert OutdialTarget.objects.count() == 2
