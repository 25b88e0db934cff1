from __future__ import annotations

from django.urls import path

from incidents import api

urlpatterns = [
    path("incidents/", api.IncidentListView.as_view(), name="incidents"),
    path("incidents/<int:pk>/", api.IncidentDetailView.as_view(), name="incident"),
    path("incidents/<int:pk>/runbooks/", api.RunbookStartView.as_view(), name="incident-runbook"),
    path(
        "incidents/<int:pk>/steps/<int:step_id>/",
        api.StepActionView.as_view(),
        name="incident-step",
    ),
    path("cooldowns/", api.CooldownListView.as_view(), name="cooldowns"),
    path("cooldowns/<int:pk>/extend/", api.CooldownExtendView.as_view(), name="cooldown-extend"),
    path("cooldowns/<int:pk>/lift/", api.CooldownLiftView.as_view(), name="cooldown-lift"),
]
