"""Which Celery queue each task goes to, and the queue names (no Django here: `make run`, the
drill and the tests' worker fixture import it to tell their workers what to consume).

* ``ingest``: turning stored forum deliveries into conduct events (the drain and its sweep).
* ``recalc``: member budgets and clause evaluation, the work whose delay people see as stale
  numbers.
* ``outbound``: calls to someone else's server (forum actions, outbound webhooks, e-mail), which
  may stall for as long as their timeouts allow.
* ``default``: everything else (incidents, postmortems, game days, replays, the outbox relay,
  the heartbeat, retention).

A deployment runs one worker per group (``celery -A config worker -Q recalc``, README "Deploy"),
so a slow forum or a burst of outbound webhooks never waits in front of a recalculation. Every
registered task is named here on purpose: ``tests/test_queues.py`` fails on a task without a
queue.
"""

from __future__ import annotations

INGEST = "ingest"
RECALC = "recalc"
OUTBOUND = "outbound"
DEFAULT = "default"
QUEUES = (INGEST, RECALC, OUTBOUND, DEFAULT)

TASK_QUEUES: dict[str, tuple[str, ...]] = {
    INGEST: (
        "integrations.drain_discourse_deliveries",
        "integrations.sweep_discourse_deliveries",
    ),
    RECALC: (
        "budgets.recalculate",
        "budgets.recalculate_chunk",
        "budgets.recalculate_periodic",
        "budgets.regenerate_all",
        "budgets.resend_stale",
        "community.evaluate_clauses",
        "community.evaluate_community_clauses",
        "boards.compute_fairness",
        "boards.compute_all_fairness",
    ),
    OUTBOUND: (
        "integrations.perform_forum_action",
        "integrations.deliver_webhook",
        "integrations.sweep_outbound",
        "community.email_notification",
        "budgets.email_notices",
    ),
    DEFAULT: (
        # The outbox relay hands domain events to in-process subscribers (which only record
        # webhook deliveries and enqueue them on ``outbound``): no call leaves from here.
        "community.dispatch_domain_events",
        "community.heartbeat",
        "incidents.end_cooldown",
        "incidents.sweep_cooldowns",
        "incidents.run_step",
        "incidents.check_in_due",
        "postmortems.send_due_reminders",
        "postmortems.check_verifications",
        "postmortems.ensure_postmortem",
        "circle.remind_agreements",
        "circle.publish_due_summaries",
        "gamedays.feed",
        "gamedays.resume_feeding",
        "gamedays.purge_sandboxes",
        "releases.check_canaries",
        "releases.check_canary",
        "replay.run_replay",
        "operations.purge_expired",
    ),
}


def queue_of(task_name: str) -> str | None:
    """The queue a task is routed to, or None for a task nobody assigned."""
    for queue, names in TASK_QUEUES.items():
        if task_name in names:
            return queue
    return None


def routes() -> dict[str, dict[str, str]]:
    """``CELERY_TASK_ROUTES``: every task by name to its queue."""
    return {
        name: {"queue": queue, "routing_key": queue}
        for queue, names in TASK_QUEUES.items()
        for name in names
    }


def worker_argument(*names: str) -> str:
    """The ``-Q`` value for a worker consuming ``names`` (all queues when none is given)."""
    chosen = names or QUEUES
    unknown = sorted(set(chosen) - set(QUEUES))
    if unknown:
        raise ValueError(f"unknown queue(s): {', '.join(unknown)}")
    return ",".join(chosen)
