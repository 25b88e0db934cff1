from __future__ import annotations

from django.urls import path

from incidents.views import board, resolve, runbooks, status, war_room

app_name = "incidents"

base = "c/<slug:slug>/incidents/"
room = base + "<int:pk>/"

urlpatterns = [
    path("c/<slug:slug>/status/", status.status_page, name="status"),
    path(base, board.board, name="board"),
    path(base + "metrics/", board.metrics, name="metrics"),
    path(base + "runbooks/", runbooks.runbooks, name="runbooks"),
    path(
        base + "runbooks/<int:runbook_id>/<str:verb>/", runbooks.runbook_edit, name="runbook-edit"
    ),
    path(
        base + "runbooks/<int:runbook_id>/steps/<int:step_id>/<str:verb>/",
        runbooks.runbook_edit,
        name="runbook-step-edit",
    ),
    path(base + "reports/<int:pk>/declare/", board.report_declare, name="report-declare"),
    path(base + "reports/<int:pk>/dismiss/", board.report_dismiss, name="report-dismiss"),
    path(base + "reports/<int:pk>/attach/", board.report_attach, name="report-attach"),
    path(room, war_room.detail, name="detail"),
    path(room + "transition/", war_room.transition, name="transition"),
    path(room + "resolve/", resolve.resolve, name="resolve"),
    path(room + "facilitator/", war_room.offer, name="offer"),
    path(
        room + "handoffs/<int:handoff_id>/<str:answer>/",
        war_room.handoff_respond,
        name="handoff",
    ),
    path(room + "roles/", war_room.role, name="role"),
    path(room + "roles/<int:role_id>/checklist/<int:index>/", war_room.checklist, name="checklist"),
    path(room + "notes/", war_room.note, name="note"),
    path(room + "reports/<int:report_id>/detach/", war_room.report_detach, name="report-detach"),
    path(room + "details/", war_room.details, name="details"),
    path(room + "runbooks/", war_room.runbook_start, name="runbook-start"),
    path(room + "steps/<int:step_id>/<str:verb>/", war_room.step_action, name="step"),
    path(room + "cooldowns/", war_room.cooldown_start, name="cooldown-start"),
    path(
        room + "cooldowns/<int:cooldown_id>/<str:verb>/",
        war_room.cooldown_action,
        name="cooldown",
    ),
]
