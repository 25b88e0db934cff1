"""Helpers for game day tests: a real community ready to rehearse, and short recordings."""

from __future__ import annotations

from typing import Any

from community.models import Clause, Community
from incidents.gamedays.recordings import Recording
from incidents.models import Runbook
from incidents.starter_runbooks import RUNBOOK_A, install_starter_runbooks
from tests.contract.helpers import published_clause


def runbook_a(community: Community) -> Runbook:
    install_starter_runbooks(community=community)
    return Runbook.objects.get(community=community, name=RUNBOOK_A)


def ready(community: Community) -> tuple[Clause, Runbook]:
    return published_clause(community), runbook_a(community)


def burst(*, seconds: float = 120, posts: int = 40, flags: int = 20) -> Recording:
    """A short flame war: ``posts`` posts over ``seconds``, the first ``flags`` upheld."""
    events: list[dict[str, Any]] = []
    for n in range(posts):
        at = seconds * n / posts
        events.append(
            {
                "at": at,
                "kind": "post",
                "member": f"Member {n % 5}",
                "space": "Thread",
                "subject": f"p{n}",
            }
        )
        if n < flags:
            events.append(
                {
                    "at": at + 1,
                    "kind": "flag_upheld",
                    "member": f"Member {n % 5}",
                    "space": "Thread",
                    "subject": f"p{n}",
                    "category": "inappropriate",
                    "severity": "moderate",
                }
            )
    events.sort(key=lambda e: e["at"])
    return Recording(key="test:burst", title="A short burst", kind="sample", events=events)
