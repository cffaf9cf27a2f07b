"""API routes: ``/v1.0/...`` and ``/auth/...``, every endpoint a viewset on
one router; anything else there is a 404 in the envelope. A trailing slash
is accepted everywhere."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from . import (
    export_views,
    import_views,
    schema,
    suppression_views,
    target_views,
    views,
)

OUTDIAL = "outdials/(?P<outdial_pk>[^/]+)"

router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor only knows "/" or ""
router.register("outdials", views.OutdialViewSet, basename="outdial")
router.register(f"{OUTDIAL}/targets", target_views.TargetViewSet, basename="target")
router.register(f"{OUTDIAL}/imports", import_views.ImportViewSet, basename="import")
router.register(f"{OUTDIAL}/exports", export_views.ExportViewSet, basename="export")
router.register("accesskeys", views.AccessKeyViewSet, basename="accesskey")
router.register(
    "suppressions", suppression_views.SuppressionListViewSet, basename="suppression"
)

auth_router = SimpleRouter()
auth_router.trailing_slash = "/?"
auth_router.register("auth", views.AuthViewSet, basename="auth")

# Routes spread rather than included: each level of include() is one more
# resolver and match object on every request.
v1_patterns = [
    *router.urls,
    re_path(r"^openapi\.json$", schema.document_view, name="openapi"),
    re_path(r"^docs/?$", schema.swagger_view, name="api-docs"),
    re_path(r"^redoc/?$", schema.redoc_view, name="api-redoc"),
    re_path(r"^(?P<path>.*)$", views.unknown),
]


def _under(prefix: str, patterns: list) -> list:
    """``patterns`` (regular expressions) each matched under ``prefix`` at
    the top level, as ``include()`` would match them one level down."""
    return [
        re_path(
            prefix + str(pattern.pattern).removeprefix("^"),
            pattern.callback,
            kwargs=pattern.default_args,
            name=pattern.name,
        )
        for pattern in patterns
    ]


urlpatterns = [
    *_under(r"^v1\.0/", v1_patterns),
    *auth_router.urls,
    re_path(r"^(?P<path>(?:v1\.0|auth)(?:/.*)?)$", views.unknown),
]
