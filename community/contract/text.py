"""The contract in words: a clause's indicator as a sentence, a version as lines, the diff
between two versions, and exact-looking numbers. Pure functions over published data."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community import words
from community.contract.slo import SIX_PLACES, ClauseDefinition, parse_window
from community.models import ContractVersion
from community.tiers import Tier


def exact(value: Decimal) -> str:
    """A decimal as a short exact-looking string: 6 places at most, no trailing zeros."""
    quantized = value.quantize(SIX_PLACES).normalize()
    return "0" if quantized.is_zero() else format(quantized, "f")


def describe_indicator(definition: ClauseDefinition, space_names: dict[int, str]) -> str:
    """The indicator in one plain sentence, for members and for the diff."""
    either = _(" or ")
    total = either.join(words.event_kind(k, 2) for k in definition.total_kinds)
    if definition.total_categories:
        total = _("%(kinds)s (%(categories)s)") % {
            "kinds": total,
            "categories": words.flag_categories(definition.total_categories),
        }
    bad = either.join(words.event_kind(k) for k in definition.bad_kinds)
    if definition.bad_categories:
        bad = _("%(kinds)s for %(categories)s") % {
            "kinds": bad,
            "categories": either.join(
                f"“{words.flag_category(c)}”" for c in definition.bad_categories
            ),
        }
    named = {
        "percent": words.percent(definition.target, 4),
        "total": total,
        "bad": bad,
        "days": definition.window_days,
    }
    if definition.spaces:
        named["spaces"] = ", ".join(
            space_names.get(s, _("space %(number)s") % {"number": s}) for s in definition.spaces
        )
        return (
            ngettext(
                "%(percent)s of %(total)s in %(spaces)s are not met with an %(bad)s, over a "
                "rolling %(days)s day.",
                "%(percent)s of %(total)s in %(spaces)s are not met with an %(bad)s, over a "
                "rolling %(days)s days.",
                definition.window_days,
            )
            % named
        )
    return (
        ngettext(
            "%(percent)s of %(total)s across the community are not met with an %(bad)s, over a "
            "rolling %(days)s day.",
            "%(percent)s of %(total)s across the community are not met with an %(bad)s, over a "
            "rolling %(days)s days.",
            definition.window_days,
        )
        % named
    )


def pace_words(burn_rates: dict[str, object], window_days: int) -> str:
    """How long the clause's room would last at the pace of its longest alert window, in words
    ("over the last 3 days: at this pace the clause's room for the month would be gone in 12
    days"); empty when nothing was measured."""
    if not burn_rates:
        return ""
    label = max(burn_rates, key=parse_window)
    pace = words.clause_burn_rate(burn_rates[label], window_days)
    return _("Over the last %(window)s: %(pace)s.") % {
        "window": words.minutes(parse_window(label)),
        "pace": pace,
    }


def version_lines(version: ContractVersion, space_names: dict[int, str]) -> list[str]:
    """A version as text lines: what the diff compares."""
    lines = [f"Preamble: {line}" for line in version.preamble.splitlines() if line.strip()]
    for data in version.clauses:
        definition = ClauseDefinition.from_dict(data)
        lines.append(f"Clause: {definition.title}")
        lines.extend(f"   {line}" for line in definition.wording.splitlines() if line.strip())
        lines.append(f"   Measured: {describe_indicator(definition, space_names)}")
        rules = ", ".join(
            f"{words.alert_rule(r.name)} ({words.rounded(r.budget_percent, 2)} % of the budget "
            f"in {words.minutes(r.long_minutes)})"
            for r in definition.alert_rules
        )
        least = words.counted(
            definition.min_bad_events,
            "at least %(count)s bad event",
            "at least %(count)s bad events",
        )
        lines.append(f"   Alerts: {rules}; {least}.")
    for tier in Tier:
        text = (version.policy or {}).get(tier.value, "")
        if text:
            lines.append(f"When {tier.value}: {text}")
    return lines


@dataclass(frozen=True)
class DiffLine:
    op: str  # "same", "added" or "removed"
    text: str


def diff_versions(
    old: ContractVersion, new: ContractVersion, space_names: dict[int, str]
) -> list[DiffLine]:
    """Line by line, what changed from ``old`` to ``new``."""
    a, b = version_lines(old, space_names), version_lines(new, space_names)
    out: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(DiffLine("same", line) for line in a[i1:i2])
            continue
        out.extend(DiffLine("removed", line) for line in a[i1:i2])
        out.extend(DiffLine("added", line) for line in b[j1:j2])
    return out
