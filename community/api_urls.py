from __future__ import annotations

from django.urls import path

from community import api, contract_api

urlpatterns = [
    path("events/", api.EventBatchView.as_view(), name="events"),
    path("clauses/", contract_api.ClauseListView.as_view(), name="clauses"),
    path("clauses/import/", contract_api.ClauseImportView.as_view(), name="clause-import"),
    path("clauses/<int:pk>/", contract_api.ClauseDetailView.as_view(), name="clause-detail"),
    path(
        "clauses/<int:pk>/openslo/",
        contract_api.ClauseOpenSLOView.as_view(),
        name="clause-openslo",
    ),
    path("contract/", contract_api.ContractView.as_view(), name="contract"),
    path("contract/draft/", contract_api.DraftView.as_view(), name="contract-draft"),
    path("contract/publish/", contract_api.PublishView.as_view(), name="contract-publish"),
    path("contract/versions/", contract_api.VersionListView.as_view(), name="contract-versions"),
    path(
        "contract/versions/<int:number>/",
        contract_api.VersionDetailView.as_view(),
        name="contract-version",
    ),
]
