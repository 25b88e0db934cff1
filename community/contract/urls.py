"""Pages of the social contract, included from ``config/urls.py`` under the ``contract``
namespace (the spine's ``community/urls.py`` knows nothing of them)."""

from __future__ import annotations

from django.urls import path

from community.contract import translation_views, views

app_name = "contract"

urlpatterns = [
    path("c/<slug:slug>/contract/", views.contract_page, name="page"),
    path("c/<slug:slug>/contract/acknowledge/", views.contract_acknowledge, name="acknowledge"),
    path("c/<slug:slug>/contract/versions/", views.contract_versions, name="versions"),
    path("c/<slug:slug>/contract/versions/<int:number>/", views.contract_version, name="version"),
    path("c/<slug:slug>/contract/diff/", views.contract_diff, name="diff"),
    path("c/<slug:slug>/contract/edit/", views.contract_edit, name="edit"),
    path("c/<slug:slug>/contract/draft/", views.contract_draft_save, name="draft"),
    path("c/<slug:slug>/contract/publish/", views.contract_publish, name="publish"),
    path("c/<slug:slug>/contract/clauses/new/", views.clause_new, name="clause-new"),
    path("c/<slug:slug>/contract/clauses/import/", views.clause_import, name="clause-import"),
    path("c/<slug:slug>/contract/clauses/<int:pk>/", views.clause_edit, name="clause-edit"),
    path(
        "c/<slug:slug>/contract/clauses/<int:pk>/retire/",
        views.clause_retire,
        name="clause-retire",
    ),
    path(
        "c/<slug:slug>/contract/clauses/<int:pk>/translations/<slug:language>/",
        translation_views.clause_translation,
        name="clause-translation",
    ),
    path(
        "c/<slug:slug>/contract/clauses/<int:pk>/openslo.yaml",
        views.clause_openslo,
        name="clause-openslo",
    ),
]
