"""What the releases package adds to other pages through registries: the trial section of the
contract page (registered in ``community.contract.hooks``) and the council's waiting answers
in Needs you (``community.attention``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from community.access import CommunityAccess
from community.attention import Item
from community.contract.releases.models import Answer, Canary, CouncilGroup
from community.models import Community, ConductEvent

ACTIVE_DAYS = 30


def trial_section(access: CommunityAccess) -> tuple[str, dict[str, Any]] | None:
    """A running trial, as members read it on the contract page: which version applies in
    which spaces, marked as a trial; "applies to you" for a member who posted there lately."""
    canary = (
        Canary.objects.running()
        .filter(community=access.community)
        .prefetch_related("spaces")
        .first()
    )
    if canary is None:
        return None
    spaces = sorted(canary.spaces.all(), key=lambda s: s.name)
    yours: list[str] = []
    if access.membership is not None:
        since = timezone.now() - timedelta(days=ACTIVE_DAYS)
        active = set(
            ConductEvent.objects.filter(
                member=access.membership,
                space__in=spaces,
                occurred_at__gte=since,
            ).values_list("space_id", flat=True)
        )
        yours = [s.name for s in spaces if s.pk in active]
    return (
        "releases/_trial.html",
        {"canary": canary, "spaces": spaces, "yours": yours},
    )


class CouncilAwaiting:
    """Groups whose delegate has not yet answered the draft the council was asked about, while
    ratification is on. ``community`` may be an ``OuterRef`` (the navigation counts every
    source in one query), so this is one QuerySet expression."""

    name = "council-awaiting"

    def waiting(self, community: Community) -> QuerySet[Any]:
        answered = Answer.objects.standing().filter(
            group=OuterRef("pk"), fingerprint=OuterRef("council__asked_fingerprint")
        )
        return (
            CouncilGroup.objects.filter(
                council__community=community, council__enabled=True, delegate__isnull=False
            )
            .exclude(council__asked_fingerprint="")
            .exclude(Exists(answered))
            .select_related("delegate", "council")
        )

    def items(self, community: Community, rows: QuerySet[Any]) -> list[Item]:
        url = reverse("releases:council", args=[community.slug])
        return [
            Item(
                kind="council",
                key=str(group.pk),
                title=f"{group.name} has not answered version {group.council.asked_number} yet",
                detail=f"Its delegate, {group.delegate.display_name}, is asked to ratify, "
                "stand aside or block.",
                since=group.council.started_at,
                action="Open the council",
                url=url,
            )
            for group in rows
        ]
