"""``community.words``: identifiers, numbers, burn rates and plurals as people read them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from budgets.budget_math import Action
from community import words
from community.contract.slo import DEFAULT_ALERT_RULES
from community.models import Community, DomainEventType
from community.vocabulary import DEFAULT_CATEGORY_SEVERITIES, EventKind
from integrations.models import DiscourseConnection


def test_every_tier_action_and_default_alert_rule_has_its_own_words() -> None:
    assert set(Action.ALL) <= set(words.TIER_ACTION_WORDS)
    assert {rule.name for rule in DEFAULT_ALERT_RULES} <= set(words.ALERT_RULE_WORDS)
    assert set(DEFAULT_CATEGORY_SEVERITIES) <= set(words.FLAG_CATEGORY_WORDS)
    assert set(EventKind.values) <= set(words.EVENT_KIND_NOUNS)
    for value in (*Action.ALL, *words.FLAG_CATEGORY_WORDS, *DomainEventType.values):
        said = words.identifier(value)
        assert "_" not in said and "." not in said.rstrip("."), (value, said)


def test_identifiers_nobody_mapped_are_still_readable() -> None:
    assert words.flag_category("needs_review") == "needs review"
    assert words.alert_rule("weekend_watch") == "weekend watch"
    assert words.domain_event_type("budget.tier_changed") == "A member's budget tier changed"
    assert words.domain_event_type("*") == "every event"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("off topic", "off_topic"), ("Off Topic", "off_topic"), ("off_topic", "off_topic")],
)
def test_a_flag_category_typed_in_words_is_stored_as_the_forum_names_it(
    typed: str, stored: str
) -> None:
    assert words.category_identifier(typed) == stored


def test_an_alert_rule_goes_to_the_editor_as_a_word_and_comes_back_unchanged() -> None:
    for rule in DEFAULT_ALERT_RULES:
        token = words.alert_rule_token(rule.name)
        assert " " not in token and "_" not in token
        assert words.alert_rule_from_token(token) == rule.name
    assert words.alert_rule_from_token("my-own-rule") == "my-own-rule"


@pytest.mark.parametrize(
    ("typed", "ratio"),
    [("98", "0.98"), ("98 %", "0.98"), ("98%", "0.98"), ("99.5", "0.995"), ("99,5", "0.995")],
)
def test_a_target_is_typed_as_a_percentage(typed: str, ratio: str) -> None:
    assert words.parse_percent(typed) == Decimal(ratio)


@pytest.mark.parametrize("typed", ["0", "100", "101", "-3", "0.98%x", "ninety", "", "NaN"])
def test_a_target_outside_0_to_100_percent_is_refused_in_words(typed: str) -> None:
    with pytest.raises(ValueError, match="a percentage above 0 and below 100"):
        words.parse_percent(typed)


def test_numbers_are_rounded_for_people() -> None:
    assert words.percent(Decimal("0.980000")) == "98 %"
    assert words.percent(Decimal("0.995")) == "99.5 %"
    assert words.percent(Decimal("0.123456"), 0) == "12 %"
    assert words.rounded("2.571429") == "2.6"
    assert words.rounded(Decimal("0.0500"), 2) == "0.05"
    assert words.rounded(Decimal("3.00")) == "3"
    assert words.burn_factor("2.571429") == "2.6 times"


@pytest.mark.parametrize(
    ("value", "said"),
    [(1, "1 point"), (Decimal("1.00"), "1 point"), (2, "2 points"), (0, "0 points")],
)
def test_points_have_the_right_plural(value: object, said: str) -> None:
    assert words.points(value) == said


def test_counts_have_the_right_plural() -> None:
    assert words.bad_of_total(1, 1) == "1 of 1 event was bad"
    assert words.bad_of_total(3, 40) == "3 of 40 events were bad"
    assert words.event_kind("flag_upheld") == "upheld flag"
    assert words.event_kind("flag_upheld", 2) == "upheld flags"
    assert words.minutes(5) == "5 minutes" and words.minutes(60) == "1 hour"
    assert words.minutes(3 * 24 * 60) == "3 days"


def test_a_burn_rate_is_said_as_how_long_the_room_would_last() -> None:
    # 15 times the steady pace spends a 30-day window's room in 2 days.
    assert words.clause_burn_rate("15", 30) == (
        "at this pace the clause's room for the month would be gone in 2 days"
    )
    assert words.burn_rate("2.571429", window_days=30).endswith("would be gone in 12 days")
    assert words.burn_rate("100", window_days=7).endswith(
        "room for the week would be gone in 2 hours"
    )
    assert words.burn_rate("0.4", window_days=30).startswith("well within budget")
    assert words.burn_rate("0", window_days=30) == "nothing is being used up at the moment"


def test_an_alert_is_one_sentence_with_rounded_numbers() -> None:
    text = words.alert_summary(
        rule="ticket",
        burn_long="2.571429",
        burn_short="3.2",
        threshold="1",
        long_minutes=72 * 60,
        short_minutes=6 * 60,
        bad=9,
        total=175,
        window_days=30,
    )
    assert text == (
        "9 of 175 events were bad in the last 3 days: at this pace the clause's room for the "
        "month would be gone in 12 days (2.6 times the steady pace, 3.2 times over the last "
        "6 hours; the steady leak alert starts at 1 times)."
    )


@pytest.mark.django_db
def test_a_post_is_linked_to_the_forum_when_the_community_has_one(
    community: Community,
) -> None:
    template = Template("{% load words %}{% post_link subject community %}")
    plain = template.render(Context({"subject": "post-4437", "community": community}))
    assert plain == "a post"
    # The forum adapter registers where a community's forum is (integrations' ready()).
    DiscourseConnection.objects.create(
        community=community, base_url="https://forum.example.org/", webhook_secret="s" * 32
    )
    linked = Community.objects.get(pk=community.pk)
    html = template.render(Context({"subject": "post:4437", "community": linked}))
    assert html == '<a href="https://forum.example.org/p/4437">post 4437</a>'
    assert words.without_post_ids("A flag on post-4437 was upheld") == (
        "A flag on post 4437 was upheld"
    )
