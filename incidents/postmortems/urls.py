from __future__ import annotations

from django.urls import path

from incidents.postmortems import views

app_name = "postmortems"

base = "c/<slug:slug>/postmortems/"
doc = base + "<int:pk>/"

urlpatterns = [
    path(base, views.index, name="index"),
    path(base + "settings/", views.change_settings, name="settings"),
    path("c/<slug:slug>/incidents/<int:pk>/postmortem/", views.start, name="start"),
    path(doc, views.editor, name="editor"),
    path(doc + "sections/<str:key>/", views.save_section, name="section"),
    path(doc + "findings/<int:finding_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path(doc + "items/", views.add_item, name="item-add"),
    path(doc + "<str:verb>/", views.change_state, name="state"),
    path("c/<slug:slug>/action-items/<int:item_id>/<str:verb>/", views.item_action, name="item"),
]
