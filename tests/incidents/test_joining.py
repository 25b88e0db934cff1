"""Alerts and reports join the open incident on their space instead of piling up beside it;
moderators attach and detach by hand; reporters hear back when the incident resolves."""

from __future__ import annotations

import pytest
from django.db import transaction

from community.domain_events import dispatch_pending, record_domain_event
from community.models import Community, Membership, Space
from community.services import ServiceError
from incidents import services
from incidents.models import Incident, IncidentReport, IncidentSettings
from tests.incidents.conftest import fresh
from tests.incidents.test_detection import _alert


def _report(community: Community, space: Space, who: str, message: str = "") -> IncidentReport:
    reporter = Membership.objects.create(community=community, display_name=who)
    return services.report_heated_space(
        community=community, space=space, reporter=reporter, message=message
    )


def test_a_report_on_a_space_with_an_open_incident_joins_it(community, space, incident) -> None:
    report = _report(community, space, "rue", "Piling on in the replies")
    assert (report.status, report.incident) == ("attached", incident)
    entry = incident.timeline.get(kind="report")
    assert "A member's report about Proposals joined this incident" in entry.text
    assert "Piling on in the replies" in entry.text
    assert not IncidentReport.objects.open().exists()  # no separate card on the board


def test_a_report_elsewhere_waits_on_the_board(community, incident) -> None:
    elsewhere = Space.objects.create(community=community, name="Lounge", external_id="9")
    report = _report(community, elsewhere, "rue")
    assert (report.status, report.incident) == ("open", None)


def test_declaring_an_incident_gathers_the_open_reports_on_its_spaces(
    community, space, mod_actor
) -> None:
    first = _report(community, space, "rue")
    second = _report(community, space, "sol")
    inc = services.declare_from_report(report=first, actor=mod_actor)
    assert IncidentReport.objects.get(pk=first.pk).status == "declared"
    assert (IncidentReport.objects.get(pk=second.pk).status, second.incident_id) == (
        "attached",
        None,
    )
    assert IncidentReport.objects.get(pk=second.pk).incident == inc
    assert inc.timeline.filter(kind="report", text__contains="joined").count() == 1


def test_adding_a_space_to_an_incident_gathers_its_reports(
    community, incident, mod_actor, space
) -> None:
    lounge = Space.objects.create(community=community, name="Lounge", external_id="9")
    report = _report(community, lounge, "rue")
    services.update_incident(
        incident=incident, expected_version=None, actor=mod_actor, spaces=[space, lounge]
    )
    assert IncidentReport.objects.get(pk=report.pk).incident == incident


def test_an_alert_joining_an_incident_can_be_detached_to_the_board(
    community, space, incident, mod_actor
) -> None:
    IncidentSettings.objects.create(community=community, alert_response="suggest")
    with transaction.atomic():
        record_domain_event(
            community=community, type="clause.alert_fired", payload=_alert(community, space, [])
        )
    dispatch_pending()
    alert = IncidentReport.objects.get(source="clause_alert")
    assert (alert.status, alert.incident) == ("attached", incident)
    assert incident.timeline.filter(kind="alert").count() == 1
    services.detach_report(report=alert, expected_version=fresh(incident).version, actor=mod_actor)
    alert.refresh_from_db()
    assert (alert.status, alert.incident) == ("open", None)
    assert incident.timeline.filter(kind="alert", text__contains="detached by maya_mod").exists()
    # ... and attached again by hand.
    services.attach_report(
        report=alert, incident=incident, expected_version=fresh(incident).version, actor=mod_actor
    )
    alert.refresh_from_db()
    assert (alert.status, alert.incident) == ("attached", incident)
    assert incident.timeline.filter(kind="alert", text__contains="attached by maya_mod").exists()


def test_attaching_is_refused_for_a_closed_incident_another_community_or_twice(
    community, other_community, space, incident, mod_actor
) -> None:
    lounge = Space.objects.create(community=community, name="Lounge", external_id="9")
    report = _report(community, lounge, "rue")
    services.attach_report(report=report, incident=incident, expected_version=None, actor=mod_actor)
    with pytest.raises(ServiceError, match="already been handled"):
        services.attach_report(
            report=report, incident=incident, expected_version=None, actor=mod_actor
        )
    foreign = Incident.objects.create(community=other_community, title="Elsewhere")
    other = _report(community, Space.objects.create(community=community, name="B"), "sol")
    with pytest.raises(ServiceError, match="another community"):
        services.attach_report(
            report=other, incident=foreign, expected_version=None, actor=mod_actor
        )
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    with pytest.raises(ServiceError, match="no longer open"):
        services.attach_report(
            report=other, incident=incident, expected_version=None, actor=mod_actor
        )
    assert IncidentReport.objects.get(pk=other.pk).status == "open"


def test_the_report_an_incident_was_declared_from_cannot_be_detached(
    community, space, mod_actor
) -> None:
    report = _report(community, space, "rue")
    services.declare_from_report(report=report, actor=mod_actor)
    with pytest.raises(ServiceError, match="stays with it"):
        services.detach_report(
            report=IncidentReport.objects.get(pk=report.pk), expected_version=None, actor=mod_actor
        )


def test_each_reporter_hears_back_once_when_the_incident_resolves(
    community, space, mod_actor
) -> None:
    first = _report(community, space, "rue")
    inc = services.declare_from_report(report=first, actor=mod_actor)
    second = _report(community, space, "sol")
    lounge = Space.objects.create(community=community, name="Lounge", external_id="9")
    unrelated = _report(community, lounge, "tam")
    assert not IncidentReport.objects.exclude(resolved_notice_at=None).exists()
    services.transition_incident(
        incident=inc, to="resolved", expected_version=None, actor=mod_actor
    )
    told = IncidentReport.objects.exclude(resolved_notice_at=None)
    assert set(told.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert first.reporter is not None and unrelated.reporter is not None
    assert IncidentReport.objects.resolved_notices_for(first.reporter).get() == first
    assert not IncidentReport.objects.resolved_notices_for(unrelated.reporter).exists()
    assert inc.timeline.filter(text="2 members who reported it were told it is resolved.").exists()
    services.transition_incident(incident=inc, to="closed", expected_version=None, actor=mod_actor)
    assert inc.timeline.filter(text__contains="told it is resolved").count() == 1


def test_a_member_can_report_again_once_the_incident_they_joined_resolved(
    community, space, incident, mod_actor
) -> None:
    reporter = Membership.objects.create(community=community, display_name="rue")
    services.report_heated_space(community=community, space=space, reporter=reporter, message="")
    with pytest.raises(ServiceError, match="already reported"):
        services.report_heated_space(
            community=community, space=space, reporter=reporter, message=""
        )
    services.transition_incident(
        incident=incident, to="resolved", expected_version=None, actor=mod_actor
    )
    again = services.report_heated_space(
        community=community, space=space, reporter=reporter, message="It flared up"
    )
    assert again.status == "open"
