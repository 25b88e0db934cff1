from __future__ import annotations

from django.urls import path

from budgets import views

app_name = "budgets"

urlpatterns = [
    path("c/<slug:slug>/my-budget/", views.my_budget, name="my-budget"),
    path("c/<slug:slug>/budgets/", views.budget_table, name="table"),
    path("c/<slug:slug>/budgets/members/<int:pk>/", views.member_budget, name="member"),
    path("c/<slug:slug>/budgets/charges/<int:pk>/appeal/", views.appeal_charge, name="appeal"),
    path("c/<slug:slug>/budgets/charges/<int:pk>/forgive/", views.forgive_charge, name="forgive"),
    path("c/<slug:slug>/budgets/appeals/", views.appeals_queue, name="appeals"),
    path("c/<slug:slug>/budgets/appeals/<int:pk>/decide/", views.decide_appeal, name="decide"),
    path("c/<slug:slug>/budgets/policy/", views.policy_editor, name="policy"),
]
