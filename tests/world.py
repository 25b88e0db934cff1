"""One of each protected object, built on the shared cast, for the tests that walk every address
(the authorization matrix, schemathesis over the whole API).

``community`` (Garden Club) holds everything; ``other_community`` (Chess Corner) holds a space,
a live clause and an incident of its own, so a key or a moderator of Chess can be seen not to
reach Garden's. Everything is built through the services, as the application would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from budgets import services as budget_services
from budgets.models import Appeal, Charge
from community.contract.services import save_clause
from community.contract.slo import ClauseDefinition
from community.models import (
    ApiKey,
    Clause,
    Community,
    ContractVersion,
    Membership,
    Notification,
    NotificationKind,
    Role,
    Space,
)
from community.notifications import notify
from community.services import create_api_key, revoke_api_key, set_role
from incidents import services as incident_services
from incidents.gamedays.models import GameDay
from incidents.models import (
    Cooldown,
    FacilitatorHandoff,
    Incident,
    IncidentReport,
    IncidentRole,
    RoleKind,
    Runbook,
    RunbookStep,
    StepRun,
    StepStatus,
)
from incidents.postmortems import services as postmortem_services
from incidents.postmortems.circle import services as circle_services
from incidents.postmortems.models import (
    ActionItem,
    Agreement,
    BlamelessFinding,
    Participant,
    Postmortem,
    RepairExchange,
)
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks
from integrations.discourse.connection import connect_discourse
from integrations.models import (
    DeliveryStatus,
    DiscourseConnection,
    InboundDelivery,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.circle.helpers import agreed, friction, joined
from tests.contract.helpers import HOSTILITY, published_clause
from tests.postmortems.helpers import in_review, resolved_incident, write, written_up

ALL_SCOPES = ("read", "events:write", "moderate")
# Nothing listens there: a test that made an outbound call by mistake fails fast, on this host.
NOWHERE = "http://127.0.0.1:9"
SECRET = "world-webhook-secret-123"

DRAFT = ClauseDefinition(
    title="Stay on topic",
    wording="Threads keep to what they are about.",
    total_kinds=("post",),
    bad_kinds=("flag_upheld",),
    bad_categories=("off_topic",),
    target=HOSTILITY.target,
)


@dataclass(frozen=True)
class World:
    community: Community
    other_community: Community
    moderator: User
    member: User
    other_member: User
    outsider: User
    other_moderator: User
    deputy: User
    membership: Membership
    other_membership: Membership
    space: Space
    quiet_space: Space
    other_space: Space
    clause: Clause
    draft_clause: Clause
    version: ContractVersion
    other_clause: Clause
    incident: Incident
    other_incident: Incident
    resolved_incident: Incident
    postmortem: Postmortem
    draft_postmortem: Postmortem
    spare_incident: Incident
    action_item: ActionItem
    finding: BlamelessFinding
    circle_postmortem: Postmortem
    harmed: Participant
    responsible: Participant
    exchange: RepairExchange
    agreement: Agreement
    cooldown: Cooldown
    runbook: Runbook
    runbook_step: RunbookStep
    step: StepRun
    role: IncidentRole
    handoff: FacilitatorHandoff
    report: IncidentReport
    notification: Notification
    charge: Charge
    forgiven_charge: Charge
    appeal: Appeal
    subscription: WebhookSubscription
    delivery: WebhookDelivery
    connection: DiscourseConnection
    inbound_delivery: InboundDelivery
    api_key: ApiKey
    game_day: GameDay
    key: str
    other_key: str
    revoked_key: str


def _user(username: str, community: Community, role: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org")
    set_role(community=community, user=user, role=role)
    return user


def build_world(
    *,
    community: Community,
    other_community: Community,
    moderator: User,
    member: User,
    outsider: User,
    other_moderator: User,
) -> World:
    other_member = _user("nina_neighbour", community, Role.MEMBER)
    deputy = _user("dev_deputy", community, Role.MODERATOR)
    membership = Membership.objects.get(community=community, user=member)
    other_membership = Membership.objects.get(community=community, user=other_member)
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    quiet_space = Space.objects.create(community=community, name="Allotments", external_id="6")
    other_space = Space.objects.create(community=other_community, name="Openings", external_id="8")

    clause = published_clause(community)
    draft_clause = save_clause(community=community, definition=DRAFT)
    version = ContractVersion.objects.get(contract__community=community, number=1)
    other_clause = published_clause(other_community)

    actor = incident_services.Actor.person(moderator)
    incident = incident_services.declare_incident(
        community=community,
        title="Proposals: the vote got heated",
        severity="SEV3",
        spaces=[space],
        parties=[membership],
        actor=actor,
    )
    other_incident = incident_services.declare_incident(
        community=other_community,
        title="Openings: a heated thread",
        severity="SEV3",
        spaces=[other_space],
        actor=incident_services.Actor.person(other_moderator),
    )
    runbook = install_starter_runbooks(community=community)[RUNBOOK_A]
    incident_services.start_runbook(
        incident=incident, runbook=runbook, expected_version=None, actor=actor
    )
    cooldown = incident_services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=2),
        actor=actor,
        incident=incident,
    )
    incident_services.assign_role(
        incident=incident,
        kind=RoleKind.SCRIBE,
        membership=Membership.objects.get(community=community, user=moderator),
        expected_version=None,
        actor=actor,
    )
    handoff = incident_services.offer_facilitator(
        incident=incident,
        to=Membership.objects.get(community=community, user=deputy),
        expected_version=None,
        actor=actor,
    )
    report = incident_services.report_heated_space(
        community=community, space=space, reporter=other_membership, message="It is getting loud."
    )

    def charge_member(reason: str) -> Charge:
        return budget_services.create_charge(
            community=community,
            membership=membership,
            kind="moderator_warning",
            severity="moderate",
            reason=reason,
            occurred_at=timezone.now() - timedelta(hours=1),
            by=moderator,
        )

    charge = charge_member("Personal remarks in Proposals")
    forgiven_charge = charge_member("A sharp reply, since apologised for")
    # Forgiven by a key (no person): the ledger shows ``by`` as null.
    budget_services.forgive_charges(charges=[forgiven_charge], reason="Apologised", by=None)
    appeal = budget_services.file_appeal(
        charge=charge, membership=membership, statement="I was quoting someone else."
    )

    subscription = WebhookSubscription.objects.create(
        community=community, url=f"{NOWHERE}/hook", secret=SECRET, event_types=["*"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=uuid.uuid4(),
        event_type="incident.declared",
        body="{}",
    )
    connection = connect_discourse(community=community, base_url=NOWHERE, secret=SECRET)
    # Set aside after its attempts ran out: a moderator may try it again.
    inbound_delivery = InboundDelivery.objects.create(
        connection=connection,
        event_id="evt-1",
        event_name="post_created",
        content_key="post:1:1",
        body="{}",
        status=DeliveryStatus.DEAD_LETTER,
        attempts=InboundDelivery.MAX_ATTEMPTS,
    )

    api_key, key = create_api_key(community=community, name="world", scopes=ALL_SCOPES, by=None)
    _, other_key = create_api_key(
        community=other_community, name="chess", scopes=ALL_SCOPES, by=None
    )
    revoked, revoked_key = create_api_key(
        community=community, name="revoked", scopes=ALL_SCOPES, by=None
    )
    revoke_api_key(key=revoked)

    (notification,) = notify(
        community=community,
        recipients=[membership],
        kind=NotificationKind.APPEAL_DECIDED,
        title="Your appeal was looked at",
        email=False,
    )
    # A resolved incident with its postmortem in review: a guardrail item, and a passage the
    # blameless check pointed out, kept on purpose.
    resolved = resolved_incident(
        community=community,
        space=quiet_space,
        moderator=moderator,
        title="Allotments: a sharp week",
    )
    postmortem = postmortem_services.start_postmortem(incident=resolved, by=moderator)
    moderator_membership = Membership.objects.get(community=community, user=moderator)
    write(postmortem, "lessons", "Nobody is to blame; the rules were unclear.")
    write(
        postmortem, "contributing_factors", "They failed to read the pinned post, which is hidden."
    )
    finding = BlamelessFinding.objects.get(postmortem=postmortem)
    postmortem_services.acknowledge_finding(
        finding=finding, note="The pinned post is hidden on phones: that is the point.", by=None
    )
    postmortem = in_review(postmortem, moderator_membership, clause, version)
    action_item = ActionItem.objects.get(postmortem=postmortem)
    # A second, written up and ready for review; a third resolved incident with none yet.
    draft_postmortem = postmortem_services.start_postmortem(
        incident=resolved_incident(
            community=community, space=quiet_space, moderator=moderator, title="Allotments: again"
        ),
        by=moderator,
    )
    written_up(draft_postmortem)
    spare = resolved_incident(
        community=community,
        space=quiet_space,
        moderator=moderator,
        title="Allotments: a short spat",
        required=False,
    )

    # A circle: the member was harmed and takes part (so the member sees this circle and no
    # other); Rafa, responsible, takes part too. An exchange waits for Rafa's answer; Rafa's
    # agreement was kept (his charge from the incident can be forgiven); the member's own
    # agreement is open.
    rafa = Membership.objects.get(
        community=community, user=_user("rafa_responsible", community, Role.MEMBER)
    )
    circle_incident = resolved_incident(
        community=community,
        space=quiet_space,
        moderator=moderator,
        parties=[membership, rafa],
        title="Allotments: the seed swap",
        required=False,
    )
    friction(membership=rafa, space=quiet_space, external_id="circle-flag-1")
    circle_postmortem = postmortem_services.start_postmortem(incident=circle_incident, by=moderator)
    harmed = joined(circle_postmortem, membership, "harmed", moderator)
    responsible = joined(circle_postmortem, rafa, "responsible", moderator)
    exchange = circle_services.ask_for_repair(
        harmed=harmed,
        responsible=responsible,
        ask="Say in the thread that my plot was not for sale.",
    )
    kept = agreed(circle_postmortem, responsible)
    circle_services.decide_agreement(agreement=kept, kept=True, by=moderator)
    open_agreement = circle_services.add_agreement(
        postmortem=circle_postmortem,
        text="Tell the facilitator when the thread feels calm again",
        owner=harmed,
        due_on=timezone.localdate() + timedelta(days=5),
        by=moderator,
    )

    # A game day as the start service leaves it (the world has open incidents, so the service
    # itself would refuse): its own hidden sandbox, the feeder not started.
    sandbox = Community.objects.create(
        slug="garden-rehearsal", name="Garden (rehearsal)", visibility="members"
    )
    game_day = GameDay.objects.create(
        community=community,
        sandbox=sandbox,
        runbook_name=runbook.name,
        sandbox_runbook_id=runbook.pk,
        recording_kind="sample",
        recording_title="A short burst",
        events=[{"at": 0, "kind": "post", "member": "Member 1", "space": "Thread"}],
        speed=60,
        started_by=moderator,
    )

    incident.refresh_from_db()
    return World(
        community=community,
        other_community=other_community,
        moderator=moderator,
        member=member,
        other_member=other_member,
        outsider=outsider,
        other_moderator=other_moderator,
        deputy=deputy,
        membership=membership,
        other_membership=other_membership,
        space=space,
        quiet_space=quiet_space,
        other_space=other_space,
        clause=clause,
        draft_clause=draft_clause,
        version=version,
        other_clause=other_clause,
        incident=incident,
        other_incident=other_incident,
        resolved_incident=resolved,
        postmortem=postmortem,
        action_item=action_item,
        finding=finding,
        draft_postmortem=draft_postmortem,
        spare_incident=spare,
        circle_postmortem=circle_postmortem,
        harmed=harmed,
        responsible=responsible,
        exchange=exchange,
        agreement=open_agreement,
        cooldown=cooldown,
        runbook=runbook,
        runbook_step=runbook.steps.order_by("position").first(),  # type: ignore[arg-type]
        step=StepRun.objects.filter(run__incident=incident, status=StepStatus.PENDING)
        .order_by("position")
        .first(),  # type: ignore[arg-type]
        role=IncidentRole.objects.get(incident=incident, kind=RoleKind.SCRIBE),
        handoff=handoff,
        report=report,
        notification=notification,
        charge=charge,
        forgiven_charge=forgiven_charge,
        appeal=appeal,
        subscription=subscription,
        delivery=delivery,
        connection=connection,
        inbound_delivery=inbound_delivery,
        api_key=api_key,
        game_day=game_day,
        key=key,
        other_key=other_key,
        revoked_key=revoked_key,
    )
