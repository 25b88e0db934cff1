"""The framework-free postmortem rules: verifying a guardrail against its indicator, the
reminder schedule, and the blameless check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from incidents.postmortems import blameless, rules

T = Decimal("0.98")
DUE = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_guardrail_that_meets_its_target_over_the_whole_window_is_verified() -> None:
    result = rules.verification_verdict(
        total=500, bad=10, target=T, window_over=True, min_bad_events=3
    )
    assert result == rules.VerificationResult(rules.Verdict.VERIFIED, Decimal("0.98"))


def test_below_the_target_at_the_end_of_the_window_is_a_breach_even_with_few_flags() -> None:
    result = rules.verification_verdict(
        total=50, bad=2, target=T, window_over=True, min_bad_events=3
    )
    assert result.verdict == rules.Verdict.BREACHED
    assert result.sli == Decimal("0.96")


def test_a_breach_during_the_window_needs_the_clauses_volume_guard() -> None:
    one_flag = rules.verification_verdict(
        total=10, bad=1, target=T, window_over=False, min_bad_events=3
    )
    assert one_flag.verdict == rules.Verdict.VERIFYING
    three = rules.verification_verdict(
        total=30, bad=3, target=T, window_over=False, min_bad_events=3
    )
    assert three.verdict == rules.Verdict.BREACHED


def test_no_data_is_treated_as_healthy_as_the_design_says() -> None:
    running = rules.verification_verdict(
        total=0, bad=0, target=T, window_over=False, min_bad_events=3
    )
    over = rules.verification_verdict(total=0, bad=0, target=T, window_over=True, min_bad_events=3)
    assert (running.verdict, over.verdict, over.sli) == (
        rules.Verdict.VERIFYING,
        rules.Verdict.VERIFIED,
        None,
    )


def test_reminders_start_a_day_before_due_and_go_to_every_moderator_after_escalation() -> None:
    created = DUE - timedelta(hours=48)
    assert rules.first_reminder_at(
        due_at=DUE, created_at=created, every_hours=24
    ) == DUE - timedelta(hours=24)
    late_start = DUE - timedelta(hours=2)
    assert rules.first_reminder_at(due_at=DUE, created_at=late_start, every_hours=24) == late_start
    audience = [
        rules.reminder_audience(
            now=DUE + timedelta(hours=h), due_at=DUE, escalate_after_hours=24, has_facilitator=True
        )
        for h in (-24, 0, 23, 24, 48)
    ]
    assert audience == [
        rules.Audience.FACILITATOR,
        rules.Audience.FACILITATOR,
        rules.Audience.FACILITATOR,
        rules.Audience.MODERATORS,
        rules.Audience.MODERATORS,
    ]
    nobody = rules.reminder_audience(
        now=DUE - timedelta(hours=24), due_at=DUE, escalate_after_hours=24, has_facilitator=False
    )
    assert nobody == rules.Audience.MODERATORS


def test_on_time_means_published_by_the_due_time() -> None:
    assert rules.on_time(due_at=DUE, published_at=DUE)
    assert not rules.on_time(due_at=DUE, published_at=DUE + timedelta(seconds=1))
    assert not rules.on_time(due_at=DUE, published_at=None)


PEOPLE = [
    blameless.Person(membership_id=7, names=("Milo Member", "milo_member")),
    blameless.Person(membership_id=8, names=("Al",)),
]


def test_names_and_handles_are_pointed_out_with_a_systemic_rephrasing() -> None:
    text = "Milo Member posted first; then @milo_member replied again. Al was away."
    found = blameless.check(text, PEOPLE)
    assert [(f.kind, f.excerpt, f.membership_id) for f in found] == [
        (blameless.NAMES_MEMBER, "Milo Member", 7),
        (blameless.NAMES_MEMBER, "@milo_member", 7),
    ]
    assert all("situation" in f.suggestion for f in found)
    assert text[found[1].start : found[1].end] == "@milo_member"


def test_words_of_blame_are_pointed_out_and_systemic_words_are_not() -> None:
    found = blameless.check(
        "It was their fault: they were careless and should have known. A troll started it.", []
    )
    assert [f.excerpt for f in found] == [
        "their fault",
        "careless",
        "should have known",
        "troll",
        "started it",
    ]
    assert (
        blameless.check(
            "The rules did not say whether quoting was allowed; the reply box gave no hint.", PEOPLE
        )
        == []
    )


def test_a_name_inside_another_word_is_not_a_finding() -> None:
    person = blameless.Person(membership_id=1, names=("Ann",))
    assert blameless.check("The annual vote and Annabel's thread.", [person]) == []
    assert [f.excerpt for f in blameless.check("ann said so", [person])] == ["ann"]
