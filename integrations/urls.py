from __future__ import annotations

from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path(
        "integrations/discourse/<uuid:connection_id>/",
        views.discourse_webhook,
        name="discourse-webhook",
    ),
    path("c/<slug:slug>/integrations/", views.page, name="page"),
    path("c/<slug:slug>/integrations/discourse/", views.connect, name="connect"),
    path("c/<slug:slug>/integrations/discourse/test/", views.check_connection, name="test"),
    path(
        "c/<slug:slug>/integrations/discourse/clear-error/", views.clear_error, name="clear-error"
    ),
    path("c/<slug:slug>/integrations/discourse/mapping/", views.mapping, name="mapping"),
    path(
        "c/<slug:slug>/integrations/discourse/deliveries/<int:pk>/retry/",
        views.retry_inbound,
        name="retry-inbound",
    ),
    path(
        "c/<slug:slug>/integrations/webhooks/",
        views.subscription_create,
        name="subscription-create",
    ),
    path(
        "c/<slug:slug>/integrations/webhooks/<int:pk>/toggle/",
        views.subscription_toggle,
        name="subscription-toggle",
    ),
    path(
        "c/<slug:slug>/integrations/deliveries/<int:pk>/redeliver/",
        views.redeliver,
        name="redeliver",
    ),
]
