"""The OpenAPI document is a contract other forums generate clients from: schemathesis sends
every operation generated requests (valid and not) and checks each answer against the document.

The schema is generated in-process, exactly as ``/api/schema/`` serves it, and the requests go
through the WSGI application in-process, inside the test's transaction (on PostgreSQL in CI, where
an out-of-range number would fail in the database). Each request is sent as generated (random
ids mostly name nothing: a documented 404) and, where the path names objects, again with the ids
of real objects of the fixture world, so real bodies (a ledger with a forgiveness by a key, a
runbook step, a cooldown) are checked too.

Checks: every response check schemathesis has (no 5xx; status code, content type, headers and
body as documented; authentication not ignored; undocumented methods refused), except two that
judge request validation rather than responses: ``positive_data_acceptance`` (a request the
schema allows may still be refused by a business rule: an unknown member id, a stale version, a
publish with nothing new) and ``negative_data_rejection`` (DRF reads "12" as 12 by design).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from incidents.models import Cooldown
from tests.conftest import openapi_document
from tests.test_authorization_matrix import _group, _replay, _running_trial
from tests.world import World

# Bounded by the number of examples, not by a clock: a handful per operation (and phase) keeps the
# whole run near a minute on a quiet 2-core machine; derandomized, so a run fails for a change,
# not for a new seed. (A wall-clock limit here failed whenever the machine was busy.)
MAX_EXAMPLES = 12
EXCLUDED_CHECKS = [positive_data_acceptance, negative_data_rejection]


DOCUMENT = openapi_document()
schema = schemathesis.openapi.from_dict(
    DOCUMENT, config=schemathesis.Config.from_dict({"generation": {"max-examples": MAX_EXAMPLES}})
)
schema.app = get_wsgi_application()

# The real objects to put in each path that names some: every such operation needs an entry.
REAL_PATHS: dict[str, Callable[[World], dict[str, int | str]]] = {
    # Releases: path ids of the world's trial and council group (built by the matrix helpers).
    "canaries_retrieve": lambda w: _running_trial(w),
    "canaries_promote": lambda w: _running_trial(w),
    "canaries_rollback": lambda w: _running_trial(w),
    "council_groups_delegate": lambda w: {"id": _group(w).pk},
    "council_groups_answer": lambda w: {"id": _group(w).pk},
    "releases_health": lambda w: {"number": w.version.number},
    # Game days: the world's running game day.
    "game_days_retrieve": lambda w: {"id": w.game_day.pk},
    "game_days_report": lambda w: {"id": w.game_day.pk},
    "game_days_stop": lambda w: {"id": w.game_day.pk},
    # Replays: the world's kept replay (built by the matrix helper).
    "replays_retrieve": lambda w: {"id": _replay(w).pk},
    "replays_dismiss": lambda w: {"id": _replay(w).pk},
    "clauses_retrieve": lambda w: {"id": w.clause.pk},
    "clauses_openslo": lambda w: {"id": w.clause.pk},
    "clauses_translation_update": lambda w: {"id": w.clause.pk, "lang": "ko"},
    "clauses_translation_destroy": lambda w: {"id": w.clause.pk, "lang": "ko"},
    "contract_versions_retrieve": lambda w: {"number": w.version.number},
    "cooldowns_extend": lambda w: {"id": w.cooldown.pk},
    "cooldowns_lift": lambda w: {"id": w.cooldown.pk},
    "incidents_retrieve": lambda w: {"id": w.incident.pk},
    "incidents_update": lambda w: {"id": w.incident.pk},
    "incidents_runbook_start": lambda w: {"id": w.incident.pk},
    "incidents_step_action": lambda w: {"id": w.incident.pk, "step_id": w.step.pk},
    "members_ledger_retrieve": lambda w: {"id": w.membership.pk},
    "postmortems_retrieve": lambda w: {"id": w.postmortem.pk},
    "postmortems_section_update": lambda w: {"id": w.draft_postmortem.pk, "key": "lessons"},
    "postmortems_review": lambda w: {"id": w.draft_postmortem.pk},
    "postmortems_publish": lambda w: {"id": w.postmortem.pk},
    "postmortems_action_items_create": lambda w: {"id": w.draft_postmortem.pk},
    "action_items_retrieve": lambda w: {"id": w.action_item.pk},
    "action_items_status": lambda w: {"id": w.action_item.pk},
    "participants_list": lambda w: {"id": w.circle_postmortem.pk},
    "participants_invite": lambda w: {"id": w.circle_postmortem.pk},
    "participants_forgive": lambda w: {"id": w.responsible.pk},
    "agreements_create": lambda w: {"id": w.circle_postmortem.pk},
    "agreements_retrieve": lambda w: {"id": w.agreement.pk},
    "agreements_decide": lambda w: {"id": w.agreement.pk},
    "agreements_withdraw": lambda w: {"id": w.agreement.pk},
    "agreements_revise": lambda w: {"id": w.agreement.pk},
}


@pytest.fixture
def in_process(world: World) -> Iterator[World]:
    """Requests run in this thread on the test's connection: Django must not close it between
    requests (its test client does the same), or the test's transaction would be lost."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield world
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_its_schema_says(case: Any, in_process: World) -> None:
    world = in_process
    headers = {"Authorization": f"Bearer {world.key}"}
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)
    real = REAL_PATHS.get(case.operation.definition.raw["operationId"])
    if real is not None:
        case.path_parameters = real(world)
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)


def test_every_operation_with_ids_in_its_path_has_real_objects_to_name() -> None:
    with_ids = {
        op["operationId"]
        for item in DOCUMENT["paths"].values()
        for op in item.values()
        if any(p["in"] == "path" for p in op.get("parameters", []))
    }
    assert with_ids == set(REAL_PATHS)


def _integer_inputs(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            yield where, node
        for key, value in node.items():
            yield from _integer_inputs(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _integer_inputs(value, f"{where}[{index}]")


def test_every_number_a_client_sends_is_bounded() -> None:
    """A number without bounds reaches the database, where a big one overflows (a 500): every
    integer in a request body or a query declares both ends, so the answer is a 400 naming the
    field (and schemathesis tries both ends). Path ids are matched by Django's URL converter
    and looked up safely, so they need none."""
    components = DOCUMENT["components"]["schemas"]
    requests = {name: s for name, s in components.items() if name.endswith("Request")}
    queries = {
        f"{op['operationId']}.{p['name']}": p["schema"]
        for item in DOCUMENT["paths"].values()
        for op in item.values()
        for p in op.get("parameters", [])
        if p["in"] == "query"
    }
    unbounded = [
        where
        for name, node in {**requests, **queries}.items()
        for where, integer in _integer_inputs(node, name)
        if "minimum" not in integer or "maximum" not in integer
    ]
    assert unbounded == []


# --- Numbers that would overflow: a 400 naming the field, never a 500 ------------------------


def test_a_clause_asking_for_2_to_the_70_bad_events_is_refused_naming_the_field(
    api: Any, community: Any
) -> None:
    body = {
        "title": "Disagree without hostility",
        "wording": "Argue with ideas, not with people.",
        "total_kinds": ["post"],
        "bad_kinds": ["flag_upheld"],
        "target": "0.980000",
        "min_bad_events": 2**70,
    }
    response = api.post("/api/v1/clauses/", body, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["min_bad_events"]


def test_a_cooldown_of_ten_billion_minutes_is_refused_naming_the_field(world: World) -> None:
    client = Client()
    client.force_login(world.moderator)
    incident = world.incident
    url = f"/c/{world.community.slug}/incidents/{incident.pk}/cooldowns/"
    body = {
        "space": world.space.pk,
        "mode": "read_only",
        "duration_minutes": 10_000_000_000,
        "version": incident.version,
    }
    response = client.post(url, body, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "duration_minutes" in response.content.decode()
    assert Cooldown.objects.filter(incident=incident).count() == 1  # the world's own


def test_a_cooldown_extended_by_ten_billion_minutes_is_refused(world: World) -> None:
    client = Client()
    client.force_login(world.moderator)
    cooldown, incident = world.cooldown, world.incident
    url = f"/c/{world.community.slug}/incidents/{incident.pk}/cooldowns/{cooldown.pk}/extend/"
    response = client.post(
        url,
        {"extra_minutes": 10_000_000_000, "version": incident.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Extend by a whole number of minutes" in response.content.decode()
    assert Cooldown.objects.get(pk=cooldown.pk).ends_at == cooldown.ends_at


def test_an_api_cooldown_with_a_slow_mode_of_2_to_the_40_seconds_is_refused(
    world: World,
) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.key}")
    body = {
        "space_id": world.space.pk,
        "mode": "slow_mode",
        "slow_mode_seconds": 2**40,
        "ends_at": "2099-01-01T00:00:00Z",
    }
    response = client.post("/api/v1/cooldowns/", body, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["slow_mode_seconds"]
