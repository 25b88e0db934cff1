"""Live clause status and alerts, counted set-based from conduct events (DESIGN.md §3.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from celery import current_app
from django.contrib.auth.models import User
from django.core import mail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.contract.counting import count_clause
from community.contract.evaluation import (
    clause_budget_consumed,
    evaluate_clause,
    evaluate_community,
)
from community.contract.scheduling import request_evaluation
from community.contract.services import save_clause
from community.contract.slo import ClauseDefinition, Counts, sli
from community.models import (
    ClauseAlert,
    ClauseSnapshot,
    Community,
    ConductEvent,
    Contract,
    DomainEvent,
    Space,
)
from community.services import EventInput, ingest_events
from operations.tasks import purge_expired
from tests.contract.helpers import HOSTILITY, posts_and_flags, published_clause

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_the_worked_example_comes_out_of_the_database(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    posts_and_flags(
        community, posts=5000, flags=60, at=NOW - timedelta(days=29), spread=timedelta(days=20)
    )
    (result,) = evaluate_community(community=community, now=NOW)
    status = result.community.status
    assert (status.total, status.bad) == (5000, 60)
    assert status.sli == Decimal("0.988")
    assert status.allowed_bad == 100
    assert status.budget_remaining == Decimal("0.4")
    assert status.tier == "warning"
    snap = ClauseSnapshot.objects.get(clause=clause, scope="", bucket=NOW)
    assert (snap.sli, snap.budget_remaining, snap.tier) == (
        Decimal("0.988"),
        Decimal("0.4"),
        "warning",
    )


def test_a_flag_upheld_days_later_counts_on_the_day_of_the_post(community: Community) -> None:
    published_clause(community, at=NOW)
    old_post = NOW - timedelta(days=10)
    posts_and_flags(
        community, posts=100, flags=4, at=old_post, recorded_at=NOW - timedelta(minutes=2)
    )
    (result,) = evaluate_community(community=community, now=NOW)
    assert result.community.status.bad == 4  # in the 30-day SLI, by occurred_at
    recent = result.community.status.burn_rates
    # In the alert windows, by recorded_at: 4 bad events, no recent posts.
    assert recent["5m"] == 0  # no traffic recorded in the last 5 minutes besides the flags
    decisions = {d.rule.name: d for d in result.community.decisions}
    assert decisions["page_fast"].bad_long == 4


def test_events_outside_the_window_and_other_categories_do_not_count(community: Community) -> None:
    published_clause(community, at=NOW)
    posts_and_flags(community, posts=50, flags=5, at=NOW - timedelta(days=31), prefix="old")
    posts_and_flags(
        community, posts=50, flags=5, at=NOW - timedelta(days=2), prefix="spam", category="spam"
    )
    (result,) = evaluate_community(community=community, now=NOW)
    assert (result.community.status.total, result.community.status.bad) == (50, 0)


def test_a_rejected_flag_stops_counting(community: Community) -> None:
    published_clause(community, at=NOW)
    posts_and_flags(community, posts=10, flags=2, at=NOW - timedelta(days=1))
    ingest_events(
        community=community,
        events=[
            EventInput(
                external_id="reject-1",
                kind="flag_rejected",
                occurred_at=NOW - timedelta(days=1),
                subject="e-post-0",
                recorded_at=NOW - timedelta(hours=1),
            )
        ],
    )
    (result,) = evaluate_community(community=community, now=NOW)
    assert result.community.status.bad == 1


def test_each_space_gets_its_own_status_in_the_same_query(
    community: Community, django_assert_max_num_queries: Any
) -> None:
    clause = published_clause(community, at=NOW)
    posts_and_flags(
        community, posts=100, flags=10, at=NOW - timedelta(days=1), space="2", prefix="a"
    )
    posts_and_flags(
        community, posts=300, flags=0, at=NOW - timedelta(days=1), space="3", prefix="b"
    )
    definition = clause.published_definition()
    assert definition is not None
    with django_assert_max_num_queries(1):
        counts = count_clause(community_id=community.pk, definition=definition, now=NOW)
    by_name = {Space.objects.get(pk=k).name: v.window for k, v in counts.items() if k}
    assert by_name == {"Space 2": Counts(100, 10), "Space 3": Counts(300, 0)}
    evaluate_community(community=community, now=NOW)
    tiers = dict(
        ClauseSnapshot.objects.filter(clause=clause, bucket=NOW).values_list("scope", "tier")
    )
    space2 = str(Space.objects.get(name="Space 2").pk)
    assert tiers[""] == "exhausted"  # 10 bad of 400 at 98 %: 8 allowed
    assert tiers[space2] == "exhausted"
    assert tiers[str(Space.objects.get(name="Space 3").pk)] == "healthy"


def test_a_clause_limited_to_a_space_ignores_the_others(community: Community) -> None:
    posts_and_flags(community, posts=10, flags=0, at=NOW - timedelta(days=1), space="2", prefix="a")
    posts_and_flags(community, posts=10, flags=5, at=NOW - timedelta(days=1), space="3", prefix="b")
    space = Space.objects.get(name="Space 2")
    clause = published_clause(
        community, ClauseDefinition(**{**HOSTILITY.__dict__, "spaces": (space.pk,)}), at=NOW
    )
    (result,) = evaluate_community(community=community, now=NOW)
    assert (result.community.status.total, result.community.status.bad) == (10, 0)
    assert clause.snapshots.filter(bucket=NOW).count() == 2  # community-wide and the one space


def test_no_traffic_is_stored_as_no_data(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    evaluate_community(community=community, now=NOW)
    snap = ClauseSnapshot.objects.get(clause=clause, bucket=NOW)
    assert snap.sli is None and snap.tier == "healthy" and snap.css_tier == "nodata"


def test_evaluations_in_one_hour_update_one_history_row(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    posts_and_flags(community, posts=10, flags=0, at=NOW - timedelta(days=1))
    evaluate_community(community=community, now=NOW)
    evaluate_community(community=community, now=NOW + timedelta(minutes=20))
    evaluate_community(community=community, now=NOW + timedelta(hours=1))
    assert clause.snapshots.filter(scope="", bucket__gte=NOW).count() == 2


def test_the_latest_snapshots_are_the_rows_of_each_clauses_latest_evaluation(
    community: Community, django_assert_num_queries: Any
) -> None:
    first = published_clause(community, at=NOW)
    second = published_clause(
        community, ClauseDefinition(**{**HOSTILITY.__dict__, "title": "Second"}), at=NOW
    )
    posts_and_flags(community, posts=10, flags=1, at=NOW - timedelta(days=1), space="2")
    evaluate_community(community=community, now=NOW - timedelta(hours=3))
    later = NOW - timedelta(hours=1)
    posts_and_flags(community, posts=10, flags=0, at=later, space="3", prefix="b")
    evaluate_clause(clause=first, now=NOW)  # the second clause was last evaluated 3 hours ago
    with django_assert_num_queries(1):
        latest = list(ClauseSnapshot.objects.all().latest_per_clause())
    space2, space3 = (str(Space.objects.get(name=f"Space {n}").pk) for n in (2, 3))
    assert sorted((s.clause_id, s.scope, s.bucket) for s in latest) == sorted(
        [
            (first.pk, "", NOW),
            (first.pk, space2, NOW),
            (first.pk, space3, NOW),
            (second.pk, "", NOW - timedelta(hours=3)),
            (second.pk, space2, NOW - timedelta(hours=3)),
        ]
    )


def test_a_draft_edit_changes_nothing_until_published(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    posts_and_flags(community, posts=10, flags=1, at=NOW - timedelta(days=1))
    save_clause(
        community=community,
        clause=clause,
        definition=ClauseDefinition(**{**HOSTILITY.__dict__, "bad_categories": ("spam",)}),
    )
    clause.refresh_from_db()
    (result,) = evaluate_community(community=community, now=NOW)
    assert result.community.status.bad == 1
    assert clause.has_unpublished_changes


# --- Alerts ---------------------------------------------------------------------------------


def flame_war(community: Community, prefix: str = "war") -> None:
    """An hour of 150 posts with 45 upheld flags, the last 14 posts (5 bad) in the last 5 min."""
    calm = posts_and_flags(
        community,
        posts=136,
        flags=40,
        at=NOW - timedelta(minutes=59),
        spread=timedelta(minutes=53),
        prefix=prefix,
    )
    hot = posts_and_flags(
        community,
        posts=14,
        flags=5,
        at=NOW - timedelta(minutes=4),
        spread=timedelta(minutes=3),
        prefix=f"{prefix}-hot",
    )
    assert len(calm) + len(hot) == 195


def test_a_flame_war_fires_the_fast_page_once_with_its_numbers(
    community: Community, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    clause = published_clause(community, at=NOW)
    flame_war(community)
    with django_capture_on_commit_callbacks(execute=True):
        (result,) = evaluate_community(community=community, now=NOW)
    fast = ClauseAlert.objects.get(clause=clause, scope="", rule="page_fast")
    assert (fast.bad_long, fast.total_long) == (45, 150)
    assert fast.burn_rate_long == Decimal(15)
    assert fast.burn_rate_short.quantize(Decimal("0.1")) == Decimal("17.9")
    assert fast.threshold == Decimal("14.4")
    assert fast.severity == "page" and fast.cleared_at is None
    assert len(fast.event_ids) == 45
    assert set(
        ConductEvent.objects.filter(pk__in=fast.event_ids).values_list("kind", flat=True)
    ) == {"flag_upheld"}
    fired = DomainEvent.objects.filter(type="clause.alert_fired", payload__rule="page_fast")
    (event,) = [e for e in fired if e.payload["space"] is None]
    assert set(event.payload) == {
        "alert_id", "clause_id", "clause_title", "space", "rule", "long_window_hours",
        "short_window_hours", "burn_rate_long", "burn_rate_short", "threshold", "bad_long",
        "total_long", "event_ids", "fired_at",
    }  # fmt: skip
    assert event.payload["alert_id"] == fast.pk
    assert event.payload["clause_id"] == clause.pk
    assert event.payload["clause_title"] == "Disagree without hostility"
    assert event.payload["long_window_hours"] == "1"
    assert event.payload["short_window_hours"] == "0.083333"
    assert event.payload["burn_rate_long"] == "15"
    assert event.payload["threshold"] == "14.4"
    assert (event.payload["bad_long"], event.payload["total_long"]) == (45, 150)
    assert event.payload["fired_at"] == NOW.isoformat()
    # The space shares the whole flame war, so it alerts too, with the space object.
    (spaced,) = [e for e in fired if e.payload["space"] is not None]
    assert spaced.payload["space"] == {
        "id": Space.objects.get(name="Space 2").pk,
        "name": "Space 2",
        "kind": "category",
        "source": "api",
        "external_id": "2",
    }
    assert [m.to for m in mail.outbox] == [[moderator.email]] * len(result.fired)
    assert "Disagree without hostility" in mail.outbox[0].subject
    # The same episode never fires twice.
    evaluate_community(community=community, now=NOW + timedelta(minutes=1))
    assert ClauseAlert.objects.filter(clause=clause, rule="page_fast").count() == 2
    assert (
        DomainEvent.objects.filter(type="clause.alert_fired", payload__rule="page_fast").count()
        == 2
    )


def test_an_alert_clears_once_when_the_short_window_calms(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    flame_war(community)
    evaluate_community(community=community, now=NOW)
    later = NOW + timedelta(minutes=10)  # nothing recorded in the last 5 minutes
    (result,) = evaluate_community(community=community, now=later)
    assert {a.rule for a in result.cleared} >= {"page_fast"}
    fast = ClauseAlert.objects.get(clause=clause, scope="", rule="page_fast")
    assert fast.cleared_at == later
    cleared = DomainEvent.objects.get(type="clause.alert_cleared", payload__alert_id=fast.pk)
    assert cleared.payload == {
        "alert_id": fast.pk,
        "clause_id": clause.pk,
        "space": None,
        "rule": "page_fast",
        "cleared_at": later.isoformat(),
    }
    evaluate_community(community=community, now=later + timedelta(minutes=1))
    assert (
        DomainEvent.objects.filter(type="clause.alert_cleared", payload__alert_id=fast.pk).count()
        == 1
    )


def test_a_burst_in_a_quiet_hour_is_not_a_page(community: Community) -> None:
    published_clause(community, at=NOW)
    posts_and_flags(community, posts=3, flags=1, at=NOW - timedelta(minutes=3))
    evaluate_community(community=community, now=NOW)
    assert not ClauseAlert.objects.exists()


def test_alerts_are_not_evaluated_for_unpublished_clauses(community: Community) -> None:
    save_clause(community=community, definition=HOSTILITY)
    flame_war(community)
    assert evaluate_community(community=community, now=NOW) == []
    assert not ClauseAlert.objects.exists()


# --- Coalesced evaluation after ingest ------------------------------------------------------


def test_ingest_queues_one_evaluation_per_community(
    community: Community, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clause = published_clause(community, at=NOW)
    Contract.objects.filter(community=community).update(evaluation_pending=False)
    task = current_app.tasks["community.evaluate_community_clauses"]
    send = task.apply_async
    sent: list[Any] = []

    def record(args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        sent.append(args)
        return send(args, kwargs, **options)

    monkeypatch.setattr(task, "apply_async", record)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        posts_and_flags(community, posts=3, flags=0, at=NOW, prefix="a")
        posts_and_flags(community, posts=3, flags=0, at=NOW, prefix="b")
        assert request_evaluation(community=community) is False
    assert Contract.objects.get(community=community).evaluation_pending
    assert sent == []  # nothing before commit
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        for callback in callbacks:
            callback()
    assert sent == [(community.pk,)]  # two batches, one evaluation
    assert not Contract.objects.get(community=community).evaluation_pending
    assert ClauseSnapshot.objects.get(clause=clause, scope="", bucket=NOW).total == 6


def test_a_community_without_live_clauses_queues_nothing(community: Community) -> None:
    assert request_evaluation(community=community) is False


# --- Incident cost --------------------------------------------------------------------------


def test_budget_consumed_is_the_share_of_allowed_bad_events(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    posts_and_flags(
        community, posts=1000, flags=0, at=NOW - timedelta(days=5), prefix="calm", space="3"
    )
    posts_and_flags(
        community, posts=100, flags=10, at=NOW - timedelta(hours=3), prefix="hot", space="2"
    )
    space2 = Space.objects.get(name="Space 2").pk
    space3 = Space.objects.get(name="Space 3").pk
    # 1100 posts at 98 %: 22 allowed; 10 bad in Space 2 during the incident.
    consumed = clause_budget_consumed(
        clause=clause, start=NOW - timedelta(hours=4), end=NOW, space_ids=[space2]
    )
    assert consumed == Decimal(10) / Decimal(22)
    assert (
        clause_budget_consumed(
            clause=clause, start=NOW - timedelta(hours=4), end=NOW, space_ids=[space3]
        )
        == 0
    )
    # [start, end): an incident that ended before the flags consumed nothing.
    assert (
        clause_budget_consumed(
            clause=clause,
            start=NOW - timedelta(hours=5),
            end=NOW - timedelta(hours=3),
            space_ids=[space2],
        )
        == 0
    )


def test_budget_consumed_without_traffic_is_all_or_nothing(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    space = Space.objects.create(community=community, name="Empty")
    assert (
        clause_budget_consumed(
            clause=clause, start=NOW - timedelta(hours=1), end=NOW, space_ids=[space.pk]
        )
        == 0
    )


# --- The SQL agrees with the pure math ------------------------------------------------------


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=40 * 24),  # hours before NOW it occurred
            st.integers(min_value=0, max_value=90),  # minutes after occurring it was recorded
            st.sampled_from(["post", "flag_upheld", "flag_raised"]),
            st.sampled_from(["inappropriate", "spam"]),
            st.sampled_from(["2", "3"]),
        ),
        max_size=40,
    )
)
def test_the_aggregate_query_agrees_with_counting_one_by_one(
    community: Community, rows: list[tuple[int, int, str, str, str]]
) -> None:
    ConductEvent.objects.filter(community=community).delete()
    items = [
        EventInput(
            external_id=f"h-{n}",
            kind=kind,
            occurred_at=NOW - timedelta(hours=hours),
            recorded_at=NOW - timedelta(hours=hours) + timedelta(minutes=delay),
            member_external_id="7",
            space_external_id=space,
            category=category if kind != "post" else "",
            subject=f"s-{n}",
        )
        for n, (hours, delay, kind, category, space) in enumerate(rows)
    ]
    ingest_events(community=community, events=items)
    definition = HOSTILITY
    counts = count_clause(community_id=community.pk, definition=definition, now=NOW)
    total = sum((c.window for c in counts.values()), Counts(0, 0))

    def is_total(e: EventInput) -> bool:
        return e.kind == "post"

    def is_bad(e: EventInput) -> bool:
        return e.kind == "flag_upheld" and e.category == "inappropriate"

    start = NOW - timedelta(days=30)
    in_window = [e for e in items if start < e.occurred_at <= NOW]
    expected = Counts(sum(map(is_total, in_window)), sum(map(is_bad, in_window)))
    assert total == expected
    assert sli(total.total, total.bad) == sli(expected.total, expected.bad)
    for minutes in definition.burn_windows:
        recent = [
            e
            for e in items
            if e.recorded_at and NOW - timedelta(minutes=minutes) < e.recorded_at <= NOW
        ]
        got = sum((c.recent[minutes] for c in counts.values()), Counts(0, 0))
        assert got == Counts(sum(map(is_total, recent)), sum(map(is_bad, recent)))


def test_publishing_a_new_clause_backfills_a_month_of_history(
    community: Community, django_assert_max_num_queries: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        posts_and_flags(community, posts=100, flags=10, at=NOW - timedelta(days=40), prefix="old")
        posts_and_flags(community, posts=100, flags=0, at=NOW - timedelta(days=5), prefix="new")
        clause = published_clause(community, at=NOW)
    history = list(clause.snapshots.filter(scope="").order_by("bucket"))
    assert len(history) == 30
    assert history[0].bucket == NOW - timedelta(days=30)
    # 30 days ago the window (NOW-60d, NOW-30d] held the old posts: 10 bad of 100.
    assert (history[0].total, history[0].bad, history[0].sli) == (100, 10, Decimal("0.9"))
    assert history[0].tier == "exhausted"
    # A day ago the old posts had left the window and the new ones were in it.
    assert (history[-1].total, history[-1].bad, history[-1].tier) == (100, 0, "healthy")
    assert history[-1].burn_rates == {}  # alert windows are not replayed
    with django_assert_max_num_queries(2):
        from community.contract.evaluation import backfill_history

        backfill_history(clause=clause, points=[NOW - timedelta(days=d) for d in range(1, 31)])


def test_the_scheduler_evaluates_every_clause_every_minute(community: Community) -> None:
    from django.conf import settings as django_settings

    from community.contract.tasks import evaluate_clauses

    entry = next(
        e
        for e in django_settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "community.evaluate_clauses"
    )
    assert entry["schedule"] == 60.0
    clause = published_clause(community, at=NOW)
    posts_and_flags(community, posts=10, flags=1, at=NOW - timedelta(minutes=30))
    # A pending flag left by a broker outage is cleared by the sweep, so ingest queues again.
    Contract.objects.filter(community=community).update(evaluation_pending=True)
    with time_machine.travel(NOW, tick=False):
        assert evaluate_clauses.delay().get() == 1
    assert ClauseSnapshot.objects.get(clause=clause, scope="", bucket=NOW).total == 10
    assert not Contract.objects.get(community=community).evaluation_pending


def test_a_clause_leaving_the_contract_clears_its_open_alerts(community: Community) -> None:
    from community.contract.services import publish_contract, retire_clause
    from community.models import ContractVersion

    clause = published_clause(community, at=NOW)
    keep = save_clause(
        community=community, definition=ClauseDefinition(**{**HOSTILITY.__dict__, "title": "Keep"})
    )
    flame_war(community)
    evaluate_community(community=community, now=NOW)
    assert clause.alerts.open().exists()
    retire_clause(clause=clause)
    publish_contract(community=community, summary="Retire it", by=None)
    assert not clause.alerts.open().exists()
    assert (
        DomainEvent.objects.filter(
            type="clause.alert_cleared", payload__clause_id=clause.pk
        ).count()
        == clause.alerts.count()
    )
    assert ContractVersion.objects.latest("number").clause_ids == [keep.pk]


def test_old_history_is_pruned_per_space_sooner(community: Community) -> None:
    clause = published_clause(community, at=NOW)
    posts_and_flags(community, posts=10, flags=0, at=NOW - timedelta(days=1))
    posts_and_flags(community, posts=10, flags=0, at=NOW - timedelta(days=101), prefix="old")
    for days in (500, 100, 1):
        evaluate_community(community=community, now=NOW - timedelta(days=days))
    space = str(Space.objects.get().pk)
    assert clause.snapshots.filter(scope=space, bucket=NOW - timedelta(days=100)).exists()
    with time_machine.travel(NOW, tick=False):
        purge_expired.delay()
    kept = set(clause.snapshots.values_list("scope", "bucket"))
    assert ("", NOW - timedelta(days=500)) not in kept
    assert ("", NOW - timedelta(days=100)) in kept
    assert (space, NOW - timedelta(days=1)) in kept
    assert not clause.snapshots.filter(scope=space, bucket__lt=NOW - timedelta(days=35)).exists()
