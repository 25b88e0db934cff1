"""Canary services: start a trial of the contract draft in some spaces, check its gate, promote
it or roll it back. Views, the API, the periodic task and the demo all call these.

Rollback is the fast mitigation: the version in force was never replaced in the other spaces,
and the trial spaces read it again the moment the canary stops running.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from community.contract.counting import selectors
from community.contract.hooks import appeal_counts
from community.contract.releases.council import ratification_refusal
from community.contract.releases.gate import (
    RECENT_MINUTES,
    Appeals,
    ClauseSides,
    Side,
    Thresholds,
    Verdict,
    judge_gate,
)
from community.contract.releases.models import (
    Baseline,
    Canary,
    CanaryEntry,
    CanaryStatus,
    EntryKind,
)
from community.contract.services import (
    draft_fingerprint,
    get_contract,
    preview_publish,
    publish_contract,
)
from community.contract.slo import ClauseDefinition
from community.jobs import enqueue_after_commit
from community.models import (
    AuditEntry,
    Clause,
    Community,
    ConductEvent,
    Membership,
    NotificationKind,
    Space,
)
from community.notifications import notify
from community.services import ServiceError

OWN_PAST_DAYS = 14
MAX_DURATION_HOURS = 24 * 30


def _definition(data: dict[str, object]) -> ClauseDefinition:
    return ClauseDefinition.from_dict(
        {k: v for k, v in data.items() if k not in ("clause_id", "slug")}
    )


def thresholds_of(canary: Canary) -> Thresholds:
    return Thresholds(
        sli_drop_points=canary.sli_drop_points,
        burn_rate=canary.burn_rate,
        overturned_percent=canary.overturned_percent,
        min_events=canary.min_events,
    )


def start_canary(
    *,
    community: Community,
    space_ids: Sequence[int],
    duration_hours: int,
    summary: str,
    by: User | None,
    by_name: str = "",
    baseline: str = Baseline.REST,
    thresholds: Thresholds | None = None,
) -> Canary:
    """Put the contract draft on trial in some spaces of ``community``. Refused, changing
    nothing: no summary, no space or a space of another community, every space at once, a
    duration outside 1 hour to 30 days, no version in force, a trial already running, nothing
    new in the draft, or the spokescouncil not agreeing to this draft."""
    summary = summary.strip()
    if not summary:
        raise ServiceError("Say what this version changes, in a sentence or two.")
    if not space_ids:
        raise ServiceError("Choose at least one space for the trial.")
    if not 1 <= duration_hours <= MAX_DURATION_HOURS:
        raise ServiceError("A trial lasts from 1 hour to 30 days.")
    if baseline not in Baseline.values:
        raise ServiceError("Compare with the rest of the community or the spaces' own past.")
    thresholds = thresholds or Thresholds()
    spaces = list(Space.objects.filter(pk__in=set(space_ids), community=community))
    if len(spaces) != len(set(space_ids)):
        raise ServiceError(
            "Some of those spaces are not spaces of this community, so no trial was started."
        )
    if (
        baseline == Baseline.REST
        and len(spaces) == Space.objects.filter(community=community).count()
    ):
        raise ServiceError(
            "A trial in every space has nothing to compare with: leave at least one space out, "
            "or compare with the spaces' own past."
        )
    with transaction.atomic():
        contract = get_contract(community=community)
        previous = contract.current_version()
        if previous is None:
            raise ServiceError("Publish a first version before trying a change in some spaces.")
        if Canary.objects.running().filter(community=community).exists():
            raise ServiceError("A trial is already running: promote it or roll it back first.")
        clauses = list(
            Clause.objects.in_draft().filter(community=community).prefetch_related("spaces")
        )
        draft = preview_publish(contract=contract, previous=previous, draft_clauses=clauses)
        if not draft.clauses:
            raise ServiceError("The draft has no clause to try.")
        if (draft.preamble, draft.policy, draft.clauses) == (
            previous.preamble,
            previous.policy,
            previous.clauses,
        ):
            raise ServiceError(
                f"Nothing has changed since version {previous.number}: edit the draft first."
            )
        fingerprint = draft_fingerprint(draft)
        refusal = ratification_refusal(community, fingerprint)
        if refusal:
            raise ServiceError(refusal)
        now = timezone.now()
        name = by_name or (by.get_username() if by is not None else "API")
        canary = Canary.objects.create(
            community=community,
            number=draft.number,
            summary=summary,
            preamble=draft.preamble,
            policy=draft.policy,
            clauses=draft.clauses,
            fingerprint=fingerprint,
            base_version=previous,
            baseline=baseline,
            sli_drop_points=thresholds.sli_drop_points,
            burn_rate=thresholds.burn_rate,
            overturned_percent=thresholds.overturned_percent,
            min_events=thresholds.min_events,
            started_at=now,
            ends_at=now + timedelta(hours=duration_hours),
            started_by_name=name,
        )
        canary.spaces.set(spaces)
        names = ", ".join(sorted(s.name for s in spaces))
        CanaryEntry.objects.create(
            canary=canary,
            at=now,
            kind=EntryKind.STARTED,
            by_name=name,
            words=f"Version {canary.number} went on trial in {names}, for {duration_hours} hours.",
        )
    return canary


# --- Counting the two sides ------------------------------------------------------------------


def _side(
    community_id: int,
    definition: ClauseDefinition,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    space_ids: list[int],
    inside: bool,
) -> Side:
    total_q, bad_q = selectors(community_id, definition, now)
    rows = ConductEvent.objects.filter(community_id=community_id)
    if definition.spaces:
        rows = rows.filter(space_id__in=definition.spaces)
    where = Q(space_id__in=space_ids)
    rows = rows.filter(where) if inside else rows.exclude(where)
    span = Q(occurred_at__gt=start, occurred_at__lte=end)
    recent = Q(recorded_at__gt=now - timedelta(minutes=RECENT_MINUTES), recorded_at__lte=now)
    counts = rows.aggregate(
        t=Count("pk", filter=total_q & span),
        b=Count("pk", filter=bad_q & span),
        rt=Count("pk", filter=total_q & recent),
        rb=Count("pk", filter=bad_q & recent),
    )
    return Side(counts["t"], counts["b"], counts["rt"], counts["rb"])


def measure_canary(*, canary: Canary, now: datetime | None = None) -> Verdict:
    """The gate's verdict now: each clause on trial, the trial spaces with the trial version
    against the comparison with the version in force (or the trial version for a new clause)."""
    now = now or timezone.now()
    space_ids = list(canary.spaces.values_list("pk", flat=True))
    live = {
        int(c["clause_id"]): c for c in (canary.base_version.clauses if canary.base_version else [])
    }
    own_past = canary.baseline == Baseline.OWN_PAST
    past_start = canary.started_at - timedelta(days=OWN_PAST_DAYS)
    sides = []
    for data in canary.clauses:
        trial = _definition(data)
        clause_id = int(str(data["clause_id"]))
        before = _definition(live[clause_id]) if clause_id in live else trial
        canary_side = _side(
            canary.community_id,
            trial,
            start=canary.started_at,
            end=now,
            now=now,
            space_ids=space_ids,
            inside=True,
        )
        if own_past:
            baseline = _side(
                canary.community_id,
                before,
                start=past_start,
                end=canary.started_at,
                now=now,
                space_ids=space_ids,
                inside=True,
            )
        else:
            baseline = _side(
                canary.community_id,
                before,
                start=canary.started_at,
                end=now,
                now=now,
                space_ids=space_ids,
                inside=False,
            )
        sides.append(ClauseSides(trial.title, trial, canary_side, baseline))
    charges, overturned = appeal_counts(
        canary.community_id, space_ids, canary.started_at, now, True
    )
    if own_past:
        b_charges, b_over = appeal_counts(
            canary.community_id, space_ids, past_start, canary.started_at, True
        )
    else:
        b_charges, b_over = appeal_counts(
            canary.community_id, space_ids, canary.started_at, now, False
        )
    return judge_gate(
        clauses=sides,
        canary_appeals=Appeals(charges, overturned),
        baseline_appeals=Appeals(b_charges, b_over),
        thresholds=thresholds_of(canary),
    )


def _verdict_json(verdict: Verdict) -> dict[str, object]:
    return {"state": verdict.state, "findings": [asdict(f) for f in verdict.findings]}


def _moderators(community: Community) -> list[Membership]:
    return [m for m in Membership.objects.filter(community=community) if m.is_moderator]


def _finish(canary: Canary, *, status: str, words: str, kind: str, by_name: str) -> None:
    now = timezone.now()
    canary.status = status
    canary.finished_at = now
    canary.outcome = words
    canary.save(update_fields=["status", "finished_at", "outcome"])
    CanaryEntry.objects.create(canary=canary, at=now, kind=kind, by_name=by_name, words=words)


def check_canary(*, canary_id: int, now: datetime | None = None) -> str:
    """One check of a running trial: measure the gate; roll back when it fails, promote when it
    holds past the end. Returns the canary's status afterwards."""
    now = now or timezone.now()
    with transaction.atomic():
        canary = (
            (
                Canary.objects.select_for_update(of=("self",)).select_related(
                    "community", "base_version"
                )
            )
            .filter(pk=canary_id)
            .first()
        )
        if canary is None or not canary.is_running:
            return canary.status if canary else ""
        verdict = measure_canary(canary=canary, now=now)
        changed = canary.last_verdict.get("state") != verdict.state
        canary.last_checked_at = now
        canary.last_verdict = _verdict_json(verdict)
        canary.save(update_fields=["last_checked_at", "last_verdict"])
        if not verdict.holds:
            roll_back_canary(canary=canary, reason=verdict.summary(), by_name="", automatic=True)
        elif now >= canary.ends_at:
            try:
                promote_canary(canary=canary, by=None, by_name="the gate", automatic=True)
            except ServiceError as exc:
                CanaryEntry.objects.create(
                    canary=canary,
                    at=now,
                    kind=EntryKind.GATE_HELD,
                    words=f"The gate held, but the version could not be promoted: {exc}",
                )
        elif changed:
            CanaryEntry.objects.create(
                canary=canary, at=now, kind=EntryKind.GATE_HELD, words=verdict.summary()
            )
        canary.refresh_from_db(fields=["status"])
        return canary.status


def check_running_canaries(*, now: datetime | None = None) -> int:
    """The periodic sweep: check every running trial. Returns how many were checked."""
    ids = list(Canary.objects.running().values_list("pk", flat=True))
    for pk in ids:
        check_canary(canary_id=pk, now=now)
    return len(ids)


def roll_back_canary(
    *, canary: Canary, reason: str = "", by_name: str = "", automatic: bool = False
) -> Canary:
    """Stop a trial: the version in force applies again in the trial spaces. An automatic
    rollback also writes an audit entry (no request made it) and tells the moderators."""
    with transaction.atomic():
        canary = (
            Canary.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=canary.pk)
        )
        if canary.status == CanaryStatus.PROMOTED:
            raise ServiceError("This version was promoted already; publish a new one instead.")
        if canary.status == CanaryStatus.ROLLED_BACK:
            raise ServiceError("This trial was rolled back already.")
        base = canary.base_version.number if canary.base_version else 0
        who = "the gate" if automatic else (by_name or "a moderator")
        words = f"Rolled back by {who}: version {base} applies again in the trial spaces."
        if reason:
            words = f"{reason} {words}"
        if automatic:
            CanaryEntry.objects.create(canary=canary, kind=EntryKind.GATE_FAILED, words=reason)
        _finish(
            canary,
            status=CanaryStatus.ROLLED_BACK,
            words=words,
            kind=EntryKind.ROLLED_BACK,
            by_name=by_name,
        )
        community = canary.community
        if automatic:
            AuditEntry.objects.create(
                community_id=community.pk,
                community_slug=community.slug,
                username="the canary gate",
                action="releases:canary-rollback",
                method="TASK",
                path=f"/c/{community.slug}/contract/releases/canaries/{canary.pk}/",
                target={"pk": canary.pk},
                status_code=200,
            )
        notify(
            community=community,
            recipients=_moderators(community),
            kind=NotificationKind.RELEASE_ROLLED_BACK,
            title=f"The trial of version {canary.number} was rolled back",
            body=words,
            link=f"/c/{community.slug}/contract/releases/canaries/{canary.pk}/",
            key=f"canary-rollback-{canary.pk}",
        )
    return canary


def promote_canary(
    *, canary: Canary, by: User | None, by_name: str = "", automatic: bool = False
) -> Canary:
    """Publish the trial's draft to every space. Refused for a trial rolled back or promoted
    already, and when the draft changed since the trial began (that draft was not tried)."""
    with transaction.atomic():
        canary = (
            Canary.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=canary.pk)
        )
        if canary.status == CanaryStatus.ROLLED_BACK:
            raise ServiceError(
                "This trial was rolled back, so its version cannot be promoted. "
                "Revise the draft and start a new trial."
            )
        if canary.status == CanaryStatus.PROMOTED:
            raise ServiceError("This version was promoted already.")
        name = by_name or (by.get_username() if by is not None else "the gate")
        # Stop the trial first: the publish guard refuses while a trial runs.
        _finish(
            canary,
            status=CanaryStatus.PROMOTED,
            kind=EntryKind.PROMOTED,
            by_name=name,
            words=(
                "The gate held for the whole trial: promoted to every space."
                if automatic
                else f"Promoted to every space by {name}."
            ),
        )
        version = publish_contract(
            community=canary.community,
            summary=canary.summary,
            by=by,
            by_name=name,
            expected_draft=canary.fingerprint,
        )
        canary.promoted_version = version
        canary.save(update_fields=["promoted_version"])
    return canary


def on_events_recorded(sender: object, community: Community, **_: Any) -> None:
    """Receiver of ``conduct_events_recorded``: a batch in a community with a running trial
    queues a check of its gate at once (after commit), so a burst rolls the trial back within
    seconds rather than at the next minute's sweep."""
    for pk in Canary.objects.running().filter(community=community).values_list("pk", flat=True):
        enqueue_after_commit("releases.check_canary", pk)


def running_canary_refusal(community: Community, fingerprint: str) -> str | None:
    """Publish guard: while a trial runs, the contract is published only by promoting it."""
    if Canary.objects.running().filter(community=community).exists():
        return "A trial is running: promote it or roll it back before publishing."
    return None
