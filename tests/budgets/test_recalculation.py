"""The bulk recalculation: the same numbers as the pure function, coalesced scheduling,
transitions and their actions exactly once, idempotent and safe to interrupt."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as settings_module
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kombu.exceptions import OperationalError

from budgets import budget_math, scheduling, services, tasks
from budgets.budget_math import ChargeFact, compute_budget
from budgets.models import (
    Charge,
    DirtyMember,
    Forgiveness,
    ForgivenessPolicy,
    MemberBudget,
    MemberCooldown,
    Notice,
    RecalcFlag,
    TierTransition,
)
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_chunk, recalculate_community
from community.models import Community, ConductEvent, DomainEvent, ExternalIdentity, Membership
from tests.budgets.helpers import event, membership, posts, send

pytestmark = pytest.mark.django_db

# --- Bulk == pure, for random histories, on the database ------------------------------------

_slugs = iter(range(10**9))


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    window = draw(st.integers(1, 40))
    target = draw(st.one_of(st.none(), st.decimals("0.50", "0.99", places=2)))
    floor = draw(st.decimals("0.50", "20", places=2))
    # Offsets in hours before "now", with the window's exact edge drawn often.
    offset = st.one_of(st.integers(0, 50 * 24), st.just(window * 24), st.just(24), st.just(0))
    members = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "posts": st.lists(offset, max_size=25),
                    "charges": st.lists(
                        st.tuples(
                            st.decimals("0", "12", places=2),
                            offset,
                            st.one_of(st.none(), st.integers(0, 30 * 24)),
                        ),
                        max_size=6,
                    ),
                }
            ),
            min_size=1,
            max_size=4,
        )
    )
    return {"window": window, "target": target, "floor": floor, "members": members}


def engines() -> list[str]:
    return ["python", "sql"] if connection.vendor == "postgresql" else ["python"]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_bulk_recalculation_agrees_with_the_pure_function(
    history: dict[str, Any], db: None
) -> None:
    now = timezone.now().replace(microsecond=0)
    community = Community.objects.create(slug=f"h{next(_slugs)}", name="History")
    ForgivenessPolicy.objects.create(
        community=community,
        window_days=history["window"],
        member_target=history["target"],
        floor_points=history["floor"],
    )
    policy = budget_math.Policy(
        window_days=history["window"],
        member_target=history["target"],
        floor_points=history["floor"],
    )
    expected = {}
    for i, spec in enumerate(history["members"]):
        member = Membership.objects.create(community=community, display_name=f"m{i}")
        times = [now - timedelta(hours=h) for h in spec["posts"]]
        ConductEvent.objects.bulk_create(
            ConductEvent(
                community=community,
                kind="post",
                member=member,
                occurred_at=t,
                external_id=f"{member.pk}-{n}",
            )
            for n, t in enumerate(times)
        )
        facts = []
        for cost, at_h, released_h in spec["charges"]:
            occurred = now - timedelta(hours=at_h)
            charge = Charge.objects.create(
                community=community,
                membership=member,
                kind="flag_upheld",
                severity="moderate",
                cost=cost,
                reason="r",
                occurred_at=occurred,
            )
            released = None if released_h is None else now - timedelta(hours=released_h)
            if released is not None:
                Forgiveness.objects.create(
                    community=community, charge=charge, kind="grace", reason="r", at=released
                )
            facts.append(ChargeFact(cost=cost, occurred_at=occurred, released_at=released))
        expected[member.pk] = compute_budget(
            policy, now, activity_times=times, charges=facts
        ).rounded()
    for engine in engines():
        MemberBudget.objects.filter(community=community).delete()
        TierTransition.objects.filter(community=community).delete()
        recalculate_community(community=community, at=now, chunk_size=3, engine=engine)
        assert_snapshots_match(expected)


def assert_snapshots_match(expected: dict[int, budget_math.Budget]) -> None:
    for pk, budget in expected.items():
        row = MemberBudget.objects.get(pk=pk)
        got = (
            row.activity,
            row.allowance,
            row.spent,
            row.remaining,
            row.remaining_ratio,
            row.tier,
            row.recovers_at,
            row.burn_rate_24h,
            row.next_change_at,
        )
        assert got == (
            budget.activity,
            budget.allowance,
            budget.spent,
            budget.remaining,
            budget.remaining_ratio,
            budget.tier,
            budget.recovers_at,
            budget.burn_rate_24h,
            budget.next_change_at,
        )


def test_the_aggregate_is_one_statement_per_chunk_and_one_upsert(
    community: Community, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        send(community, *posts(3, member=str(n)), event("flag_upheld", member=str(n)))
    # policy, id ranges, then per chunk: savepoint/lock, aggregate, upsert (+ transitions)
    with django_assert_max_num_queries(12):
        result = recalculate_community(community=community, kind=RecalcKind.FULL)
    assert (result.members, result.written, result.chunks) == (30, 30, 1)


# --- Coalescing -----------------------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record recalculation tasks sent to the broker instead of running them."""
    sent: list[int] = []
    monkeypatch.setattr(
        tasks.recalculate_budgets,
        "apply_async",
        lambda args=None, kwargs=None, **options: sent.append(args[0]),
    )
    return sent


def test_a_burst_of_1000_events_enqueues_one_recalculation(
    community: Community, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    for batch in range(100):
        with django_capture_on_commit_callbacks(execute=True):
            send(
                community,
                *[
                    event("post" if n % 5 else "flag_upheld", member=str(batch * 10 + n))
                    for n in range(10)
                ],
            )
    assert ConductEvent.objects.count() == 1000
    assert enqueued == [community.pk]
    assert DirtyMember.objects.count() == 1000

    scheduling.run_pending_recalculation(community_id=community.pk)
    assert MemberBudget.objects.count() == 1000
    assert not DirtyMember.objects.exists()
    # The next change after the task started schedules exactly one more.
    with django_capture_on_commit_callbacks(execute=True):
        send(community, event("post", member="1"), event("post", member="2"))
    assert enqueued == [community.pk, community.pk]


def test_a_lost_task_is_sent_again_by_the_periodic_sweep(
    community: Community, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send(community, event("post"))
    assert enqueued == [community.pk]
    assert scheduling.resend_stale_requests() == 0
    later = timezone.now() + scheduling.STALE_PENDING + timedelta(minutes=1)
    with (
        pytest.MonkeyPatch.context() as patch,
        django_capture_on_commit_callbacks(execute=True),
    ):
        patch.setattr(timezone, "now", lambda: later)
        assert scheduling.resend_stale_requests() == 1
    assert enqueued == [community.pk, community.pk]


def test_budgets_catch_up_within_minutes_of_a_broker_outage(
    community: Community, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """Events ingested while the broker is down leave the coalescing flag pending (no task got
    through); the minutely sweep sends it again once the request is stale, not 10 minutes on."""

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as outage:
        outage.setattr(tasks.recalculate_budgets, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            send(community, *posts(3), event("moderator_warning", severity="moderate"))
    assert RecalcFlag.objects.get(community=community).pending
    assert not MemberBudget.objects.exists()
    # More events while the flag is pending enqueue nothing new (coalesced) ...
    with django_capture_on_commit_callbacks(execute=True):
        send(community, event("post", member="43"))
    assert not MemberBudget.objects.exists()
    # ... and the sweep that beat runs every minute re-arms the flag once it is stale.
    assert settings_module.CELERY_BEAT_SCHEDULE["budgets-resend-stale"]["schedule"] <= 60
    later = timezone.now() + scheduling.STALE_PENDING + timedelta(seconds=1)
    with (
        pytest.MonkeyPatch.context() as clock,
        django_capture_on_commit_callbacks(execute=True),
    ):
        clock.setattr(timezone, "now", lambda: later)
        assert tasks.resend_stale() == 1
    assert MemberBudget.objects.filter(community=community).count() == 2


def test_a_member_marked_after_a_runs_time_keeps_the_mark_for_the_next_run(
    community: Community,
) -> None:
    """A dirty run fixes its time when it starts; an event that arrives while it runs (marked
    after that time) must not be computed as of the earlier time and lose its mark."""
    send(community, *posts(20))
    recalculate_community(community=community, kind=RecalcKind.DIRTY)
    started = timezone.now()
    send(community, event("moderator_warning", severity="moderate", at=timezone.now()))
    recalculate_community(community=community, kind=RecalcKind.DIRTY, at=started)
    assert DirtyMember.objects.filter(community=community).count() == 1
    recalculate_community(community=community, kind=RecalcKind.DIRTY)
    assert MemberBudget.objects.get(community=community).spent == 3
    assert not DirtyMember.objects.exists()


# --- Transitions and actions ----------------------------------------------------------------


def slip(community: Community, capture: Any, member: str = "42") -> None:
    with capture(execute=True):
        send(community, event("moderator_warning", member=member, severity="moderate"))


def test_a_newcomers_slips_walk_down_the_tiers_with_one_transition_each(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    send(community, *posts(5))
    tiers = []
    for _ in range(4):
        slip(community, django_capture_on_commit_callbacks)
        tiers.append(MemberBudget.objects.get().tier)
    assert tiers == ["healthy", "warning", "critical", "exhausted"]
    moves = list(
        TierTransition.objects.order_by("sequence").values_list(
            "sequence", "from_tier", "to_tier", "actions"
        )
    )
    assert moves == [
        (1, "healthy", "warning", ["private_nudge"]),
        (2, "warning", "critical", ["private_nudge", "notify_moderators"]),
        (
            3,
            "critical",
            "exhausted",
            ["private_nudge", "notify_moderators", "facilitator_checkin"],
        ),
    ]
    member = membership(community)
    assert Notice.objects.for_member(member).count() == 3
    assert Notice.objects.for_moderators(community).count() == 3
    payloads = [e.payload for e in DomainEvent.objects.filter(type="budget.tier_changed")]
    assert payloads[-1] == {
        "membership_id": member.pk,
        "display_name": "user42",
        "from_tier": "critical",
        "to_tier": "exhausted",
        "allowance": "10.0000",
        "spent": "12.0000",
        "remaining": "-2.0000",
        "remaining_ratio": "-0.200000",
        "at": payloads[-1]["at"],
        "actions": ["private_nudge", "notify_moderators", "facilitator_checkin"],
    }


def test_recalculating_again_records_nothing_twice(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    send(community, *posts(5))
    for _ in range(2):
        slip(community, django_capture_on_commit_callbacks)
    before = (TierTransition.objects.count(), Notice.objects.count(), DomainEvent.objects.count())
    for kind in (RecalcKind.FULL, RecalcKind.PERIODIC, RecalcKind.FULL):
        recalculate_community(community=community, kind=kind)
    after = (TierTransition.objects.count(), Notice.objects.count(), DomainEvent.objects.count())
    assert before == after == (1, 1, 1)


def test_a_chunk_that_fails_half_way_leaves_nothing_behind(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    send(community, *posts(5), *[event("moderator_warning") for _ in range(2)])
    policy = services.get_policy(community=community)

    def killed_half_way() -> None:
        with transaction.atomic():
            recalculate_chunk(
                community=community, policy=policy, at=timezone.now(), id_range=(0, 10**9)
            )
            raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        killed_half_way()
    assert not MemberBudget.objects.exists() and not TierTransition.objects.exists()
    recalculate_community(community=community)
    assert TierTransition.objects.get().to_tier == "warning"
    assert Notice.objects.count() == 1


def test_a_cooldown_action_is_announced_through_the_outbox_with_the_forum_identity(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    policy = services.get_policy(community=community)
    services.update_policy(
        community=community,
        changes={"tier_actions": {"exhausted": ["member_cooldown"]}, "cooldown_hours": 6},
        by=None,
    )
    policy.refresh_from_db()
    send(community, *posts(2))
    with django_capture_on_commit_callbacks(execute=True):
        send(community, event("moderator_warning", severity="severe"), event("post_removed"))
    cooldown = MemberCooldown.objects.get()
    assert cooldown.ends_at - cooldown.starts_at == timedelta(hours=6)
    event_row = DomainEvent.objects.get(type="budget.member_cooldown")
    ident = ExternalIdentity.objects.get()
    assert event_row.payload == {
        "member_cooldown_id": cooldown.pk,
        "membership_id": ident.membership_id,
        "identities": [{"source": "api", "external_id": "42", "username": "user42"}],
        "starts_at": cooldown.starts_at.isoformat(),
        "ends_at": cooldown.ends_at.isoformat(),
        "reason": "A 6-hour pause on posting, to give everyone room to cool down. It lifts by "
        "itself, and it is not a ban.",
    }


def test_a_private_nudge_is_emailed_once_to_a_member_with_an_address(
    community: Community, member_membership: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.create_charge(
                community=community,
                membership=member_membership,
                kind="moderator_warning",
                severity="moderate",
                reason="Sharp words",
                occurred_at=timezone.now(),
                by=None,
            )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["milo_member@example.org"]
    assert "/c/garden/my-budget/" in mail.outbox[0].body
    notice = Notice.objects.for_member(member_membership).get()
    assert services.email_notices(notice_ids=[notice.pk]) == 0  # already sent


def test_a_policy_change_recalculates_every_budget(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send(community, *posts(5), event("moderator_warning", severity="moderate"))
    assert MemberBudget.objects.get().allowance == 10
    with django_capture_on_commit_callbacks(execute=True):
        services.update_policy(community=community, changes={"floor_points": "3"}, by=None)
    budget = MemberBudget.objects.get()
    assert (budget.allowance, budget.tier, budget.policy_version) == (3, "exhausted", 2)


def test_periodic_regeneration_writes_only_the_budgets_that_moved(
    community: Community, django_capture_on_commit_callbacks: Any
) -> None:
    old = timezone.now() - timedelta(days=29, hours=23)
    with django_capture_on_commit_callbacks(execute=True):
        send(community, event("moderator_warning", member="1", at=old, severity="severe"))
        send(community, *posts(2, member="2"))
    assert MemberBudget.objects.get(membership=membership(community, "1")).tier == "critical"
    later = timezone.now() + timedelta(hours=2)
    result = recalculate_community(community=community, kind=RecalcKind.PERIODIC, at=later)
    assert (result.members, result.written, result.transitions) == (1, 1, 1)
    recovered = MemberBudget.objects.get(membership=membership(community, "1"))
    assert (recovered.spent, recovered.tier, recovered.recovers_at) == (0, "healthy", None)
    assert TierTransition.objects.filter(to_tier="healthy").get().actions == []


# --- Two runs at once (PostgreSQL) ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_record_each_transition_once(
    community: Community, enqueued: list[int]
) -> None:
    for n in range(300):
        send(community, *posts(2, member=str(n)), event("moderator_warning", member=str(n)))
        send(community, event("moderator_warning", member=str(n)))
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            barrier.wait()
            recalculate_community(community=community, kind=RecalcKind.FULL, chunk_size=50)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert TierTransition.objects.count() == 300
    assert Notice.objects.count() == 300
    assert set(MemberBudget.objects.values_list("tier", "spent")) == {("warning", Decimal(6))}


def test_operators_can_recalculate_from_the_command_line(community: Community) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    send(community, *posts(3), event("moderator_warning"))
    out = StringIO()
    call_command("recalculate_budgets", community="garden", stdout=out)
    assert "garden: 1 members, 1 written, 0 tier changes" in out.getvalue()
    call_command("recalculate_budgets", "--only-changed", stdout=out)
    assert (
        out.getvalue().count("garden: 1 members, 1 written") == 2
    )  # the second takes the events' marks
    with pytest.raises(CommandError, match="No community"):
        call_command("recalculate_budgets", community="nowhere")
    assert MemberBudget.objects.count() == 1
