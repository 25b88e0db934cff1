"""Pages of contract releases, included from ``config/urls.py`` (namespace ``releases``)."""

from __future__ import annotations

from django.urls import path

from community.contract.releases import views

app_name = "releases"

urlpatterns = [
    path("c/<slug:slug>/contract/releases/", views.releases_index, name="index"),
    path("c/<slug:slug>/contract/releases/start/", views.canary_start, name="canary-start"),
    path(
        "c/<slug:slug>/contract/releases/canaries/<int:pk>/",
        views.canary_detail,
        name="canary",
    ),
    path(
        "c/<slug:slug>/contract/releases/canaries/<int:pk>/<str:verb>/",
        views.canary_action,
        name="canary-action",
    ),
    path(
        "c/<slug:slug>/contract/releases/versions/<int:number>/",
        views.version_health_page,
        name="health",
    ),
    path("c/<slug:slug>/contract/council/", views.council_page, name="council"),
    path(
        "c/<slug:slug>/contract/council/settings/", views.council_settings, name="council-settings"
    ),
    path(
        "c/<slug:slug>/contract/council/groups/<int:group_id>/answer/",
        views.council_answer,
        name="council-answer",
    ),
]
