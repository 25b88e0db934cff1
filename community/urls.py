from __future__ import annotations

from django.urls import path

from community import contract_views, views

app_name = "community"

urlpatterns = [
    path("", views.index, name="index"),
    path("communities/new/", views.create, name="create"),
    path("c/<slug:slug>/", views.home, name="home"),
    path("c/<slug:slug>/join/", views.join, name="join"),
    path("c/<slug:slug>/settings/", views.settings_page, name="settings"),
    path("c/<slug:slug>/settings/roles/", views.role_change, name="role-change"),
    path("c/<slug:slug>/settings/api-keys/", views.api_key_create, name="api-key-create"),
    path(
        "c/<slug:slug>/settings/api-keys/<uuid:key_id>/revoke/",
        views.api_key_revoke,
        name="api-key-revoke",
    ),
    # The social contract
    path("c/<slug:slug>/contract/", contract_views.contract_page, name="contract"),
    path(
        "c/<slug:slug>/contract/acknowledge/",
        contract_views.contract_acknowledge,
        name="contract-acknowledge",
    ),
    path(
        "c/<slug:slug>/contract/versions/",
        contract_views.contract_versions,
        name="contract-versions",
    ),
    path(
        "c/<slug:slug>/contract/versions/<int:number>/",
        contract_views.contract_version,
        name="contract-version",
    ),
    path("c/<slug:slug>/contract/diff/", contract_views.contract_diff, name="contract-diff"),
    path("c/<slug:slug>/contract/edit/", contract_views.contract_edit, name="contract-edit"),
    path(
        "c/<slug:slug>/contract/draft/", contract_views.contract_draft_save, name="contract-draft"
    ),
    path(
        "c/<slug:slug>/contract/publish/", contract_views.contract_publish, name="contract-publish"
    ),
    path("c/<slug:slug>/contract/clauses/new/", contract_views.clause_new, name="clause-new"),
    path(
        "c/<slug:slug>/contract/clauses/import/", contract_views.clause_import, name="clause-import"
    ),
    path(
        "c/<slug:slug>/contract/clauses/<int:pk>/", contract_views.clause_edit, name="clause-edit"
    ),
    path(
        "c/<slug:slug>/contract/clauses/<int:pk>/retire/",
        contract_views.clause_retire,
        name="clause-retire",
    ),
    path(
        "c/<slug:slug>/contract/clauses/<int:pk>/openslo.yaml",
        contract_views.clause_openslo,
        name="clause-openslo",
    ),
]
