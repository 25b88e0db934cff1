from __future__ import annotations

from django.urls import path

from boards import views

app_name = "boards"

base = "c/<slug:slug>/boards/"
urlpatterns = [
    path(base + "flow/", views.flow, name="flow"),
    path(base + "flow.csv", views.flow_csv, name="flow-csv"),
    path(base + "change-safety/", views.change, name="change"),
    path(base + "change-safety.csv", views.change_csv, name="change-csv"),
    path(base + "fairness/", views.fairness_page, name="fairness"),
    path(base + "fairness/count/", views.fairness_count, name="fairness-count"),
    path(base + "fairness.csv", views.fairness_csv, name="fairness-csv"),
]
