from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import ops

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

api_v1 = [
    path("", include("community.api_urls")),
    path("", include("community.contract.releases.api_urls")),
    path("", include("community.contract.api_urls")),
    path("", include("community.contract.replay.api_urls")),
    path("", include("incidents.api_urls")),
    path("", include("incidents.gamedays.api_urls")),
    path("", include("incidents.postmortems.circle.api_urls")),
    path("", include("incidents.postmortems.api_urls")),
    path("", include("budgets.api_urls")),
    path("", include("integrations.api_urls")),
    path("", include("boards.api_urls")),
]


urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("community.account_urls")),
    path("api/v1/", include((api_v1, "api"))),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[], authentication_classes=[]),
        name="schema",
    ),
    path(
        "api/docs/",
        # The split view serves its start-up script as a file: no inline script under the CSP.
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", permission_classes=[], authentication_classes=[]
        ),
        name="api-docs",
    ),
    path("", include("incidents.urls")),
    # The circle before the document: the document's "postmortems/<pk>/<verb>/" would take
    # "postmortems/<pk>/circle/" for a verb.
    path("", include("incidents.gamedays.urls")),
    path("", include("incidents.postmortems.circle.urls")),
    path("", include("incidents.postmortems.urls")),
    path("", include("budgets.urls")),
    path("", include("integrations.urls")),
    path("", include("community.contract.replay.urls")),
    path("", include("boards.urls")),
    path("", include("community.contract.releases.urls")),
    path("", include("community.contract.urls")),
    path("", include("community.urls")),
]
