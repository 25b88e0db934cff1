"""The restore drill: the demo community exported, imported under a new slug, and compared —
every budget, every clause's latest status, the rows of every table, and a second export."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from budgets.models import Charge, DirtyMember, MemberBudget
from budgets.models.snapshots import RecalcKind
from budgets.recalculation import recalculate_community
from community.contract.releases.models import Answer, Canary
from community.contract.replay.models import Replay
from community.domain_events import dispatch_pending
from community.hidden import listed
from community.models import ClauseSnapshot, Community, Notification
from demo.build import build as build_demo
from incidents.gamedays.models import GameDay
from incidents.models import TimelineEntry
from incidents.postmortems.models import ActionItem, Agreement, CircleForgiveness, Postmortem
from tests.operations.helpers import export_doc, export_text, normalised

BUDGET_FIELDS = (
    "activity",
    "allowance",
    "spent",
    "remaining",
    "remaining_ratio",
    "tier",
    "recovers_at",
    "burn_rate_24h",
    "policy_version",
    "transition_sequence",
)
SNAPSHOT_FIELDS = (
    "bucket",
    "computed_at",
    "total",
    "bad",
    "sli",
    "allowed_bad",
    "budget_remaining",
    "tier",
    "burn_rates",
)


def budgets_of(community: Community) -> list[tuple[Any, ...]]:
    """Every member's budget, in membership order (the order an import keeps)."""
    return [
        (b.membership.display_name, *(getattr(b, f) for f in BUDGET_FIELDS))
        for b in MemberBudget.objects.filter(community=community)
        .select_related("membership")
        .order_by("membership_id")
    ]


def latest_clause_status(community: Community) -> dict[tuple[str, str], tuple[Any, ...]]:
    rows = (
        ClauseSnapshot.objects.filter(clause__community=community)
        .latest_per_clause()
        .select_related("clause", "space")
    )
    return {
        (s.clause.slug, s.space.name if s.space else ""): tuple(
            getattr(s, f) for f in SNAPSHOT_FIELDS
        )
        for s in rows
    }


def test_the_demo_community_survives_an_export_and_an_import(db: None, tmp_path: Path) -> None:
    source = build_demo(log=lambda _: None)
    # What the worker does after the build's commits (tests never commit): hand the outbox to
    # its subscribers (alerts reach incidents), recalculate the members marked dirty, and run
    # the full recalculation the promoted policy trial asked for, so no budget is owed a
    # recalculation and every one of them is checked.
    dispatch_pending()
    recalculate_community(community=source, kind=RecalcKind.DIRTY)
    recalculate_community(community=source, kind=RecalcKind.FULL)
    assert not DirtyMember.objects.filter(community=source).exists()
    text = export_text(source)
    assert export_text(source) == text, "two exports of the same data are the same bytes"
    path = tmp_path / "demo.json"
    out = StringIO()
    call_command("export_community", community="demo", output=str(path), stdout=out)
    assert path.read_text() == text
    assert "webhook secret" in out.getvalue() and "API key" in out.getvalue()

    out = StringIO()
    call_command("import_community", str(path), slug="demo-restored", stdout=out)
    restored = Community.objects.get(slug="demo-restored")
    report = out.getvalue()
    assert "Imported demo-restored" in report
    assert f"Budgets: {source.memberships.count()} recalculated" in report

    before, after = budgets_of(source), budgets_of(restored)
    assert len(before) == source.memberships.count() >= 300
    assert after == before
    assert {b[6] for b in before} >= {"healthy", "warning", "critical", "exhausted"}
    status = latest_clause_status(source)
    assert len(status) >= 4
    assert latest_clause_status(restored) == status
    assert_references_point_at_imported_rows(restored, source)

    first, second = export_doc(source), export_doc(restored)
    assert second["counts"] == first["counts"]
    assert first["counts"]["community.conductevent"] > 6000
    for label in FEATURE_TABLES:
        assert first["counts"][label] >= 1, f"the demo has no {label} to round-trip"
    assert_feature_content_is_equal(restored, source)
    assert normalised(second) == normalised(first)

    # The ledger itself came across: recalculating both now gives the same budgets again.
    now = timezone.now()
    for community in (source, restored):
        recalculate_community(community=community, kind=RecalcKind.FULL, at=now)
    assert budgets_of(restored) == budgets_of(source)
    assert any(b[3] > Decimal(0) for b in budgets_of(restored))


# The feature packages' tables the demo fills: postmortems and their circles, a replay, a trial,
# the council and its answers, a game day.
FEATURE_TABLES = (
    "postmortems.postmortem",
    "postmortems.postmortemsection",
    "postmortems.participant",
    "postmortems.harm",
    "postmortems.repairexchange",
    "postmortems.agreement",
    "postmortems.agreementconsent",
    "postmortems.summaryapproval",
    "postmortems.circleforgiveness",
    "postmortems.actionitem",
    "postmortems.verificationcheck",
    "replay.replay",
    "releases.canary",
    "releases.canaryentry",
    "releases.council",
    "releases.councilgroup",
    "releases.answer",
    "gamedays.gameday",
)


def _postmortems(community: Community) -> list[tuple[Any, ...]]:
    return [
        (
            p.incident.title,
            p.state,
            p.visibility,
            p.figures,
            p.public_summary_state,
            {s.key: s.body for s in p.sections.all()},
            sorted((x.membership.display_name, x.role, x.consent) for x in p.participants.all()),
            sorted(
                (a.text, a.status, a.owner.membership.display_name, a.due_on)
                for a in Agreement.objects.filter(postmortem=p)
            ),
            sorted(
                (i.title, i.status, i.verify_clause.slug if i.verify_clause else "")
                for i in ActionItem.objects.filter(postmortem=p)
            ),
        )
        for p in Postmortem.objects.filter(community=community)
        .select_related("incident")
        .order_by("incident__declared_at")
    ]


def assert_feature_content_is_equal(copy: Community, source: Community) -> None:
    """The feature packages' rows read alike through their models, and every id they hold
    names the copy's rows."""
    assert _postmortems(copy) == _postmortems(source)
    forgiven = CircleForgiveness.objects.filter(postmortem__community=copy)
    charges = set(Charge.objects.filter(community=copy).values_list("pk", flat=True))
    assert forgiven and all(set(f.charge_ids) <= charges and f.charge_ids for f in forgiven)
    spaces = {str(pk) for pk in copy.spaces.values_list("pk", flat=True)}
    for replay in Replay.objects.filter(community=copy):
        original = Replay.objects.get(community=source, created_at=replay.created_at)
        assert set(replay.results["space_names"]) <= spaces
        assert sorted(replay.results["space_names"].values()) == sorted(
            original.results["space_names"].values()
        )
        assert replay.clause is None or replay.clause.community_id == copy.pk
    clauses = set(copy.clauses.values_list("pk", flat=True))
    for canary in Canary.objects.filter(community=copy):
        assert {c["clause_id"] for c in canary.clauses if c.get("clause_id")} <= clauses
        assert (
            canary.entries.count()
            == Canary.objects.get(community=source, started_at=canary.started_at).entries.count()
        )
    answers = lambda c: sorted(  # noqa: E731
        (a.group.name, a.delegate_name, a.kind, a.number)
        for a in Answer.objects.filter(council__community=c)
    )
    assert answers(copy) and answers(copy) == answers(source)
    game_days = list(GameDay.objects.filter(community=copy).order_by("pk"))
    originals = list(GameDay.objects.filter(community=source).order_by("pk"))
    assert len(game_days) == len(originals) >= 2
    for game_day, original_day in zip(game_days, originals, strict=True):
        assert (game_day.report, game_day.events, game_day.status) == (
            original_day.report,
            original_day.events,
            original_day.status,
        )
        if original_day.sandbox_purged_at is not None:
            # The source had removed this sandbox after the retention period: none is made.
            assert game_day.sandbox_id is None
            assert game_day.sandbox_purged_at == original_day.sandbox_purged_at
            continue
        # The sandbox is made afresh and empty, and hidden like every sandbox.
        assert game_day.sandbox is not None
        assert game_day.sandbox_id not in {original_day.sandbox_id, copy.pk}
        assert not game_day.sandbox.events.exists() and not game_day.sandbox.clauses.exists()
        assert not listed(Community.objects.filter(pk=game_day.sandbox_id)).exists()
    postmortems = set(Postmortem.objects.filter(community=copy).values_list("pk", flat=True))
    entries = TimelineEntry.objects.filter(incident__community=copy, kind__startswith="pm_")
    assert entries.exists()
    for entry in entries:
        assert entry.data.get("postmortem", next(iter(postmortems))) in postmortems
    links = list(
        Notification.objects.filter(
            recipient__community=copy, link__contains="/postmortems/"
        ).values_list("link", flat=True)
    )
    assert links
    for link in links:
        assert link.startswith(f"/c/{copy.slug}/postmortems/")
        assert int(link.split("/")[4]) in postmortems


def assert_references_point_at_imported_rows(copy: Community, source: Community) -> None:
    """Ids inside JSON and text name the copy's rows, never the source's."""
    spaces = set(copy.spaces.values_list("pk", flat=True))
    events = set(copy.events.values_list("pk", flat=True))
    clauses = set(copy.clauses.values_list("pk", flat=True))
    scoped = [c for c in copy.clauses.all() if c.live_definition and c.live_definition["spaces"]]
    assert scoped, "the demo has a clause measured in chosen spaces"
    for clause in scoped:
        assert set(clause.live_definition["spaces"]) <= spaces
    for version in copy.contract.versions.all():
        assert set(version.clause_ids) <= clauses
    incidents = list(copy.incidents.all())
    assert any(i.trigger_event_ids for i in incidents)
    for incident in incidents:
        assert set(incident.trigger_event_ids) <= events
        assert {d["clause_id"] for d in incident.cost_detail} <= clauses
    connection = copy.discourse_connection
    assert set(connection.category_spaces.values()) <= spaces
    assert connection.webhook_secret == "" and connection.api_key == ""
    assert connection.pk != source.discourse_connection.pk  # the source's id is taken
    ids = {str(pk) for pk in copy.domain_events.values_list("pk", flat=True)}
    for event in copy.domain_events.all():
        payload: dict[str, Any] = event.payload
        if "clause_id" in payload:
            assert payload["clause_id"] in clauses
    keys = [
        e.dedupe_key.partition(":")[2]
        for i in incidents
        for e in i.timeline.all()
        if e.dedupe_key and e.dedupe_key.startswith("alert:")
    ]
    assert keys and set(keys) <= ids
