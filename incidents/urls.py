from __future__ import annotations

from django.urls import path

from incidents import views

app_name = "incidents"

base = "c/<slug:slug>/incidents/"
room = base + "<int:pk>/"

urlpatterns = [
    path("c/<slug:slug>/status/", views.status_page, name="status"),
    path(base, views.board, name="board"),
    path(base + "metrics/", views.metrics, name="metrics"),
    path(base + "runbooks/", views.runbooks, name="runbooks"),
    path(base + "runbooks/<int:runbook_id>/<str:verb>/", views.runbook_edit, name="runbook-edit"),
    path(
        base + "runbooks/<int:runbook_id>/steps/<int:step_id>/<str:verb>/",
        views.runbook_edit,
        name="runbook-step-edit",
    ),
    path(base + "reports/<int:pk>/declare/", views.report_declare, name="report-declare"),
    path(base + "reports/<int:pk>/dismiss/", views.report_dismiss, name="report-dismiss"),
    path(room, views.detail, name="detail"),
    path(room + "transition/", views.transition, name="transition"),
    path(room + "facilitator/", views.offer, name="offer"),
    path(
        room + "handoffs/<int:handoff_id>/<str:answer>/",
        views.handoff_respond,
        name="handoff",
    ),
    path(room + "roles/", views.role, name="role"),
    path(room + "roles/<int:role_id>/checklist/<int:index>/", views.checklist, name="checklist"),
    path(room + "notes/", views.note, name="note"),
    path(room + "details/", views.details, name="details"),
    path(room + "runbooks/", views.runbook_start, name="runbook-start"),
    path(room + "steps/<int:step_id>/<str:verb>/", views.step_action, name="step"),
    path(room + "cooldowns/", views.cooldown_start, name="cooldown-start"),
    path(
        room + "cooldowns/<int:cooldown_id>/<str:verb>/",
        views.cooldown_action,
        name="cooldown",
    ),
]
