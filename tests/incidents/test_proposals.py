"""Automation never overrides a person silently: a re-check that would lift a cooldown early,
while a member's report or a moderator's note is newer than the cooldown, proposes the lift to
the facilitator; timed steps wait for their time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from community.models import Community, Membership, Space
from community.services import ServiceError, set_role
from incidents import services
from incidents.models import Cooldown, Incident, Runbook, RunbookRun
from tests.conftest import make_user
from tests.incidents.conftest import add_events, fresh


def _start(incident: Incident, runbook: Runbook, actor: services.Actor, capture: Any) -> RunbookRun:
    with capture(execute=True):
        run = services.start_runbook(
            incident=incident, runbook=runbook, expected_version=None, actor=actor
        )
        services.run_step_now(
            step_run=run.steps.get(position=4), expected_version=None, actor=actor
        )
    return run


def _come_due(run: RunbookRun, space: Space, capture: Any) -> Any:
    """Travel to the check-in's time, with a calm space (burn rate 0), and run it."""
    check_in = run.steps.get(position=5)
    assert check_in.due_at is not None
    travel = time_machine.travel(check_in.due_at + timedelta(seconds=1), tick=False)
    travel.start()
    with capture(execute=True):
        add_events(space, posts=40, bad=0, prefix="calm")
        services.execute_step(step_run_id=check_in.pk)
    return travel


@pytest.fixture
def facilitated(
    incident: Incident, community: Community, moderator: Any, mod_actor: services.Actor
) -> Incident:
    services.offer_facilitator(
        incident=incident,
        to=community.memberships.get(user=moderator),
        expected_version=None,
        actor=mod_actor,
    )
    return incident


def test_runbook_a_does_not_lift_a_slow_mode_after_a_minute_while_a_report_is_open(
    facilitated, runbook_a, mod_actor, space, community, django_capture_on_commit_callbacks
) -> None:
    reporter = Membership.objects.create(community=community, display_name="rue_reporter")
    run = _start(facilitated, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        services.report_heated_space(
            community=community, space=space, reporter=reporter, message="Piling on in replies"
        )
        add_events(space, posts=30, bad=0, prefix="quiet")
        with django_capture_on_commit_callbacks(execute=True):
            services.retry_waiting_steps()
    # A minute in: the check-in waits for its hour, so nothing re-checked and nothing lifted.
    assert [s.status for s in run.steps.order_by("position")][4:] == ["waiting", "pending"]
    assert Cooldown.objects.active().count() == 1
    travel = _come_due(run, space, django_capture_on_commit_callbacks)
    try:
        recheck = run.steps.get(position=6)
        assert recheck.status == "proposed"
        assert "a member reported Proposals" in recheck.reason
        assert "maya_mod decides" in recheck.reason
        assert Cooldown.objects.active().count() == 1
        proposal = facilitated.timeline.get(kind="proposal")
        assert "does not lift it by itself" in proposal.text
        # Nothing automatic moves a proposal on: not the sweep, not the task sent again.
        with django_capture_on_commit_callbacks(execute=True):
            services.retry_waiting_steps()
            assert services.execute_step(step_run_id=recheck.pk) == "proposed"
        assert Cooldown.objects.active().count() == 1
        with pytest.raises(ServiceError, match="waiting for the facilitator"):
            services.run_step_now(step_run=recheck, expected_version=None, actor=mod_actor)
    finally:
        travel.stop()


def test_a_moderators_note_after_the_cooldown_began_also_makes_it_a_proposal(
    incident, runbook_a, mod_actor, space, django_capture_on_commit_callbacks
) -> None:
    run = _start(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        services.add_note(incident=incident, text="Still tense in DMs, per Sam.", actor=mod_actor)
    travel = _come_due(run, space, django_capture_on_commit_callbacks)
    try:
        recheck = run.steps.get(position=6)
        assert recheck.status == "proposed"
        assert "maya_mod added a note" in recheck.reason
    finally:
        travel.stop()


def test_without_a_newer_report_or_note_a_calm_space_is_lifted_when_the_time_comes(
    incident, runbook_a, mod_actor, space, django_capture_on_commit_callbacks
) -> None:
    run = _start(incident, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    travel = _come_due(run, space, django_capture_on_commit_callbacks)
    travel.stop()
    assert run.steps.get(position=6).status == "done"
    assert Cooldown.objects.get().end_reason == "calm"


@pytest.mark.parametrize("accept", [True, False])
def test_the_facilitator_accepts_the_lift_or_keeps_it_cooling(
    facilitated,
    runbook_a,
    mod_actor,
    space,
    community,
    accept: bool,
    django_capture_on_commit_callbacks,
) -> None:
    run = _start(facilitated, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    services.add_note(incident=facilitated, text="One party asked for more time.", actor=mod_actor)
    travel = _come_due(run, space, django_capture_on_commit_callbacks)
    try:
        recheck = run.steps.get(position=6)
        version = fresh(facilitated).version
        with django_capture_on_commit_callbacks(execute=True):
            services.decide_lift_proposal(
                step_run=recheck, accept=accept, expected_version=version, actor=mod_actor
            )
        cooldown = Cooldown.objects.get()
        if accept:
            assert (cooldown.end_reason, cooldown.ended_at is not None) == ("lifted", True)
            assert "maya_mod accepted" in cooldown.lift_reason
        else:
            assert cooldown.ended_at is None
            assert "kept it cooling" in run.steps.get(position=6).reason
        assert run.steps.get(position=6).status == "done"
        assert type(run).objects.get(pk=run.pk).finished_at is not None
        assert facilitated.timeline.filter(kind="proposal").count() == 2
        with pytest.raises(ServiceError, match="already been answered"):
            services.decide_lift_proposal(
                step_run=recheck, accept=accept, expected_version=None, actor=mod_actor
            )
    finally:
        travel.stop()


def test_only_the_facilitator_or_deputy_decides_a_proposal(
    facilitated, runbook_a, mod_actor, space, community, django_capture_on_commit_callbacks
) -> None:
    other = make_user("otto_othermod")
    set_role(community=community, user=other, role="moderator")
    run = _start(facilitated, runbook_a, mod_actor, django_capture_on_commit_callbacks)
    services.add_note(incident=facilitated, text="Wait for the parties.", actor=mod_actor)
    travel = _come_due(run, space, django_capture_on_commit_callbacks)
    try:
        recheck = run.steps.get(position=6)
        with pytest.raises(ServiceError, match="maya_mod is facilitating and decides"):
            services.decide_lift_proposal(
                step_run=recheck,
                accept=True,
                expected_version=None,
                actor=services.Actor.person(other),
            )
        assert Cooldown.objects.active().count() == 1
        assert run.steps.get(position=6).status == "proposed"
    finally:
        travel.stop()
