"""A community with cohorts whose figures are known in advance."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from budgets.models import Charge
from community.models import Community, ConductEvent, Membership, Space

_ids = itertools.count()


def seed_cohort(
    community: Community,
    *,
    now: datetime,
    members: int,
    first_seen_days: int,
    posts_each: int,
    charges_each: int,
    space: Space | None = None,
    trust_level: int | None = None,
) -> list[Membership]:
    """``members`` members first seen ``first_seen_days`` ago, each with ``posts_each`` posts
    and ``charges_each`` active charges in the last week."""
    people = Membership.objects.bulk_create(
        Membership(community=community, display_name=f"Gardener {next(_ids)}")
        for _ in range(members)
    )
    events, charges = [], []
    for person in people:
        events.append(
            ConductEvent(
                community=community,
                kind="post",
                member=person,
                space=space,
                occurred_at=now - timedelta(days=first_seen_days),
                external_id=f"first-{next(_ids)}",
                payload={} if trust_level is None else {"trust_level": trust_level},
            )
        )
        for n in range(posts_each):
            events.append(
                ConductEvent(
                    community=community,
                    kind="post",
                    member=person,
                    space=space,
                    occurred_at=now - timedelta(days=1, minutes=n),
                    external_id=f"post-{next(_ids)}",
                    payload={} if trust_level is None else {"trust_level": trust_level},
                )
            )
        for n in range(charges_each):
            charges.append(
                Charge(
                    community=community,
                    membership=person,
                    kind="flag_upheld",
                    category="inappropriate",
                    severity="moderate",
                    cost=Decimal(3),
                    reason="An upheld flag",
                    occurred_at=now - timedelta(days=2, minutes=n),
                )
            )
    ConductEvent.objects.bulk_create(events)
    Charge.objects.bulk_create(charges)
    return people


def seed_disparity(community: Community, *, now: datetime, scale: int = 1) -> None:
    """10 newcomers (4 posts, 1 charge each) and 20 regulars (10 posts; 1 charge for every
    other one), times ``scale``: newcomers are charged 4 times as often per post.
    Within a 30-day window: newcomers 10 members, 50 posts (their first one is in the window),
    10 charges; regulars 20 members, 200 posts, 10 charges."""
    seed_cohort(
        community, now=now, members=10 * scale, first_seen_days=5, posts_each=4, charges_each=1
    )
    seed_cohort(
        community, now=now, members=10 * scale, first_seen_days=100, posts_each=10, charges_each=1
    )
    seed_cohort(
        community, now=now, members=10 * scale, first_seen_days=100, posts_each=10, charges_each=0
    )
