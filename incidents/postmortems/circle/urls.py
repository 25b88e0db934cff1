from __future__ import annotations

from django.urls import path

from incidents.postmortems.circle import views

app_name = "circle"

circle = "c/<slug:slug>/postmortems/<int:pk>/circle/"

urlpatterns = [
    path(circle, views.page, name="page"),
    path(circle + "answer/", views.answer, name="answer"),
    path(circle + "invite/", views.invite, name="invite"),
    path(circle + "harms/", views.harm, name="harm"),
    path(circle + "exchanges/", views.ask, name="ask"),
    path(circle + "exchanges/<int:exchange_id>/<str:verb>/", views.exchange, name="exchange"),
    path(circle + "agreements/", views.add_agreement, name="agreement-add"),
    path(circle + "agreements/<int:agreement_id>/consent/", views.consent, name="consent"),
    path(circle + "agreements/<int:agreement_id>/decide/", views.decide, name="decide"),
    path(circle + "agreements/<int:agreement_id>/withdraw/", views.withdraw, name="withdraw"),
    path(circle + "agreements/<int:agreement_id>/revise/", views.revise, name="revise"),
    path(circle + "participants/<int:participant_id>/forgive/", views.forgive, name="forgive"),
    path(circle + "summary/<str:verb>/", views.summary, name="summary"),
    path("c/<slug:slug>/agreements/", views.agreements, name="agreements"),
]
