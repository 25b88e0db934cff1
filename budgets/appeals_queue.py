"""Read-side: the appeals queue, each appeal with what is being appealed and the member's recent
history, so a moderator can decide without opening three other pages.

A fixed number of queries for the whole queue, however many appeals wait.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from budgets.forms import DecisionForm
from budgets.models import Appeal, AppealStatus, Charge, MemberBudget
from budgets.services import get_policy
from community import words
from community.models import Community, ConductEvent
from community.vocabulary import ACTIVITY_KINDS, EventKind


@dataclass(frozen=True)
class AppealItem:
    appeal: Appeal
    form: DecisionForm
    post_text: str
    post_url: str
    flag_reasons: str
    history: str


def decision_form(appeal: Appeal, data: QueryDict | None = None) -> DecisionForm:
    """The decision form of one appeal; its ids carry the appeal's id, so two forms on one
    page never share an id (a label of one would tick the other's radio)."""
    return DecisionForm(data, auto_id=f"appeal-{appeal.pk}-%s")


def _points(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.1")).normalize()
    return f"{rounded:f}"


def _safe_link(value: object) -> str:
    if isinstance(value, str) and value.startswith(("https://", "http://")) and len(value) < 500:
        return value
    return ""


def _what(charge: Charge) -> tuple[str, str, str]:
    """The post's words, a link to it, and the flag reasons in words (empty when unknown)."""
    event = charge.event
    if event is None:
        return "", "", ""
    payload = event.payload if isinstance(event.payload, dict) else {}
    text = payload.get("post_text")
    reasons: list[str] = []
    if event.kind == EventKind.FLAG_UPHELD:
        types = payload.get("flag_types")
        names = [t for t in types if isinstance(t, str)] if isinstance(types, list) else []
        for name in names or ([event.category] if event.category else []):
            said = words.flag_category(name)
            if said not in reasons:
                reasons.append(said)
    flagged = _("Flagged as %(reasons)s.") % {"reasons": ", ".join(reasons)} if reasons else ""
    return (text if isinstance(text, str) else ""), _safe_link(payload.get("post_url")), flagged


def _history(
    *,
    appeal: Appeal,
    budget: MemberBudget | None,
    posts: int,
    charges: tuple[int, int],
    appeals: Counter[str],
    window_days: int,
) -> str:
    """The member's recent history in one line."""
    total, released = charges
    parts = [
        _("In the last %(days)s days: %(posts)s")
        % {
            "days": window_days,
            "posts": ngettext("%(n)s post", "%(n)s posts", posts) % {"n": posts},
        }
    ]
    charged = ngettext("%(n)s charge", "%(n)s charges", total) % {"n": total}
    if released:
        charged += " " + (
            ngettext("(%(n)s no longer counts)", "(%(n)s no longer count)", released)
            % {"n": released}
        )
    parts.append(charged)
    earlier = appeals.copy()
    earlier[appeal.status] -= 1
    reversed_, stands = earlier[AppealStatus.UPHELD], earlier[AppealStatus.DECLINED]
    if reversed_ or stands:
        said = []
        if reversed_:
            said.append(
                ngettext("%(n)s charge reversed", "%(n)s charges reversed", reversed_)
                % {"n": reversed_}
            )
        if stands:
            said.append(
                ngettext("%(n)s charge stands", "%(n)s charges stand", stands) % {"n": stands}
            )
        parts.append(_("other appeals: %(said)s") % {"said": ", ".join(said)})
    else:
        parts.append(_("no other appeals decided"))
    line = ", ".join(parts)
    if budget is not None:
        line += "; " + _("%(left)s of %(allowance)s points left now") % {
            "left": _points(budget.remaining),
            "allowance": _points(budget.allowance),
        }
    return line + "."


def appeal_items(*, community: Community, appeals: list[Appeal]) -> list[AppealItem]:
    """The queue's items, in the order given. Appeals come with ``charge__event`` loaded."""
    if not appeals:
        return []
    window_days = get_policy(community=community).window_days
    member_ids = {a.membership_id for a in appeals}
    budgets = {
        b.membership_id: b for b in MemberBudget.objects.filter(membership_id__in=member_ids)
    }
    since = timezone.now() - timedelta(days=window_days)
    posts = {
        row["member_id"]: row["n"]
        for row in ConductEvent.objects.filter(
            member_id__in=member_ids, kind__in=ACTIVITY_KINDS, occurred_at__gt=since
        )
        .values("member_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    charges = {
        row["membership_id"]: (row["total"], row["released"])
        for row in Charge.objects.filter(membership_id__in=member_ids, occurred_at__gt=since)
        .values("membership_id")
        .annotate(total=Count("pk"), released=Count("forgiveness"))
        .order_by()
    }
    by_member: dict[int, Counter[str]] = {}
    for row in (
        Appeal.objects.filter(membership_id__in=member_ids)
        .values("membership_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_member.setdefault(row["membership_id"], Counter())[row["status"]] = row["n"]
    items = []
    for appeal in appeals:
        text, url, reasons = _what(appeal.charge)
        items.append(
            AppealItem(
                appeal=appeal,
                form=decision_form(appeal),
                post_text=text,
                post_url=url,
                flag_reasons=reasons,
                history=_history(
                    appeal=appeal,
                    budget=budgets.get(appeal.membership_id),
                    posts=posts.get(appeal.membership_id, 0),
                    charges=charges.get(appeal.membership_id, (0, 0)),
                    appeals=by_member.get(appeal.membership_id, Counter()),
                    window_days=window_days,
                ),
            )
        )
    return items
