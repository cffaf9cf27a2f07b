"""Outcome filters everywhere (issue 14): the last outcome, exhausted, the
import and the try count filter the API's list and export, the outdial page,
its bulk changes and the admin alike; "export the failed ones" is one link."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from outdials import dialing, targets
from outdials.models import ImportBatch, OutdialTarget

from .helpers import admin_url, make_staff, signed_in, tel


def dialed(outdial, name, number, outcome, maxima=(1, 0, 0, 0, 0)):
    """A target whose one attempt ended with ``outcome``."""
    target = targets.create_target(outdial, name=name, slots=[tel(number)])
    [claim] = dialing.claim(outdial, max_try_counts=list(maxima))
    assert claim.target.pk == target.pk
    dialing.report_result(outdial, target.pk, claim.claim_id, outcome)
    return target


@pytest.fixture
def worked(outdial):
    """Ann answered, Bo failed (exhausted), Cy busy with a try left, Di
    never tried, Ed failed then re-opened by a person."""
    made = {
        "Ann": dialed(outdial, "Ann", "+15550003001", "answered"),
        "Bo": dialed(outdial, "Bo", "+15550003002", "failed"),
        "Cy": dialed(outdial, "Cy", "+15550003003", "busy", (2, 0, 0, 0, 0)),
    }
    made["Ed"] = dialed(outdial, "Ed", "+15550003005", "failed")
    made["Di"] = targets.create_target(outdial, name="Di", slots=[tel("+15550003004")])
    dialing.set_status(made["Ed"], "idle")
    return made


def names_in(api, outdial, query: str) -> set[str]:
    response = api.get(f"/v1.0/outdials/{outdial.pk}/targets?{query}")
    assert response.status_code == 200, response.json()
    return {row["name"] for row in response.json()["result"]}


@pytest.mark.parametrize(
    "query, names",
    [
        ("outcome=failed", {"Bo", "Ed"}),
        ("outcome=answered", {"Ann"}),
        ("outcome=never", {"Di"}),
        ("outcome=busy,never", {"Cy", "Di"}),
        ("outcome=busy&outcome=answered", {"Cy", "Ann"}),
        ("exhausted=true", {"Bo"}),
        ("exhausted=false", {"Ann", "Cy", "Di", "Ed"}),
        ("outcome=failed&exhausted=false", {"Ed"}),
        ("tries_min=1", {"Ann", "Bo", "Cy", "Ed"}),
        ("tries_max=0", {"Di"}),
        ("status=idle&outcome=failed", {"Ed"}),
    ],
)
def test_the_api_list_filters_by_outcome_exhausted_and_tries(
    api, outdial, worked, query, names
):
    assert names_in(api, outdial, query) == names


def test_the_exhausted_filter_counts_what_the_summary_counts(api, outdial, worked):
    assert dialing.summary(outdial)["exhausted"] == len(
        names_in(api, outdial, "exhausted=true")
    )


@pytest.mark.parametrize(
    "query, field",
    [
        ("outcome=maybe", "outcome"),
        ("exhausted=perhaps", "exhausted"),
        ("tries_min=-1", "tries_min"),
        ("tries_max=1.5", "tries_max"),
        ("import_batch=nope", "import_batch"),
    ],
)
def test_a_bad_filter_value_is_a_400(api, outdial, query, field):
    response = api.get(f"/v1.0/outdials/{outdial.pk}/targets?{query}")
    assert response.status_code == 400
    assert field in str(response.json())


def test_the_import_filter_finds_the_targets_of_one_import(api, outdial, worked):
    batch = ImportBatch.objects.create(outdial=outdial, file_name="late.csv")
    OutdialTarget.objects.filter(name__in=["Cy", "Di"]).update(import_batch=batch)
    assert names_in(api, outdial, f"import_batch={batch.pk}") == {"Cy", "Di"}


def csv_names(text: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return sorted(row["name"] for row in rows)


def test_the_api_export_holds_exactly_the_failed_ones(api, outdial, worked):
    response = api.get(f"/v1.0/outdials/{outdial.pk}/targets/export?outcome=failed")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert csv_names(text) == ["Bo", "Ed"]


def test_an_export_job_keeps_several_outcomes(api, outdial, worked):
    response = api.post(
        f"/v1.0/outdials/{outdial.pk}/exports?outcome=answered&outcome=busy"
    )
    assert response.status_code == 202
    body = api.get(response["Location"]).json()
    assert body["status"] == "done"
    file = api.get(response["Location"] + "/file")
    text = b"".join(file.streaming_content).decode()
    assert csv_names(text) == ["Ann", "Cy"]


def test_the_page_filters_and_exports_the_failed_ones(alice_page, outdial, worked):
    page = f"/outdials/{outdial.pk}/"
    html = alice_page.get(page + "?outcome=failed").content.decode()
    assert html.count('name="ids"') == 2
    assert 'value="failed" id="id_outcome_3" checked>' in html
    assert f'href="/outdials/{outdial.pk}/export.csv?outcome=failed"' in html
    assert "all 2 matching" in html
    export = alice_page.get(page + "export.csv?outcome=failed")
    text = b"".join(export.streaming_content).decode()
    assert csv_names(text) == ["Bo", "Ed"]


def test_the_progress_panel_links_to_the_filters(alice_page, outdial, worked):
    page = f"/outdials/{outdial.pk}/"
    html = alice_page.get(page).content.decode()
    assert f'<dt>Exhausted</dt><dd><a href="{page}?exhausted=true">1</a></dd>' in html
    assert f'href="{page}?outcome=failed">targets</a>' in html
    assert "Each attempt counts once" in html
    assert "Exhausted: done without an answer" in html
    assert "As of <time" in html and ">Refresh</a>" in html


def test_a_bulk_redial_of_the_failed_ones_resets_only_them(alice_page, outdial, worked):
    page = f"/outdials/{outdial.pk}/"
    confirm = alice_page.post(
        page + "targets/bulk/",
        {"action": "redial", "scope": "all", "back": "outcome=failed"},
    ).content.decode()
    assert "whose last outcome is failed" in confirm
    assert "2 will have their try counts reset" in confirm
    alice_page.post(
        page + "targets/bulk/",
        {
            "action": "redial",
            "scope": "all",
            "back": "outcome=failed",
            "confirm": "yes",
        },
    )
    tries = {
        t.name: sum(d.try_count for d in t.destinations.all())
        for t in OutdialTarget.objects.prefetch_related("destinations")
    }
    assert tries == {"Ann": 1, "Bo": 0, "Cy": 1, "Di": 0, "Ed": 0}
    assert OutdialTarget.objects.get(name="Bo").status == "idle"
    assert dialing.summary(outdial)["exhausted"] == 0


def test_the_admin_filters_by_outcome_and_exhausted(alice, outdial, worked):
    client = signed_in(make_staff(alice.customer, "carol"))
    url = admin_url(OutdialTarget)
    failed = client.get(url + "?outcome=failed").content.decode()
    assert "Bo" in failed and "Ed" in failed and "Cy" not in failed
    exhausted = client.get(url + "?exhausted=true").content.decode()
    assert ">Bo<" in exhausted and ">Ed<" not in exhausted
    assert "By last outcome" in failed


def test_the_export_command_takes_the_outcome_filters(outdial, worked, tmp_path):
    path = tmp_path / "failed.csv"
    call_command("export_targets", str(outdial.pk), str(path), "--outcome", "failed")
    assert csv_names(path.read_text(encoding="utf-8")) == ["Bo", "Ed"]
    call_command("export_targets", str(outdial.pk), str(path), "--exhausted", "true")
    assert csv_names(path.read_text(encoding="utf-8")) == ["Bo"]
    with pytest.raises(CommandError, match="outcome"):
        call_command("export_targets", str(outdial.pk), "--outcome", "maybe")


@pytest.mark.parametrize(
    "query",
    [
        "outcome=failed,",
        "outcome=failed,+busy",
        "tries_min=+1",
        "tries_max=1.0",
        "import_batch=0123456789abcdef0123456789abcdef",
    ],
)
def test_a_filter_is_read_as_strictly_as_the_document_says(api, outdial, query):
    response = api.get(f"/v1.0/outdials/{outdial.pk}/targets?{query}")
    assert response.status_code == 400


def test_an_empty_outcome_means_any(api, outdial, worked):
    assert len(names_in(api, outdial, "outcome=")) == 5
