"""Celery tasks: thin wrappers over the services (registered by name)."""

from __future__ import annotations

from celery import shared_task

from incidents.gamedays import purge, services


@shared_task(name="gamedays.feed")
def feed(game_day_id: int) -> float | None:
    return services.feed_game_day(game_day_id=game_day_id)


@shared_task(name="gamedays.resume_feeding")
def resume_feeding() -> int:
    return services.resume_feeding()


@shared_task(name="gamedays.purge_sandboxes")
def purge_sandboxes() -> int:
    return purge.purge_sandboxes()
