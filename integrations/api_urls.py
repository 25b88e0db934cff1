from __future__ import annotations

from django.urls import path

from integrations import api

urlpatterns = [
    path("identities/", api.IdentityUpsertView.as_view(), name="identities"),
    path("spaces/", api.SpaceListView.as_view(), name="spaces"),
]
