"""The replays API, included from ``config/urls.py`` into ``/api/v1/`` (namespace ``api``)."""

from __future__ import annotations

from django.urls import path

from community.contract.replay import api

urlpatterns = [
    path("replays/", api.ReplayListView.as_view(), name="replays"),
    path("replays/<int:pk>/", api.ReplayDetailView.as_view(), name="replay-detail"),
]
