"""The boards as CSV downloads, one per board: the headers and the rows' section and figure
words in the downloader's language, the figures as the boards' pages say them
(:mod:`boards.presenters`)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import pgettext

from boards.change_safety import ChangeSafety, Share
from boards.download_words import row_word
from boards.fairness import Fairness
from boards.flow import FlowHealth
from boards.presenters import (
    NO_CONTRACT_CHANGES,
    clause_rows,
    cohort_rows,
    friction_category,
    share_words,
    time_words,
)
from community import words
from community.tier_words import tier_label


def flow_csv(board: FlowHealth) -> Iterator[list[str]]:
    yield [
        pgettext("board download", "section"),
        pgettext("board download", "name"),
        pgettext("board download", "figure"),
        pgettext("board download", "value"),
    ]
    for row in clause_rows(board):
        title = row.health.clause.title
        yield [row_word("clause"), title, row_word("good events"), row.sli]
        yield [row_word("clause"), title, row_word("target"), row.target]
        yield [row_word("clause"), title, row_word("budget remaining"), row.budget]
        yield [row_word("clause"), title, row_word("tier"), row.tier]
        for line in row.burn:
            yield [row_word("clause"), title, row_word("burn rate"), line]
        for day, value in row.days:
            yield [row_word("clause history"), title, day, value]
        for change in row.changes:
            yield [
                row_word("release health"),
                title,
                f"{change.label} ({change.day})",
                change.words,
            ]
    for item in board.friction:
        yield [
            row_word("friction"),
            f"{words.event_kind(item.kind, item.count)}: {friction_category(item.category)}",
            row_word("count"),
            str(item.count),
        ]
    yield [row_word("open"), row_word("alerts"), row_word("count"), str(len(board.alerts))]
    yield [row_word("open"), row_word("incidents"), row_word("count"), str(len(board.incidents))]
    yield [row_word("open"), row_word("cooldowns"), row_word("count"), str(len(board.cooldowns))]
    for tier, count in board.tiers:
        yield [row_word("members per tier"), str(tier_label(tier)), row_word("members"), str(count)]


def change_csv(board: ChangeSafety) -> Iterator[list[str]]:
    yield [
        pgettext("board download", "section"),
        pgettext("board download", "month"),
        pgettext("board download", "figure"),
        pgettext("board download", "value"),
    ]
    for m in board.times:
        for name, spread in (
            ("facilitator", m.to_facilitator),
            ("cooldown", m.to_cooldown),
            ("resolution", m.to_resolution),
        ):
            section = row_word("response times")
            median = row_word(f"median time to {name}")
            p90 = row_word(f"90th percentile to {name}")
            yield [section, m.month, median, time_words(spread.median)]
            yield [section, m.month, p90, time_words(spread.p90)]
    for c in board.changes:
        yield [
            row_word("change failure"),
            c.month,
            row_word("charges reversed on appeal"),
            share_words(Share(c.appeals_reversed, c.appeals_decided)),
        ]
        yield [
            row_word("change failure"),
            c.month,
            row_word("contract changes"),
            str(c.contract_changes),
        ]
        yield [
            row_word("change failure"),
            c.month,
            row_word("contract changes rolled back"),
            str(c.rolled_back),
        ]
    yield [
        row_word("change failure"),
        row_word("all"),
        row_word("charges reversed on appeal"),
        share_words(board.overturned),
    ]
    yield [
        row_word("change failure"),
        row_word("all"),
        row_word("contract changes rolled back"),
        share_words(board.rolled_back, NO_CONTRACT_CHANGES),
    ]
    yield [
        row_word("follow-up"),
        row_word("all"),
        row_word("postmortems on time"),
        share_words(board.postmortems_on_time),
    ]
    yield [
        row_word("follow-up"),
        row_word("all"),
        row_word("agreements kept"),
        share_words(board.agreements_kept),
    ]
    yield [
        row_word("follow-up"),
        row_word("all"),
        row_word("action items verified"),
        share_words(board.action_items_verified),
    ]
    yield [
        row_word("follow-up"),
        row_word("all"),
        row_word("repeat incidents within 90 days"),
        share_words(board.repeat_incidents),
    ]


def fairness_csv(board: Fairness) -> Iterator[list[str]]:
    # The headers and the rows' section and figure words in the downloader's language.
    yield [
        pgettext("board download", "grouping"),
        pgettext("board download", "cohort"),
        pgettext("board download", "members"),
        pgettext("board download", "posts"),
        pgettext("board download", "charges"),
        pgettext("board download", "charges per 100 posts"),
        pgettext("board download", "share in warning or worse"),
        pgettext("board download", "share of appealed charges reversed"),
        pgettext("board download", "rate ratio"),
        pgettext("board download", "95 %% interval") % {},
        pgettext("board download", "reading"),
    ]
    for grouping, table in (
        (row_word("tenure"), board.tenure),
        (row_word("trust level"), board.trust),
    ):
        if table is None:
            continue
        for row in cohort_rows(table):
            yield [
                grouping,
                row.label,
                row.members,
                row.posts,
                row.charges,
                row.per_100,
                row.warning,
                row.overturned,
                row.ratio,
                row.interval,
                row.reading,
            ]
