"""Action items: their rules, marking them done, and verifying a guardrail against its
clause's indicator (verified over the whole window, reopened with a notice on a breach)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from community.contract.services import retire_clause
from community.models import (
    Clause,
    Community,
    ConductEvent,
    ContractVersion,
    Membership,
    Notification,
    NotificationKind,
)
from community.services import ServiceError
from incidents.models import Runbook, TimelineEntry, TimelineKind
from incidents.postmortems import services
from incidents.postmortems.models import ActionItem, ActionKind, ActionStatus, Postmortem
from incidents.postmortems.services import ItemFields
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks
from tests.postmortems.helpers import guardrail_item


def _fields(owner_: Membership | None, **kw: object) -> ItemFields:
    base: dict[str, object] = {
        "title": "Pin the rules in Proposals",
        "kind": ActionKind.RUNBOOK,
        "owner": owner_,
        "due_on": timezone.localdate() + timedelta(days=5),
        "verification_criterion": "Fewer hostility flags in a month.",
    }
    base.update(kw)
    return ItemFields(**base)  # type: ignore[arg-type]


def events(community: Community, *, posts: int, flags: int, at: datetime, prefix: str) -> None:
    rows = [
        ConductEvent(
            community=community,
            kind="post",
            occurred_at=at,
            recorded_at=at,
            external_id=f"{prefix}-p{i}",
            subject=f"{prefix}-p{i}",
        )
        for i in range(posts)
    ]
    rows += [
        ConductEvent(
            community=community,
            kind="flag_upheld",
            category="inappropriate",
            severity="moderate",
            occurred_at=at,
            recorded_at=at,
            external_id=f"{prefix}-f{i}",
            subject=f"{prefix}-p{i}",
        )
        for i in range(flags)
    ]
    ConductEvent.objects.bulk_create(rows)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"owner": None}, "Choose who owns"),
        ({"due_on": None}, "due date"),
        ({"title": "  "}, "short title"),
        ({"kind": "ban"}, "The type is one of"),
        ({"kind": ActionKind.PROCESS, "verify_target": Decimal("0.9")}, "Only a guardrail item"),
        ({"verify_target": Decimal("0.9")}, "a clause, a target and a window"),
        ({"alert_rule": "page_fast"}, "alert rule is named on an alert item"),
    ],
)
def test_bad_action_items_are_refused_and_nothing_is_stored(
    doc: Postmortem, mod_membership: Membership, change: dict[str, object], message: str
) -> None:
    fields = _fields(mod_membership, **change)
    with pytest.raises(ServiceError, match=message):
        services.add_action_item(postmortem=doc, fields=fields, by=None)
    assert not ActionItem.objects.exists()


def test_a_verification_on_a_retired_clause_is_refused(
    doc: Postmortem, mod_membership: Membership, clause: Clause, community: Community
) -> None:
    retire_clause(clause=clause)
    clause.refresh_from_db()
    with pytest.raises(ServiceError, match="is retired"):
        services.add_action_item(
            postmortem=doc,
            fields=_fields(
                mod_membership,
                kind=ActionKind.CLAUSE,
                verify_clause=clause,
                verify_target=Decimal("0.98"),
                verify_window_days=7,
            ),
            by=None,
        )
    assert not ActionItem.objects.exists()


def test_targets_and_windows_must_be_sensible(
    doc: Postmortem, mod_membership: Membership, clause: Clause
) -> None:
    for target, window, message in [
        (Decimal("1"), 7, "between 0 and 100"),
        (Decimal("0.98"), 0, "between 1 and 90 days"),
    ]:
        with pytest.raises(ServiceError, match=message):
            services.add_action_item(
                postmortem=doc,
                fields=_fields(
                    mod_membership,
                    kind=ActionKind.CLAUSE,
                    verify_clause=clause,
                    verify_target=target,
                    verify_window_days=window,
                ),
                by=None,
            )


def test_an_alert_item_names_a_rule_of_its_contract_version(
    doc: Postmortem, mod_membership: Membership, version: ContractVersion
) -> None:
    with pytest.raises(ServiceError, match="has no alert rule “page_slowest”"):
        services.add_action_item(
            postmortem=doc,
            fields=_fields(
                mod_membership,
                kind=ActionKind.ALERT,
                contract_version=version,
                alert_rule="page_slowest",
            ),
            by=None,
        )
    item = services.add_action_item(
        postmortem=doc,
        fields=_fields(
            mod_membership, kind=ActionKind.ALERT, contract_version=version, alert_rule="page_fast"
        ),
        by=None,
    )
    assert item.alert_rule == "page_fast"


def test_a_guardrail_is_done_only_once_it_links_the_change_that_made_it(
    doc: Postmortem, mod_membership: Membership, community: Community
) -> None:
    item = services.add_action_item(postmortem=doc, fields=_fields(mod_membership), by=None)
    with pytest.raises(ServiceError, match="Link the runbook"):
        services.mark_done(item=item, expected_version=item.version, by=None)
    runbook: Runbook = install_starter_runbooks(community=community)[RUNBOOK_A]
    item = services.update_action_item(
        item=item,
        fields=_fields(mod_membership, runbook=runbook),
        expected_version=item.version,
        by=None,
    )
    done = services.mark_done(item=item, expected_version=item.version, by=None)
    assert done.status == ActionStatus.DONE and done.done_at is not None
    with pytest.raises(ServiceError, match="already done"):
        services.mark_done(item=done, expected_version=done.version, by=None)
    with pytest.raises(services.StaleActionItem):
        services.reopen_by_hand(item=done, expected_version=item.version, by=None)


def test_verifying_and_verified_are_not_set_by_hand(
    doc: Postmortem, mod_membership: Membership
) -> None:
    item = services.add_action_item(postmortem=doc, fields=_fields(mod_membership), by=None)
    with pytest.raises(ServiceError, match="come from the clause's indicator"):
        services.set_status(item=item, status="verified", expected_version=None, by=None)


def test_a_guardrail_that_holds_its_target_over_the_whole_window_is_verified(
    doc: Postmortem,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
    community: Community,
) -> None:
    item = guardrail_item(doc, owner=mod_membership, clause=clause, version=version, window_days=7)
    start = timezone.now()
    verifying = services.mark_done(item=item, expected_version=item.version, by=None, now=start)
    assert verifying.status == ActionStatus.VERIFYING
    assert verifying.verification_ends_at == start + timedelta(days=7)
    # Events before it was marked done do not count; 1 flag in 100 posts after it: 99 %.
    events(community, posts=50, flags=20, at=start - timedelta(hours=1), prefix="before")
    events(community, posts=100, flags=1, at=start + timedelta(days=2), prefix="after")
    midway = services.check_verification(item=item, now=start + timedelta(days=3))
    assert midway.status == ActionStatus.VERIFYING and midway.last_sli == Decimal("0.99")
    with time_machine.travel(start + timedelta(days=7, minutes=1), tick=False):
        done = services.check_verification(item=item)
    assert done.status == ActionStatus.VERIFIED and done.verified_at is not None
    [entry] = TimelineEntry.objects.filter(incident=doc.incident, kind=TimelineKind.PM_ITEM)
    assert entry.get_kind_display() == "Action item"
    assert entry.text.startswith(f"Action item “{item.title}” verified:")
    assert "met its 98 % target over the whole window" in entry.text
    assert [(c.total, c.bad, c.meets_target) for c in done.checks.all()] == [
        (100, 1, True),
        (100, 1, True),
    ]


def test_a_breach_reopens_the_item_and_tells_its_owner(
    doc: Postmortem,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
    community: Community,
) -> None:
    item = guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    start = timezone.now()
    services.mark_done(item=item, expected_version=item.version, by=None, now=start)
    events(community, posts=60, flags=5, at=start + timedelta(hours=5), prefix="flare")
    reopened = services.check_verification(item=item, now=start + timedelta(hours=6))
    assert reopened.status == ActionStatus.REOPENED and reopened.reopen_count == 1
    notice = Notification.objects.get(kind=NotificationKind.ACTION_ITEM_REOPENED)
    assert notice.recipient == mod_membership
    assert "fell below its 98 % target" in notice.body and "91.7 %" in notice.body
    [entry] = TimelineEntry.objects.filter(incident=doc.incident, kind=TimelineKind.PM_ITEM)
    assert "reopened" in entry.text and "fell below its target" in entry.text
    assert entry.by == "the postmortem"
    # Reopened, it is worked on again and goes back to verifying.
    again = services.mark_done(item=reopened, expected_version=reopened.version, by=None)
    assert again.status == ActionStatus.VERIFYING


def test_a_clause_retired_while_verifying_reopens_the_item(
    doc: Postmortem, mod_membership: Membership, clause: Clause, version: ContractVersion
) -> None:
    item = guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    services.mark_done(item=item, expected_version=item.version, by=None)
    retire_clause(clause=clause)
    after = services.check_verification(item=item)
    assert after.status == ActionStatus.REOPENED
    assert "left the contract" in Notification.objects.get().body
