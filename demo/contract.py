"""Demo step 20: Allotment Commons' social contract, two published versions, acknowledgements
and a month of status history, so the contract page has something to show on first run."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from community.contract.evaluation import evaluate_community
from community.contract.services import publish_contract, save_clause, update_draft
from community.contract.slo import ClauseDefinition
from community.contract.translations import save_clause_translation
from community.models import (
    Acknowledgement,
    Clause,
    Community,
    Contract,
    ContractVersion,
    Membership,
    Role,
)
from community.services import ingest_events
from demo.community import forum_event
from demo.context import DEMO_SOURCE, DemoContext

# How long the demo's live schedule ran: every clause was evaluated at each of these minutes.
LIVE_MINUTES = 60
# The flame war's thread, and how long before the demo's now its first post came.
FLAME_WAR_THREAD = "slug-thread"
FLAME_WAR_LEAD = timedelta(minutes=55)

PREAMBLE = (
    "Allotment Commons is a shared garden in words. We disagree about compost and pests and "
    "plot rules, and that is fine: we do it without hostility.\n"
    "Each clause below is a promise we measure together. When a clause runs short of its "
    "budget, moderators act on the policy beside it. Nobody is banned because a number ran out."
)

HOSTILITY = ClauseDefinition(
    title="Disagree without hostility",
    wording="Argue with ideas, not with people. Name-calling, sneering and piling on have no "
    "place here, even when you are right.",
    total_kinds=("post",),
    bad_kinds=("flag_upheld",),
    bad_categories=("inappropriate",),
    target=Decimal("0.97"),
)
SPAM = ClauseDefinition(
    title="No spam",
    wording="Share what you grow, not what you sell. One link to your own seed shop in your "
    "profile is fine; adverts in threads are not.",
    total_kinds=("post",),
    bad_kinds=("flag_upheld",),
    bad_categories=("spam",),
    target=Decimal("0.995"),
)
SAFETY = ClauseDefinition(
    title="Safety first",
    wording="Zero tolerance for anything illegal: threats, doxxing, selling banned chemicals. "
    "Moderators act at once and the target is as close to perfect as we can measure.",
    total_kinds=("post",),
    bad_kinds=("flag_upheld",),
    bad_categories=("illegal",),
    target=Decimal("0.999"),
    min_bad_events=1,
)


def _on_topic(growing_tips: int) -> ClauseDefinition:
    return ClauseDefinition(
        title="Stay on topic in Growing Tips",
        wording="Growing Tips is for growing. Plot politics and swaps have their own spaces, so "
        "people looking for help with blight can find it.",
        total_kinds=("post",),
        bad_kinds=("flag_upheld",),
        bad_categories=("off_topic",),
        spaces=(growing_tips,),
        per_space=False,
        target=Decimal("0.985"),
    )


# The clauses in Korean, as the community's moderators wrote them (never machine-translated).
# The demo's default language is English, so these are the Korean translations; with
# ``seed_demo --language ko`` they are the clauses' own words and the English is the translation.
KOREAN: dict[str, tuple[str, str]] = {
    "disagree-without-hostility": (
        "적대하지 않고 의견 나누기",
        "사람이 아니라 생각을 두고 이야기해요. 별명으로 부르기, 비웃기, 여럿이 한 사람을 "
        "몰아붙이기는 여기에 어울리지 않아요. 내가 옳을 때도 마찬가지예요.",
    ),
    "no-spam": (
        "광고 글은 올리지 않기",
        "파는 것이 아니라 키운 것을 나눠요. 프로필에 내 씨앗 가게 링크 하나는 괜찮지만, "
        "글 속의 광고는 올리지 않아요.",
    ),
    "safety-first": (
        "안전이 먼저",
        "불법적인 일은 어떤 경우에도 받아들이지 않아요. 위협, 신상 공개, 금지된 농약 판매가 "
        "그래요. 운영자가 바로 살피고, 목표도 잴 수 있는 한 완벽에 가깝게 잡았어요.",
    ),
    "stay-on-topic-in-growing-tips": (
        "Growing Tips에서는 주제에 맞게",
        "Growing Tips는 키우는 이야기를 나누는 곳이에요. 텃밭 운영 이야기와 나눔은 각자의 "
        "공간이 있으니, 잎마름병 도움을 찾는 분이 쉽게 찾을 수 있게 해 주세요.",
    ),
}
SLUGS = {
    HOSTILITY.title: "disagree-without-hostility",
    SPAM.title: "no-spam",
    SAFETY.title: "safety-first",
    "Stay on topic in Growing Tips": "stay-on-topic-in-growing-tips",
}


def written_in_korean(ctx: DemoContext) -> bool:
    return ctx.community.default_language == "ko"


def in_own_language(ctx: DemoContext, english: ClauseDefinition) -> ClauseDefinition:
    """``english`` with the words of the community's default language."""
    if not written_in_korean(ctx):
        return english
    title, wording = KOREAN[SLUGS[english.title]]
    return replace(english, title=title, wording=wording)


def save_demo_clause(
    ctx: DemoContext, english: ClauseDefinition, clause: Clause | None = None
) -> Clause:
    """Save a demo clause in the community's language, with its words in the other one."""
    slug = SLUGS[english.title]
    saved = save_clause(
        community=ctx.community,
        clause=clause,
        definition=in_own_language(ctx, english),
        slug=slug,
    )
    if written_in_korean(ctx):
        title, text = english.title, english.wording
    else:
        title, text = KOREAN[slug]
    save_clause_translation(clause=saved, language=other_language(ctx), title=title, text=text)
    return saved


def other_language(ctx: DemoContext) -> str:
    return "en" if written_in_korean(ctx) else "ko"


def add_to_wording(ctx: DemoContext, clause: Clause, sentences: dict[str, str]) -> Clause:
    """Add a sentence (given in each language) to a clause's draft wording and to its
    translation, so both keep saying the same."""
    definition = clause.draft_definition()
    saved = save_clause(
        community=ctx.community,
        clause=clause,
        definition=replace(
            definition, wording=f"{definition.wording} {sentences[clause.language]}"
        ),
    )
    for row in saved.translations.all():
        save_clause_translation(
            clause=saved,
            language=row.language,
            title=row.title,
            text=f"{row.text} {sentences[row.language]}",
        )
    return saved


def seed_contract(ctx: DemoContext) -> None:
    community = ctx.community
    if ContractVersion.objects.filter(contract__community=community).exists():
        ctx.log("  contract already published: nothing to add")
        return
    rng = random.Random(2026_0020)
    moderator = Membership.objects.filter(community=community, role=Role.MODERATOR).first()
    by = moderator.user if moderator else None
    update_draft(
        community=community,
        preamble=PREAMBLE,
        policy={
            "healthy": "Nothing changes. Moderators read the clause at the monthly garden meeting.",
            "warning": "Moderators review the clause weekly and ask the spaces involved what is "
            "making it hard.",
            "critical": "A facilitator checks in with the spaces most affected within three "
            "days; a short cooldown is considered, never a ban.",
            "exhausted": "New rules freeze and a governance circle is scheduled with members "
            "to ask whether the norm or the space needs to change.",
        },
    )
    # The live schedule below is the only evaluation of this step: publishing would queue one
    # at the real time, after the minutes the schedule then judges; hold it as a pending one.
    Contract.objects.filter(community=community).update(evaluation_pending=True)
    hostility = save_demo_clause(ctx, HOSTILITY)
    save_demo_clause(ctx, SPAM)
    save_demo_clause(ctx, SAFETY)
    first = publish_contract(
        community=community, summary="Our first contract, agreed at the spring meeting.", by=by
    )
    growing = community.spaces.get(name="Growing Tips")
    save_demo_clause(ctx, replace(HOSTILITY, target=Decimal("0.98")), clause=hostility)
    on_topic = save_demo_clause(ctx, _on_topic(growing.pk))
    # Show it second, beside the clause it grew out of.
    Clause.objects.filter(community=community, position__gt=hostility.position).exclude(
        pk=on_topic.pk
    ).update(position=on_topic.position + 1)
    Clause.objects.filter(pk=on_topic.pk).update(position=hostility.position + 1)
    second = publish_contract(
        community=community,
        summary="After the September circle: hostility target raised to 98 %, and a new "
        "clause keeps Growing Tips on topic.",
        by=by,
    )
    # Back-date the versions to when the community agreed them (timestamps only).
    ContractVersion.objects.filter(pk=first.pk).update(published_at=ctx.now - timedelta(days=45))
    ContractVersion.objects.filter(pk=second.pk).update(published_at=ctx.now - timedelta(days=12))
    members = list(
        Membership.objects.filter(community=community, role=Role.MEMBER).order_by("pk")[:120]
    )
    Acknowledgement.objects.bulk_create(
        [
            Acknowledgement(
                membership=m,
                version=first,
                acknowledged_at=ctx.now - timedelta(days=rng.randint(13, 44)),
            )
            for m in rng.sample(members, 70)
        ]
        + [
            Acknowledgement(
                membership=m,
                version=second,
                acknowledged_at=ctx.now - timedelta(days=rng.randint(0, 11)),
            )
            for m in rng.sample(members, 38)
        ]
    )
    # Publishing gave each clause a month of daily history; now the live evaluation. The
    # flame war's events arrive while the schedule runs: it evaluates every clause at every
    # minute of the last hour (the coalesced evaluation after ingest is still held), so the
    # alerts are those the live path records minute by minute, and a replay of the same hour
    # finds exactly them (tests/replay/test_demo_history.py).
    clauses = list(Clause.objects.live().filter(community=community))
    _flame_war(ctx, rng)
    for minute in live_minutes(ctx):
        evaluate_community(community=community, now=minute)
    Contract.objects.filter(community=community).update(evaluation_pending=False)
    ctx.log(f"  published versions 1 and 2 with {len(clauses)} clauses and their history")


def live_minutes(ctx: DemoContext) -> list[datetime]:
    """The minute boundaries the demo's live schedule evaluated: the last hour, to the last
    whole minute before the demo's now."""
    end = ctx.now.replace(second=0, microsecond=0)
    return [end - timedelta(minutes=LIVE_MINUTES - k) for k in range(1, LIVE_MINUTES + 1)]


def live_period(community: Community) -> tuple[datetime, datetime]:
    """The period ``(start, end]`` whose every minute the demo's live schedule evaluated, read
    back from the flame war's first post (``FLAME_WAR_LEAD`` before the demo's now)."""
    first = community.events.get(source=DEMO_SOURCE, external_id=f"{FLAME_WAR_THREAD}-0")
    end = (first.occurred_at + FLAME_WAR_LEAD).replace(second=0, microsecond=0)
    return end - timedelta(minutes=LIVE_MINUTES), end


def _flame_war(ctx: DemoContext, rng: random.Random) -> None:
    """The last hour in the Off-topic Lounge: a heated thread about slug pellets, so the
    hostility clause has an open alert for moderators (and incidents) to act on."""
    events = []
    for n in range(42):
        at = ctx.now - FLAME_WAR_LEAD + timedelta(seconds=n * 78)
        author = str(1040 + rng.randrange(12))
        pid = f"{FLAME_WAR_THREAD}-{n}"
        space = ("7", "Off-topic Lounge", 0.0)
        events.append(
            replace(forum_event(pid, "post", at, author, space, subject=pid), recorded_at=at)
        )
        if n % 3 == 0:
            flag = forum_event(
                f"slug-flag-{n}", "flag_upheld", at, author, space, pid, "inappropriate"
            )
            events.append(replace(flag, recorded_at=min(at + timedelta(minutes=2), ctx.now)))
    ingest_events(community=ctx.community, events=events, source=DEMO_SOURCE)
