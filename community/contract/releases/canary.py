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
from django.utils import timezone
from django.utils.translation import gettext as _

from community.contract.releases.council import ratification_refusal
from community.contract.releases.gate import Finding, Thresholds, Verdict
from community.contract.releases.measure import measure_canary
from community.contract.releases.models import (
    Baseline,
    Canary,
    CanaryEntry,
    CanaryStatus,
    EntryKind,
)
from community.contract.releases.policy_trial import apply_policy
from community.contract.releases.starting import (
    record_start,
    refuse_a_second_trial,
    trial_spaces,
)
from community.contract.releases.words import (
    not_promoted_words,
    promoted_words,
    rollback_body,
    rollback_title,
    rolled_back_words,
    verdict_words,
)
from community.contract.services import (
    draft_fingerprint,
    get_contract,
    preview_publish,
    publish_contract,
)
from community.jobs import enqueue_after_commit
from community.language import in_community_language
from community.models import (
    AuditEntry,
    Clause,
    Community,
    Membership,
    NotificationKind,
)
from community.notifications import notify
from community.services import ServiceError


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
    summary, spaces = trial_spaces(community, space_ids, duration_hours, summary, baseline)
    thresholds = thresholds or Thresholds()
    with transaction.atomic():
        contract = get_contract(community=community)
        previous = contract.current_version()
        if previous is None:
            raise ServiceError(_("Publish a first version before trying a change in some spaces."))
        refuse_a_second_trial(community, spaces)
        clauses = list(
            Clause.objects.in_draft().filter(community=community).prefetch_related("spaces")
        )
        draft = preview_publish(contract=contract, previous=previous, draft_clauses=clauses)
        if not draft.clauses:
            raise ServiceError(_("The draft has no clause to try."))
        if (draft.preamble, draft.policy, draft.clauses) == (
            previous.preamble,
            previous.policy,
            previous.clauses,
        ):
            raise ServiceError(
                _("Nothing has changed since version %(number)s: edit the draft first.")
                % {"number": previous.number}
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
            # The gate's thresholds are stored on the trial under the same names.
            **asdict(thresholds),
            started_at=now,
            ends_at=now + timedelta(hours=duration_hours),
            started_by_name=name,
        )
        record_start(canary, spaces, duration_hours, name, now)
    return canary


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
        community = canary.community
        summary = in_community_language(community, lambda: verdict_words(verdict.findings))
        if not verdict.holds:
            roll_back_canary(
                canary=canary,
                reason=summary,
                failures=verdict.failures,
                by_name="",
                automatic=True,
            )
        elif now >= canary.ends_at:
            try:
                promote_canary(canary=canary, by=None, by_name="the gate", automatic=True)
            except ServiceError as exc:
                why = str(exc)
                CanaryEntry.objects.create(
                    canary=canary,
                    at=now,
                    kind=EntryKind.GATE_HELD,
                    words=in_community_language(community, lambda: not_promoted_words(why)),
                )
        elif changed:
            CanaryEntry.objects.create(
                canary=canary, at=now, kind=EntryKind.GATE_HELD, words=summary
            )
        canary.refresh_from_db(fields=["status"])
        return canary.status


def check_running_canaries(*, now: datetime | None = None) -> int:
    """The periodic sweep: check every running trial. Returns how many were checked."""
    ids = list(Canary.objects.running().values_list("pk", flat=True))
    for pk in ids:
        Canary.objects.filter(pk=pk).update(check_pending=False)
        check_canary(canary_id=pk, now=now)
    return len(ids)


def request_check(*, community: Community) -> bool:
    """Queue one check of the community's running trial after commit, unless one is pending
    (the ``check_pending`` flag, set here and cleared when the check starts): a burst of
    batches queues one check, not one per batch. Returns whether a check was queued. If the
    broker is down the flag stays set and the minute's sweep checks (and clears it)."""
    pk = Canary.objects.running().filter(community=community).values_list("pk", flat=True).first()
    if pk is None:
        return False
    if not Canary.objects.filter(pk=pk, check_pending=False).update(check_pending=True):
        return False
    enqueue_after_commit("releases.check_canary", pk)
    return True


def run_requested_check(*, canary_id: int) -> str:
    """The check queued after ingest: clear the pending flag first, so events that arrive
    while we measure queue exactly one more check."""
    Canary.objects.filter(pk=canary_id).update(check_pending=False)
    return check_canary(canary_id=canary_id)


def roll_back_canary(
    *,
    canary: Canary,
    reason: str = "",
    failures: Sequence[Finding] = (),
    by_name: str = "",
    automatic: bool = False,
) -> Canary:
    """Stop a trial: the version in force applies again in the trial spaces. An automatic
    rollback also writes an audit entry (no request made it). The moderators are told, each in
    their own language (``failures``: the gate's failed findings, said as why); the timeline
    records ``reason`` and the outcome once, in the community's default language."""
    with transaction.atomic():
        canary = (
            Canary.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=canary.pk)
        )
        if canary.status == CanaryStatus.PROMOTED:
            raise ServiceError(_("This version was promoted already; publish a new one instead."))
        if canary.status == CanaryStatus.ROLLED_BACK:
            raise ServiceError(_("This trial was rolled back already."))
        words = in_community_language(
            canary.community,
            lambda: rolled_back_words(canary, by_name=by_name, automatic=automatic),
        )
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
            title=rollback_title(canary),
            body=rollback_body(canary, by_name=by_name, automatic=automatic, failures=failures),
            link=f"/c/{community.slug}/contract/releases/canaries/{canary.pk}/",
            key=f"canary-rollback-{canary.pk}",
        )
    return canary


def promote_canary(
    *, canary: Canary, by: User | None, by_name: str = "", automatic: bool = False
) -> Canary:
    """Publish the trial's draft to every space (a policy trial: save its costs as the next
    policy version). Refused for a trial rolled back or promoted already, and when the draft
    (the policy) changed since the trial began (that draft was not tried)."""
    with transaction.atomic():
        canary = (
            Canary.objects.select_for_update(of=("self",))
            .select_related("community")
            .get(pk=canary.pk)
        )
        if canary.status == CanaryStatus.ROLLED_BACK:
            raise ServiceError(
                _(
                    "This trial was rolled back, so its version cannot be promoted. "
                    "Revise the draft and start a new trial."
                )
            )
        if canary.status == CanaryStatus.PROMOTED:
            raise ServiceError(_("This version was promoted already."))
        name = by_name or (by.get_username() if by is not None else "the gate")
        # Stop the trial first: the publish guard refuses while a trial runs.
        _finish(
            canary,
            status=CanaryStatus.PROMOTED,
            kind=EntryKind.PROMOTED,
            by_name=name,
            words=in_community_language(
                canary.community, lambda: promoted_words(name=name, automatic=automatic)
            ),
        )
        if canary.is_policy:
            canary.promoted_policy_version = apply_policy(canary, by)
            canary.save(update_fields=["promoted_policy_version"])
            return canary
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
    requests a check of its gate (coalesced, after commit), so a burst rolls the trial back
    within seconds rather than at the next minute's sweep."""
    request_check(community=community)


def running_canary_refusal(community: Community, fingerprint: str) -> str | None:
    """Publish guard: while a trial runs, the contract is published only by promoting it."""
    if Canary.objects.running().filter(community=community).exists():
        return _("A trial is running: promote it or roll it back before publishing.")
    return None
