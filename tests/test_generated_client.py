"""Other forums generate their client from our schema: this test does the same with a standard
generator (openapi-python-client), from the schema generated in-process, into a temporary
folder, refusing any warning, then drives a live server through the typed client: ingest
events, read the members they made, declare an incident, and read typed errors."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from community.models import Community, Role
from community.services import create_api_key, revoke_api_key, set_role
from tests.conftest import make_user, openapi_document

PACKAGE = "csre_client"
GENERATOR_CONFIG = {
    "project_name_override": PACKAGE,
    "package_name_override": PACKAGE,
    # The OpenSLO export is YAML text: the generator reads it as text.
    "content_type_overrides": {"application/yaml": "text/plain"},
}


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("generated")
    schema_path = folder / "schema.json"
    schema_path.write_text(json.dumps(openapi_document()))
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump(GENERATOR_CONFIG))
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(schema_path),
            "--config",
            str(config_path),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
            "--fail-on-warning",
        ],
        cwd=folder,
        # The generator formats what it writes with ruff (a dev dependency, beside python).
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_ingests_reads_members_and_declares_an_incident(
    client_package: ModuleType, live_server: Any, transactional_db: None
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    set_role(community=community, user=make_user("maya_mod"), role=Role.MODERATOR)
    _, key = create_api_key(
        community=community, name="forum", scopes=("read", "events:write", "moderate"), by=None
    )
    models = _module(client_package, "models")
    ingest = _module(client_package, "api.events.events_ingest")
    members_list = _module(client_package, "api.budgets.members_list")
    spaces_list = _module(client_package, "api.spaces.spaces_list")
    declare = _module(client_package, "api.incidents.incidents_declare")
    client = client_package.AuthenticatedClient(base_url=live_server.url, token=key)

    when = datetime.now(UTC) - timedelta(hours=1)
    batch = models.EventBatchInRequest(
        events=[
            models.EventInRequest(
                external_id=f"p-{n}",
                kind=models.EventKindEnum.POST,
                occurred_at=when,
                member=models.MemberRefRequest(external_id="2288", username="rileyq"),
                space=models.SpaceRefRequest(external_id="5", name="Proposals"),
                subject=f"p-{n}",
            )
            for n in range(3)
        ],
        source="discourse",
    )
    stored = ingest.sync(client=client, body=batch)
    assert isinstance(stored, models.EventBatchOut)
    assert (stored.accepted, stored.duplicates) == (3, 0)
    again = ingest.sync(client=client, body=batch)
    assert isinstance(again, models.EventBatchOut)
    assert (again.accepted, again.duplicates) == (0, 3)

    page = members_list.sync(client=client, source="discourse", external_id="2288")
    assert isinstance(page, models.PaginatedMemberList)
    assert page.count == 1
    member = page.results[0]
    assert isinstance(member, models.Member)
    assert member.display_name == "rileyq"
    assert [(i.source, i.external_id) for i in member.identities] == [("discourse", "2288")]

    spaces = spaces_list.sync(client=client)
    assert isinstance(spaces, models.PaginatedSpaceList)
    [space] = spaces.results
    incident = declare.sync(
        client=client,
        body=models.DeclareInRequest(
            title="Proposals: the vote got heated",
            severity=models.IncidentSeverityEnum.SEV3,
            space_ids=[space.id],
            party_ids=[member.id],
        ),
    )
    assert isinstance(incident, models.IncidentDetail)
    assert incident.title == "Proposals: the vote got heated"
    assert incident.severity == models.IncidentSeverityEnum.SEV3
    assert [s.name for s in incident.spaces] == ["Proposals"]
    assert incident.version >= 1 and incident.steps == []


def test_a_generated_client_reads_the_documented_errors(
    client_package: ModuleType, live_server: Any, transactional_db: None
) -> None:
    community = Community.objects.create(slug="garden", name="Garden Club")
    revoked, revoked_key = create_api_key(
        community=community, name="old", scopes=("events:write",), by=None
    )
    revoke_api_key(key=revoked)
    _, key = create_api_key(community=community, name="bot", scopes=("events:write",), by=None)
    models = _module(client_package, "models")
    ingest = _module(client_package, "api.events.events_ingest")
    declare = _module(client_package, "api.incidents.incidents_declare")
    client = client_package.AuthenticatedClient(base_url=live_server.url, token=key)

    bad = models.EventBatchInRequest(
        events=[
            models.EventInRequest(
                external_id="f-1",
                kind=models.EventKindEnum.FLAG_UPHELD,
                occurred_at=datetime.now(UTC),
            )
        ]
    )
    rejected = ingest.sync(client=client, body=bad)
    assert isinstance(rejected, models.BatchError)
    assert [(e.index, e.external_id, e.field) for e in rejected.errors] == [(0, "f-1", "member")]

    no_scope = declare.sync(
        client=client,
        body=models.DeclareInRequest(title="x", severity=models.IncidentSeverityEnum.SEV3),
    )
    assert isinstance(no_scope, models.Error)
    assert "moderate" in no_scope.detail

    gone = client_package.AuthenticatedClient(base_url=live_server.url, token=revoked_key)
    refused = ingest.sync_detailed(client=gone, body=bad)
    assert refused.status_code == 401
    assert isinstance(refused.parsed, models.Error)
    assert "revoked" in refused.parsed.detail
