"""Demo data for restorative circles (order 47, after the postmortems): the raised-beds
postmortem's circle, finished (everyone accepted, a confirmed repair exchange, a kept
agreement, the public summary objected to by the harmed member after the postmortem was
published, revised, read again, approved and published, the responsible
member's related charges forgiven); and the compost thread's circle in progress (the demo
member's invitation pending, an open agreement)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.utils import timezone

from budgets.models import Charge, MemberBudget, MemberCooldown
from budgets.recalculation import recalculate_members_now
from budgets.services import charge_events
from community.models import ConductEvent, ExternalIdentity, Membership
from community.tiers import Tier
from demo.context import DEMO_SOURCE, MEMBER_USERNAME, MODERATOR_USERNAME, DemoContext
from demo.incidents import RESOLVED_TITLE
from demo.postmortems import IN_PROGRESS_TITLE
from incidents.postmortems import services as document
from incidents.postmortems.circle import services
from incidents.postmortems.circle.services.forgiveness import LEAD_UP
from incidents.postmortems.models import (
    Agreement,
    Participant,
    Postmortem,
    PostmortemSection,
    Visibility,
)


def seed_circles(ctx: DemoContext) -> None:
    community = ctx.community
    if Participant.objects.filter(postmortem__community=community).exists():
        ctx.log("  circles already present: nothing to add")
        return
    finished = Postmortem.objects.filter(
        community=community, incident__title=RESOLVED_TITLE
    ).first()
    draft = Postmortem.objects.filter(
        community=community, incident__title=IN_PROGRESS_TITLE
    ).first()
    if finished is None or draft is None:
        ctx.log("  no postmortems to add circles to")
        return
    user = User.objects.get(username=MODERATOR_USERNAME)
    mod = Membership.objects.get(community=community, user=user)
    member = Membership.objects.get(community=community, user__username=MEMBER_USERNAME)
    responsible = _finished(ctx, finished, mod, user, avoid={member.pk})
    _in_progress(draft, mod, user, member, avoid={member.pk, responsible.pk})
    ctx.log("  a finished circle (kept agreement, summary approved, charges forgiven), one open")


REVISED_SUMMARY = (
    "A vote on the shared raised beds drew remarks about members' plots. We slowed the thread "
    "for two hours, the vote went ahead, and we changed two things: proposals now say who "
    "looks after each bed, and the contract names remarks about someone's plot as hostility."
)


def _join(doc: Postmortem, membership: Membership, role: str, user: User) -> Participant:
    invited = services.invite_participant(postmortem=doc, membership=membership, role=role, by=user)
    return services.answer_invitation(participant=invited, accept=True)


def _responsible_candidate(doc: Postmortem, avoid: set[int]) -> Membership:
    """The party with the most charges from the incident, among members whose budget tier
    others share too (forgiving them must not empty a tier the demo shows)."""
    incident = doc.incident
    related = Q(event_id__in=incident.trigger_event_ids or []) | Q(
        event__space__in=incident.spaces.all(),
        occurred_at__gte=incident.declared_at - LEAD_UP,
        occurred_at__lte=incident.resolved_at or incident.declared_at,
    )
    counts = Counter(
        dict(
            Charge.objects.filter(community=doc.community, forgiveness__isnull=True)
            .filter(related)
            .exclude(membership_id__in=avoid)
            .values_list("membership_id")
            .annotate(n=Count("pk"))
            .values_list("membership_id", "n")
        )
    )
    tiers = dict(
        MemberBudget.objects.filter(community=doc.community).values_list("membership_id", "tier")
    )
    crowded = Counter(tiers.values())
    for membership_id, _ in counts.most_common():
        if crowded[tiers.get(membership_id, "healthy")] > 3:
            return Membership.objects.get(pk=membership_id)
    parties = incident.parties.exclude(pk__in=avoid).order_by("pk")
    return parties.first() or doc.community.memberships.exclude(pk__in=avoid).order_by("pk")[0]


# The responsible member's account on the demo's forum (the integrations step connects it):
# their pause on posting is a timed silence there, lifted with the forgiveness.
FORUM_SOURCE = "discourse"
FORUM_USER_ID = "3187"
HEATED_FLAGS = 8


def _pause_running(ctx: DemoContext, doc: Postmortem, membership: Membership) -> None:
    """The responsible member's forum account linked, then the rest of what was upheld against
    them in the thread while it ran, which uses up their budget: the tier's pause on posting
    starts (24 hours, policy version 2), and it is still running when the circle forgives."""
    ExternalIdentity.objects.get_or_create(
        community=doc.community,
        source=FORUM_SOURCE,
        external_id=FORUM_USER_ID,
        defaults={"membership": membership, "username": membership.display_name},
    )
    incident = doc.incident
    space = incident.spaces.order_by("pk").first()
    end = incident.resolved_at or incident.declared_at
    for n in range(HEATED_FLAGS):
        budget = MemberBudget.objects.get(membership=membership)
        if budget.tier == Tier.EXHAUSTED:
            break
        event = ConductEvent.objects.create(
            community=doc.community,
            kind="flag_upheld",
            category="personal",
            severity="minor",
            member=membership,
            space=space,
            occurred_at=incident.declared_at + (end - incident.declared_at) * (n + 1) / 10,
            external_id=f"demo-raised-beds-upheld-{n + 1}",
            subject=f"demo-raised-beds-post-{n + 1}",
            source=DEMO_SOURCE,
        )
        charge_events(community=doc.community, events=[event])
        recalculate_members_now(community=doc.community, membership_ids=[membership.pk], at=ctx.now)
    running = MemberCooldown.objects.filter(membership=membership, lifted_at__isnull=True)
    ctx.log(f"  {membership.display_name}: {running.count()} pause on posting running")


def _finished(
    ctx: DemoContext, doc: Postmortem, mod: Membership, user: User, avoid: set[int]
) -> Membership:
    resolved = doc.incident.resolved_at or doc.created_at
    responsible_member = _responsible_candidate(doc, avoid)
    others = list(
        doc.incident.parties.exclude(pk__in={*avoid, responsible_member.pk}).order_by("pk")
    )
    harmed_member = (
        others[0]
        if others
        else doc.community.memberships.exclude(
            pk__in={*avoid, responsible_member.pk, mod.pk}
        ).order_by("pk")[0]
    )
    facilitator = _join(doc, mod, "facilitator", user)
    harmed = _join(doc, harmed_member, "harmed", user)
    responsible = _join(doc, responsible_member, "responsible", user)
    if len(others) > 1:
        _join(doc, others[-1], "supporter", user)
    harm = services.record_harm(
        postmortem=doc,
        harmed=harmed,
        harm="Replies about the vote turned into remarks about how they keep their plot, in "
        "front of the whole forum.",
        need="To hear that their plot was never the question, in the same thread.",
        obligation_of="participant",
        obligated=responsible,
    )
    services.record_harm(
        postmortem=doc,
        harmed=harmed,
        harm="They stopped reading Proposals for a week.",
        need="Proposals that say who looks after each bed, so guesses do not fill the gap.",
        obligation_of="moderators",
        obligated=None,
    )
    exchange = services.ask_for_repair(
        harmed=harmed,
        responsible=responsible,
        ask="Say in the thread that my plot was never the point of the vote.",
    )
    services.answer_repair(
        exchange=exchange,
        by=responsible,
        answer="I will post that my remarks were about the plan, not your plot, and that I "
        "should have asked instead of guessing.",
    )
    services.review_repair(exchange=exchange, by=harmed, satisfied=True, review="Thank you.")
    services.confirm_repair(exchange=exchange, by=facilitator)
    # Agreed on the day (a due date is never in the past when it is made), then dated back
    # to when it was actually due: timestamps only.
    agreement = services.add_agreement(
        postmortem=doc,
        text="Post a short note in the raised-beds thread saying the remarks were about the "
        "plan, not anyone's plot.",
        owner=responsible,
        due_on=timezone.localdate(),
        harm=harm,
        by=user,
    )
    for consent in agreement.consents.select_related("participant"):
        services.answer_consent(agreement=agreement, participant=consent.participant, give=True)
    services.decide_agreement(
        agreement=agreement, kept=True, note="Posted in the thread two days later.", by=user
    )
    Agreement.objects.filter(pk=agreement.pk).update(due_on=(resolved + timedelta(days=3)).date())
    # The public summary, proposed after the postmortem was published: the harmed member
    # objects to one phrase, the summary (the one section still open) is revised, read
    # again and approved, then published.
    doc = document.set_visibility(
        postmortem=doc, visibility=Visibility.PUBLIC, expected_version=None, by=user
    )
    services.propose_public_summary(postmortem=doc)
    services.answer_summary(
        postmortem=doc,
        participant=harmed,
        approve=False,
        note="“Got heated” makes it sound as if I took part in it. Please say what changed "
        "instead.",
    )
    section = PostmortemSection.objects.get(postmortem=doc, key="public_summary")
    document.save_section(
        postmortem=doc,
        key="public_summary",
        body=REVISED_SUMMARY,
        expected_version=section.version,
        by=user,
    )
    services.propose_public_summary(postmortem=doc)
    services.answer_summary(
        postmortem=doc, participant=harmed, approve=True, note="That is fair. Thank you."
    )
    _pause_running(ctx, doc, responsible_member)
    services.forgive_participant(participant=responsible, by=user)
    return responsible_member


def _in_progress(
    doc: Postmortem, mod: Membership, user: User, member: Membership, avoid: set[int]
) -> None:
    """The compost thread's circle: the facilitator and the responsible member accepted and
    an agreement is open; the demo member's invitation waits for their answer."""
    _join(doc, mod, "facilitator", user)
    responsible_member = _responsible_candidate(doc, {*avoid, mod.pk})
    responsible = _join(doc, responsible_member, "responsible", user)
    services.invite_participant(postmortem=doc, membership=member, role="harmed", by=user)
    agreement = services.add_agreement(
        postmortem=doc,
        text="Ask before posting photos of anyone else's plot.",
        owner=responsible,
        due_on=timezone.localdate() + timedelta(days=5),
        by=user,
    )
    services.answer_consent(agreement=agreement, participant=responsible, give=True)
