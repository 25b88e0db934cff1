"""Member budget snapshots, tier transitions and what they triggered, and the bookkeeping of
recalculation (the dirty-member queue, the one-pending-task flag, the run log)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Community, Membership
from community.tier_words import TIER_CHOICES
from community.tiers import is_worse

SORTS: dict[str, tuple[str, str]] = {
    "ratio": ("remaining_ratio", "membership_id"),
    "-ratio": ("-remaining_ratio", "-membership_id"),
    "spent": ("spent", "membership_id"),
    "-spent": ("-spent", "-membership_id"),
    "activity": ("activity", "membership_id"),
    "-activity": ("-activity", "-membership_id"),
    "name": ("membership__display_name", "membership_id"),
}
DEFAULT_SORT = "ratio"


class MemberBudgetQuerySet(models.QuerySet["MemberBudget"]):
    def for_table(
        self, community: Community, *, tier: str = "", query: str = "", sort: str = DEFAULT_SORT
    ) -> MemberBudgetQuerySet:
        """The moderator table: one community, optionally one tier or a name, sorted (the
        indexes below keep the ratio sorts fast at 100,000 members)."""
        rows = self.filter(community=community).select_related("membership")
        if tier:
            rows = rows.filter(tier=tier)
        if query:
            rows = rows.filter(membership__display_name__icontains=query)
        return rows.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


class MemberBudget(models.Model):
    """The latest computed budget of one member (DESIGN.md §3.3), written by the bulk
    recalculation in one upsert per chunk. A row is always entirely old or entirely new."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, primary_key=True, related_name="budget"
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="member_budgets"
    )
    activity = models.PositiveIntegerField()
    allowance = models.DecimalField(max_digits=14, decimal_places=4)
    spent = models.DecimalField(max_digits=14, decimal_places=4)
    remaining = models.DecimalField(max_digits=14, decimal_places=4)
    remaining_ratio = models.DecimalField(max_digits=14, decimal_places=6)
    tier = models.CharField(max_length=10, choices=TIER_CHOICES)
    recovers_at = models.DateTimeField(null=True, blank=True)
    burn_rate_24h = models.DecimalField(max_digits=14, decimal_places=6)
    policy_version = models.PositiveIntegerField()
    transition_sequence = models.PositiveIntegerField(
        default=0, help_text="How many tier transitions this member has had."
    )
    computed_at = models.DateTimeField()
    next_change_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When this budget next changes without a new event (empty: never).",
    )

    objects: ClassVar[MemberBudgetQuerySet] = MemberBudgetQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [
            # The moderator table: sort by ratio, optionally within one tier, at 100k members.
            models.Index(
                fields=("community", "remaining_ratio", "membership"), name="budget_comm_ratio"
            ),
            models.Index(
                fields=("community", "tier", "remaining_ratio", "membership"),
                name="budget_comm_tier_ratio",
            ),
            # The table's other sorts: most spent and most active first, at 100k members.
            models.Index(fields=("community", "spent", "membership"), name="budget_comm_spent"),
            models.Index(
                fields=("community", "activity", "membership"), name="budget_comm_activity"
            ),
            # The periodic run reads only the members whose next change has come.
            models.Index(fields=("community", "next_change_at"), name="budget_comm_next_change"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.remaining}/{self.allowance} ({self.tier})"

    @property
    def used_percent(self) -> int:
        if not self.allowance:
            return 0
        return max(0, min(100, round(float(self.spent / self.allowance) * 100)))


class TierTransition(models.Model):
    """A member's budget moved from one tier to another: recorded once (unique sequence per
    member) together with the actions it triggered, in the same transaction as the snapshot."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="tier_transitions"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="tier_transitions"
    )
    sequence = models.PositiveIntegerField()
    from_tier = models.CharField(max_length=10, choices=TIER_CHOICES)
    to_tier = models.CharField(max_length=10, choices=TIER_CHOICES)
    at = models.DateTimeField()
    allowance = models.DecimalField(max_digits=14, decimal_places=4)
    spent = models.DecimalField(max_digits=14, decimal_places=4)
    remaining = models.DecimalField(max_digits=14, decimal_places=4)
    remaining_ratio = models.DecimalField(max_digits=14, decimal_places=6)
    actions = models.JSONField(default=list)
    # The tier the member would have with the charges from imported history left out (blank:
    # the same as ``to_tier``), and whether the move came from that history alone; such a move
    # is recorded quietly: no notice, e-mail, pause or "tier changed" webhook (DESIGN.md §3.7).
    live_tier = models.CharField(max_length=10, choices=TIER_CHOICES, blank=True)
    from_imported_history = models.BooleanField(default=False)

    class Meta:
        ordering = ("-at", "-sequence")
        constraints = [
            models.UniqueConstraint(
                fields=("membership", "sequence"), name="transition_once_per_sequence"
            )
        ]
        indexes = [models.Index(fields=("community", "at"), name="transition_comm_at")]

    def __str__(self) -> str:
        return f"{self.membership_id} #{self.sequence}: {self.from_tier} -> {self.to_tier}"

    @property
    def is_worse(self) -> bool:
        return is_worse(self.to_tier, self.from_tier)


class NoticeAudience(models.TextChoices):
    MEMBER = "member", "The member (private)"
    MODERATORS = "moderators", "The moderators"


class NoticeQuerySet(models.QuerySet["Notice"]):
    def for_member(self, membership: Membership) -> NoticeQuerySet:
        return self.filter(membership=membership, audience=NoticeAudience.MEMBER)

    def for_moderators(self, community: Community) -> NoticeQuerySet:
        return self.filter(community=community, audience=NoticeAudience.MODERATORS)


class Notice(models.Model):
    """A calm message about a member's budget: a private nudge to them (shown on *My budget*,
    and emailed if they have an address), or a note to the moderators."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="notices")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="notices")
    audience = models.CharField(max_length=12, choices=NoticeAudience.choices)
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    body = models.TextField()
    transition = models.ForeignKey(
        TierTransition, on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[NoticeQuerySet] = NoticeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at", "-pk")
        indexes = [
            models.Index(fields=("membership", "audience", "created_at"), name="notice_member"),
            # The moderators' notes, newest first: one recalculation writes thousands with the
            # same created_at, so the tie-break (pk) is in the index too.
            models.Index(
                fields=("community", "audience", "created_at", "id"), name="notice_comm_newest"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LiftCause(models.TextChoices):
    """Why a member cooldown ended before its time (people read the label)."""

    RECOVERED = "recovered", _("the budget recovered")
    FORGIVEN = "forgiven", _("forgiveness gave the budget room again")
    AGREEMENT = "agreement", _("the agreements were kept, so the related charges were forgiven")
    REVERSED = "reversed", _("a charge was reversed on appeal")
    FLAG_REJECTED = "flag_rejected", _("a flag was rejected on review")


class MemberCooldownQuerySet(models.QuerySet["MemberCooldown"]):
    def active(self, at: datetime) -> MemberCooldownQuerySet:
        """Cooldowns running at ``at``: started, not yet at their end, not lifted early."""
        return self.filter(starts_at__lte=at, ends_at__gt=at, lifted_at__isnull=True)


class MemberCooldown(models.Model):
    """A timed cooldown for one member, started by a tier action and announced through the
    outbox (``budget.member_cooldown``); the forum adapter applies it as a timed silence.
    Never a ban: it always has an end. When the member's budget recovers above the tier that
    started it (older charges leave the window, a charge is forgiven or reversed) it is lifted
    early (``lifted_at``, announced as ``budget.member_cooldown_lifted``); ``ends_at`` stays
    the end that was planned."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="member_cooldowns"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="member_cooldowns"
    )
    transition = models.OneToOneField(
        TierTransition, on_delete=models.CASCADE, related_name="cooldown"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_cause = models.CharField(max_length=20, choices=LiftCause.choices, blank=True)
    lifted_by_transition = models.ForeignKey(
        TierTransition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lifted_cooldowns",
        help_text="The recovery that lifted it early.",
    )

    objects: ClassVar[MemberCooldownQuerySet] = MemberCooldownQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-starts_at",)
        indexes = [
            models.Index(
                fields=("membership", "ends_at"),
                condition=Q(lifted_at__isnull=True),
                name="member_cooldown_running",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="member_cooldown_has_an_end"
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | ~Q(lift_cause=""),
                name="member_cooldown_lift_has_a_cause",
            ),
        ]

    def __str__(self) -> str:
        return f"cooldown {self.membership_id} until {self.ends_at:%Y-%m-%d %H:%M}"

    @property
    def ended_at(self) -> datetime:
        """When it ended (or will end): lifted early, or at its planned end."""
        return self.lifted_at or self.ends_at

    def is_running(self, at: datetime) -> bool:
        return self.lifted_at is None and self.starts_at <= at < self.ends_at


class DirtyMember(models.Model):
    """A member whose budget must be recalculated soon (their ledger or activity changed).
    Rows are taken and deleted in the same transaction as the recalculation of their chunk."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=("community", "marked_at"), name="dirty_comm")]

    def __str__(self) -> str:
        return f"dirty {self.membership_id}"


class RecalcFlag(models.Model):
    """At most one pending recalculation task per community (coalescing): whoever flips
    ``pending`` from false to true enqueues the task; the task flips it back when it starts."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    pending = models.BooleanField(default=False)
    full_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Set while a recalculation of every member is owed."
    )
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"recalc {self.community_id}: {'pending' if self.pending else 'idle'}"


class RecalcKind(models.TextChoices):
    DIRTY = "dirty", "Members whose ledger or activity changed"
    FULL = "full", "Every member"
    PERIODIC = "periodic", "Members whose budget was due to change (periodic)"


class RecalcRun(models.Model):
    """One finished recalculation of a community: how long it took and what it wrote."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=RecalcKind.choices)
    started_at = models.DateTimeField()
    duration_seconds = models.FloatField()
    members = models.PositiveIntegerField()
    written = models.PositiveIntegerField()
    transitions = models.PositiveIntegerField()

    class Meta:
        ordering = ("-started_at",)
        indexes = [models.Index(fields=("community", "started_at"), name="recalcrun_comm")]

    def __str__(self) -> str:
        return f"{self.kind} {self.community_id} {self.duration_seconds:.2f}s"
