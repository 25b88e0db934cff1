"""Pages of replays, included from ``config/urls.py`` under the ``replay`` namespace."""

from __future__ import annotations

from django.urls import path

from community.contract.replay import views

app_name = "replay"

urlpatterns = [
    path("c/<slug:slug>/contract/replays/", views.replay_list, name="list"),
    path("c/<slug:slug>/contract/replays/new/", views.replay_new, name="new"),
    path("c/<slug:slug>/contract/replays/<int:pk>/", views.replay_detail, name="detail"),
    path(
        "c/<slug:slug>/contract/replays/<int:pk>/dismiss/",
        views.replay_dismiss,
        name="dismiss",
    ),
    path(
        "c/<slug:slug>/contract/clauses/<int:pk>/replay/",
        views.replay_start,
        name="start",
    ),
]
