"""The releases API, included from ``config/urls.py`` into ``/api/v1/``."""

from __future__ import annotations

from django.urls import path

from community.contract.releases import api

urlpatterns = [
    path("canaries/", api.CanaryListView.as_view(), name="canaries"),
    path("canaries/<int:pk>/", api.CanaryDetailView.as_view(), name="canary"),
    path("canaries/<int:pk>/promote/", api.CanaryPromoteView.as_view(), name="canary-promote"),
    path("canaries/<int:pk>/rollback/", api.CanaryRollbackView.as_view(), name="canary-rollback"),
    path("council/", api.CouncilView.as_view(), name="council"),
    path("council/groups/", api.CouncilGroupsView.as_view(), name="council-groups"),
    path(
        "council/groups/<int:pk>/delegate/",
        api.CouncilDelegateView.as_view(),
        name="council-delegate",
    ),
    path(
        "council/groups/<int:pk>/answers/", api.CouncilAnswerView.as_view(), name="council-answer"
    ),
    path("contract/versions/<int:number>/health/", api.HealthView.as_view(), name="release-health"),
]
