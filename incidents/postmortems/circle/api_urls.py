from __future__ import annotations

from django.urls import path

from incidents.postmortems.circle import api

urlpatterns = [
    path(
        "postmortems/<int:pk>/participants/",
        api.ParticipantListView.as_view(),
        name="postmortem-participants",
    ),
    path(
        "postmortems/<int:pk>/agreements/",
        api.PostmortemAgreementsView.as_view(),
        name="postmortem-agreements",
    ),
    path(
        "participants/<int:pk>/forgive/",
        api.ParticipantForgiveView.as_view(),
        name="participant-forgive",
    ),
    path("agreements/", api.AgreementListView.as_view(), name="agreements"),
    path("agreements/<int:pk>/", api.AgreementDetailView.as_view(), name="agreement"),
    path(
        "agreements/<int:pk>/decision/",
        api.AgreementDecideView.as_view(),
        name="agreement-decision",
    ),
    path(
        "agreements/<int:pk>/withdraw/",
        api.AgreementWithdrawView.as_view(),
        name="agreement-withdraw",
    ),
    path(
        "agreements/<int:pk>/revise/",
        api.AgreementReviseView.as_view(),
        name="agreement-revise",
    ),
]
