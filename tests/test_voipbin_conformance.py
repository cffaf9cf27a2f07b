"""Outdials speaks VoIPbin's wire as VoIPbin's own code does.

Each test names the VoIPbin source it follows: the public repository
voipbin/monorepo at commit 2bf22fa4e87d (2026-08), file and line. Every test
runs in both wire eras (``OUTDIALS_WIRE_TIMES`` = ``seed`` and ``rfc3339``);
CI runs the module on SQLite and on PostgreSQL. Where Outdials is
deliberately safer than VoIPbin, the test says so (and so does the README).
"""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from outdials import dialing, importing, targets
from outdials.models import NIL_UUID, Outdial, OutdialTarget
from outdials.timestamps import SENTINEL
from tests.helpers import assert_error, by_field, tel

SEED_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")
# Go's time.Time in JSON (RFC3339Nano in UTC): trailing fraction zeros dropped.
GO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z")
# VoIPbin's page token: server/outdials.go:107 Format("…05.000000Z").
GO_TOKEN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
AGENT = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


@pytest.fixture(params=["seed", "rfc3339"], autouse=True)
def mode(request, settings):
    settings.OUTDIALS = {**settings.OUTDIALS, "WIRE_TIMES": request.param}
    return request.param


def targets_url(outdial) -> str:
    return f"/v1.0/outdials/{outdial.id}/targets"


def create(api, outdial, **body):
    return api.post(targets_url(outdial), body, format="json")


def unset(mode) -> object:
    return None if mode == "rfc3339" else SENTINEL


# --- times ---------------------------------------------------------------------


def test_times_are_written_in_the_mode_that_is_on(api, mode):
    """bin-outdial-manager/models/outdial/webhook.go:23-25 (TMCreate/TMUpdate/
    TMDelete *time.Time, no omitempty: RFC 3339 or null); the seed's form by
    default."""
    outdial = api.post("/v1.0/outdials", {"name": "x"}, format="json").json()
    assert (outdial["tm_update"], outdial["tm_delete"]) == (unset(mode),) * 2
    target = create(
        api,
        Outdial.objects.get(),
        destination_0={"type": "tel", "target": "+15559876543"},
    ).json()
    if mode == "rfc3339":
        assert GO_TIME.fullmatch(outdial["tm_create"])
        assert GO_TIME.fullmatch(target["tm_create"])
        assert target["tm_delete"] is None
    else:
        assert SEED_TIME.fullmatch(outdial["tm_create"])
        assert target["tm_delete"] == SENTINEL
    assert target["tm_update"] == target["tm_create"]


def test_the_page_token_has_the_modes_form(api, outdial, mode):
    """bin-api-manager/server/outdials.go:104-109 (the last item's tm_create,
    UTC, ``2006-01-02T15:04:05.000000Z``) in rfc3339; the seed's otherwise."""
    targets.create_target(outdial, slots=[tel("+15559876543")])
    token = api.get(targets_url(outdial)).json()["next_page_token"]
    assert (GO_TOKEN if mode == "rfc3339" else SEED_TIME).fullmatch(token)


@pytest.mark.parametrize(
    "form",
    [
        "{:%Y-%m-%d %H:%M:%S.%f}",  # the seed's
        "{:%Y-%m-%dT%H:%M:%S.%fZ}",  # VoIPbin's token (outdials.go:107)
        "{:%Y-%m-%dT%H:%M:%S.%f}+00:00",
        "{:%Y-%m-%dT%H:%M:%S.%f}000Z",  # nanoseconds, as Go may write them
    ],
)
def test_page_tokens_of_either_era_are_read_in_both_modes(api, outdial, form):
    """A client of either era pages with the tokens it knows (SPEC §3/§4)."""
    start = datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=UTC)
    for i in range(3):
        OutdialTarget.objects.create(
            outdial=outdial, name=f"t{i}", tm_create=start + timedelta(seconds=i)
        )
    token = form.format(start + timedelta(seconds=1))
    page = api.get(targets_url(outdial), {"page_token": token}).json()
    assert [t["name"] for t in page["result"]] == ["t0"]
    # A Go time written with trailing zeros dropped (webhook.go's tm_create).
    trimmed = api.get(targets_url(outdial), {"page_token": "2024-05-01T12:00:01.5Z"})
    assert [t["name"] for t in trimmed.json()["result"]] == ["t0"]
    # And the ",<id>" tie-breaker form.
    last = OutdialTarget.objects.get(name="t1")
    tied = f"{form.format(last.tm_create)},{last.pk}"
    assert [
        t["name"]
        for t in api.get(targets_url(outdial), {"page_token": tied}).json()["result"]
    ] == ["t0"]


# --- what a body may say -----------------------------------------------------


@pytest.mark.parametrize("sent", ["testuser@example.com", "sip:testuser@example.com"])
def test_sip_with_or_without_its_scheme(api, outdial, sent):
    """bin-common-handler/models/address/validate.go:57-64 (``user@domain``);
    stored in one form, with the scheme."""
    body = create(api, outdial, destination_0={"type": "sip", "target": sent}).json()
    assert body["destination_0"]["target"] == "sip:testuser@example.com"


def test_unused_slots_as_empty_objects_or_null(api, outdial):
    """bin-api-manager/server/main.go:28-43 binds every slot (``{}`` is an
    empty address) and server/outdials.go:359 counts a slot by its target."""
    body = create(
        api,
        outdial,
        name="n",
        detail="d",
        data="x",
        destination_0={},
        destination_1={"type": "tel", "target": "+15559876543"},
        destination_2=None,
        destination_3={"type": "", "target": ""},
        destination_4={},
    )
    assert body.status_code == 200
    slots = [body.json()[f"destination_{i}"] for i in range(5)]
    assert [slot is not None for slot in slots] == [False, True, False, False, False]


def test_one_filled_slot_is_required(api, outdial):
    """bin-api-manager/server/outdials.go:359-362, its message included."""
    error = assert_error(
        create(api, outdial, destination_0={}, destination_1=None),
        400,
        "INVALID_ARGUMENT",
    )
    assert error["message"] == "At least one destination_N target is required."
    assert not OutdialTarget.objects.exists()


@pytest.mark.parametrize(
    "type_,good,bad",
    [
        ("tel", "+15559876543", "15559876543"),
        ("whatsapp", "+15559876543", "abc"),
        ("email", "ops@example.com", "ops.example.com"),
        ("sip", "alice@pbx.example.com", "alice"),
        ("agent", AGENT, "not-an-id"),
        ("conference", AGENT, str(NIL_UUID)),
        ("extension", AGENT, "1001"),
        ("line", AGENT, "x"),
        ("webchat", AGENT, "x"),
        ("web_session", AGENT, "x"),
        ("ai", AGENT, "x"),
        ("ai_team", AGENT, "x"),
    ],
)
def test_every_address_type_with_its_rule(api, outdial, type_, good, bad):
    """bin-common-handler/models/address/main.go:16-30 (the types) and
    validate.go:23-38 (E.164 for tel/whatsapp, an address for email and sip,
    a UUID for agent, conference, extension, line, webchat, web_session;
    ai/ai_team, which validate.go leaves out, as the ids main.go says)."""
    made = create(api, outdial, destination_2={"type": type_, "target": good})
    assert made.status_code == 200, made.content
    assert made.json()["destination_2"]["type"] == type_
    error = assert_error(
        create(api, outdial, destination_2={"type": type_, "target": bad}),
        400,
        "INVALID_ARGUMENT",
    )
    assert list(by_field(error["details"])) == ["destination_2.target"]


def test_claims_and_the_import_take_every_type(api, outdial):
    """A dialer gets the type and decides (main.go:16-30)."""
    report = importing.import_csv(
        outdial,
        io.BytesIO(
            f"name,destination_0,destination_0_type,destination_1\n"
            f"agent first,{AGENT},agent,+15559876543\n".encode()
        ),
    )
    assert report.created == 1
    (claimed,) = dialing.claim(outdial, max_try_counts=[1] * 5)
    assert (claimed.destination.type, claimed.destination.target) == ("agent", AGENT)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", ""]
)
def test_a_body_is_json_whatever_its_content_type(api, content_type):
    """bin-api-manager/server/outdials.go:27-32 (gin's BindJSON reads the body
    as JSON; a body that is not JSON is INVALID_JSON_BODY)."""
    made = api.generic(
        "POST", "/v1.0/outdials", b'{"name": "typed"}', content_type=content_type
    )
    assert made.json()["name"] == "typed"
    for body in (b"name=x", b""):
        response = api.generic(
            "POST", "/v1.0/outdials", body, content_type=content_type
        )
        assert_error(response, 400, "INVALID_JSON_BODY")
    assert Outdial.objects.count() == 1


# --- errors ----------------------------------------------------------------------


def test_details_are_an_array_of_objects(api, outdial):
    """bin-common-handler/models/errors/voipbin_error.go:35 (``Details
    []map[string]any``) and bin-api-manager/lib/apierror/envelope.go:28-37."""
    error = assert_error(
        create(api, outdial, name=5, destination_0={"type": "tel", "target": "+1"}),
        400,
        "INVALID_ARGUMENT",
    )
    assert isinstance(error["details"], list)
    assert all(isinstance(item, dict) for item in error["details"])
    assert set(by_field(error["details"])) == {"name", "destination_0.target"}


def test_statuses_come_from_voipbins_list_and_a_wrong_method_is_a_route(api):
    """bin-common-handler/models/errors/status.go:26-37 (the closed list) and
    rpc.go:54-77 (1:1 to HTTP); bin-api-manager/server/no_route.go:20-34 (a
    wrong method is ROUTE_NOT_FOUND, as an unknown path is)."""
    for response in (api.patch("/v1.0/outdials"), api.get("/v1.0/nowhere")):
        error = assert_error(response, 404, "ROUTE_NOT_FOUND")
        assert error["message"].startswith("The requested endpoint does not exist.")


def test_the_two_401_reasons(anon):
    """bin-api-manager/lib/middleware/authenticate.go:48 (no credential) and
    :67 (one that is not valid)."""
    assert_error(anon.get("/v1.0/outdials"), 401, "AUTHENTICATION_REQUIRED")
    response = anon.get("/v1.0/outdials", HTTP_AUTHORIZATION="Bearer nope")
    assert_error(response, 401, "INVALID_CREDENTIALS")


def test_a_failed_sign_in_is_401_deliberately(anon, alice):
    """Safer than needed, and said so in the README: a wrong password is 401
    INVALID_CREDENTIALS, never a hint which half was wrong."""
    response = anon.post(
        "/auth/login", {"username": "alice", "password": "wrong"}, format="json"
    )
    assert_error(response, 401, "INVALID_CREDENTIALS")


def test_another_customers_outdial_is_404_deliberately(api, bobs_outdial):
    """VoIPbin answers 403 (bin-api-manager/pkg/servicehandler/outdials.go:
    167-170, ErrPermissionDenied); Outdials answers 404 OUTDIAL_NOT_FOUND, so
    an id never tells whether it exists (README)."""
    for response in (
        api.get(f"/v1.0/outdials/{bobs_outdial.id}"),
        api.delete(f"/v1.0/outdials/{bobs_outdial.id}"),
    ):
        assert_error(response, 404, "OUTDIAL_NOT_FOUND")


# --- ids, paging, DELETE, PUT, campaign_id ------------------------------------


@pytest.mark.parametrize("raw", ["abc", "1.5", "10x"])
def test_a_page_size_that_is_not_a_number_is_a_400(api, outdial, raw):
    """bin-api-manager/gens/openapi_server/gen.go:15227 and server/error.go:
    92-96 (INVALID_REQUEST_PARAMETER, its message)."""
    error = assert_error(
        api.get(targets_url(outdial), {"page_size": raw}),
        400,
        "INVALID_REQUEST_PARAMETER",
    )
    assert error["message"] == 'The parameter "page_size" has an invalid format.'


@pytest.mark.parametrize("raw,size", [("0", 100), ("101", 100), ("-3", 100), ("2", 2)])
def test_a_page_size_out_of_range_is_100(api, outdial, raw, size):
    """bin-api-manager/server/outdials.go:477-484."""
    for i in range(101):
        OutdialTarget.objects.create(
            outdial=outdial,
            tm_create=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
        )
    page = api.get(targets_url(outdial), {"page_size": raw}).json()
    assert len(page["result"]) == size


def test_the_nil_uuid_is_an_invalid_id(api, outdial):
    """bin-api-manager/server/outdials.go:130-134 and 398-402."""
    nil = str(NIL_UUID)
    for path in (f"/v1.0/outdials/{nil}", f"{targets_url(outdial)}/{nil}"):
        error = assert_error(api.get(path), 400, "INVALID_ID")
        assert error["message"].endswith("is not a valid UUID.")


def test_delete_is_idempotent(api, outdial, target):
    """bin-api-manager/pkg/servicehandler/outdials.go:123-141: the outdial is
    read whether deleted or not, then deleted again and answered."""
    first = api.delete(f"/v1.0/outdials/{outdial.id}").json()
    again = api.delete(f"/v1.0/outdials/{outdial.id}")
    assert again.status_code == 200 and again.json() == first
    url = f"{targets_url(outdial)}/{target.id}"
    assert api.delete(url).json() == api.delete(url).json()


def test_put_replaces_name_and_detail(api, outdial):
    """bin-api-manager/server/outdials.go:201-208: both fields are passed on,
    an omitted one as ""."""
    body = api.put(
        f"/v1.0/outdials/{outdial.id}", {"name": "only"}, format="json"
    ).json()
    assert (body["name"], body["detail"]) == ("only", "")


def test_an_empty_campaign_id_is_the_nil_uuid(api, outdial):
    """bin-api-manager/server/outdials.go:247 (uuid.FromStringOrNil)."""
    body = api.put(
        f"/v1.0/outdials/{outdial.id}/campaign_id", {"campaign_id": ""}, format="json"
    ).json()
    assert body["campaign_id"] == str(NIL_UUID)
    # Safer than VoIPbin, which would read "nope" as the nil UUID too.
    assert_error(
        api.put(
            f"/v1.0/outdials/{outdial.id}/campaign_id",
            {"campaign_id": "nope"},
            format="json",
        ),
        400,
        "INVALID_ARGUMENT",
    )


# --- a client that builds its own tokens ---------------------------------------


def test_tokens_built_from_tm_create_see_every_imported_row_once(api, outdial, mode):
    """VoIPbin's documented way to page: the next token is the last item's
    tm_create (server/outdials.go:104-109). Over a 10,000-row import, whose
    targets carry consecutive microseconds in file order, such a client sees
    every row exactly once, newest (the file's last) first."""
    rows = 10_000
    csv = "name,destination_0\n" + "".join(
        f"row {n},+1555{n:07d}\n" for n in range(rows)
    )
    report = importing.import_csv(outdial, io.BytesIO(csv.encode()))
    assert report.created == rows
    seen, token = [], ""
    for _ in range(rows // 100 + 2):
        query = {"page_size": 100, **({"page_token": token} if token else {})}
        page = api.get(targets_url(outdial), query).json()
        if not page["result"]:
            break
        seen += [item["name"] for item in page["result"]]
        token = page["result"][-1]["tm_create"]  # built by the client
    assert seen == [f"row {n}" for n in reversed(range(rows))]


def test_the_document_describes_the_mode_that_is_on(anon, mode):
    """``/v1.0/openapi.json`` types the times as the answers write them."""
    document = anon.get("/v1.0/openapi.json").json()
    outdial = document["components"]["schemas"]["Outdial"]["properties"]
    example = document["paths"]["/v1.0/outdials"]["post"]["responses"]["200"]
    (value,) = [
        e["value"] for e in example["content"]["application/json"]["examples"].values()
    ]
    if mode == "rfc3339":
        assert outdial["tm_delete"]["format"] == "date-time"
        assert outdial["tm_delete"]["nullable"] is True
        assert GO_TIME.fullmatch(value["tm_create"]) and value["tm_delete"] is None
    else:
        assert "format" not in outdial["tm_delete"]
        assert outdial["tm_delete"]["pattern"]
        assert value["tm_delete"] == SENTINEL
