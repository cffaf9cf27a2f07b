"""Staff pages."""

from django.urls import path

from . import suppression_pages, views
from .signin import ThrottledLoginView

OUTDIAL = "outdials/<uuid:pk>/"
TARGET = OUTDIAL + "targets/<uuid:target_pk>/"

urlpatterns = [
    path("accounts/login/", ThrottledLoginView.as_view(), name="login-page"),
    path("accounts/logout/", views.sign_out, name="logout"),
    path("", views.home, name="home"),
    path("outdials/", views.outdial_list, name="outdial-list"),
    path("outdials/new/", views.outdial_new, name="outdial-new"),
    path(OUTDIAL, views.outdial_detail, name="outdial"),
    path(OUTDIAL + "targets/new/", views.target_new, name="target-new"),
    path(OUTDIAL + "targets/bulk/", views.targets_bulk, name="targets-bulk"),
    path(OUTDIAL + "jobs/<uuid:job_pk>/", views.targets_job, name="targets-job"),
    path(
        OUTDIAL + "jobs/<uuid:job_pk>/cancel/",
        views.targets_job_cancel,
        name="targets-job-cancel",
    ),
    path(
        OUTDIAL + "jobs/<uuid:job_pk>/targets.csv",
        views.targets_job_file,
        name="targets-job-file",
    ),
    path(TARGET, views.target_detail, name="target"),
    path(TARGET + "delete/", views.target_delete, name="target-delete"),
    path(TARGET + "reopen/", views.target_reopen, name="target-reopen"),
    path(TARGET + "callback/", views.target_callback, name="target-callback"),
    path(OUTDIAL + "policy/", views.outdial_policy, name="outdial-policy"),
    path(OUTDIAL + "upload/", views.upload, name="upload"),
    path(OUTDIAL + "imports/<uuid:batch_pk>/", views.import_detail, name="import"),
    path(
        OUTDIAL + "imports/<uuid:batch_pk>/cancel/",
        views.import_cancel,
        name="import-cancel",
    ),
    path(
        OUTDIAL + "upload/<uuid:upload_pk>/",
        views.upload_review,
        name="upload-review",
    ),
    path(
        OUTDIAL + "imports/<uuid:batch_pk>/undo/", views.import_undo, name="import-undo"
    ),
    path(OUTDIAL + "export.csv", views.export, name="export"),
    # Suppression lists (issue 16).
    path("suppressions/", suppression_pages.suppression_lists, name="suppressions"),
    path(
        "suppressions/<uuid:pk>/",
        suppression_pages.suppression_detail,
        name="suppression",
    ),
    path(
        "suppressions/<uuid:pk>/add/",
        suppression_pages.suppression_add,
        name="suppression-add",
    ),
    path(
        "suppressions/<uuid:pk>/entries/<int:entry_pk>/remove/",
        suppression_pages.suppression_remove,
        name="suppression-remove",
    ),
    path(
        "suppressions/<uuid:pk>/delete/",
        suppression_pages.suppression_delete,
        name="suppression-delete",
    ),
    path(
        "suppressions/<uuid:pk>/deletion/",
        suppression_pages.suppression_deletion,
        name="suppression-deletion",
    ),
    path(
        "suppressions/<uuid:pk>/upload/",
        suppression_pages.suppression_upload,
        name="suppression-upload-new",
    ),
    path(
        "suppressions/<uuid:pk>/uploads/<uuid:upload_pk>/",
        suppression_pages.suppression_upload_detail,
        name="suppression-upload",
    ),
    path(
        "suppressions/<uuid:pk>/entries.csv",
        suppression_pages.suppression_export,
        name="suppression-export",
    ),
]
