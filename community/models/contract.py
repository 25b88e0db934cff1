"""The social contract: a draft, immutable published versions, clauses as SLOs, their status
snapshots and alerts, and members' acknowledgements (DESIGN.md §3.1).

These are the models of the ``community.contract`` package. They live here, in the community
app's models, so that their app label and tables stay ``community``'s; this is the one module
outside the package that imports from it, and only its pure definitions (``slo``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from community.contract.slo import DEFAULT_ALERT_RULES, ClauseDefinition, window_label
from community.models.spine import Community, Membership, Space
from community.models.translations import ClauseTranslation, ClauseWords, words_in
from community.tier_words import TIER_CHOICES
from community.tiers import Tier

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager


# What a new contract commits to at each tier of a clause's budget (moderators rewrite these).
DEFAULT_POLICY: dict[str, str] = {
    Tier.HEALTHY: "Nothing changes. Moderators look at the clause at the monthly check-in.",
    Tier.WARNING: "Moderators review the clause weekly and look for what is causing friction.",
    Tier.CRITICAL: "Moderators meet within three days, talk with the spaces most affected and "
    "consider a cooldown there.",
    Tier.EXHAUSTED: "New rules freeze and a governance review is scheduled with the community. "
    "Nobody is banned because a budget ran out.",
}


def default_policy() -> dict[str, str]:
    return {str(k): v for k, v in DEFAULT_POLICY.items()}


def default_alert_rules() -> list[dict[str, str | int]]:
    return [rule.as_dict() for rule in DEFAULT_ALERT_RULES]


def default_total_kinds() -> list[str]:
    return ["post"]


def default_bad_kinds() -> list[str]:
    return ["flag_upheld"]


class Contract(models.Model):
    """A community's social contract. The fields here are the *draft*; members read the
    latest ``ContractVersion``."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="contract")
    preamble = models.TextField(blank=True)
    policy = models.JSONField(
        default=default_policy, help_text="What the community commits to at each budget tier."
    )
    # Set when new events arrive and an evaluation is queued; cleared when one starts. At most
    # one evaluation per community is ever pending, however many batches arrive.
    evaluation_pending = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    if TYPE_CHECKING:
        versions: RelatedManager[ContractVersion]

    def __str__(self) -> str:
        return f"Contract of {self.community}"

    def current_version(self) -> ContractVersion | None:
        return self.versions.order_by("-number").first()


class ContractVersion(models.Model):
    """A published contract, frozen: preamble, policy and every clause's definition as
    published. Rows are never changed after they are written."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    preamble = models.TextField(blank=True)
    policy = models.JSONField(default=dict)
    clauses = models.JSONField(
        default=list, help_text="Each clause as published: its id, slug and definition."
    )
    summary = models.TextField(help_text="What changed, in a sentence or two.")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    published_by_name = models.CharField(max_length=150)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=("contract", "number"), name="contract_version_number")
        ]

    def __str__(self) -> str:
        return f"version {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("A published contract version cannot be changed.")
        super().save(*args, **kwargs)

    @property
    def clause_ids(self) -> list[int]:
        return [int(c["clause_id"]) for c in self.clauses]


class ClauseQuerySet(models.QuerySet["Clause"]):
    def in_draft(self) -> ClauseQuerySet:
        return self.filter(retired_at__isnull=True)

    def live(self) -> ClauseQuerySet:
        """Clauses in the current published version: the ones evaluated and shown."""
        return self.filter(is_live=True)


class Clause(models.Model):
    """One norm of the contract, measured as an SLO over the community's conduct events.

    The editable fields are the draft. ``live_definition`` is the definition as last published:
    evaluation always uses that, so a draft edit changes nothing until it is published.
    """

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="clauses")
    slug = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    wording = models.TextField(help_text="The norm in plain words, as members read it.")
    # Its own title and wording are in this language (the community's default when it was
    # written); ``translations`` give them in the community's other languages.
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    total_kinds = models.JSONField(default=default_total_kinds)
    total_categories = models.JSONField(default=list, blank=True)
    bad_kinds = models.JSONField(default=default_bad_kinds)
    bad_categories = models.JSONField(default=list, blank=True)
    spaces = models.ManyToManyField(Space, blank=True, related_name="clauses")
    per_space = models.BooleanField(
        default=True, help_text="Also measure each space on its own (fault isolation)."
    )
    target = models.DecimalField(max_digits=7, decimal_places=6)
    window_days = models.PositiveSmallIntegerField(default=30)
    alert_rules = models.JSONField(default=default_alert_rules)
    min_bad_events = models.PositiveIntegerField(default=3)
    position = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="Removed from the draft; gone at the next publish."
    )
    is_live = models.BooleanField(default=False)
    live_definition = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[ClauseQuerySet] = ClauseQuerySet.as_manager()  # type: ignore[assignment]

    if TYPE_CHECKING:
        translations: RelatedManager[ClauseTranslation]

    class Meta:
        ordering = ("position", "pk")
        constraints = [
            models.UniqueConstraint(fields=("community", "slug"), name="clause_unique_slug")
        ]

    def __str__(self) -> str:
        return self.title

    def draft_definition(self) -> ClauseDefinition:
        data = {
            "title": self.title,
            "wording": self.wording,
            "total_kinds": self.total_kinds,
            "total_categories": self.total_categories,
            "bad_kinds": self.bad_kinds,
            "bad_categories": self.bad_categories,
            "spaces": sorted(space.pk for space in self.spaces.all()),
            "per_space": self.per_space,
            "target": self.target,
            "window_days": self.window_days,
            "alert_rules": self.alert_rules,
            "min_bad_events": self.min_bad_events,
        }
        return ClauseDefinition.from_dict(data)

    def published_definition(self) -> ClauseDefinition | None:
        if not self.is_live or not self.live_definition:
            return None
        return ClauseDefinition.from_dict(self.live_definition)

    def own_words(self) -> tuple[str, str]:
        """The title and wording members read in the clause's own language: as published, or
        the draft's for a clause never published."""
        live = self.published_definition()
        return (live.title, live.wording) if live is not None else (self.title, self.wording)

    def words_in(
        self, language: str | None = None, *, own: tuple[str, str] | None = None
    ) -> ClauseWords:
        """Its title and wording in ``language`` (default: the reader's, active now), falling
        back to its own (``own``: a version's words instead of the current ones). Prefetch
        ``translations`` when reading many clauses."""
        title, wording = own if own is not None else self.own_words()
        return words_in(
            title=title,
            wording=wording,
            own_language=self.language,
            translations=self.translations.all(),
            language=language,
        )

    def title_in(self, language: str | None = None) -> str:
        return self.words_in(language).title

    @property
    def has_unpublished_changes(self) -> bool:
        if self.retired_at is not None:
            return self.is_live
        live = self.published_definition()
        return live is None or live != self.draft_definition()


class ClauseSnapshotQuerySet(models.QuerySet["ClauseSnapshot"]):
    def latest_per_clause(self) -> ClauseSnapshotQuerySet:
        """Each clause's current status: the rows of its latest evaluation (the community-wide
        row and one per space it measured). What the contract page, the editor and the API
        show; one query, by the ``(clause, bucket)`` index."""
        newest = (
            ClauseSnapshot.objects.filter(clause=OuterRef("clause"))
            .order_by("-bucket")
            .values("bucket")[:1]
        )
        return self.filter(bucket=Subquery(newest))


class ClauseSnapshot(models.Model):
    """A clause's status at one evaluation, community-wide (``space`` empty) or for one space.

    One row per clause, scope and hour: later evaluations in the same hour overwrite it, so
    the latest row is the current status and the rows before it are the history for charts.
    """

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="snapshots")
    space = models.ForeignKey(Space, on_delete=models.CASCADE, null=True, blank=True)
    scope = models.CharField(max_length=20, help_text="'' community-wide, else the space id.")
    bucket = models.DateTimeField(help_text="The hour this snapshot stands for.")
    computed_at = models.DateTimeField()
    total = models.PositiveIntegerField()
    bad = models.PositiveIntegerField()
    sli = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    allowed_bad = models.DecimalField(max_digits=14, decimal_places=4)
    budget_remaining = models.DecimalField(max_digits=14, decimal_places=6)
    tier = models.CharField(max_length=10, choices=TIER_CHOICES)
    burn_rates = models.JSONField(default=dict)

    objects: ClassVar[ClauseSnapshotQuerySet] = ClauseSnapshotQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("clause", "scope", "-bucket")
        constraints = [
            models.UniqueConstraint(
                fields=("clause", "scope", "bucket"), name="clause_snapshot_one_per_hour"
            )
        ]
        indexes = [models.Index(fields=("clause", "bucket"), name="clause_snapshot_bucket")]

    def __str__(self) -> str:
        return f"{self.clause_id}/{self.scope or 'all'} @ {self.bucket:%Y-%m-%d %H:00}"

    @property
    def has_data(self) -> bool:
        return self.sli is not None

    @property
    def css_tier(self) -> str:
        return self.tier if self.has_data else "nodata"

    @property
    def sli_percent(self) -> Decimal | None:
        return None if self.sli is None else self.sli * 100


class AlertSeverity(models.TextChoices):
    PAGE = "page", "Page"
    TICKET = "ticket", "Ticket"


class ClauseAlertQuerySet(models.QuerySet["ClauseAlert"]):
    def open(self) -> ClauseAlertQuerySet:
        return self.filter(cleared_at__isnull=True)


class ClauseAlert(models.Model):
    """One alert episode: fired once, cleared once, with the numbers that made it fire."""

    clause = models.ForeignKey(Clause, on_delete=models.CASCADE, related_name="alerts")
    space = models.ForeignKey(Space, on_delete=models.CASCADE, null=True, blank=True)
    scope = models.CharField(max_length=20)
    rule = models.CharField(max_length=40)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    long_minutes = models.PositiveIntegerField()
    short_minutes = models.PositiveIntegerField()
    threshold = models.DecimalField(max_digits=14, decimal_places=6)
    burn_rate_long = models.DecimalField(max_digits=14, decimal_places=6)
    burn_rate_short = models.DecimalField(max_digits=14, decimal_places=6)
    bad_long = models.PositiveIntegerField()
    total_long = models.PositiveIntegerField()
    event_ids = models.JSONField(default=list)
    fired_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ClauseAlertQuerySet] = ClauseAlertQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-fired_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("clause", "scope", "rule"),
                condition=Q(cleared_at__isnull=True),
                name="clause_alert_one_open_episode",
            )
        ]

    def __str__(self) -> str:
        where = self.scope or "all"
        return f"{self.rule} on {self.clause_id}/{where} @ {self.fired_at:%Y-%m-%d %H:%M}"

    @property
    def long_window(self) -> str:
        return window_label(self.long_minutes)

    @property
    def short_window(self) -> str:
        return window_label(self.short_minutes)


class Acknowledgement(models.Model):
    """A member read and accepted one version of the contract."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    version = models.ForeignKey(
        ContractVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("membership", "version"), name="ack_once_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} acknowledged {self.version_id}"
