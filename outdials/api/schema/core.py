"""Outdials, targets, access keys and sign-in (SPEC §2, §6)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view

from ...filters import TargetFilter
from .. import target_views, views
from ..dialing_serializers import PolicySerializer
from ..serializers import (
    AccessKeyCreateSerializer,
    AccessKeyUpdateSerializer,
    CampaignSerializer,
    DataSerializer,
    LoginSerializer,
    OutdialCreateSerializer,
    OutdialUpdateSerializer,
    TargetCreateSerializer,
)
from .components import (
    ACCESS_KEY_EXAMPLE,
    ACCESS_KEY_ID,
    AUTHED,
    OUTDIAL_EXAMPLE,
    OUTDIAL_ID,
    PAGING,
    POLICY_EXAMPLE,
    SEED_ACCESS_KEY,
    SEED_OUTDIAL,
    SEED_TARGET,
    TARGET_EXAMPLE,
    TARGET_ID,
    WITH_BODY,
    AccessKeyCreatedOut,
    AccessKeyOut,
    LoginOut,
    LogoutOut,
    OutdialOut,
    PolicyOut,
    TargetOut,
    answers,
    example,
    filter_parameters,
    json_body,
    page_of,
)

OUTDIALS = ["outdials"]
TARGETS = ["outdialtargets"]
ACCESS_KEYS = ["accesskeys"]
AUTH = ["auth"]

extend_schema_view(
    list=extend_schema(
        tags=OUTDIALS,
        summary="List outdials",
        description="The caller's live outdials, newest first.",
        parameters=PAGING,
        responses=answers(page_of(OutdialOut, "Outdial"), 400, *AUTHED),
        examples=[
            example(
                "a page",
                {
                    "result": [SEED_OUTDIAL],
                    "next_page_token": SEED_OUTDIAL["tm_create"],
                },
            )
        ],
    ),
    create=extend_schema(
        tags=OUTDIALS,
        summary="Create an outdial",
        description="Answers 200 (not 201) with the new outdial.",
        request=json_body(OutdialCreateSerializer),
        responses=answers(OutdialOut, *WITH_BODY, *AUTHED),
        examples=[
            example(
                "the seed's outdial",
                {
                    "name": "test outdial",
                    "detail": "outdial for test use.",
                    "data": "test data",
                },
                request=True,
            ),
            OUTDIAL_EXAMPLE,
        ],
    ),
    retrieve=extend_schema(
        tags=OUTDIALS,
        summary="Get an outdial",
        description="A deleted outdial still answers, with `tm_delete` set.",
        parameters=[OUTDIAL_ID],
        responses=answers(OutdialOut, 400, 404, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    update=extend_schema(
        tags=OUTDIALS,
        summary="Change an outdial's name and detail",
        parameters=[OUTDIAL_ID],
        request=json_body(OutdialUpdateSerializer),
        responses=answers(OutdialOut, 404, *WITH_BODY, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    destroy=extend_schema(
        tags=OUTDIALS,
        summary="Delete an outdial",
        description="A soft delete: the answer has `tm_delete` set.",
        parameters=[OUTDIAL_ID],
        responses=answers(OutdialOut, 400, 404, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    campaign_id=extend_schema(
        tags=OUTDIALS,
        summary="Attach an outdial to a campaign",
        parameters=[OUTDIAL_ID],
        request=json_body(CampaignSerializer),
        responses=answers(OutdialOut, 404, *WITH_BODY, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    data=extend_schema(
        tags=OUTDIALS,
        summary="Replace an outdial's data",
        parameters=[OUTDIAL_ID],
        request=json_body(DataSerializer),
        responses=answers(OutdialOut, 404, *WITH_BODY, *AUTHED),
        examples=[OUTDIAL_EXAMPLE],
    ),
    policy=[
        extend_schema(
            methods=["GET"],
            tags=OUTDIALS,
            summary="Get an outdial's dialing policy",
            operation_id="outdials_policy_retrieve",
            description=(
                "The rules claims follow: default maxima, retry delays by "
                "outcome, a daily cap per target, calling hours in each "
                "target's local time and the default time zone. An outdial "
                "never given one has the defaults, which change nothing."
            ),
            parameters=[OUTDIAL_ID],
            responses=answers(PolicyOut, 400, 404, *AUTHED),
            examples=[POLICY_EXAMPLE],
        ),
        extend_schema(
            methods=["PUT"],
            tags=OUTDIALS,
            summary="Change an outdial's dialing policy",
            operation_id="outdials_policy_update",
            description=(
                "Fields left out keep their value. Claims from then on follow "
                "it; a claim's own max_try_count_N still win."
            ),
            parameters=[OUTDIAL_ID],
            request=json_body(PolicySerializer),
            responses=answers(PolicyOut, 404, *WITH_BODY, *AUTHED),
            examples=[POLICY_EXAMPLE],
        ),
    ],
)(views.OutdialViewSet)

extend_schema_view(
    list=extend_schema(
        tags=TARGETS,
        summary="List an outdial's targets",
        description="Live targets, newest first; filters combine with paging.",
        parameters=[OUTDIAL_ID, *PAGING, *filter_parameters(TargetFilter)],
        responses=answers(page_of(TargetOut, "Outdialtarget"), 400, 404, *AUTHED),
        examples=[
            example(
                "a page",
                {"result": [SEED_TARGET], "next_page_token": SEED_TARGET["tm_create"]},
            )
        ],
    ),
    create=extend_schema(
        tags=TARGETS,
        summary="Add a target to an outdial",
        description=(
            "`destination_0` is required, the others optional. Addresses: `tel` "
            "is E.164 (`+` and 2–15 digits, a possible number for its country), "
            "`sip` a `sip:`/`sips:` URI, `email` an address. Answers 200 with "
            "`status: idle` and try counts 0."
        ),
        parameters=[OUTDIAL_ID],
        request=json_body(TargetCreateSerializer),
        responses=answers(TargetOut, 404, *WITH_BODY, *AUTHED),
        examples=[
            example(
                "the seed's target",
                {
                    "name": "test destination 0",
                    "detail": "test detatination 0 detail",
                    "data": "test data",
                    "destination_0": {"type": "tel", "target": "+15559876543"},
                },
                request=True,
            ),
            TARGET_EXAMPLE,
        ],
    ),
    retrieve=extend_schema(
        tags=TARGETS,
        summary="Get a target",
        parameters=[OUTDIAL_ID, TARGET_ID],
        responses=answers(TargetOut, 400, 404, *AUTHED),
        examples=[TARGET_EXAMPLE],
    ),
    destroy=extend_schema(
        tags=TARGETS,
        summary="Delete a target",
        description="A soft delete; a target being dialed answers 409.",
        parameters=[OUTDIAL_ID, TARGET_ID],
        responses=answers(TargetOut, 400, 404, 409, *AUTHED),
        examples=[TARGET_EXAMPLE],
    ),
)(target_views.TargetViewSet)

extend_schema_view(
    list=extend_schema(
        tags=ACCESS_KEYS,
        summary="List access keys",
        parameters=PAGING,
        responses=answers(page_of(AccessKeyOut, "Accesskey"), 400, *AUTHED),
    ),
    create=extend_schema(
        tags=ACCESS_KEYS,
        summary="Create an access key",
        description="`expire` is its validity in seconds. The full key is in "
        "this answer only (`token`); only its hash is stored.",
        request=json_body(AccessKeyCreateSerializer),
        responses=answers(AccessKeyCreatedOut, *WITH_BODY, *AUTHED),
        examples=[
            example(
                "a year's key", {"name": "crm sync", "expire": 31536000}, request=True
            ),
            example(
                "a new key",
                {**SEED_ACCESS_KEY, "token": "odk_Zt3kP0qa" + "x" * 35},
            ),
        ],
    ),
    retrieve=extend_schema(
        tags=ACCESS_KEYS,
        summary="Get an access key",
        parameters=[ACCESS_KEY_ID],
        responses=answers(AccessKeyOut, 400, 404, *AUTHED),
        examples=[ACCESS_KEY_EXAMPLE],
    ),
    update=extend_schema(
        tags=ACCESS_KEYS,
        summary="Change an access key's name and detail",
        parameters=[ACCESS_KEY_ID],
        request=json_body(AccessKeyUpdateSerializer),
        responses=answers(AccessKeyOut, 404, *WITH_BODY, *AUTHED),
        examples=[ACCESS_KEY_EXAMPLE],
    ),
    destroy=extend_schema(
        tags=ACCESS_KEYS,
        summary="Delete an access key",
        description="It stops authenticating at once.",
        parameters=[ACCESS_KEY_ID],
        responses=answers(AccessKeyOut, 400, 404, *AUTHED),
        examples=[ACCESS_KEY_EXAMPLE],
    ),
)(views.AccessKeyViewSet)

extend_schema_view(
    login=extend_schema(
        tags=AUTH,
        summary="Sign in",
        description=(
            "A 7-day login token, in the body and as an HttpOnly cookie `token`. "
            "An unknown username and a wrong password answer alike (401). After "
            f"{settings.OUTDIALS['LOGIN_FAILURES']} failures for one username from one "
            "address within "
            f"{int(settings.OUTDIALS['LOGIN_WINDOW'].total_seconds() // 60)} minutes, "
            "sign-ins for it answer 429 with `Retry-After`, even with the right "
            "password, until the oldest failure is that old. JSON only (a form is "
            "415), and a browser request whose `Origin` is another site's is 403 "
            "`CROSS_ORIGIN`. The answer also sets the `csrftoken` cookie: send its "
            "value as `X-CSRFToken` on writes authenticated by the `token` cookie."
        ),
        request=json_body(LoginSerializer),
        responses={
            **answers(LoginOut, *WITH_BODY, 401, 403, 429),
        },
        examples=[
            example(
                "demo", {"username": "demo", "password": "demo-password"}, request=True
            )
        ],
    ),
    logout=extend_schema(
        tags=AUTH,
        summary="Sign out",
        description=(
            "Ends every login token of the caller's user (the one sent included) "
            "and clears the `token` cookie; access keys are not touched (an access "
            "key answers 400 `NOT_A_LOGIN_TOKEN`: delete it to end it). Signing "
            "out of the staff pages or the admin ends the tokens too."
        ),
        request=None,
        responses=answers(LogoutOut, 400, 403, *AUTHED),
        examples=[example("signed out", {"username": "demo"})],
    ),
)(views.AuthViewSet)
