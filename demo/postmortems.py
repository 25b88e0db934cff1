"""Demo data for restorative postmortems (order 45): the raised-beds incident's postmortem,
finished and published, with a guardrail verified against the hostility clause; and a second
incident's postmortem still in draft, with a passage the blameless check pointed out.

The circle (participants, harms and needs, agreements, forgiveness) is added to these same
postmortems by the circle's own demo code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from django.contrib.auth.models import User

from community.contract.services import publish_contract
from community.models import Clause, ContractVersion, Membership
from demo.context import MODERATOR_USERNAME, DemoContext
from demo.contract import add_to_wording
from demo.incidents import RESOLVED_TITLE
from incidents import services as incident_services
from incidents.models import Incident, Runbook
from incidents.postmortems import services
from incidents.postmortems.models import ActionKind, Postmortem, PostmortemSection

IN_PROGRESS_TITLE = "Off-topic Lounge: the compost thread got personal"

FINISHED = {
    "summary": "A vote on the shared raised beds drew a run of replies about people rather "
    "than the plan. A slow mode and a facilitator's note calmed the thread within two hours.",
    "detection": "The hostility clause's fast page fired six minutes after the first upheld "
    "flags; a member's report arrived three minutes later and joined the incident.",
    "response": "A facilitator took the incident within minutes, Runbook A put Proposals in "
    "slow mode and posted the notice, and the facilitator checked in with both sides privately.",
    "contributing_factors": "The proposal template asked people to vote without saying who "
    "maintains each bed, so replies filled the gap with guesses about individuals. The "
    "contract said nothing about remarks on someone's plot. The vote opened on a Sunday evening "
    "with one moderator on for the whole forum.",
    "went_well": "The alert and the member's report agreed within minutes; the slow mode worked "
    "without closing the thread, and the vote still ran to Friday.",
    "got_lucky": "The two most involved members were both online to talk to the facilitator "
    "that evening.",
    "lessons": "Votes on shared plots need context in the proposal itself. The hostility "
    "clause should name remarks about someone's plot. Sunday evenings need a second moderator.",
    "public_summary": "A vote on the shared raised beds got heated. We slowed the thread for two "
    "hours, the vote went ahead, and we changed two things: proposals now say who looks after "
    "each bed, and the contract names remarks about someone's plot as hostility.",
}
IN_PROGRESS = {
    "summary": "A thread comparing compost methods turned into remarks about each other's "
    "gardens. It calmed once moderators asked people to stick to the methods.",
    "contributing_factors": "The thread was pinned in the Off-topic Lounge, where the topic "
    "guidance does not apply. They should have known better than to post photos of a "
    "neighbour's plot.",
}


def seed_postmortems(ctx: DemoContext) -> None:
    community = ctx.community
    if Postmortem.objects.filter(community=community).exists():
        ctx.log("  postmortems already present: nothing to add")
        return
    mod = Membership.objects.get(community=community, user__username=MODERATOR_USERNAME)
    user = User.objects.get(username=MODERATOR_USERNAME)
    finished = _finished(ctx, community.incidents.get(title=RESOLVED_TITLE), mod, user)
    draft = _in_progress(ctx, mod, user)
    ctx.extras["postmortems"] = {"finished": finished, "draft": draft}
    ctx.log("  one postmortem published with a verified guardrail, one in draft")


def _fill(doc: Postmortem, bodies: dict[str, str], user: User) -> None:
    for key, body in bodies.items():
        section = PostmortemSection.objects.get(postmortem=doc, key=key)
        services.save_section(
            postmortem=doc, key=key, body=body, expected_version=section.version, by=user
        )


def _reachable_target(clause: Clause, start: datetime, end: datetime) -> Decimal:
    """The clause's own target, or the whole percentage below what the clause measured over
    the window if the seeded history sits lower (so the demo shows a verified guardrail)."""
    total, bad = services.window_counts(clause=clause, start=start, end=end)
    if total == 0:
        return clause.target
    measured = Decimal(total - bad) / Decimal(total)
    floor = (measured * 100).to_integral_value(rounding=ROUND_FLOOR) / 100
    return min(clause.target, max(floor, Decimal("0.5")))


# Version 3's addition to the hostility clause, in each language (demo.contract).
PLOT_REMARKS = {
    "en": "Remarks about someone's plot or garden count as remarks about them.",
    "ko": "누군가의 텃밭이나 정원을 두고 하는 말도 그 사람에게 하는 말로 봐요.",
}


def _finished(ctx: DemoContext, incident: Incident, mod: Membership, user: User) -> Postmortem:
    community = ctx.community
    resolved = incident.resolved_at or ctx.now
    doc = services.start_postmortem(incident=incident, by=user)
    _fill(doc, FINISHED, user)
    # The guardrail: the hostility clause names remarks about someone's plot (version 3).
    hostility = Clause.objects.get(community=community, slug="disagree-without-hostility")
    hostility = add_to_wording(ctx, hostility, PLOT_REMARKS)
    version = publish_contract(
        community=community,
        summary="After the raised-beds circle: remarks about someone's plot are hostility too.",
        by=user,
    )
    ContractVersion.objects.filter(pk=version.pk).update(
        published_at=resolved + timedelta(hours=20)
    )
    done_at = resolved + timedelta(hours=21)
    window_end = done_at + timedelta(days=7)
    guardrail = services.add_action_item(
        postmortem=doc,
        fields=services.ItemFields(
            title="Name remarks about someone's plot in the hostility clause",
            kind=ActionKind.CLAUSE,
            owner=mod,
            due_on=(resolved + timedelta(days=2)).date(),
            verification_criterion="The hostility clause holds its target for the week after.",
            changes="“Disagree without hostility” now covers remarks about someone's plot.",
            contract_version=version,
            verify_clause=hostility,
            verify_target=_reachable_target(hostility, done_at, min(window_end, ctx.now)),
            verify_window_days=7,
        ),
        by=user,
    )
    services.mark_done(item=guardrail, expected_version=None, by=user, now=done_at)
    services.check_verification(item=guardrail, now=ctx.now)
    runbook = Runbook.objects.filter(community=community).order_by("pk").first()
    process = services.add_action_item(
        postmortem=doc,
        fields=services.ItemFields(
            title="A second moderator on Sunday evenings",
            kind=ActionKind.PROCESS,
            owner=mod,
            due_on=(resolved + timedelta(days=5)).date(),
            verification_criterion="Two moderators on every Sunday evening for a month.",
        ),
        by=user,
    )
    services.mark_done(item=process, expected_version=None, by=user, now=done_at)
    if runbook is not None:
        services.add_action_item(
            postmortem=doc,
            fields=services.ItemFields(
                title="Runbook A: post the proposal's context with the notice",
                kind=ActionKind.RUNBOOK,
                owner=mod,
                due_on=(ctx.now + timedelta(days=10)).date(),
                verification_criterion="The next vote incident's notice links the proposal.",
                changes="Runbook A's notice step quotes who maintains what.",
            ),
            by=user,
        )
    services.request_review(postmortem=doc, expected_version=None, by=user)
    services.publish_postmortem(postmortem=doc, expected_version=None, by=user)
    # Back-date the document to when it was written (timestamps only).
    Postmortem.objects.filter(pk=doc.pk).update(
        created_at=resolved + timedelta(hours=2),
        review_requested_at=resolved + timedelta(hours=26),
        published_at=resolved + timedelta(hours=30),
    )
    incident_services.transition_incident(
        incident=incident,
        to="closed",
        expected_version=None,
        actor=incident_services.Actor.person(user),
    )
    doc.refresh_from_db()
    return doc


def _in_progress(ctx: DemoContext, mod: Membership, user: User) -> Postmortem:
    community = ctx.community
    lounge = community.spaces.get(name="Off-topic Lounge")
    actor = incident_services.Actor.person(user)
    incident = incident_services.declare_incident(
        community=community,
        title=IN_PROGRESS_TITLE,
        severity="SEV3",
        spaces=[lounge],
        actor=actor,
    )
    incident_services.offer_facilitator(
        incident=incident, to=mod, expected_version=None, actor=actor
    )
    incident_services.transition_incident(
        incident=incident,
        to="resolved",
        expected_version=None,
        actor=actor,
        summary="The compost thread went back to compost after moderators stepped in.",
    )
    # Resolved 30 hours ago, and it used more than a fifth of the clause's room: it is due soon.
    resolved_at = ctx.now - timedelta(hours=30)
    Incident.objects.filter(pk=incident.pk).update(
        declared_at=resolved_at - timedelta(hours=3),
        facilitator_at=resolved_at - timedelta(hours=2, minutes=50),
        resolved_at=resolved_at,
        postmortem_required=True,
    )
    incident.refresh_from_db()
    doc = services.start_postmortem(incident=incident, by=user)
    _fill(doc, IN_PROGRESS, user)
    runbook = Runbook.objects.filter(community=community).order_by("pk").first()
    services.add_action_item(
        postmortem=doc,
        fields=services.ItemFields(
            title="Pinned threads in the Lounge show the topic guidance",
            kind=ActionKind.TOOLING,
            owner=mod,
            due_on=(ctx.now + timedelta(days=14)).date(),
            verification_criterion="The guidance shows on every pinned Lounge thread.",
        ),
        by=user,
    )
    if runbook is not None:
        services.add_action_item(
            postmortem=doc,
            fields=services.ItemFields(
                title="Runbook B checks in with both sides within the hour",
                kind=ActionKind.RUNBOOK,
                owner=mod,
                due_on=(ctx.now + timedelta(days=7)).date(),
                verification_criterion="Check-ins logged within an hour on the next incident.",
                changes="A check-in step at 45 minutes.",
                runbook=runbook,
            ),
            by=user,
        )
    doc.refresh_from_db()
    return doc
