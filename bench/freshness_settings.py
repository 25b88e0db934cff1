"""Bench-only settings for bench_freshness: the ingest benchmark's settings (its bare baselines'
URLconf, plus the floor's view) with every queue renamed ``bench-fresh-*``, so the benchmark's
workers never take a task from a developer's own workers on the same Redis, nor leave one there.
Never used by the product."""

from __future__ import annotations

from kombu import Queue

from bench.ingest_settings import *  # noqa: F403
from config import queues

PREFIX = "bench-fresh-"
ROOT_URLCONF = "bench.freshness_urls"
CELERY_IMPORTS = ("bench.freshness_tasks",)
CELERY_TASK_DEFAULT_QUEUE = PREFIX + queues.DEFAULT
CELERY_TASK_QUEUES = tuple(
    Queue(PREFIX + name, routing_key=PREFIX + name) for name in queues.QUEUES
)
# The floor's two hops go through the same two queues as an event's way to a budget.
_ROUTED = {
    **{name: route["queue"] for name, route in queues.routes().items()},
    "bench.floor_ingest": queues.INGEST,
    "bench.floor_recalc": queues.RECALC,
}
CELERY_TASK_ROUTES = {
    name: {"queue": PREFIX + queue, "routing_key": PREFIX + queue}
    for name, queue in _ROUTED.items()
}
