"""API routes: ``/v1.0/...`` and ``/auth/...``; anything else there is a 404
in the envelope. A trailing slash is accepted everywhere."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from . import dialing_views, import_views, schema, views

router = SimpleRouter()
router.trailing_slash = "/?"  # the constructor only knows "/" or ""
router.register("outdials", views.OutdialViewSet, basename="outdial")
router.register("accesskeys", views.AccessKeyViewSet, basename="accesskey")

OUTDIAL = r"^outdials/(?P<outdial_pk>[^/]+)"
TARGET = OUTDIAL + r"/targets/(?P<pk>[^/]+)"

v1_patterns = [
    re_path(OUTDIAL + r"/claim/?$", dialing_views.claim, name="outdial-claim"),
    re_path(
        OUTDIAL + r"/available/?$", dialing_views.available, name="outdial-available"
    ),
    re_path(OUTDIAL + r"/summary/?$", dialing_views.summary, name="outdial-summary"),
    re_path(TARGET + r"/result/?$", dialing_views.result, name="target-result"),
    re_path(
        TARGET + r"/eligibility/?$",
        dialing_views.eligibility,
        name="target-eligibility",
    ),
    re_path(TARGET + r"/attempts/?$", dialing_views.attempts, name="target-attempts"),
    re_path(TARGET + r"/status/?$", dialing_views.status, name="target-status"),
    re_path(
        OUTDIAL + r"/targets/?$",
        views.TargetViewSet.as_view({"get": "list", "post": "create"}),
        name="target-list",
    ),
    # Before target-detail, whose TARGET pattern would take "import"/"export".
    re_path(
        OUTDIAL + r"/targets/import/?$",
        import_views.ImportView.as_view(),
        name="target-import",
    ),
    re_path(
        OUTDIAL + r"/targets/export/?$",
        import_views.ExportView.as_view(),
        name="target-export",
    ),
    re_path(
        OUTDIAL + r"/imports/?$", import_views.ImportListView.as_view(), name="imports"
    ),
    re_path(
        OUTDIAL + r"/imports/(?P<pk>[^/]+)/?$",
        import_views.ImportDetailView.as_view(),
        name="import-detail",
    ),
    re_path(
        TARGET + r"/?$",
        views.TargetViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="target-detail",
    ),
    path("", include(router.urls)),
    re_path(r"^openapi\.json$", schema.document_view, name="openapi"),
    re_path(r"^docs/?$", schema.swagger_view, name="api-docs"),
    re_path(r"^redoc/?$", schema.redoc_view, name="api-redoc"),
    re_path(r"^(?P<path>.*)$", views.unknown),
]

urlpatterns = [
    path("v1.0/", include(v1_patterns)),
    re_path(r"^auth/login/?$", views.login, name="login"),
    re_path(r"^auth/logout/?$", views.logout, name="api-logout"),
    re_path(r"^(?P<path>(?:v1\.0|auth)(?:/.*)?)$", views.unknown),
]
