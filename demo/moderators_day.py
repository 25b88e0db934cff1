"""Demo step (order 45): what waits for the demo moderator when they log in.

Earlier steps already leave an incident the clause alerts declared without a facilitator, alerts
not part of an incident, a member's report, clauses critical or exhausted and the demo member's
appeal. This step adds what a real day also holds: a second moderator who is handing an incident
over to the demo moderator (the offer waits for their answer, and they are notified), a member's
report about a quiet space, and appeals that have been waiting for hours and days rather than
minutes. Idempotent, keyed on the handoff's
incident.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext as _

from budgets import services as budget_services
from budgets.models import Appeal, AppealStatus, Charge
from community.language import in_community_language
from community.models import Membership, Notification, NotificationKind
from demo.context import MODERATOR_USERNAME, DemoContext
from demo.context import SECOND_MODERATOR_USERNAME as SECOND_MODERATOR
from incidents import services
from incidents.models import (
    DetectedBy,
    Incident,
    IncidentReport,
    IncidentRole,
    IncidentStatus,
    RoleKind,
    SevLevel,
    TimelineEntry,
    TimelineKind,
)

HANDOFF_TITLE = "Blight remedies: the copper-spray thread turned sharp"
# How long each waiting appeal has waited: the demo member's own, then two others'.
APPEAL_AGES = (timedelta(hours=28), timedelta(days=3, hours=2), timedelta(hours=5))


def seed_moderators_day(ctx: DemoContext) -> None:
    community = ctx.community
    if community.incidents.filter(title=HANDOFF_TITLE).exists():
        ctx.log("  the moderator's day is already staged: nothing to add")
        return
    rowan = Membership.objects.get(community=community, user__username=SECOND_MODERATOR)
    mod = Membership.objects.get(community=community, user__username=MODERATOR_USERNAME)
    incident = _handoff_offered(ctx, rowan, mod)
    _report_waiting(ctx)
    waiting = _appeals_waiting(ctx)
    ctx.log(
        f"  {rowan.display_name} offers “{incident.title}” to {mod.display_name}; "
        f"{waiting} appeals waiting for hours or days"
    )


def _handoff_offered(ctx: DemoContext, rowan: Membership, mod: Membership) -> Incident:
    """Rowan declared and facilitated an incident 50 minutes ago (built row by row with its
    times, as the timeline is append-only) and, going off shift, offers it to the demo
    moderator now, through the service, so the offer and its notice are the real thing."""
    user = rowan.user
    assert user is not None
    space = ctx.community.spaces.get(name="Growing Tips")
    parties = list(ctx.community.memberships.filter(identities__isnull=False).order_by("pk")[8:10])
    declared = ctx.now - timedelta(minutes=50)
    facilitated = declared + timedelta(minutes=3)
    incident = Incident.objects.create(
        community=ctx.community,
        title=HANDOFF_TITLE,
        summary="Two gardeners disagree about copper sprays; the replies have become personal.",
        severity=SevLevel.SEV3,
        status=IncidentStatus.DECLARED,
        detected_by=DetectedBy.MODERATOR,
        declared_by=user,
        declared_at=declared,
        facilitator_at=facilitated,
    )
    incident.spaces.set([space])
    incident.parties.set(parties)
    IncidentRole.objects.create(
        incident=incident,
        kind=RoleKind.FACILITATOR,
        membership=rowan,
        assigned_by=user,
        assigned_at=facilitated,
    )
    for at, kind, text in (
        (
            declared,
            TimelineKind.DECLARED,
            in_community_language(
                ctx.community,
                lambda: (
                    _("Declared %(severity)s in %(where)s (%(by)s).")
                    % {
                        "severity": SevLevel.SEV3,
                        "where": space.name,
                        "by": DetectedBy.MODERATOR.label.lower(),
                    }
                ),
            ),
        ),
        (
            facilitated,
            TimelineKind.ROLE,
            in_community_language(
                ctx.community,
                lambda: _("%(name)s is the facilitator.") % {"name": rowan.display_name},
            ),
        ),
        (
            declared + timedelta(minutes=20),
            TimelineKind.NOTE,
            "Asked both of them to keep to the sprays. I'm off at eight: handing this over.",
        ),
    ):
        TimelineEntry.objects.create(
            incident=incident,
            kind=kind,
            at=at,
            text=text,
            author=user,
            author_label=SECOND_MODERATOR,
        )
    services.offer_facilitator(
        incident=incident, to=mod, expected_version=None, actor=services.Actor.person(user)
    )
    incident.refresh_from_db()
    return incident


def _report_waiting(ctx: DemoContext) -> None:
    """A member's report about a space no incident covers, so it waits on the board however the
    clause alerts are delivered (at once, or by the worker after it starts: the alert about the
    Off-topic Lounge declares an incident there, and the report about that space joins it)."""
    space = ctx.community.spaces.get(name="Site Feedback")
    reporter = ctx.community.memberships.filter(identities__isnull=False).order_by("pk")[12]
    report = services.report_heated_space(
        community=ctx.community,
        space=space,
        reporter=reporter,
        message="The thread about the new sign-up rules is turning into a pile-on.",
    )
    IncidentReport.objects.filter(pk=report.pk).update(
        created_at=ctx.now - timedelta(hours=2, minutes=10)
    )


def _appeals_waiting(ctx: DemoContext) -> int:
    """The demo member's waiting appeal, filed a day ago, and two more from other members."""
    community = ctx.community
    others = list(
        Charge.objects.active()
        .filter(community=community, membership__user__isnull=True, appeal__isnull=True)
        .filter(recorded_at__gt=ctx.now - timedelta(days=10))
        .exclude(membership__appeals__isnull=False)
        .order_by("-recorded_at", "pk")[:2]
    )
    statements = (
        "I was quoting the rules back at them, not telling them off. Could someone read it "
        "again in context?",
        "That was my first week here and I did not know photos of the plots needed a caption.",
    )
    for charge, statement in zip(others, statements, strict=False):
        budget_services.file_appeal(
            charge=charge, membership=charge.membership, statement=statement
        )
    # The demo member's appeal (the one with a login) first, then the others by id.
    pending = sorted(
        Appeal.objects.filter(community=community, status=AppealStatus.PENDING).select_related(
            "membership"
        ),
        key=lambda a: (a.membership.user_id is None, a.pk),
    )
    for appeal, age in zip(pending, APPEAL_AGES, strict=False):
        filed = ctx.now - age
        Appeal.objects.filter(pk=appeal.pk).update(filed_at=filed)
        Notification.objects.filter(
            kind=NotificationKind.APPEAL_TO_DECIDE,
            key__startswith=f"budgets.appeal-filed:{appeal.pk}:",
        ).update(created_at=filed)
    return len(pending)
