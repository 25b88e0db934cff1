"""Every Celery task goes to a queue chosen on purpose (config/queues.py), and the workers the
project starts are told which queues to consume."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from config import queues
from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def _registered_tasks() -> list[str]:
    celery_app.loader.import_default_modules()
    return sorted(name for name in celery_app.tasks if not name.startswith("celery."))


def test_every_registered_task_has_a_queue_chosen_for_it() -> None:
    tasks = _registered_tasks()
    assert len(tasks) >= 30
    unassigned = [name for name in tasks if queues.queue_of(name) is None]
    assert unassigned == [], f"give these tasks a queue in config/queues.py: {unassigned}"
    stale = sorted(set(settings.CELERY_TASK_ROUTES) - set(tasks))
    assert stale == [], f"config/queues.py names tasks that do not exist: {stale}"


def test_no_task_is_named_under_two_queues() -> None:
    named = [name for names in queues.TASK_QUEUES.values() for name in names]
    assert len(named) == len(set(named))
    assert set(queues.TASK_QUEUES) == set(queues.QUEUES)


def test_the_router_sends_each_task_to_its_queue() -> None:
    router = celery_app.amqp.router
    for name in _registered_tasks():
        route = router.route({}, name)
        assert route["queue"].name == queues.queue_of(name), name
    assert router.route({}, "budgets.recalculate")["queue"].name == "recalc"
    assert router.route({}, "integrations.drain_discourse_deliveries")["queue"].name == "ingest"
    assert router.route({}, "integrations.deliver_webhook")["queue"].name == "outbound"
    assert router.route({}, "community.heartbeat")["queue"].name == "default"


def test_a_worker_without_a_queue_list_consumes_all_four() -> None:
    assert [q.name for q in settings.CELERY_TASK_QUEUES] == list(queues.QUEUES)
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"
    assert queues.worker_argument() == "ingest,recalc,outbound,default"
    assert queues.worker_argument("recalc") == "recalc"


def test_the_workers_the_project_starts_are_told_their_queues() -> None:
    run_all = (ROOT / "scripts/run_all.py").read_text()
    assert "queues.INGEST, queues.RECALC" in run_all
    assert "queues.OUTBOUND, queues.DEFAULT" in run_all
    assert '"-Q"' in (ROOT / "tests/conftest.py").read_text()
    assert '"-Q", queues.worker_argument()' in (ROOT / "drill/app.py").read_text()
    readme = (ROOT / "README.md").read_text()
    for queue in queues.QUEUES:
        assert f"-Q {queue}" in readme
