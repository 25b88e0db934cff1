"""Cooldowns: timed, one per space, explicit extension, early lift with a reason, and they end
by themselves (scheduled task + periodic sweep)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from celery import current_app
from django.db import IntegrityError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from community.models import DomainEvent
from community.services import ServiceError
from incidents import services, tasks
from incidents.models import Cooldown, IncidentSettings
from tests.incidents.conftest import fresh


def _start(community, space, actor, **kw):
    args = {
        "mode": "slow_mode",
        "slow_mode_seconds": 120,
        "ends_at": timezone.now() + timedelta(hours=2),
        **kw,
    }
    return services.start_cooldown(community=community, space=space, actor=actor, **args)


def test_a_cooldown_on_an_incident_moves_it_to_mitigating_and_records_the_payload(
    community, space, incident, mod_actor
) -> None:
    cd = _start(community, space, mod_actor, incident=incident, expected_version=1)
    after = fresh(incident)
    assert after.status == "mitigating"
    assert after.first_cooldown_at == cd.starts_at
    event = DomainEvent.objects.get(type="cooldown.started")
    assert event.payload == {
        "cooldown_id": cd.pk,
        "incident_id": incident.pk,
        "space": {
            "id": space.pk,
            "name": "Proposals",
            "kind": "category",
            "source": "manual",
            "external_id": "5",
        },
        "mode": "slow_mode",
        "slow_mode_seconds": 120,
        "starts_at": cd.starts_at.isoformat(),
        "ends_at": cd.ends_at.isoformat(),
    }
    kinds = list(after.timeline.values_list("kind", flat=True))
    assert kinds == ["declared", "cooldown", "status"]


def test_a_read_only_cooldown_has_no_interval_in_its_payload(community, space, mod_actor) -> None:
    _start(community, space, mod_actor, mode="read_only", slow_mode_seconds=None)
    payload = DomainEvent.objects.get(type="cooldown.started").payload
    assert payload["mode"] == "read_only"
    assert "slow_mode_seconds" not in payload
    assert payload["incident_id"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ends_at": None}, "needs an end"),
        ({"ends_at": "past"}, "in the future"),
        ({"ends_at": "too-long"}, "maximum cooldown of 1 d"),
        ({"slow_mode_seconds": None}, "interval"),
        ({"mode": "ban"}, "slow mode or read-only"),
    ],
)
def test_bad_cooldowns_are_refused_and_change_nothing(
    community, space, mod_actor, kwargs, message
) -> None:
    now = timezone.now()
    if kwargs.get("ends_at") == "past":
        kwargs["ends_at"] = now - timedelta(minutes=1)
    if kwargs.get("ends_at") == "too-long":
        kwargs["ends_at"] = now + timedelta(hours=25)
    with pytest.raises(ServiceError, match=message):
        _start(community, space, mod_actor, **kwargs)
    assert not Cooldown.objects.exists()
    assert not DomainEvent.objects.exists()


def test_the_community_maximum_is_a_setting(community, space, mod_actor) -> None:
    IncidentSettings.objects.create(community=community, max_cooldown_minutes=30)
    with pytest.raises(ServiceError, match="30 min"):
        _start(community, space, mod_actor)


def test_a_cooldown_on_a_space_of_another_community_is_refused(
    community, other_space, mod_actor
) -> None:
    with pytest.raises(ServiceError, match="another community"):
        _start(community, other_space, mod_actor)
    assert not Cooldown.objects.exists()


def test_only_one_active_cooldown_per_space(community, space, mod_actor) -> None:
    first = _start(community, space, mod_actor)
    with pytest.raises(ServiceError, match="extend that one instead"):
        _start(community, space, mod_actor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Cooldown.objects.create(
            community=community,
            space=space,
            mode="read_only",
            ends_at=timezone.now() + timedelta(hours=1),
        )
    assert list(Cooldown.objects.active()) == [first]


def test_extending_is_explicit_and_must_move_the_end_later(
    community, space, incident, mod_actor
) -> None:
    cd = _start(community, space, mod_actor, incident=incident)
    later = cd.ends_at + timedelta(minutes=30)
    with pytest.raises(ServiceError, match="after the current one"):
        services.extend_cooldown(cooldown=cd, ends_at=cd.ends_at, actor=mod_actor)
    extended = services.extend_cooldown(cooldown=cd, ends_at=later, actor=mod_actor)
    assert extended.ends_at == later
    payload = DomainEvent.objects.get(type="cooldown.extended").payload
    assert payload["ends_at"] == later.isoformat()
    assert payload["starts_at"] == cd.starts_at.isoformat()


def test_lifting_early_needs_a_reason(community, space, incident, mod_actor) -> None:
    cd = _start(community, space, mod_actor, incident=incident)
    with pytest.raises(ServiceError, match="Say why"):
        services.lift_cooldown(cooldown=cd, reason=" ", actor=mod_actor)
    assert fresh_cd(cd).ended_at is None
    services.lift_cooldown(cooldown=cd, reason="They made up.", actor=mod_actor)
    ended = fresh_cd(cd)
    assert (ended.end_reason, ended.lift_reason) == ("lifted", "They made up.")
    payload = DomainEvent.objects.get(type="cooldown.ended").payload
    assert payload == {
        "cooldown_id": cd.pk,
        "incident_id": incident.pk,
        "space": payload["space"],
        "mode": "slow_mode",
        "ended_at": ended.ended_at.isoformat(),
        "reason": "lifted",
    }
    with pytest.raises(ServiceError, match="already ended"):
        services.lift_cooldown(cooldown=cd, reason="again", actor=mod_actor)


def fresh_cd(cd: Cooldown) -> Cooldown:
    return Cooldown.objects.get(pk=cd.pk)


def test_a_cooldown_ends_by_itself_at_its_end_through_the_sweep(
    community, space, incident, mod_actor
) -> None:
    cd = _start(community, space, mod_actor, incident=incident)
    assert tasks.sweep_cooldowns() == 0
    with time_machine.travel(cd.ends_at + timedelta(seconds=1)):
        assert tasks.end_cooldown(cd.pk) is True
        assert tasks.sweep_cooldowns() == 0  # already ended: nothing twice
    ended = fresh_cd(cd)
    assert ended.end_reason == "expired"
    assert ended.ended_at == cd.ends_at
    assert DomainEvent.objects.filter(type="cooldown.ended").count() == 1
    assert incident.timeline.filter(kind="cooldown", text__contains="ended on time").exists()


def test_the_sweep_catches_a_cooldown_whose_scheduled_end_was_lost(
    community, space, mod_actor
) -> None:
    cd = _start(community, space, mod_actor)
    with time_machine.travel(cd.ends_at + timedelta(minutes=5)):
        assert tasks.sweep_cooldowns() == 1
    assert fresh_cd(cd).end_reason == "expired"


def test_the_scheduled_end_of_an_extended_cooldown_does_nothing_early(
    community, space, mod_actor
) -> None:
    cd = _start(community, space, mod_actor)
    services.extend_cooldown(cooldown=cd, ends_at=cd.ends_at + timedelta(hours=1), actor=mod_actor)
    with time_machine.travel(cd.ends_at + timedelta(seconds=1)):
        assert tasks.end_cooldown(cd.pk) is False
    assert fresh_cd(cd).ended_at is None


def test_starting_a_cooldown_schedules_its_end_after_commit(
    community, space, mod_actor, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _start(community, space, mod_actor)
    assert len(callbacks) >= 2  # the outbox dispatch and the end of the cooldown


def test_metrics_export_open_incidents_and_active_cooldowns(
    community, space, incident, mod_actor
) -> None:
    from django.test import Client

    _start(community, space, mod_actor, incident=incident)
    body = Client().get("/metrics").content.decode()
    assert 'csre_open_incidents{community="garden",severity="SEV3"} 1.0' in body
    assert 'csre_active_cooldowns{community="garden"} 1.0' in body


def test_extending_by_a_duration_adds_to_the_end_read_under_the_lock(
    community, space, incident, mod_actor
) -> None:
    cd = _start(community, space, mod_actor, incident=incident)
    first_end = cd.ends_at
    services.extend_cooldown(cooldown=cd, by=timedelta(minutes=30), actor=mod_actor)
    # ``cd`` is stale now (as a second request would hold it): the end still moves from the
    # stored one, so the two extensions add up instead of one overwriting the other.
    again = services.extend_cooldown(cooldown=cd, by=timedelta(minutes=30), actor=mod_actor)
    assert again.ends_at == first_end + timedelta(hours=1)
    assert Cooldown.objects.get(pk=cd.pk).ends_at == first_end + timedelta(hours=1)


def test_extending_takes_a_duration_or_an_end_never_both(community, space, mod_actor) -> None:
    cd = _start(community, space, mod_actor)
    with pytest.raises(TypeError):
        services.extend_cooldown(cooldown=cd, actor=mod_actor)
    with pytest.raises(TypeError):
        services.extend_cooldown(
            cooldown=cd, by=timedelta(minutes=5), ends_at=cd.ends_at, actor=mod_actor
        )


def test_a_cooldown_starts_when_the_broker_is_down(
    community, space, mod_actor, monkeypatch, django_capture_on_commit_callbacks, caplog
) -> None:
    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(current_app.tasks["incidents.end_cooldown"], "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        cd = _start(community, space, mod_actor)
    assert "could not enqueue incidents.end_cooldown" in caplog.text  # logged, not raised
    assert Cooldown.objects.active().get() == cd
