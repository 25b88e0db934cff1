"""Postmortem metrics: on time, guardrails verified, and repeat incidents with the same
members within 90 days."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from community.models import Clause, Community, ContractVersion, Membership, Space
from incidents.postmortems import services
from incidents.postmortems.metrics import postmortem_metrics
from incidents.postmortems.models import Postmortem
from tests.postmortems.helpers import guardrail_item, resolved_incident, written_up


def test_postmortems_on_time_count_those_due_or_published(
    community: Community,
    doc: Postmortem,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
) -> None:
    assert postmortem_metrics(community).on_time.whole == 0  # not due yet, not published
    written_up(doc)
    guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    services.request_review(postmortem=doc, expected_version=None, by=None)
    services.publish_postmortem(postmortem=doc, expected_version=None, by=None)
    metrics = postmortem_metrics(community)
    assert (metrics.on_time.part, metrics.on_time.whole, metrics.on_time.percent) == (1, 1, "100 %")
    late_doc = Postmortem.objects.create(
        community=community,
        incident=resolved_incident(
            community=community,
            space=doc.incident.spaces.get(),
            moderator=doc.created_by,
            title="Late",
        ),
        due_at=timezone.now() - timedelta(hours=1),
    )
    assert late_doc.pk
    assert postmortem_metrics(community).on_time.percent == "50 %"


def test_guardrails_verified_count_items_whose_verification_ended(
    community: Community,
    doc: Postmortem,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
) -> None:
    kept = guardrail_item(doc, owner=mod_membership, clause=clause, version=version, window_days=1)
    start = timezone.now()
    services.mark_done(item=kept, expected_version=kept.version, by=None, now=start)
    assert postmortem_metrics(community).verifying == 1
    with time_machine.travel(start + timedelta(days=1, minutes=1), tick=False):
        services.check_all_verifications()
    metrics = postmortem_metrics(community)
    assert (metrics.verified.part, metrics.verified.whole, metrics.verifying) == (1, 1, 0)


def test_repeat_incidents_involve_the_same_member_within_ninety_days(
    community: Community, space: Space, moderator: User, member_membership: Membership
) -> None:
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=120), tick=False):
        resolved_incident(
            community=community, space=space, moderator=moderator, parties=[member_membership]
        )
    with time_machine.travel(now - timedelta(days=60), tick=False):
        resolved_incident(
            community=community, space=space, moderator=moderator, parties=[member_membership]
        )
    with time_machine.travel(now - timedelta(days=1), tick=False):
        resolved_incident(community=community, space=space, moderator=moderator)
    repeats = postmortem_metrics(community, now=now).repeats
    # Of the two incidents in the last 90 days, the one 60 days ago repeats the member of the
    # one 120 days ago (60 days apart); the newest involves nobody.
    assert (repeats.part, repeats.whole, repeats.percent) == (1, 2, "50 %")
