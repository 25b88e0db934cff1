"""Detection from clause alerts and the forum's reports back, through the domain-event spine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from community.domain_events import dispatch_pending, record_domain_event
from community.models import Community, ConductEvent, Space
from incidents.models import Incident, IncidentReport, IncidentSettings, TimelineEntry
from incidents.services import space_payload
from tests.incidents.conftest import add_events


def _alert(community: Community, space: Space | None, event_ids: list[int]) -> dict[str, Any]:
    return {
        "alert_id": 7,
        "clause_id": 3,
        "clause_title": "Posts are not hostile",
        "space": space_payload(space) if space else None,
        "rule": "page_fast",
        "long_window_hours": 1,
        "short_window_hours": 0.083,
        "burn_rate_long": "15.0",
        "burn_rate_short": "17.9",
        "threshold": "14.4",
        "bad_long": 45,
        "total_long": 150,
        "event_ids": event_ids,
        "fired_at": "2026-11-23T18:00:00+00:00",
    }


def _fire(community: Community, payload: dict[str, Any]) -> None:
    with transaction.atomic():
        record_domain_event(community=community, type="clause.alert_fired", payload=payload)
    dispatch_pending()


@pytest.fixture
def bad_ids(space: Space) -> list[int]:
    add_events(space, posts=5, bad=3)
    return list(ConductEvent.objects.filter(kind="flag_upheld").values_list("pk", flat=True))


def test_an_alert_on_a_space_declares_a_sev3_incident_with_its_bad_events(
    community, space, bad_ids
) -> None:
    _fire(community, _alert(community, space, bad_ids))
    incident = Incident.objects.get()
    assert (incident.severity, incident.detected_by) == ("SEV3", "clause_alert")
    assert list(incident.spaces.all()) == [space]
    assert incident.trigger_event_ids == sorted(bad_ids)
    assert incident.timeline.filter(kind="alert").count() == 1


def test_the_alert_on_the_timeline_is_in_words_with_rounded_numbers(
    community, space, bad_ids
) -> None:
    _fire(community, {**_alert(community, space, bad_ids), "burn_rate_long": "15.571429"})
    text = TimelineEntry.objects.get(kind="alert").text
    assert text == (
        "Alert on “Posts are not hostile”: 45 of 150 events were bad in the last 1 hour: at "
        "this pace the clause's room for the month would be gone in 46 hours (15.6 times the "
        "steady pace, 17.9 times over the last 5 minutes; the fast burn alert starts at 14.4 "
        "times)."
    )


def test_an_alert_handed_over_twice_declares_once(community, space, bad_ids) -> None:
    from community.models import DomainEvent
    from incidents.services import handle_clause_alert

    _fire(community, _alert(community, space, bad_ids))
    handle_clause_alert(DomainEvent.objects.get(type="clause.alert_fired"))
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="alert").count() == 1


def test_a_second_alert_joins_the_open_incident_on_that_space(community, space, bad_ids) -> None:
    _fire(community, _alert(community, space, bad_ids[:1]))
    _fire(community, _alert(community, space, bad_ids))
    incident = Incident.objects.get()
    assert incident.trigger_event_ids == sorted(bad_ids)
    assert incident.timeline.filter(kind="alert").count() == 2


def test_a_community_that_prefers_suggestions_gets_a_report_instead(
    community, space, bad_ids
) -> None:
    IncidentSettings.objects.create(community=community, alert_response="suggest")
    _fire(community, _alert(community, space, bad_ids))
    assert not Incident.objects.exists()
    report = IncidentReport.objects.get()
    assert (report.source, report.space, report.event_ids) == ("clause_alert", space, bad_ids)


def test_a_community_wide_alert_is_suggested_not_declared(community, bad_ids) -> None:
    _fire(community, _alert(community, None, bad_ids))
    assert not Incident.objects.exists()
    assert IncidentReport.objects.get().space is None


def test_opting_in_starts_a_runbook_automatically(
    community, space, bad_ids, runbook_a, django_capture_on_commit_callbacks
) -> None:
    IncidentSettings.objects.create(community=community, auto_runbook=runbook_a)
    with django_capture_on_commit_callbacks(execute=True):
        _fire(community, _alert(community, space, bad_ids))
    incident = Incident.objects.get()
    assert incident.runbook_runs.get().runbook == runbook_a
    assert incident.cooldowns.active().exists()
    assert incident.status == "mitigating"


def test_an_alert_naming_a_space_of_another_community_declares_nothing(
    community, other_space, bad_ids
) -> None:
    _fire(community, _alert(community, other_space, bad_ids))
    assert not Incident.objects.exists()


def test_each_forum_attempt_writes_one_timeline_entry(community, incident) -> None:
    payload = {
        "action": "slow_mode",
        "incident_id": incident.pk,
        "cooldown_id": None,
        "notice_id": None,
        "attempt": 2,
        "ok": False,
        "status_code": 502,
        "error": "Bad Gateway",
        "permanent": False,
    }
    with transaction.atomic():
        record_domain_event(community=community, type="forum.action_attempted", payload=payload)
    dispatch_pending()
    entry = incident.timeline.get(kind="forum")
    assert "slow mode failed on attempt 2 (502: Bad Gateway; will retry)" in entry.text
    from community.models import DomainEvent
    from incidents.services import record_forum_attempt

    record_forum_attempt(DomainEvent.objects.get(type="forum.action_attempted"))
    assert incident.timeline.filter(kind="forum").count() == 1


def test_a_forum_attempt_for_another_communitys_incident_is_ignored(
    other_community, incident
) -> None:
    with transaction.atomic():
        record_domain_event(
            community=other_community,
            type="forum.action_attempted",
            payload={"action": "post_notice", "incident_id": incident.pk, "ok": True},
        )
    dispatch_pending()
    assert not incident.timeline.filter(kind="forum").exists()


def test_a_real_clause_alert_declares_an_incident_end_to_end(
    community, django_capture_on_commit_callbacks
) -> None:
    from django.utils import timezone

    from community.contract.evaluation import evaluate_community
    from tests.contract.helpers import HOSTILITY, posts_and_flags, published_clause

    published_clause(community, HOSTILITY)
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        # The design's flame-war hour: 150 posts, 45 of them upheld as hostile.
        posts_and_flags(community, posts=150, flags=45, at=now - timedelta(minutes=2))
        evaluate_community(community=community, now=now)
    dispatch_pending()
    incident = Incident.objects.get()
    assert incident.detected_by == "clause_alert"
    assert [s.external_id for s in incident.spaces.all()] == ["2"]
    assert len(incident.trigger_event_ids) == 45
    assert incident.timeline.filter(
        kind="alert", text__contains="Disagree without hostility"
    ).exists()
