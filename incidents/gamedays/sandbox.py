"""Building a game day's sandbox: a hidden, members-only community with copies of the real
community's live clauses, forgiveness policy, incident settings and runbooks, and the real
moderators as its only members. No forum connection, no API keys, no webhook subscriptions:
nothing in it can reach the outside, by construction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from budgets.models import ForgivenessPolicy
from community.models import Clause, Community, Contract, Membership, Visibility
from incidents.models import IncidentSettings, Runbook, RunbookStep


def _copy_clauses(real: Community, sandbox: Community) -> None:
    contract = Contract.objects.filter(community=real).first()
    Contract.objects.create(
        community=sandbox,
        preamble=contract.preamble if contract else "",
        policy=contract.policy if contract else {},
    )
    # Clauses limited to chosen spaces measure real spaces the sandbox does not have.
    for clause in Clause.objects.live().filter(community=real, spaces__isnull=True):
        clause.pk = None
        clause.community = sandbox
        clause.save()


def _copy_policy(real: Community, sandbox: Community) -> None:
    policy = ForgivenessPolicy.objects.filter(community=real).first()
    if policy is not None:
        policy.pk = None
        policy.community = sandbox
        policy.save()


def _copy_runbook(runbook: Runbook, sandbox: Community) -> Runbook:
    steps = list(runbook.steps.order_by("position"))
    copy = Runbook.objects.create(
        community=sandbox,
        name=runbook.name,
        description=runbook.description,
        created_by=runbook.created_by,
    )
    for step in steps:
        step.pk = None
        step.runbook = copy
    RunbookStep.objects.bulk_create(steps)
    return copy


@transaction.atomic
def build_sandbox(*, real: Community, runbook: Runbook) -> tuple[Community, Runbook]:
    """The sandbox and its copy of ``runbook`` (started automatically on clause alerts)."""
    stamp = timezone.now().strftime("%Y%m%d%H%M")
    sandbox = Community.objects.create(
        slug=f"{real.slug[:30]}-rehearsal-{stamp}-{get_random_string(4).lower()}",
        name=f"{real.name} (rehearsal)",
        description="A game day's sandbox: nothing here touches the real community.",
        visibility=Visibility.MEMBERS,
        category_severities=real.category_severities,
    )
    Membership.objects.bulk_create(
        Membership(community=sandbox, user_id=m.user_id, display_name=m.display_name, role=m.role)
        for m in Membership.objects.filter(community=real, user__isnull=False).moderators()
    )
    _copy_clauses(real, sandbox)
    _copy_policy(real, sandbox)
    copy = _copy_runbook(runbook, sandbox)
    settings = IncidentSettings.objects.filter(community=real).first()
    IncidentSettings.objects.create(
        community=sandbox,
        max_cooldown_minutes=settings.max_cooldown_minutes if settings else 24 * 60,
        alert_response=settings.alert_response if settings else IncidentSettings().alert_response,
        auto_runbook=copy,
    )
    return sandbox, copy
