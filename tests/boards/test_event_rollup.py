"""The hourly event count rollup answers exactly as the events do: release health's clauses
before and after a change and the flow board's top friction, on a random history with late
arrivals, imported history and reversals recorded before and after the refresh. The reference
is the event-based computation the product used before the rollup, kept here."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count, Q
from django.utils import timezone

from community.contract.counting import selectors
from community.contract.releases.health import DAYS, clauses_around
from community.contract.slo import ClauseDefinition
from community.event_rollup import refresh_event_rollup, top_not_reversed
from community.models import Community, ConductEvent, EventHourCount, Space, bad_event_q
from community.vocabulary import FRICTION_KINDS

pytestmark = pytest.mark.django_db

KINDS = ["post", "flag_raised", "flag_upheld", "flag_rejected", "moderator_warning"]
CATEGORIES = ["", "spam", "off_topic", "inappropriate"]


def _reference_around(
    community_id: int, at: datetime, definitions: list[ClauseDefinition]
) -> list[tuple[int, int, int, int]]:
    """The event-based computation: (total before, bad before, total after, bad after)."""
    now = timezone.now()
    before = Q(occurred_at__gt=at - timedelta(days=DAYS), occurred_at__lte=at)
    after = Q(occurred_at__gt=at, occurred_at__lte=at + timedelta(days=DAYS))
    aggregates: dict[str, Any] = {}
    for i, definition in enumerate(definitions):
        total_q, bad_q = selectors(community_id, definition, now)
        if definition.spaces:
            where = Q(space_id__in=definition.spaces)
            total_q, bad_q = total_q & where, bad_q & where
        aggregates[f"tb{i}"] = Count("pk", filter=total_q & before)
        aggregates[f"bb{i}"] = Count("pk", filter=bad_q & before)
        aggregates[f"ta{i}"] = Count("pk", filter=total_q & after)
        aggregates[f"ba{i}"] = Count("pk", filter=bad_q & after)
    c = ConductEvent.objects.filter(community_id=community_id).aggregate(**aggregates)
    return [(c[f"tb{i}"], c[f"bb{i}"], c[f"ta{i}"], c[f"ba{i}"]) for i in range(len(definitions))]


def _reference_friction(
    community: Community, since: datetime, at: datetime, space: Space | None
) -> list[tuple[str, str, int]]:
    events = ConductEvent.objects.filter(community=community).in_window(since, at)
    if space is not None:
        events = events.filter(space=space)
    return [
        (row["kind"], row["category"], row["n"])
        for row in events.filter(bad_event_q(FRICTION_KINDS, community_id=community.pk, as_of=at))
        .values("kind", "category")
        .annotate(n=Count("id"))
        .order_by("-n", "kind", "category")[:5]
    ]


def _random_events(
    community: Community, spaces: list[Space | None], rng: random.Random, n: int, *, late: bool
) -> None:
    now = timezone.now()
    rows = []
    for i in range(n):
        occurred = now - timedelta(seconds=rng.randint(0, 45 * 86400))
        kind = rng.choice(KINDS)
        if late:
            recorded = now  # arrived after the refresh
        elif rng.random() < 0.1:
            recorded = now - timedelta(seconds=rng.randint(0, 3600))  # imported history
        else:
            recorded = min(now, occurred + timedelta(seconds=rng.randint(0, 3 * 86400)))
        rows.append(
            ConductEvent(
                community=community,
                kind=kind,
                category="" if kind == "post" else rng.choice(CATEGORIES),
                space=rng.choice(spaces),
                subject=f"post-{rng.randint(0, 60)}" if kind.startswith("flag") else "",
                occurred_at=occurred,
                recorded_at=recorded,
                source="test",
                external_id=f"{'late' if late else 'e'}-{i}-{rng.random()}",
            )
        )
    ConductEvent.objects.bulk_create(rows)


DEFINITIONS = [
    ClauseDefinition("All flags", "", ("post",), ("flag_upheld",), Decimal("0.95")),
    ClauseDefinition(
        "Spam",
        "",
        ("post", "flag_raised"),
        ("flag_upheld", "moderator_warning"),
        Decimal("0.9"),
        bad_categories=("spam",),
    ),
]


def _compare(community: Community, spaces: list[Space | None], rng: random.Random) -> int:
    space = spaces[1]
    assert space is not None
    definitions = [
        *DEFINITIONS,
        ClauseDefinition(
            "One space",
            "",
            ("post",),
            ("flag_upheld", "flag_raised"),
            Decimal("0.9"),
            spaces=(space.pk,),
        ),
    ]
    now = timezone.now()
    checked = 0
    for _ in range(6):
        at = now - timedelta(seconds=rng.randint(0, 30 * 86400))
        got = clauses_around(
            community_id=community.pk, at=at, definitions=list(enumerate(definitions))
        )
        expected = _reference_around(community.pk, at, definitions)
        for health, (tb, bb, ta, ba) in zip(got, expected, strict=True):
            assert (health.before_total, health.after_total) == (tb, ta)
            assert health.before == (None if tb == 0 else Decimal(tb - bb) / Decimal(tb))
            assert health.after == (None if ta == 0 else Decimal(ta - ba) / Decimal(ta))
            checked += tb + ta
        for one in (None, space):
            assert top_not_reversed(
                community_id=community.pk,
                start=at - timedelta(days=30),
                end=at,
                kinds=sorted(FRICTION_KINDS),
                as_of=at,
                space_id=None if one is None else one.pk,
                limit=5,
            ) == _reference_friction(community, at - timedelta(days=30), at, one)
    return checked


def test_the_rollup_answers_exactly_as_the_events(community: Community) -> None:
    rng = random.Random(14)
    spaces: list[Space | None] = [
        None,
        *(Space.objects.create(community=community, name=f"Space {i}") for i in range(3)),
    ]
    _random_events(community, spaces, rng, 1500, late=False)
    # Without any refresh the events answer for everything.
    assert _compare(community, spaces, rng) > 0
    assert refresh_event_rollup(community.pk)
    assert EventHourCount.objects.filter(community=community).exists()
    assert _compare(community, spaces, rng) > 0
    # Late arrivals and reversals recorded after the refresh are read from the events...
    _random_events(community, spaces, rng, 300, late=True)
    assert _compare(community, spaces, rng) > 0
    # ... and counted by the next, incremental refresh.
    assert refresh_event_rollup(community.pk)
    assert _compare(community, spaces, rng) > 0


def test_a_refresh_is_idempotent(community: Community) -> None:
    rng = random.Random(16)
    spaces: list[Space | None] = [None, Space.objects.create(community=community, name="A")]
    _random_events(community, spaces, rng, 400, late=False)

    def rows() -> list[tuple[Any, ...]]:
        return list(
            EventHourCount.objects.filter(community=community)
            .order_by("hour", "space_id", "kind", "category")
            .values_list("hour", "space_id", "kind", "category", "count", "reversed")
        )

    refresh_event_rollup(community.pk)
    first = rows()
    _random_events(community, spaces, rng, 100, late=True)
    refresh_event_rollup(community.pk)
    refresh_event_rollup(community.pk)
    second = rows()
    EventHourCount.objects.filter(community=community).delete()
    from community.models import EventRollupMark

    EventRollupMark.objects.filter(community=community).update(through=None)
    refresh_event_rollup(community.pk)
    assert rows() == second
    assert sum(r[4] for r in second) == sum(r[4] for r in first) + 100
