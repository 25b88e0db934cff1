from __future__ import annotations

from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("", views.index, name="index"),
    path("communities/new/", views.create, name="create"),
    path("c/<slug:slug>/", views.home, name="home"),
    path("c/<slug:slug>/join/", views.join, name="join"),
    path("c/<slug:slug>/settings/", views.settings_page, name="settings"),
    path("c/<slug:slug>/settings/roles/", views.role_change, name="role-change"),
    path("c/<slug:slug>/settings/api-keys/", views.api_key_create, name="api-key-create"),
    path(
        "c/<slug:slug>/settings/api-keys/<uuid:key_id>/revoke/",
        views.api_key_revoke,
        name="api-key-revoke",
    ),
]
