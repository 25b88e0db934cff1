from __future__ import annotations

from django.urls import path

from community import notification_views, views

app_name = "community"

urlpatterns = [
    path("", views.index, name="index"),
    path("communities/new/", views.create, name="create"),
    path("c/<slug:slug>/", views.home, name="home"),
    path("c/<slug:slug>/join/", views.join, name="join"),
    path("c/<slug:slug>/notifications/", notification_views.centre, name="notifications"),
    path(
        "c/<slug:slug>/notifications/read-all/",
        notification_views.read_all,
        name="notifications-read-all",
    ),
    path(
        "c/<slug:slug>/notifications/<int:pk>/read/",
        notification_views.read,
        name="notification-read",
    ),
    path(
        "c/<slug:slug>/notifications/preferences/",
        notification_views.preferences,
        name="notification-preferences",
    ),
    path("c/<slug:slug>/settings/", views.settings_page, name="settings"),
    path("c/<slug:slug>/settings/roles/", views.role_change, name="role-change"),
    path("c/<slug:slug>/settings/language/", views.language_settings, name="language-settings"),
    path("c/<slug:slug>/settings/api-keys/", views.api_key_create, name="api-key-create"),
    path(
        "c/<slug:slug>/settings/api-keys/<uuid:key_id>/revoke/",
        views.api_key_revoke,
        name="api-key-revoke",
    ),
]
