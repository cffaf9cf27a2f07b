"""Mounted at ``/bench-floor/`` only when ``OUTDIALS_BENCH_FLOOR`` is on; the
paths mirror the API's, so a floor URL is ``/bench-floor`` + the API URL."""

from django.urls import path

from . import views

urlpatterns = [
    path("v1.0/outdials", views.outdials),
    path("v1.0/outdials/<uuid:outdial_id>/targets", views.targets),
    path("v1.0/outdials/<uuid:outdial_id>/targets/<uuid:target_id>", views.target),
]
