"""The circle with a real Celery worker through Redis on PostgreSQL: the tasks beat sends by
name remind an agreement's owner and publish an approved public summary, and a forgiveness
made through the API shows in the budget the worker recalculates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from budgets.models import MemberBudget
from community.models import Community, Membership, Notification, NotificationKind, Role
from community.services import set_role
from config.celery import app as celery_app
from incidents.postmortems import services as document
from incidents.postmortems.circle import services
from incidents.postmortems.models import Postmortem, PublicSummaryState, Visibility
from tests.circle.conftest import published
from tests.circle.helpers import agreed, circle, friction
from tests.conftest import WorkerProcess, api_client_for, make_user, wait_for
from tests.postmortems.helpers import write

pytestmark = [pytest.mark.worker]


def _member(community: Community, name: str, role: str = Role.MEMBER) -> Membership:
    user = make_user(name)
    set_role(community=community, user=user, role=role)
    return Membership.objects.get(community=community, user=user)


def test_reminders_summaries_and_forgiveness_through_the_worker(
    celery_worker: WorkerProcess,
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    mod = _member(community, "maya_mod", Role.MODERATOR)
    milo = _member(community, "milo_member")
    rafa = _member(community, "rafa_responsible")
    ring = circle(
        community=community,
        moderator=mod.user,
        harmed=milo,
        responsible=rafa,  # type: ignore[arg-type]
    )
    for n in range(2):
        friction(membership=rafa, space=ring.space, external_id=f"flag-{n}")
    charged = wait_for(
        lambda: MemberBudget.objects.filter(membership=rafa, spent__gt=0).first(),
        what="the worker to recalculate the charged budget",
    )

    # Due tomorrow: beat's reminder reaches the owner.
    agreement = agreed(
        ring.postmortem, ring.responsible, due_on=timezone.localdate() + timedelta(days=1)
    )
    celery_app.send_task("circle.remind_agreements")
    notice = wait_for(
        lambda: Notification.objects.filter(
            kind=NotificationKind.AGREEMENT_DUE, recipient=rafa
        ).first(),
        what="the agreement reminder",
    )
    assert "It is due on" in notice.body

    # Kept, then forgiven through the API; the worker's recalculation shows the recovery.
    api = api_client_for(community, "read", "moderate")
    kept = api.post(
        f"/api/v1/agreements/{agreement.pk}/decision/", {"outcome": "kept"}, format="json"
    )
    assert kept.status_code == 200
    forgiven = api.post(f"/api/v1/participants/{ring.responsible.pk}/forgive/")
    assert forgiven.status_code == 201 and len(forgiven.json()["charge_ids"]) == 2
    recovered = wait_for(
        lambda: MemberBudget.objects.filter(membership=rafa, spent=0).first(),
        what="the budget to recover",
    )
    assert recovered.remaining > charged.remaining

    # The public summary, approved before the postmortem was published, goes out with the
    # hourly sweep once it is.
    doc = document.set_visibility(
        postmortem=ring.postmortem, visibility=Visibility.PUBLIC, expected_version=None, by=None
    )
    write(doc, "public_summary", "A trade turned sharp; trades now say who keeps each plot.")
    services.propose_public_summary(postmortem=doc)
    services.answer_summary(postmortem=doc, participant=ring.harmed, approve=True)
    published(doc, community, mod)
    celery_app.send_task("circle.publish_due_summaries")
    wait_for(
        lambda: Postmortem.objects.filter(
            pk=doc.pk, public_summary_state=PublicSummaryState.PUBLISHED
        ).first(),
        what="the summary to be published",
    )
