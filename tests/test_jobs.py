"""community.jobs.enqueue_after_commit: by name, after commit, only broker errors swallowed."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError

from community.jobs import enqueue_after_commit
from community.models import Heartbeat


@pytest.mark.django_db(transaction=True)
def test_a_task_is_sent_by_name_once_the_transaction_commits() -> None:
    with transaction.atomic():
        enqueue_after_commit("community.heartbeat", "jobs-test")
        assert not Heartbeat.objects.filter(name="jobs-test").exists()
    assert Heartbeat.objects.filter(name="jobs-test").exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing() -> None:
    def change_then_fail() -> None:
        with transaction.atomic():
            enqueue_after_commit("community.heartbeat", "jobs-rolled-back")
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert not Heartbeat.objects.filter(name="jobs-rolled-back").exists()


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_is_logged_and_swallowed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(current_app.tasks["community.heartbeat"], "apply_async", broker_down)
    with caplog.at_level(logging.WARNING, logger="community.jobs"):
        enqueue_after_commit("community.heartbeat", "jobs-down")
    assert "could not enqueue community.heartbeat" in caplog.text
    assert not Heartbeat.objects.filter(name="jobs-down").exists()


@pytest.mark.django_db(transaction=True)
def test_any_other_error_surfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*args: Any, **kwargs: Any) -> None:
        raise TypeError("a programming error, not an outage")

    monkeypatch.setattr(current_app.tasks["community.heartbeat"], "apply_async", bug)
    with pytest.raises(TypeError):
        enqueue_after_commit("community.heartbeat", "jobs-bug")


@pytest.mark.django_db(transaction=True)
def test_countdown_and_eta_reach_the_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        current_app.tasks["community.heartbeat"],
        "apply_async",
        lambda args=None, kwargs=None, **options: sent.append({"args": args, **options}),
    )
    enqueue_after_commit("community.heartbeat", "a", countdown=30)
    assert sent == [{"args": ("a",), "countdown": 30}]
