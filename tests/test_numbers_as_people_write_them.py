"""Numbers as people write them: an outdial's country reads the national
numbers a person types on the pages and in the admin, and shows numbers in
the national form of that country (international otherwise), the stored
E.164 on hover. The API keeps taking E.164 only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from outdials import targets, validators
from outdials.models import Destination, Outdial, OutdialTarget
from tests.helpers import make_staff, messages_of, signed_in, slot_rows, tel
from tests.test_pages_targets import slot_form
from tests.test_pages_upload import stage


@pytest.fixture
def london(alice) -> Outdial:
    return Outdial.objects.create(customer=alice.customer, name="London", region="GB")


@pytest.mark.parametrize(
    "typed", ["(201) 815-9084", "201-815-9084", "+1 201 815 9084", "2018159084"]
)
def test_it_reads_a_us_number_however_it_is_written(typed):
    assert validators.read_tel(typed, "US") == "+12018159084"


def test_it_reads_a_national_number_in_the_country_given():
    assert validators.read_tel("020 7946 0958", "GB") == "+442079460958"
    assert validators.read_tel("+1 (201) 815-9084", "GB") == "+12018159084"


def test_it_reads_00_as_abroad_where_the_country_finds_no_number():
    assert validators.read_tel("0044 20 7946 0958", "US") == "+442079460958"
    assert validators.read_tel("00 33 1 42 68 53 00", "US") == "+33142685300"
    # each country's own way abroad, as before
    assert validators.read_tel("0044 20 7946 0958", "DE") == "+442079460958"
    assert validators.read_tel("011 44 20 7946 0958", "US") == "+442079460958"
    # where nothing reads, the default country's reason is given
    with pytest.raises(ValidationError) as refused:
        validators.read_tel("0044 12", "US")
    assert refused.value.messages == ["0044 12 is too short for its country code."]


def test_it_refuses_what_is_not_a_number_in_the_shared_words():
    with pytest.raises(ValidationError) as refused:
        validators.read_tel("815-90", "US")
    assert refused.value.messages == ["815-90 is too short for its country code."]


def test_it_shows_a_number_nationally_at_home_and_internationally_abroad():
    assert validators.format_tel("+12018159084", "US") == "(201) 815-9084"
    assert validators.format_tel("+442079460958", "US") == "+44 20 7946 0958"
    assert validators.format_tel("+442079460958", "GB") == "020 7946 0958"


def test_a_new_outdial_takes_the_default_country(alice, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "DEFAULT_REGION": "de"}
    outdial = Outdial.objects.create(customer=alice.customer, name="Berlin")
    assert outdial.region == "DE"


def test_the_outdial_page_shows_its_country_and_changes_it(alice_page, outdial):
    url = f"/outdials/{outdial.pk}/"
    html = alice_page.get(url).content.decode()
    assert "<dt>Country</dt><dd>US " in html
    assert '<option value="US" selected>US (+1)</option>' in html
    response = alice_page.post(url, {"name": outdial.name, "region": "GB"})
    assert response.status_code == 302
    assert messages_of(response) == ["Saved the outdial."]
    outdial.refresh_from_db()
    assert outdial.region == "GB"
    refused = alice_page.post(url, {"name": outdial.name, "region": "XX"})
    assert refused.status_code == 200
    assert "Select a valid choice. XX is not one of the available choices." in (
        refused.content.decode()
    )
    outdial.refresh_from_db()
    assert outdial.region == "GB"


def test_a_new_outdial_from_the_page_gets_the_country_chosen(alice_page, alice):
    response = alice_page.post("/outdials/new/", {"name": "Paris", "region": "FR"})
    assert response.status_code == 302
    assert Outdial.objects.get(name="Paris").region == "FR"


def test_a_number_typed_nationally_on_the_target_page_is_stored_in_e164(
    alice_page, outdial
):
    target = targets.create_target(outdial, name="Ann", slots=[tel("+15559876543")])
    url = f"/outdials/{outdial.pk}/targets/{target.pk}/"
    response = alice_page.post(url, slot_form(name="Ann", target_0="(201) 815-9084"))
    assert response.status_code == 302
    assert messages_of(response) == ["Saved the target."]
    assert Destination.objects.get(outdial_target=target, index=0).target == (
        "+12018159084"
    )
    html = alice_page.get(url).content.decode()
    assert '<span class="tel" title="+12018159084">(201) 815-9084</span>' in html
    assert 'value="(201) 815-9084"' in html
    assert 'Dialed as <span class="cell-mono">+12018159084</span>' in html


def test_adding_a_target_reads_numbers_in_the_outdials_country(alice_page, london):
    response = alice_page.post(
        f"/outdials/{london.pk}/targets/new/",
        slot_form(name="Ann", target_0="020 7946 0958", target_1="+1 201 815 9084"),
    )
    assert response.status_code == 302
    ann = OutdialTarget.objects.get(name="Ann")
    assert [d.target for d in ann.slots() if d] == ["+442079460958", "+12018159084"]
    html = alice_page.get(f"/outdials/{london.pk}/").content.decode()
    assert '<span class="tel" title="+442079460958">020 7946 0958</span>' in html


def test_a_bad_number_typed_on_the_page_keeps_the_shared_message(alice_page, outdial):
    response = alice_page.post(
        f"/outdials/{outdial.pk}/targets/new/", slot_form(name="Ann", target_0="815")
    )
    assert response.status_code == 200
    assert "815 is too short for its country code." in response.content.decode()
    assert not OutdialTarget.objects.exists()


def test_numbers_of_another_country_show_internationally(alice_page, outdial):
    targets.create_target(outdial, name="Cy", slots=[tel("+442079460958")])
    html = alice_page.get(f"/outdials/{outdial.pk}/").content.decode()
    assert '<span class="tel" title="+442079460958">+44 20 7946 0958</span>' in html


def test_the_upload_defaults_to_the_outdials_country(alice_page, london):
    review = stage(alice_page, london, "name,phone\nAnn,020 7946 0958\n")
    html = alice_page.get(review).content.decode()
    assert '<option value="GB" selected>GB (+44)</option>' in html
    assert "+442079460958" in html  # the preview read it as a GB number


def test_the_admin_reads_national_numbers_in_the_outdials_country(alice, london):
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    response = client.post(
        reverse("admin:outdials_outdialtarget_add"),
        {"outdial": str(london.pk), "name": "carol", "detail": "", "data": ""}
        | slot_rows([(0, "tel", "020 7946 0958")]),
    )
    assert response.status_code == 302
    carol = OutdialTarget.objects.get(name="carol")
    assert carol.slots()[0].target == "+442079460958"


def test_the_admin_edits_an_outdials_country(alice, outdial):
    client = signed_in(make_staff(alice.customer, "alice-ops"))
    url = reverse("admin:outdials_outdial_change", args=[outdial.pk])
    html = client.get(url).content.decode()
    assert '<option value="US" selected>US (+1)</option>' in html
    response = client.post(
        url, {"name": outdial.name, "detail": "", "data": "", "region": "GB"}
    )
    assert response.status_code == 302
    outdial.refresh_from_db()
    assert outdial.region == "GB"


def test_the_api_still_takes_e164_only(api, outdial):
    response = api.post(
        f"/v1.0/outdials/{outdial.pk}/targets",
        {"destination_0": {"type": "tel", "target": "(201) 815-9084"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "destination_0.target: must be an E.164 number starting with '+', "
        "e.g. +15559876543."
    )
