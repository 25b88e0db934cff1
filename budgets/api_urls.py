from __future__ import annotations

from django.urls import path

from budgets import api

urlpatterns = [
    path("members/", api.MemberListView.as_view(), name="members"),
    path("members/<int:pk>/ledger/", api.LedgerView.as_view(), name="member-ledger"),
    path("charges/", api.ChargeCreateView.as_view(), name="charges"),
    path("forgiveness/", api.ForgivenessCreateView.as_view(), name="forgiveness"),
    path("budget-policy/", api.PolicyView.as_view(), name="budget-policy"),
]
