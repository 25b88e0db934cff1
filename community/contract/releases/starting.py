"""What every trial checks and records when it starts, whether it tries a contract version
(``canary.start_canary``) or new costs of the budget policy (``policy_trial``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.contract.releases.models import Baseline, Canary, CanaryEntry, EntryKind
from community.language import in_community_language
from community.models import Community, Space
from community.services import ConflictError, ServiceError

MAX_DURATION_HOURS = 24 * 30


def trial_spaces(
    community: Community,
    space_ids: Sequence[int],
    duration_hours: int,
    summary: str,
    baseline: str,
) -> tuple[str, list[Space]]:
    """The checks every trial shares; returns the summary stripped and the spaces."""
    summary = summary.strip()
    if not summary:
        raise ServiceError(_("Say what this version changes, in a sentence or two."))
    if not space_ids:
        raise ServiceError(_("Choose at least one space for the trial."))
    if not 1 <= duration_hours <= MAX_DURATION_HOURS:
        raise ServiceError(_("A trial lasts from 1 hour to 30 days."))
    if baseline not in Baseline.values:
        raise ServiceError(_("Compare with the rest of the community or the spaces' own past."))
    spaces = list(Space.objects.filter(pk__in=set(space_ids), community=community))
    if len(spaces) != len(set(space_ids)):
        raise ServiceError(
            _("Some of those spaces are not spaces of this community, so no trial was started.")
        )
    if (
        baseline == Baseline.REST
        and len(spaces) == Space.objects.filter(community=community).count()
    ):
        raise ServiceError(
            _(
                "A trial in every space has nothing to compare with: leave at least one space "
                "out, or compare with the spaces' own past."
            )
        )
    return summary, spaces


def refuse_a_second_trial(community: Community, spaces: list[Space]) -> None:
    """One trial at a time per community (a partial unique constraint holds it too); the
    message names the spaces the running trial already holds when they overlap."""
    running = Canary.objects.running().filter(community=community).first()
    if running is None:
        return
    taken = sorted(s.name for s in running.spaces.all() if s in spaces)
    if taken:
        raise ConflictError(
            ngettext(
                "%(spaces)s already has a trial running (%(what)s): promote it or roll it back "
                "first.",
                "%(spaces)s already have a trial running (%(what)s): promote it or roll it back "
                "first.",
                len(taken),
            )
            % {"spaces": ", ".join(taken), "what": running.what_words}
        )
    raise ConflictError(_("A trial is already running: promote it or roll it back first."))


def record_start(
    canary: Canary, spaces: list[Space], duration_hours: int, name: str, now: datetime
) -> None:
    canary.spaces.set(spaces)
    names = ", ".join(sorted(s.name for s in spaces))

    def words() -> str:  # the trial's timeline: in the community's language
        return ngettext(
            "%(what)s went on trial in %(names)s, for %(hours)s hour.",
            "%(what)s went on trial in %(names)s, for %(hours)s hours.",
            duration_hours,
        ) % {"what": capfirst(canary.what_words), "names": names, "hours": duration_hours}

    CanaryEntry.objects.create(
        canary=canary,
        at=now,
        kind=EntryKind.STARTED,
        by_name=name,
        words=in_community_language(canary.community, words),
    )
