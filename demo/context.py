"""What every demo step shares: the demo's names, its clock and its seeded randomness."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from community.models import Community

DEMO_SLUG = "demo"
DEMO_SOURCE = "demo"
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - published in the README on purpose
MODERATOR_USERNAME = "mod"
MEMBER_USERNAME = "member"
SECOND_MODERATOR_USERNAME = "rowan"  # not a login: no password
MEMBER_COUNT = 300
DAYS = 60
DEMO_FORUM = "https://forum.allotment-commons.invalid"  # the demo's forum (not reachable)


@dataclass
class DemoContext:
    community: Community
    now: datetime
    rng: random.Random
    created: bool
    log: Callable[[str], None]
    extras: dict[str, object] = field(default_factory=dict)
