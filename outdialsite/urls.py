from django.contrib import admin
from django.urls import include, path

# On API paths even Django's own 400 and 500 pages answer the error envelope.
handler400 = "outdials.api.errors.bad_request"
# A database that is away answers 503 (outdials.outage) even outside a view.
handler500 = "outdials.outage.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("outdials.api.urls")),
    path("", include("outdials.urls")),
]
