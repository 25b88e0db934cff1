"""The game days API, included from ``config/urls.py`` into ``/api/v1/``."""

from __future__ import annotations

from django.urls import path

from incidents.gamedays import api

urlpatterns = [
    path("game-days/", api.GameDayListView.as_view(), name="game-days"),
    path("game-days/recordings/", api.RecordingListView.as_view(), name="game-day-recordings"),
    path("game-days/<int:pk>/", api.GameDayDetailView.as_view(), name="game-day"),
    path("game-days/<int:pk>/stop/", api.GameDayStopView.as_view(), name="game-day-stop"),
    path("game-days/<int:pk>/report/", api.GameDayReportView.as_view(), name="game-day-report"),
]
