"""The section a community's page leads with for the person looking: "Needs you" for a
moderator, their own home for a member (their budget in one line, a pause on their posting, the
contract version to acknowledge, their open appeals and reports). Registered with the spine's
community page (``community.attention.register_home_section``) in ``IncidentsConfig.ready``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from budgets.models import Appeal, AppealStatus, MemberBudget, MemberCooldown
from community.access import CommunityAccess
from community.models import Acknowledgement, ContractVersion, Membership
from incidents.models import IncidentReport, ReportStatus
from incidents.needs_you import needs_you


@dataclass(frozen=True)
class MemberHome:
    membership: Membership
    budget: MemberBudget | None
    pause: MemberCooldown | None
    version_to_acknowledge: ContractVersion | None
    appeals: list[Appeal]
    reports: list[IncidentReport]


def member_home(membership: Membership) -> MemberHome:
    """What a member's home shows (six small queries)."""
    budget = MemberBudget.objects.filter(membership=membership).first()
    pause = (
        MemberCooldown.objects.active(timezone.now())
        .filter(membership=membership)
        .order_by("-ends_at")
        .first()
    )
    latest = (
        ContractVersion.objects.filter(contract__community_id=membership.community_id)
        .order_by("-number")
        .first()
    )
    if (
        latest is not None
        and Acknowledgement.objects.filter(membership=membership, version=latest).exists()
    ):
        latest = None
    appeals = list(
        Appeal.objects.filter(membership=membership, status=AppealStatus.PENDING)
        .select_related("charge")
        .order_by("filed_at")
    )
    reports = list(
        IncidentReport.objects.filter(reporter=membership, status=ReportStatus.OPEN)
        .select_related("space")
        .order_by("created_at")
    )
    return MemberHome(
        membership=membership,
        budget=budget,
        pause=pause,
        version_to_acknowledge=latest,
        appeals=appeals,
        reports=reports,
    )


def home_section(access: CommunityAccess) -> tuple[str, dict[str, Any]] | None:
    if access.membership is None:
        return None
    if access.membership.is_moderator:
        return "incidents/_needs_you.html", {"needs": needs_you(access.community)}
    return "incidents/_member_home.html", {"home": member_home(access.membership)}
