"""The starter runbooks: the two every community can begin with and then adapt.

Runbook A cools an overheating thread down and lifts the cooldown as soon as the space is calm;
Runbook B handles a safety matter (SEV1). Moderators edit them like any other runbook.
"""

from __future__ import annotations

from community.models import Community
from incidents.models import Runbook, RunbookStep, StepKind

RUNBOOK_A = "Runbook A: Cool Down"
RUNBOOK_B = "Runbook B: Safety (SEV1)"
RUNBOOKS: dict[str, tuple[str, list[tuple[str, str, dict[str, object], list[str]]]]] = {
    RUNBOOK_A: (
        "A thread is overheating: slow it down for two hours, say so in public, check in with "
        "the parties, and lift the cooldown as soon as the space is calm.",
        [
            (
                "Slow mode for 2 hours",
                StepKind.START_COOLDOWN,
                {"duration_minutes": 120, "mode": "slow_mode", "slow_mode_seconds": 120},
                [],
            ),
            ("Post a calm notice in the thread", StepKind.POST_NOTICE, {}, []),
            ("Let the parties know privately", StepKind.NOTIFY_PARTIES, {}, []),
            (
                "Facilitator reads the thread and checks in with each party",
                StepKind.CHECKLIST,
                {},
                [],
            ),
            ("Check in again in an hour", StepKind.SCHEDULE_CHECK_IN, {"after_minutes": 60}, []),
            (
                "Lift the cooldown when both windows are calm",
                StepKind.RECHECK_CALM,
                {
                    "target": "0.98",
                    "threshold": "1",
                    "long_minutes": 60,
                    "short_minutes": 5,
                    "every_minutes": 15,
                },
                [],
            ),
        ],
    ),
    RUNBOOK_B: (
        "Someone may be unsafe (threats, doxxing): make the space read-only, support whoever was "
        "harmed first, and keep the details out of public.",
        [
            (
                "Make the space read-only for 6 hours",
                StepKind.START_COOLDOWN,
                {"duration_minutes": 360, "mode": "read_only"},
                [],
            ),
            ("Assign a support person for whoever was harmed", StepKind.CHECKLIST, {}, []),
            (
                "Remove personal information; record what was removed, not what it said",
                StepKind.CHECKLIST,
                {},
                ["SEV1"],
            ),
            (
                "Post a short notice (no details)",
                StepKind.POST_NOTICE,
                {
                    "text": "This space is paused while moderators look after a safety matter. "
                    "{facilitator} is facilitating. Thank you for your patience."
                },
                [],
            ),
            (
                "Check in with the support person in 30 minutes",
                StepKind.SCHEDULE_CHECK_IN,
                {"after_minutes": 30},
                [],
            ),
        ],
    ),
}


def install_starter_runbooks(*, community: Community) -> dict[str, Runbook]:
    """Add the starter runbooks a community does not have yet (by name); returns all of them.
    A runbook a moderator has since edited is left as it is."""
    found = {}
    for name, (description, steps) in RUNBOOKS.items():
        runbook, created = Runbook.objects.get_or_create(
            community=community, name=name, defaults={"description": description}
        )
        if created:
            RunbookStep.objects.bulk_create(
                RunbookStep(
                    runbook=runbook,
                    position=i,
                    title=title,
                    kind=kind,
                    config=config,
                    only_severities=only,
                )
                for i, (title, kind, config, only) in enumerate(steps, start=1)
            )
        found[name] = runbook
    return found
