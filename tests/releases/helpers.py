"""A community with two spaces, a published clause and a stricter draft, ready for a trial; and
``roll_back_demo_trial`` for tests that start a trial on the demo or publish there (the demo
ends with a trial running in Proposals, and only one trial per community runs at a time)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from community.contract.releases.canary import roll_back_canary
from community.contract.releases.models import Canary
from community.contract.services import save_clause
from community.models import Clause, Community, Space
from community.services import ingest_events
from tests.contract.helpers import posts_and_flags, published_clause


def ready_for_trial(community: Community) -> tuple[Clause, Space, Space]:
    """Published clause at 98 %, history in spaces "2" and "3", and a draft at 99 %."""
    earlier = timezone.now() - timedelta(days=2)
    clause = published_clause(community, at=earlier - timedelta(days=1))
    ingest_events(
        community=community,
        events=posts_and_flags(community, posts=30, flags=0, at=earlier, space="2", prefix="a"),
    )
    ingest_events(
        community=community,
        events=posts_and_flags(community, posts=30, flags=0, at=earlier, space="3", prefix="b"),
    )
    definition = clause.draft_definition()
    stricter = type(definition).from_dict({**definition.as_dict(), "target": Decimal("0.99")})
    save_clause(community=community, definition=stricter, clause=clause)
    trial = Space.objects.get(community=community, external_id="2")
    rest = Space.objects.get(community=community, external_id="3")
    return clause, trial, rest


def burst(community: Community, space: str = "2", posts: int = 20, flags: int = 10) -> None:
    now = timezone.now() - timedelta(minutes=5)
    ingest_events(
        community=community,
        events=posts_and_flags(
            community, posts=posts, flags=flags, at=now, space=space, prefix=f"burst{space}"
        ),
    )


def roll_back_demo_trial(community: Community) -> None:
    """End the demo's running trial the way a moderator would (rolled back), and put the draft
    back to the published contract, so a test starts from a contract with nothing on trial."""
    running = Canary.objects.running().filter(community=community).first()
    assert running is not None, "the demo ends with a trial running"
    roll_back_canary(canary=running, reason="Ended before a test.", by_name="a test")
    for clause in Clause.objects.live().filter(community=community):
        published = clause.published_definition()
        if published is not None and published != clause.draft_definition():
            save_clause(community=community, clause=clause, definition=published)
