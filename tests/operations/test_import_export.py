"""export_community and import_community on a small community: what the file holds and leaves
out, and every bad input refused with a clear message and nothing written."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from budgets.models import Charge, MemberBudget
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from community.models import ApiKey, Community, ConductEvent, Membership, Space
from community.services import EventInput, create_api_key, ingest_events
from integrations.discourse.connection import connect_discourse
from integrations.models import DiscourseConnection, WebhookSubscription
from integrations.webhooks.subscriptions import create_subscription
from operations.exporter import FORMAT_VERSION
from operations.tables import (
    INSTALLATION_TABLES,
    NOT_EXPORTED,
    TABLES,
    USERS,
    concrete_fields,
    many_to_many,
)
from tests.operations.helpers import export_doc, export_text, normalised

FORUM_SECRET = "forum-webhook-secret-4242"
FORUM_KEY = "discourse-api-key-4242"
HOOK_SECRET = "receiver-secret-4242-abcd"


@pytest.fixture
def garden(community: Community, moderator: User, member: User) -> Community:
    """The cast's community with a little of everything: nested spaces, posts and flags from
    the forum, a charged member, a Discourse connection, a webhook and an API key."""
    now = timezone.now()
    parent = Space.objects.create(community=community, name="Growing", external_id="c1")
    Space.objects.create(community=community, name="Tomatoes", parent=parent, external_id="c2")
    events = [
        EventInput(
            external_id=f"post:{i}",
            kind="post",
            occurred_at=now - timedelta(hours=i + 1),
            member_external_id=str(i % 3),
            member_username=f"forum_{i % 3}",
            space_external_id="c2",
            space_name="Tomatoes",
        )
        for i in range(12)
    ]
    events.append(
        EventInput(
            external_id="flag:1",
            kind="flag_upheld",
            occurred_at=now - timedelta(hours=2),
            member_external_id="1",
            member_username="forum_1",
            space_external_id="c2",
            subject="post:1",
            category="inappropriate",
        )
    )
    ingest_events(community=community, events=events, source="discourse")
    connect_discourse(
        community=community,
        base_url="http://127.0.0.1:9",
        secret=FORUM_SECRET,
        api_key=FORUM_KEY,
        api_username="system",
    )
    create_subscription(
        community=community, url="http://127.0.0.1:9/hook", secret=HOOK_SECRET, event_types=["*"]
    )
    create_api_key(community=community, name="bot", scopes=["read"], by=moderator)
    recalculate_community(community=community, kind=RecalcKind.DIRTY)
    recalculate_community(community=community, kind=RecalcKind.FULL)
    assert MemberBudget.objects.filter(community=community).count() == 5
    assert Charge.objects.filter(community=community).exists()
    return community


def write(tmp_path: Path, doc: dict[str, Any] | str, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def census() -> dict[str, int]:
    """Rows in every table of ours (and users): what an import must leave alone on failure."""
    labels = [USERS, *(t.label for t in TABLES), *NOT_EXPORTED]
    return {label: apps.get_model(label)._default_manager.count() for label in labels}


def import_fails(path: Path, **options: Any) -> str:
    before = census()
    with pytest.raises(CommandError) as failure:
        call_command("import_community", str(path), stdout=StringIO(), **options)
    assert census() == before, "a failed import wrote nothing"
    message = str(failure.value)
    assert message.startswith("Nothing was imported.")
    return message


def test_every_installed_table_is_exported_or_left_out_on_purpose() -> None:
    """Every model of every installed app, the feature packages' included (a many-to-many
    table comes with the field that owns it)."""
    installed = {m._meta.label_lower for m in apps.get_models()}
    assert {"postmortems.agreement", "replay.replay", "releases.answer", "gamedays.gameday"} <= (
        installed
    )
    exported = {t.label for t in TABLES}
    left_out = {*NOT_EXPORTED, *INSTALLATION_TABLES}
    assert installed - exported - left_out - {USERS} == set()
    assert exported & left_out == set()
    assert left_out <= installed, "a table left out on purpose that no longer exists"
    order = [t.label for t in TABLES]
    for table in TABLES:
        for f in [*concrete_fields(table.model), *many_to_many(table.model)]:
            if not f.is_relation or f.related_model is None or isinstance(f.related_model, str):
                continue
            target = f.related_model._meta.label_lower
            if target == USERS or target == table.label:
                continue
            assert target in order, f"{table.label}.{f.name} names {target}, not exported"
            assert order.index(target) < order.index(table.label), (
                f"{table.label} is inserted before {target}, which {f.name} names"
            )


def test_the_file_holds_no_secret_no_api_key_and_no_password(garden: Community) -> None:
    text = export_text(garden)
    key = ApiKey.objects.get(community=garden)
    for secret in (FORUM_SECRET, FORUM_KEY, HOOK_SECRET, key.key_hash, key.lookup):
        assert secret not in text
    for user in User.objects.all():
        assert user.password not in text
    doc = json.loads(text)
    assert doc["format_version"] == FORMAT_VERSION
    assert "password" not in doc["tables"][USERS][0]
    assert doc["counts"]["community.conductevent"] == 13
    assert {u["username"] for u in doc["tables"][USERS]} == {"maya_mod", "milo_member"}


def test_an_import_into_a_database_without_the_community_restores_it(
    garden: Community, tmp_path: Path
) -> None:
    """The disaster case: the community and its logins are gone, the file is all there is."""
    first = export_doc(garden)
    path = write(tmp_path, first)
    connection_id = DiscourseConnection.objects.get(community=garden).pk
    garden.delete()
    User.objects.all().delete()
    out = StringIO()
    call_command("import_community", str(path), stdout=out)
    report = out.getvalue()
    restored = Community.objects.get(slug="garden")
    assert "2 login(s) created without a password" in report
    assert "reset" in report and "webhook secret" in report and "API key" in report
    moderator = User.objects.get(username="maya_mod")
    assert moderator.has_usable_password()  # so the reset email reaches them
    assert not moderator.check_password("correct horse battery staple")
    assert Membership.objects.get(community=restored, user=moderator).is_moderator
    # The connection keeps its id (the forum's webhook address) but not its secrets.
    connection = DiscourseConnection.objects.get(community=restored)
    assert connection.pk == connection_id
    assert connection.webhook_secret == "" and connection.api_key == ""
    subscription = WebhookSubscription.objects.get(community=restored)
    assert subscription.secret == "" and not subscription.wants("incident.declared")
    assert not ApiKey.objects.filter(community=restored).exists()
    assert normalised(export_doc(restored)) == normalised(first)


def test_a_truncated_file_is_refused(garden: Community, tmp_path: Path) -> None:
    text = export_text(garden)
    path = write(tmp_path, text[: len(text) // 2])
    message = import_fails(path, slug="copy")
    assert "not complete JSON" in message and "cut short" in message


def test_another_format_version_is_refused(garden: Community, tmp_path: Path) -> None:
    doc = export_doc(garden)
    doc["format_version"] = FORMAT_VERSION + 1
    message = import_fails(write(tmp_path, doc), slug="copy")
    assert f"format version {FORMAT_VERSION + 1}" in message


def test_an_existing_slug_is_never_overwritten(garden: Community, tmp_path: Path) -> None:
    path = write(tmp_path, export_doc(garden))
    message = import_fails(path)
    assert "'garden' already exists" in message and "--slug" in message


def test_a_file_that_lost_rows_is_refused(garden: Community, tmp_path: Path) -> None:
    doc = export_doc(garden)
    doc["tables"]["community.conductevent"].pop()
    message = import_fails(write(tmp_path, doc), slug="copy")
    assert "community.conductevent holds 12 rows" in message and "damaged" in message


def test_a_dangling_reference_late_in_the_file_rolls_everything_back(
    garden: Community, tmp_path: Path
) -> None:
    doc = export_doc(garden)
    doc["tables"]["budgets.charge"][0]["membership"] = 999_999
    message = import_fails(write(tmp_path, doc), slug="copy")
    assert "budgets.charge row" in message
    assert "membership names community.membership 999999" in message
    assert not Community.objects.filter(slug="copy").exists()


def test_a_value_a_column_cannot_hold_is_named(garden: Community, tmp_path: Path) -> None:
    doc = export_doc(garden)
    doc["tables"]["community.conductevent"][3]["occurred_at"] = "last tuesday"
    message = import_fails(write(tmp_path, doc), slug="copy")
    assert "community.conductevent row" in message and "occurred_at" in message


def test_budgets_the_restored_ledger_does_not_give_are_refused_unless_accepted(
    garden: Community, tmp_path: Path
) -> None:
    doc = export_doc(garden)
    charge = doc["tables"]["budgets.charge"][0]
    charge["cost"] = "7.00"  # the ledger no longer gives the exported budget
    path = write(tmp_path, doc)
    message = import_fails(path, slug="copy")
    assert "does not give the restored budgets of 1 member" in message
    assert "--accept-budget-differences" in message
    out = StringIO()
    call_command(
        "import_community", str(path), slug="copy", accept_budget_differences=True, stdout=out
    )
    assert "differences accepted" in out.getvalue()
    copy = Community.objects.get(slug="copy")
    assert MemberBudget.objects.filter(community=copy).count() == garden.memberships.count()


def test_an_unknown_community_and_an_unwritable_output_are_errors(
    garden: Community, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="No community with the slug 'nope'"):
        call_command("export_community", community="nope", stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot write"):
        call_command(
            "export_community",
            community="garden",
            output=str(tmp_path / "missing" / "x.json"),
            stdout=StringIO(),
        )
    assert not (tmp_path / "missing").exists()
    assert ConductEvent.objects.filter(community=garden).count() == 13
