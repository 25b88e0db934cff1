"""The contract's REST API, included from ``config/urls.py`` into ``/api/v1/`` (namespace
``api``, like every app's API)."""

from __future__ import annotations

from django.urls import path

from community.contract import api, translation_api

urlpatterns = [
    path("clauses/", api.ClauseListView.as_view(), name="clauses"),
    path("clauses/import/", api.ClauseImportView.as_view(), name="clause-import"),
    path("clauses/<int:pk>/", api.ClauseDetailView.as_view(), name="clause-detail"),
    path(
        "clauses/<int:pk>/translations/<slug:lang>/",
        translation_api.ClauseTranslationView.as_view(),
        name="clause-translation",
    ),
    path("clauses/<int:pk>/openslo/", api.ClauseOpenSLOView.as_view(), name="clause-openslo"),
    path("contract/", api.ContractView.as_view(), name="contract"),
    path("contract/draft/", api.DraftView.as_view(), name="contract-draft"),
    path("contract/publish/", api.PublishView.as_view(), name="contract-publish"),
    path("contract/versions/", api.VersionListView.as_view(), name="contract-versions"),
    path(
        "contract/versions/<int:number>/",
        api.VersionDetailView.as_view(),
        name="contract-version",
    ),
]
