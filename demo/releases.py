"""Demo: contract releases. A trial of kinder costs for minor upheld flags in Plot Swaps that
held for its three days and was promoted to the next budget policy version; a trial of a
stricter hostility clause in the Off-topic Lounge that the flame war of the last hour made
fail, so it rolled back by itself (with its timeline, audit entry and notice); a spokescouncil
with a group per space whose answers ratified version 2 (one stand-aside, one block
withdrawn); release health from the versions' history; and, left running at the end, a trial
of a stricter hostility clause in Proposals (72 hours), so a member who posts there reads the
version that applies to them, marked as a trial, and the moderators see it on Releases.

The council is left switched off afterwards, so the demo's moderators can still publish.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from budgets.models import PolicyVersion
from community.contract.releases.canary import check_canary, start_canary
from community.contract.releases.council import add_group, get_council
from community.contract.releases.models import Answer, AnswerKind, Canary, CanaryEntry
from community.contract.releases.policy_trial import start_policy_trial
from community.contract.services import draft_fingerprint, save_clause
from community.contract.slo import ClauseDefinition
from community.models import Clause, ContractVersion, Membership, Role
from demo.context import DemoContext


def seed_releases(ctx: DemoContext) -> None:
    community = ctx.community
    if Canary.objects.filter(community=community).exists():
        ctx.log("  releases already seeded: nothing to add")
        return
    _council(ctx)
    _promoted_policy_trial(ctx)
    _rolled_back_trial(ctx)
    _running_trial(ctx)


def _backdate(canary: Canary, started: datetime, hours: int) -> None:
    Canary.objects.filter(pk=canary.pk).update(
        started_at=started, ends_at=started + timedelta(hours=hours)
    )
    CanaryEntry.objects.filter(canary=canary).update(at=started)


def _promoted_policy_trial(ctx: DemoContext) -> None:
    """Kinder costs for a minor upheld flag, tried in Plot Swaps for three days before the
    flame war, held by the gate and promoted at its end."""
    community = ctx.community
    swaps = community.spaces.filter(name="Plot Swaps").first()
    if swaps is None:
        return
    canary = start_policy_trial(
        community=community,
        space_ids=[swaps.pk],
        duration_hours=72,
        summary="A minor upheld flag costs half a point: most are a first slip.",
        costs={"flag_upheld": {"minor": "0.5", "moderate": "3", "severe": "8"}},
        by=None,
        by_name="mona_moderator",
    )
    started = ctx.now - timedelta(days=5)
    ended = started + timedelta(hours=72)
    _backdate(canary, started, 72)
    check_canary(canary_id=canary.pk, now=ended)
    # The check ran at its end, three days after the start: its record says so too.
    Canary.objects.filter(pk=canary.pk).update(finished_at=ended)
    CanaryEntry.objects.filter(canary=canary, at__gt=ended).update(at=ended)
    canary.refresh_from_db()
    if canary.promoted_policy_version:
        PolicyVersion.objects.filter(
            community=community, version=canary.promoted_policy_version
        ).update(created_at=ended)
    ctx.log(f"  a policy trial in Plot Swaps: {canary.get_status_display().lower()}")


def _council(ctx: DemoContext) -> None:
    community = ctx.community
    version = ContractVersion.objects.filter(contract__community=community, number=2).first()
    if version is None:
        return
    council = get_council(community=community)
    council.started_at = version.published_at - timedelta(days=10)
    council.save(update_fields=["started_at"])
    members = list(Membership.objects.filter(community=community, role=Role.MEMBER)[:4])
    spaces = list(community.spaces.filter(parent__isnull=True).order_by("name")[:4])
    fingerprint = draft_fingerprint(version)
    asked = version.published_at - timedelta(days=4)
    answers = [
        (AnswerKind.RATIFY, ""),
        (AnswerKind.STAND_ASIDE, "Off topic matters less in our space; we will not hold it up."),
        (AnswerKind.BLOCK, "A new clause for Growing Tips deserves a word from its regulars."),
        (AnswerKind.RATIFY, ""),
    ]
    for i, (space, member) in enumerate(zip(spaces, members, strict=False)):
        group = add_group(community=community, name=space.name, space=space, delegate=member)
        kind, reason = answers[i]
        at = asked + timedelta(hours=6 * (i + 1))
        row = Answer.objects.create(
            council=council,
            group=group,
            fingerprint=fingerprint,
            number=version.number,
            delegate=member,
            delegate_name=member.display_name,
            kind=kind,
            reason=reason,
            answered_at=at,
        )
        if kind == AnswerKind.BLOCK:
            Answer.objects.filter(pk=row.pk).update(
                replaced_at=at + timedelta(days=1), withdrawn=True
            )
            Answer.objects.create(
                council=council,
                group=group,
                fingerprint=fingerprint,
                number=version.number,
                delegate=member,
                delegate_name=member.display_name,
                kind=AnswerKind.STAND_ASIDE,
                reason="Withdrew the block after the regulars were asked and agreed.",
                answered_at=at + timedelta(days=1),
            )
    ctx.log(f"  a council of {len(spaces)} groups ratified version {version.number}")


def _hostility_trial(
    ctx: DemoContext, *, space: str, target: str, summary: str, hours_ago: int
) -> tuple[Canary, Clause, ClauseDefinition] | None:
    """A stricter hostility target saved as the draft and started as a 72-hour trial in one
    space ``hours_ago`` hours before the demo's now, its gate checked then; the trial, the
    clause and the clause as published (None without that space or clause)."""
    community = ctx.community
    where = community.spaces.filter(name=space).first()
    hostility = Clause.objects.live().filter(community=community).order_by("position").first()
    if where is None or hostility is None:
        return None
    live = hostility.published_definition()
    assert live is not None
    stricter = ClauseDefinition.from_dict({**live.as_dict(), "target": Decimal(target)})
    save_clause(community=community, clause=hostility, definition=stricter)
    canary = start_canary(
        community=community,
        space_ids=[where.pk],
        duration_hours=72,
        summary=summary,
        by=None,
        by_name="mona_moderator",
    )
    _backdate(canary, ctx.now - timedelta(hours=hours_ago), 72)
    check_canary(canary_id=canary.pk, now=ctx.now)
    canary.refresh_from_db()
    return canary, hostility, live


def _rolled_back_trial(ctx: DemoContext) -> None:
    started = _hostility_trial(
        ctx,
        space="Off-topic Lounge",
        target="0.99",
        summary="Try a stricter hostility target (99 %) in the Off-topic Lounge first.",
        hours_ago=3,
    )
    if started is None:
        return
    canary, hostility, live = started
    # The draft goes back to what is published: the trial is over.
    save_clause(community=ctx.community, clause=hostility, definition=live)
    ctx.log(f"  a trial in the Off-topic Lounge: {canary.get_status_display().lower()}")


def _running_trial(ctx: DemoContext) -> None:
    """A stricter hostility clause on trial in Proposals, started two hours ago for 72 hours
    and left running: its draft stays the one on trial (promoting it publishes that draft)."""
    started = _hostility_trial(
        ctx,
        space="Proposals",
        target="0.985",
        summary="Try a stricter hostility target (98.5 %) in Proposals, where debates run hot.",
        hours_ago=2,
    )
    if started is not None:
        ctx.log(f"  a trial in Proposals: {started[0].get_status_display().lower()}")
