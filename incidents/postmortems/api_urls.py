from __future__ import annotations

from django.urls import path

from incidents.postmortems import api

urlpatterns = [
    path("postmortems/", api.PostmortemListView.as_view(), name="postmortems"),
    path("postmortem-settings/", api.SettingsView.as_view(), name="postmortem-settings"),
    path("postmortems/<int:pk>/", api.PostmortemDetailView.as_view(), name="postmortem"),
    path(
        "postmortems/<int:pk>/sections/<str:key>/",
        api.SectionView.as_view(),
        name="postmortem-section",
    ),
    path("postmortems/<int:pk>/review/", api.ReviewView.as_view(), name="postmortem-review"),
    path("postmortems/<int:pk>/publish/", api.PublishView.as_view(), name="postmortem-publish"),
    path(
        "postmortems/<int:pk>/action-items/",
        api.PostmortemItemsView.as_view(),
        name="postmortem-action-items",
    ),
    path("action-items/", api.ActionItemListView.as_view(), name="action-items"),
    path("action-items/<int:pk>/", api.ActionItemDetailView.as_view(), name="action-item"),
    path(
        "action-items/<int:pk>/status/",
        api.ActionItemStatusView.as_view(),
        name="action-item-status",
    ),
]
