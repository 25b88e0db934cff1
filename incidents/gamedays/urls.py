from __future__ import annotations

from django.urls import path

from incidents.gamedays import views

app_name = "gamedays"

base = "c/<slug:slug>/game-days/"

urlpatterns = [
    path(base, views.index, name="index"),
    path(base + "<int:pk>/", views.detail, name="detail"),
    path(base + "<int:pk>/stop/", views.stop, name="stop"),
]
