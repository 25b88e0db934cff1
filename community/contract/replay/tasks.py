"""The replay's Celery task: a thin wrapper over ``services.run_replay`` (takes the id)."""

from __future__ import annotations

from celery import shared_task

from community.contract.replay.services import run_replay as run


@shared_task(name="replay.run_replay", ignore_result=True)
def run_replay(replay_id: int) -> bool:
    return run(replay_id=replay_id)
