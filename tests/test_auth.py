"""``/auth/login`` and the three credential carriers (SPEC §6)."""

import time
import uuid
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone

from outdials import credentials
from outdials.models import Customer, Outdial, User
from tests.helpers import PASSWORD, assert_error, by_field, without_request_id

# VoIPbin's two 401 reasons (bin-api-manager/lib/middleware/authenticate.go).
UNAUTHENTICATED = {
    "AUTHENTICATION_REQUIRED": "Authentication is required.",
    "INVALID_CREDENTIALS": "The provided credentials are invalid.",
}


def login(client, username="alice", password=PASSWORD):
    return client.post(
        "/auth/login", {"username": username, "password": password}, format="json"
    )


def claims_for(user, **changes) -> dict:
    now = int(time.time())
    claims = {
        "sub": str(user.pk),
        "iat": now,
        "exp": now + 3600,
        "pwd": credentials._password_fingerprint(user),
        "ver": user.token_version,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


def assert_unauthenticated(response, reason: str = "INVALID_CREDENTIALS"):
    error = assert_error(response, 401, reason)
    assert error["message"] == UNAUTHENTICATED[reason]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.fixture
def alices_outdial(alice):
    return Outdial.objects.create(customer=alice.customer, name="alice's list")


@pytest.fixture
def bobs_list(bob):
    return Outdial.objects.create(customer=bob.customer, name="bob's list")


def names_seen(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["result"]]


# --- login ------------------------------------------------------------------


def test_login_answers_a_seven_day_token_and_sets_a_cookie(anon, alice):
    response = login(anon)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["username", "token"]
    assert body["username"] == "alice"
    claims = jwt.decode(body["token"], settings.SECRET_KEY, algorithms=["HS256"])
    assert claims["sub"] == str(alice.user.pk)
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
    assert abs(claims["iat"] - time.time()) < 60
    cookie = response.cookies["token"]
    assert cookie.value == body["token"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 7 * 24 * 3600
    assert cookie["path"] == "/"


def test_the_login_token_works_in_every_carrier(anon, alice, alices_outdial):
    token = login(anon).json()["token"]
    assert names_seen(anon.get("/v1.0/outdials")) == ["alice's list"]  # cookie
    anon.cookies.clear()
    assert_unauthenticated(anon.get("/v1.0/outdials"), "AUTHENTICATION_REQUIRED")
    assert names_seen(anon.get("/v1.0/outdials", {"token": token})) == ["alice's list"]
    assert names_seen(
        anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {token}")
    ) == ["alice's list"]


def test_wrong_password_and_unknown_user_answer_alike(anon, alice):
    wrong_password = login(anon, "alice", "not the password")
    unknown_user = login(anon, "nobody", "not the password")
    error = assert_error(wrong_password, 401, "INVALID_CREDENTIALS")
    assert error["message"] == "The username or password is not right."
    assert_error(unknown_user, 401, "INVALID_CREDENTIALS")
    assert without_request_id(wrong_password) == without_request_id(unknown_user)
    assert dict(wrong_password.cookies) == dict(unknown_user.cookies) == {}
    assert wrong_password["WWW-Authenticate"] == unknown_user["WWW-Authenticate"]


def test_an_inactive_user_cannot_log_in(anon, alice):
    User.objects.filter(pk=alice.user.pk).update(is_active=False)
    response = login(anon)
    assert_error(response, 401, "INVALID_CREDENTIALS")
    assert "token" not in response.cookies


def test_a_user_without_a_customer_cannot_use_the_api(anon, db):
    operator = User(username="root", is_staff=True, is_superuser=True)
    operator.set_password(PASSWORD)
    operator.save()
    response = login(anon, "root")
    error = assert_error(response, 403, "NO_CUSTOMER", "PERMISSION_DENIED")
    assert error["message"] == "This account belongs to no customer; use the admin."
    assert "token" not in response.cookies
    token = credentials.issue_token(operator)
    assert_unauthenticated(anon.get("/v1.0/outdials", {"token": token}))


@pytest.mark.parametrize(
    "payload,details",
    [
        (
            {},
            {
                "username": ["This field is required."],
                "password": ["This field is required."],
            },
        ),
        ({"username": "alice"}, {"password": ["This field is required."]}),
        ({"username": 5, "password": PASSWORD}, {"username": ["must be a string."]}),
        (
            {"username": "alice", "password": None},
            {"password": ["This field may not be null."]},
        ),
        (
            {"username": "", "password": PASSWORD},
            {"username": ["This field may not be blank."]},
        ),
        (
            {"username": "a" * 151, "password": PASSWORD},
            {"username": ["Ensure this field has no more than 150 characters."]},
        ),
    ],
)
def test_login_rejects_bad_input(anon, alice, payload, details):
    response = anon.post("/auth/login", payload, format="json")
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert by_field(error["details"]) == details


def test_login_rejects_malformed_json(anon, alice):
    response = anon.post(
        "/auth/login", b'{"username": "alice",', content_type="application/json"
    )
    assert_error(response, 400, "INVALID_JSON_BODY")


def test_login_refuses_a_form_post_as_not_json(anon, alice):
    """Bodies are JSON whatever their Content-Type says (SPEC §2): a form
    signs nobody in and sets no cookie."""
    response = anon.post("/auth/login", {"username": "alice", "password": PASSWORD})
    assert_error(response, 400, "INVALID_JSON_BODY")
    assert "token" not in response.cookies


def test_login_only_takes_post(anon, alice):
    for method in ("get", "put", "delete"):
        response = getattr(anon, method)("/auth/login")
        assert_error(response, 404, "ROUTE_NOT_FOUND")


def test_login_needs_no_credentials_and_ignores_bad_ones(anon, alice):
    anon.cookies["token"] = "garbage"
    response = anon.post(
        "/auth/login?token=garbage",
        {"username": "alice", "password": PASSWORD},
        format="json",
        HTTP_AUTHORIZATION="Bearer garbage",
    )
    assert response.status_code == 200


# --- carriers and their order -----------------------------------------------


def test_no_credential_is_a_401(anon, alice):
    for path in (
        "/v1.0/outdials",
        f"/v1.0/outdials/{uuid.uuid4()}",
        "/v1.0/accesskeys",
    ):
        assert_unauthenticated(anon.get(path), "AUTHENTICATION_REQUIRED")
    assert_unauthenticated(
        anon.post("/v1.0/outdials", {"name": "x"}, format="json"),
        "AUTHENTICATION_REQUIRED",
    )
    assert not Outdial.objects.exists()


def test_each_carrier_authenticates(anon, alice, alices_outdial):
    _, key = credentials.new_access_key(alice.customer, "k", "", 3600)
    token = alice.token
    carriers = [
        ({"cookies": {"token": token}}),
        ({"cookies": {"accesskey": key}}),
        ({"query": {"token": token}}),
        ({"query": {"accesskey": key}}),
        ({"header": f"Bearer {token}"}),
        ({"header": f"Bearer {key}"}),
        ({"header": f"bearer {token}"}),
    ]
    for carrier in carriers:
        anon.cookies.clear()
        for name, value in carrier.get("cookies", {}).items():
            anon.cookies[name] = value
        extra = {}
        if "header" in carrier:
            extra["HTTP_AUTHORIZATION"] = carrier["header"]
        response = anon.get("/v1.0/outdials", carrier.get("query", {}), **extra)
        assert names_seen(response) == ["alice's list"], carrier


def test_an_explicit_credential_comes_before_a_cookie(
    anon, alice, bob, alices_outdial, bobs_list
):
    """Changed from the seed (cookie first): a cookie planted by another site
    must not capture a client's own calls."""
    anon.cookies["token"] = alice.token
    response = anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=bob.bearer)
    assert names_seen(response) == ["bob's list"]
    response = anon.get("/v1.0/outdials", {"token": bob.token})
    assert names_seen(response) == ["bob's list"]
    assert names_seen(anon.get("/v1.0/outdials")) == ["alice's list"]


def test_the_query_comes_before_the_header(anon, alice, bob, alices_outdial, bobs_list):
    response = anon.get(
        "/v1.0/outdials", {"token": alice.token}, HTTP_AUTHORIZATION=bob.bearer
    )
    assert names_seen(response) == ["alice's list"]
    _, key = credentials.new_access_key(bob.customer, "k", "", 3600)
    response = anon.get(
        "/v1.0/outdials", {"accesskey": key}, HTTP_AUTHORIZATION=alice.bearer
    )
    assert names_seen(response) == ["bob's list"]


def test_a_cookie_token_comes_before_a_cookie_access_key(
    anon, alice, bob, alices_outdial, bobs_list
):
    _, key = credentials.new_access_key(bob.customer, "k", "", 3600)
    anon.cookies["accesskey"] = key
    anon.cookies["token"] = alice.token
    assert names_seen(anon.get("/v1.0/outdials")) == ["alice's list"]


def test_the_first_credential_decides_even_when_bad(anon, alice, alices_outdial):
    """A bad credential is never silently replaced by a later one."""
    anon.cookies["token"] = alice.token
    assert_unauthenticated(
        anon.get("/v1.0/outdials", HTTP_AUTHORIZATION="Bearer expired-or-garbage")
    )
    anon.cookies.clear()
    assert_unauthenticated(
        anon.get(
            "/v1.0/outdials", {"token": "garbage"}, HTTP_AUTHORIZATION=alice.bearer
        )
    )


def test_empty_carriers_are_skipped(anon, alice, alices_outdial):
    anon.cookies["token"] = ""
    response = anon.get(
        "/v1.0/outdials",
        {"token": "", "accesskey": ""},
        HTTP_AUTHORIZATION=alice.bearer,
    )
    assert names_seen(response) == ["alice's list"]


@pytest.mark.parametrize(
    "header", ["Basic YWxpY2U6cGFzc3dvcmQ=", "Bearer", "Bearer   ", "Token abc"]
)
def test_other_authorization_schemes_do_not_authenticate(anon, alice, header):
    assert_unauthenticated(
        anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=header), "AUTHENTICATION_REQUIRED"
    )


# --- bad tokens -------------------------------------------------------------


def test_an_expired_token_is_refused(anon, alice):
    past = int(time.time()) - 3600
    token = jwt.encode(
        claims_for(alice.user, iat=past - 7 * 24 * 3600, exp=past),
        settings.SECRET_KEY,
        algorithm="HS256",
    )
    assert credentials.user_for_token(token) is None
    assert_unauthenticated(anon.get("/v1.0/outdials", {"token": token}))


def test_a_token_is_good_until_its_exp(anon, alice):
    now = int(time.time())
    week = 7 * 24 * 3600
    almost = jwt.encode(
        claims_for(alice.user, iat=now - week + 60, exp=now + 60),
        settings.SECRET_KEY,
        "HS256",
    )
    just_over = jwt.encode(
        claims_for(alice.user, iat=now - week - 1, exp=now - 1),
        settings.SECRET_KEY,
        "HS256",
    )
    assert credentials.user_for_token(almost) == alice.user
    assert credentials.user_for_token(just_over) is None


def test_a_tampered_token_is_refused(anon, alice, bob, alices_outdial):
    header, payload, signature = alice.token.split(".")
    bobs_header, bobs_payload, _ = bob.token.split(".")
    swapped = f"{header}.{bobs_payload}.{signature}"
    # The second-to-last character carries only signature bits (the last one
    # also holds base64 padding bits that decoders may ignore).
    other = "A" if signature[-2] != "A" else "B"
    flipped = f"{header}.{payload}.{signature[:-2]}{other}{signature[-1]}"
    for token in (swapped, flipped, alice.token[:-5], alice.token + "x"):
        assert_unauthenticated(anon.get("/v1.0/outdials", {"token": token}))


def test_an_alg_none_token_is_refused(anon, alice):
    token = jwt.encode(claims_for(alice.user), None, algorithm="none")
    assert token.endswith(".")
    assert_unauthenticated(
        anon.get("/v1.0/outdials", HTTP_AUTHORIZATION=f"Bearer {token}")
    )


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_a_token_signed_with_another_secret_or_algorithm_is_refused(anon, alice):
    claims = claims_for(alice.user)
    for token in (
        jwt.encode(claims, "another secret, long enough for HS256 keys..", "HS256"),
        jwt.encode(claims, settings.SECRET_KEY, "HS512"),
    ):
        assert_unauthenticated(anon.get("/v1.0/outdials", {"token": token}))


@pytest.mark.parametrize(
    "changes",
    [
        {"pwd": None},
        {"exp": None},
        {"sub": None},
        {"sub": "not-a-uuid"},
        {"sub": str(uuid.uuid4())},
        {"pwd": "0123456789abcdef"},
        {"exp": "tomorrow"},
    ],
)
def test_a_token_with_bad_claims_is_refused(anon, alice, changes):
    token = jwt.encode(claims_for(alice.user, **changes), settings.SECRET_KEY, "HS256")
    assert_unauthenticated(anon.get("/v1.0/outdials", {"token": token}))


def test_a_password_change_ends_older_tokens(anon, alice, alices_outdial):
    old = alice.token
    assert names_seen(anon.get("/v1.0/outdials", {"token": old})) == ["alice's list"]
    alice.user.set_password("a brand new password 123")
    alice.user.save()
    assert_unauthenticated(anon.get("/v1.0/outdials", {"token": old}))
    new = login(anon, password="a brand new password 123").json()["token"]
    anon.cookies.clear()
    assert names_seen(anon.get("/v1.0/outdials", {"token": new})) == ["alice's list"]


def test_an_inactive_or_deleted_users_token_is_refused(anon, alice, bob):
    User.objects.filter(pk=alice.user.pk).update(is_active=False)
    assert_unauthenticated(anon.get("/v1.0/outdials", {"token": alice.token}))
    bob.user.delete()
    assert_unauthenticated(anon.get("/v1.0/outdials", {"token": bob.token}))


def test_the_token_speaks_for_the_users_current_customer(anon, alice):
    other = Customer.objects.create(name="new employer")
    Outdial.objects.create(customer=other, name="theirs")
    User.objects.filter(pk=alice.user.pk).update(customer=other)
    assert names_seen(anon.get("/v1.0/outdials", {"token": alice.token})) == ["theirs"]


def test_a_login_token_in_the_accesskey_carrier_is_refused(anon, alice):
    assert_unauthenticated(anon.get("/v1.0/outdials", {"accesskey": alice.token}))


def test_an_overlong_credential_is_refused(anon, alice):
    assert_unauthenticated(
        anon.get("/v1.0/outdials", {"accesskey": "odk_" + "a" * 5000})
    )
    assert_unauthenticated(anon.get("/v1.0/outdials", {"token": "a" * 5000}))


def test_the_caller_label_names_who_is_calling(alice):
    _, key = credentials.new_access_key(alice.customer, "k", "", 3600)
    access_key = credentials.access_key_for(key)
    assert credentials.Caller(alice.customer, user=alice.user).label == "alice"
    assert (
        credentials.Caller(alice.customer, access_key=access_key).label
        == f"access key {access_key.token_prefix}"
    )
    assert credentials.Caller(alice.customer).label == ""


def test_access_keys_expire(alice):
    access_key, key = credentials.new_access_key(alice.customer, "k", "", 3600)
    assert credentials.access_key_for(key) == access_key
    access_key.tm_expire = timezone.now() - timedelta(seconds=1)
    access_key.save()
    assert credentials.access_key_for(key) is None
