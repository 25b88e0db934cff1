"""The runbook step that writes privately to the parties: when the mail server fails part-way,
the step's retry writes only to the parties not reached yet, so nobody gets the message twice."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core import mail

from community.models import Community, Role
from community.services import set_role
from incidents import services
from incidents.models import Incident, Runbook, StepKind
from tests.conftest import make_user
from tests.incidents.conftest import fresh
from tests.test_email_retries import FLAKY, FlakyMail


@FLAKY
def test_a_retry_after_a_failure_part_way_writes_only_to_the_parties_not_reached(
    incident: Incident,
    community: Community,
    runbook_a: Runbook,
    mod_actor: services.Actor,
    django_capture_on_commit_callbacks: Any,
) -> None:
    second = set_role(community=community, user=make_user("nia"), role=Role.MEMBER)
    incident.parties.add(second)
    # The first party's e-mail goes out, the second's meets a dropped connection.
    FlakyMail.failures = [None, smtplib.SMTPServerDisconnected("connection closed")]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.start_runbook(
            incident=incident,
            runbook=runbook_a,
            expected_version=fresh(incident).version,
            actor=mod_actor,
        )
    step = run.steps.get(kind=StepKind.NOTIFY_PARTIES)
    assert step.status == "done"
    assert "Sent privately to 2 parties." in step.reason
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["milo_member@example.org", "nia@example.org"]
    assert incident.timeline.filter(text__contains="retrying").count() == 1
    FlakyMail.failures = []
