"""A game day's sandbox on import. The sandbox is a hidden community of scratch rows (copies of
the clauses and the runbook, the replayed events, the rehearsal's incident): it is not in the
file, and the imported game day gets a new, empty, members-only one. The game day's own record,
its recording and its frozen report come across whole. A rehearsal that was still running when
the file was written cannot go on without its sandbox: it arrives ended, and says why."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.crypto import get_random_string

from community.models import Community, Visibility

RUNNING = "running"
FINISHED = "finished"
ENDED_BY_IMPORT = (
    "Ended by an import of the community: the rehearsal's sandbox is not copied, so it could "
    "not go on."
)


def fill_game_day(kwargs: dict[str, Any], *, slug: str) -> None:
    """Give one game day being imported its new, empty sandbox (in place); one whose sandbox
    the source had already removed after the retention period arrives without one."""
    # No runbook copy exists in the new sandbox: 0 names none (the report is frozen).
    kwargs["sandbox_runbook_id"] = 0
    if kwargs.get("sandbox_purged_at"):
        kwargs["sandbox_id"] = None
        return
    sandbox = Community.objects.create(
        slug=f"{slug[:30]}-rehearsal-imported-{get_random_string(8).lower()}",
        name="A rehearsal (imported)",
        description="A game day's sandbox, made by an import: the rehearsal's rows were not "
        "copied.",
        visibility=Visibility.MEMBERS,
    )
    kwargs["sandbox_id"] = sandbox.pk
    if kwargs.get("status") == RUNNING:
        kwargs["status"] = FINISHED
        kwargs["ended_at"] = timezone.now()
        kwargs["stop_reason"] = ENDED_BY_IMPORT
