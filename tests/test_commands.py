"""Operator commands: exit codes, outputs, idempotence."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from budgets.models import (
    Appeal,
    Charge,
    Forgiveness,
    MemberBudget,
    MemberCooldown,
    Notice,
    PolicyVersion,
    TierTransition,
)
from community.contract.translations import translation_rows
from community.models import (
    Acknowledgement,
    ApiKey,
    Clause,
    ClauseAlert,
    ClauseSnapshot,
    Community,
    ConductEvent,
    ContractVersion,
    DomainEvent,
    Membership,
    Space,
)
from demo import context as demo
from demo.incidents import RESOLVED_TITLE
from incidents.models import (
    Cooldown,
    Incident,
    IncidentReport,
    IncidentRole,
    Runbook,
    RunbookStep,
    StepRun,
    TimelineEntry,
)
from incidents.postmortems.models import (
    ActionItem,
    Agreement,
    BlamelessFinding,
    CircleForgiveness,
    Participant,
    Postmortem,
    PostmortemSection,
    RepairExchange,
)
from integrations.models import DiscourseConnection, WebhookAttempt, WebhookDelivery


def test_create_community_with_a_moderator(outsider: User) -> None:
    out = StringIO()
    call_command(
        "create_community", slug="bees", name="Bee Keepers", moderator=outsider.username, stdout=out
    )
    bees = Community.objects.get(slug="bees")
    assert bees.name == "Bee Keepers"
    assert bees.memberships.get(user=outsider).is_moderator
    assert "Created community bees" in out.getvalue()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"slug": "garden", "name": "Again"}, "already exists"),
        ({"slug": "bad slug", "name": "x"}, "--slug may use only"),
        ({"slug": "bees", "name": "x", "moderator": "nobody"}, "No user named"),
    ],
)
def test_create_community_refuses_bad_input(
    community: Community, kwargs: dict, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("create_community", **kwargs)
    assert Community.objects.count() == 1


def test_create_api_key_prints_a_working_key_alone_on_the_last_line(community: Community) -> None:
    out = StringIO()
    call_command(
        "create_api_key",
        community="garden",
        scopes="events:write,read",
        stdout=out,
        stderr=StringIO(),
    )
    key = out.getvalue().strip().splitlines()[-1]
    assert key.startswith("csre_") and " " not in key
    assert ApiKey.objects.get().scopes == ["events:write", "read"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    event = {"external_id": "1", "kind": "post", "occurred_at": "2026-11-20T10:00:00Z"}
    assert client.post("/api/v1/events/", {"events": [event]}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"community": "nowhere", "scopes": "read"}, "No community"),
        ({"community": "garden", "scopes": "read,admin"}, "Unknown scope"),
        ({"community": "garden", "scopes": " , "}, "at least one scope"),
    ],
)
def test_create_api_key_refuses_bad_input(community: Community, kwargs: dict, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", **kwargs)
    assert not ApiKey.objects.exists()


def _census() -> tuple[int, ...]:
    return (
        Community.objects.count(),
        Membership.objects.count(),
        Space.objects.count(),
        ConductEvent.objects.count(),
        User.objects.count(),
        # The social contract (step 20)
        Clause.objects.count(),
        ContractVersion.objects.count(),
        Acknowledgement.objects.count(),
        ClauseSnapshot.objects.count(),
        ClauseAlert.objects.count(),
        DomainEvent.objects.filter(type="contract.published").count(),
        Runbook.objects.count(),
        RunbookStep.objects.count(),
        Incident.objects.count(),
        IncidentRole.objects.count(),
        TimelineEntry.objects.count(),
        Cooldown.objects.count(),
        StepRun.objects.count(),
        IncidentReport.objects.count(),
        DomainEvent.objects.count(),
        # Forgiveness budgets (step 30)
        Charge.objects.count(),
        Forgiveness.objects.count(),
        MemberCooldown.objects.count(),
        Appeal.objects.count(),
        MemberBudget.objects.count(),
        TierTransition.objects.count(),
        Notice.objects.count(),
        PolicyVersion.objects.count(),
        # Postmortems (step 45)
        Postmortem.objects.count(),
        PostmortemSection.objects.count(),
        ActionItem.objects.count(),
        BlamelessFinding.objects.count(),
        # Circles (step 47)
        Participant.objects.count(),
        RepairExchange.objects.count(),
        Agreement.objects.count(),
        CircleForgiveness.objects.count(),
        Forgiveness.objects.count(),
        # Integrations (step 50)
        DiscourseConnection.objects.count(),
        WebhookDelivery.objects.count(),
        WebhookAttempt.objects.count(),
    )


def test_seed_demo_builds_a_realistic_community_and_twice_changes_nothing(db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    first = _census()
    demo_community = Community.objects.get(slug="demo")
    assert demo_community.memberships.count() >= 300
    assert demo_community.spaces.count() >= 5
    kinds = set(demo_community.events.values_list("kind", flat=True))
    assert {"post", "flag_raised", "flag_upheld", "flag_rejected", "moderator_warning"} <= kinds
    member = User.objects.get(username=demo.MEMBER_USERNAME)
    assert member.check_password(demo.DEMO_PASSWORD)
    assert demo_community.memberships.get(user=member).events.exists()
    assert demo_community.memberships.get(user__username=demo.MODERATOR_USERNAME).is_moderator
    contract = demo_community.contract
    # Version 3 is the guardrail the raised-beds postmortem asked for.
    assert [v.number for v in contract.versions.all()] == [3, 2, 1]
    assert Clause.objects.live().filter(community=demo_community).count() >= 4
    # Each clause in Korean too, the third version's added sentence included (docs/i18n.md).
    for clause in Clause.objects.live().filter(community=demo_community):
        assert clause.language == "en"
        assert [t.language for t in clause.translations.all()] == ["ko"]
    hostility = Clause.objects.get(community=demo_community, slug="disagree-without-hostility")
    assert hostility.words_in("ko").title == "적대하지 않고 의견 나누기"
    assert "텃밭이나 정원" in hostility.words_in("ko").wording
    assert not any(row.stale for row in translation_rows(hostility))
    tiers = set(ClauseSnapshot.objects.filter(scope="").values_list("tier", flat=True))
    assert tiers - {"healthy"}, "at least one clause is not healthy"
    assert set(demo_community.incidents.values_list("status", flat=True)) == {
        "closed",
        "resolved",
        "mitigating",
        "declared",
    }
    assert demo_community.runbooks.count() == 2
    assert demo_community.cooldowns.active().count() == 1
    assert demo_community.incident_reports.filter(source="member_report").exists()
    resolved = demo_community.incidents.get(title=RESOLVED_TITLE)
    assert resolved.cost_bad_events is not None
    assert resolved.facilitator_at and resolved.first_cooldown_at and resolved.resolved_at
    # Budgets: every tier is shown, the member has a story, appeals in every state.
    budget_tiers = set(
        MemberBudget.objects.filter(community=demo_community).values_list("tier", flat=True)
    )
    assert budget_tiers == {"healthy", "warning", "critical", "exhausted"}
    assert MemberBudget.objects.get(membership__user=member).tier in {"warning", "critical"}
    assert set(Appeal.objects.values_list("status", flat=True)) == {"pending", "upheld", "declined"}
    assert TierTransition.objects.filter(community=demo_community).exists()
    # Pauses on posting: one running, one lifted early after forgiveness, and the finished
    # circle's responsible member's, lifted when the circle forgave (kept agreements).
    pauses = MemberCooldown.objects.filter(community=demo_community)
    assert pauses.count() == 3
    causes = sorted(pauses.exclude(lift_cause="").values_list("lift_cause", flat=True))
    assert causes == ["agreement", "forgiven"]
    assert pauses.filter(lifted_at__isnull=True).get().is_running(timezone.now())
    # Postmortems: one published with a verified guardrail (its incident closed), one in draft
    # with a passage the blameless check pointed out.
    finished = Postmortem.objects.get(incident=resolved)
    assert finished.state == "published" and resolved.status == "closed"
    assert finished.published_at is not None and finished.published_at <= finished.due_at
    guardrail = finished.action_items.get(kind="clause")
    assert guardrail.status == "verified" and guardrail.contract_version.number == 3
    draft = Postmortem.objects.exclude(pk=finished.pk).get(community=demo_community)
    assert draft.state == "draft" and draft.blameless_findings.filter(status="open").exists()
    # Circles: the finished one consented, kept, approved and forgiven; the other open.
    assert set(finished.participants.values_list("consent", flat=True)) == {"accepted"}
    assert finished.agreements.get().status == "kept"
    assert finished.repair_exchanges.get().stage == "confirmed"
    assert finished.public_summary_state == "published"
    # Objected to after publication, revised, read again and approved.
    assert list(
        finished.summary_approvals.order_by("section_version").values_list("decision", flat=True)
    ) == ["objected", "approved"]
    forgiven = CircleForgiveness.objects.get(postmortem=finished)
    assert forgiven.charge_ids
    assert set(
        Forgiveness.objects.filter(charge_id__in=forgiven.charge_ids).values_list("kind", flat=True)
    ) == {"agreement"}
    assert draft.participants.get(membership__user=member).consent == "invited"
    assert draft.agreements.get().status == "open"
    call_command("seed_demo", stdout=StringIO())
    assert _census() == first
