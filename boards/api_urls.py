"""The boards' REST API, included from ``config/urls.py`` into ``/api/v1/``."""

from __future__ import annotations

from django.urls import path

from boards import api

urlpatterns = [
    path("fairness/", api.FairnessView.as_view(), name="fairness"),
]
