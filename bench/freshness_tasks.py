"""The freshness benchmark's floor (bench-only; loaded by its workers through CELERY_IMPORTS):
the bare minimum of an event's way to a budget, one task on the ingest queue that sends one on
the recalc queue, which stamps the row the bare view stored."""

from __future__ import annotations

from celery import shared_task
from django.db import connection

from community.jobs import enqueue_after_commit


@shared_task(name="bench.floor_ingest", ignore_result=True)
def floor_ingest(row_id: int) -> None:
    enqueue_after_commit("bench.floor_recalc", row_id)


@shared_task(name="bench.floor_recalc", ignore_result=True)
def floor_recalc(row_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE bench_fresh_floor SET done_at = clock_timestamp() WHERE id = %s", [row_id]
        )
