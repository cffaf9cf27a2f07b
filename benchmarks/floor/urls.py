"""The product's URLs, and the floor at ``/bench-floor/``: its paths mirror
the API's, so a floor URL is ``/bench-floor`` + the API URL."""

from django.urls import path

from outdialsite.urls import handler400, handler500  # noqa: F401
from outdialsite.urls import urlpatterns as product

from . import views

urlpatterns = [
    path("bench-floor/v1.0/outdials", views.outdials),
    path("bench-floor/v1.0/outdials/<uuid:outdial_id>/targets", views.targets),
    path(
        "bench-floor/v1.0/outdials/<uuid:outdial_id>/targets/<uuid:target_id>",
        views.target,
    ),
    *product,  # as the product's root resolves them
]
