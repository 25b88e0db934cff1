"""Shared pieces for postmortem tests: a resolved incident, its postmortem written up, and a
guardrail action item verified against a clause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from community.models import Clause, Community, ContractVersion, Membership, Space
from incidents import services as incident_services
from incidents.models import Incident
from incidents.postmortems import services
from incidents.postmortems.models import ActionItem, ActionKind, Postmortem, PostmortemSection

SYSTEMIC = (
    "The rules did not say whether quoting a private message was allowed, and the reply box "
    "gave no hint. Two moderators were on for a forum of four hundred at that hour."
)


def resolved_incident(
    *,
    community: Community,
    space: Space,
    moderator: User,
    parties: Sequence[Membership] = (),
    title: str = "Proposals: the vote got heated",
    required: bool = True,
    facilitator: Membership | None = None,
) -> Incident:
    actor = incident_services.Actor.person(moderator)
    incident = incident_services.declare_incident(
        community=community,
        title=title,
        severity="SEV3",
        spaces=[space],
        parties=parties,
        actor=actor,
    )
    if facilitator is not None and facilitator.user is not None:
        # A moderator who offers the role to themselves has accepted it.
        incident_services.offer_facilitator(
            incident=incident,
            to=facilitator,
            expected_version=None,
            actor=incident_services.Actor.person(facilitator.user),
        )
    incident_services.transition_incident(
        incident=incident,
        to="resolved",
        expected_version=None,
        actor=actor,
        summary="The thread calmed down after a two-hour slow mode.",
    )
    incident.refresh_from_db()
    if required and not incident.postmortem_required:
        # No clause traffic in a unit test's world: mark it as the cost rule would have.
        Incident.objects.filter(pk=incident.pk).update(postmortem_required=True)
        incident.refresh_from_db()
    return incident


def section(doc: Postmortem, key: str) -> PostmortemSection:
    return PostmortemSection.objects.get(postmortem=doc, key=key)


def write(doc: Postmortem, key: str, body: str, by: User | None = None) -> PostmortemSection:
    return services.save_section(
        postmortem=doc, key=key, body=body, expected_version=section(doc, key).version, by=by
    )


def written_up(doc: Postmortem, by: User | None = None) -> Postmortem:
    write(doc, "summary", "A vote thread escalated; a slow mode calmed it.", by)
    write(doc, "contributing_factors", SYSTEMIC, by)
    doc.refresh_from_db()
    return doc


def guardrail_item(
    doc: Postmortem,
    *,
    owner: Membership,
    clause: Clause,
    version: ContractVersion | None,
    target: Decimal = Decimal("0.98"),
    window_days: int = 7,
) -> ActionItem:
    return services.add_action_item(
        postmortem=doc,
        fields=services.ItemFields(
            title="Say in the clause that quoting private messages is not allowed",
            kind=ActionKind.CLAUSE,
            owner=owner,
            due_on=timezone.localdate() + timedelta(days=7),
            verification_criterion="Hostility flags in Proposals stay under 2 % for a week.",
            changes="The hostility clause names quoting private messages.",
            contract_version=version,
            verify_clause=clause,
            verify_target=target,
            verify_window_days=window_days,
        ),
        by=None,
    )


def in_review(
    doc: Postmortem, owner: Membership, clause: Clause, version: ContractVersion
) -> Postmortem:
    written_up(doc)
    guardrail_item(doc, owner=owner, clause=clause, version=version)
    return services.request_review(postmortem=doc, expected_version=None, by=None)
