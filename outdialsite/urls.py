from django.contrib import admin
from django.urls import path

from outdials import urls as pages
from outdials.api import urls as api

# On API paths even Django's own 400 and 500 pages answer the error envelope.
handler400 = "outdials.api.errors.bad_request"
# A database that is away answers 503 (outdials.outage) even outside a view.
handler500 = "outdials.outage.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Spread, not include()d: one resolver less on every request.
    *api.urlpatterns,
    *pages.urlpatterns,
]
