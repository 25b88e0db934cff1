from __future__ import annotations

from django.urls import path

from community import api

urlpatterns = [
    path("events/", api.EventBatchView.as_view(), name="events"),
]
