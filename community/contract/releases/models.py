"""Releases of the social contract: canaries (a version on trial in some spaces, with a gate),
the spokescouncil that ratifies a version, and the timeline of each release."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.models import Community, ContractVersion, Membership, Space


class CanaryStatus(models.TextChoices):
    RUNNING = "running", gettext_lazy("On trial")
    PROMOTED = "promoted", gettext_lazy("Promoted to every space")
    ROLLED_BACK = "rolled_back", gettext_lazy("Rolled back")


class Baseline(models.TextChoices):
    REST = "rest", gettext_lazy("The rest of the community over the same time")
    OWN_PAST = "own_past", gettext_lazy("The trial spaces' own 14 days before the trial")


class TrialKind(models.TextChoices):
    CONTRACT = "contract", gettext_lazy("A contract version")
    POLICY = "policy", gettext_lazy("A budget policy change")


class CanaryQuerySet(models.QuerySet["Canary"]):
    def running(self) -> CanaryQuerySet:
        return self.filter(status=CanaryStatus.RUNNING)


class Canary(models.Model):
    """The contract draft, frozen when the trial started, live in ``spaces`` only. Promotion
    publishes exactly this draft (refused if the draft changed since); a rollback leaves the
    version in force everywhere, as it was.

    A trial of a budget policy (``kind`` policy) carries the contract in force as its clauses
    (the gate compares like with like) and the policy's new costs in ``policy_changes``;
    promoting it saves them as the next policy version (refused if the policy changed since
    ``base_policy_version``)."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="canaries")
    kind = models.CharField(max_length=10, choices=TrialKind.choices, default=TrialKind.CONTRACT)
    number = models.PositiveIntegerField(help_text="The version number it would be published as.")
    policy_changes = models.JSONField(default=dict, blank=True)
    base_policy_version = models.PositiveIntegerField(null=True, blank=True)
    promoted_policy_version = models.PositiveIntegerField(null=True, blank=True)
    # Set when ingest queued a check of the gate, cleared when the check starts: a burst of
    # batches queues one check at a time (like ``Contract.evaluation_pending``).
    check_pending = models.BooleanField(default=False)
    summary = models.TextField()
    preamble = models.TextField(blank=True)
    policy = models.JSONField(default=dict)
    clauses = models.JSONField(default=list)
    fingerprint = models.CharField(max_length=32)
    base_version = models.ForeignKey(
        ContractVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    promoted_version = models.ForeignKey(
        ContractVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="canary"
    )
    spaces = models.ManyToManyField(Space, related_name="canaries")
    baseline = models.CharField(max_length=10, choices=Baseline.choices, default=Baseline.REST)
    sli_drop_points = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("1"))
    burn_rate = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("6"))
    overturned_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("25"))
    min_events = models.PositiveIntegerField(default=20)
    status = models.CharField(
        max_length=12, choices=CanaryStatus.choices, default=CanaryStatus.RUNNING
    )
    started_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    started_by_name = models.CharField(max_length=150)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_verdict = models.JSONField(default=dict, blank=True)

    objects: ClassVar[CanaryQuerySet] = CanaryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-started_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("community",),
                condition=Q(status="running"),
                name="canary_one_running_per_community",
            )
        ]

    def __str__(self) -> str:
        return f"trial of {self.what} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status == CanaryStatus.RUNNING

    @property
    def is_policy(self) -> bool:
        return self.kind == TrialKind.POLICY

    @property
    def what(self) -> str:
        """What is on trial, in words: "version 3" or "version 2 of the budget policy"."""
        if self.is_policy:
            return f"version {self.number} of the budget policy"
        return f"version {self.number}"

    @property
    def what_words(self) -> str:
        """``what`` in the active language: the reader's on pages and notices, the community's
        in the trial's timeline (written once, when stored)."""
        if self.is_policy:
            return _("version %(number)s of the budget policy") % {"number": self.number}
        return _("version %(number)s") % {"number": self.number}


class EntryKind(models.TextChoices):
    STARTED = "started", gettext_lazy("Trial started")
    GATE_HELD = "gate_held", gettext_lazy("Gate holds")
    GATE_FAILED = "gate_failed", gettext_lazy("Gate failed")
    ROLLED_BACK = "rolled_back", gettext_lazy("Rolled back")
    PROMOTED = "promoted", gettext_lazy("Promoted")


class CanaryEntry(models.Model):
    """One line of a release's timeline (written when something happens, and when the gate's
    verdict changes, not at every check)."""

    canary = models.ForeignKey(Canary, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    words = models.TextField()
    by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ("at", "pk")

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"


# --- The spokescouncil -------------------------------------------------------------------------


class Council(models.Model):
    """Ratification for one community. While ``enabled``, a version is published (or put on
    trial) only after every group's delegate has answered and no block stands."""

    community = models.OneToOneField(Community, on_delete=models.CASCADE, related_name="council")
    enabled = models.BooleanField(default=False)
    rotation_days = models.PositiveSmallIntegerField(default=7)
    started_at = models.DateTimeField(default=timezone.now)
    # The draft a moderator asked the council to answer (what Needs you lists as waiting).
    asked_fingerprint = models.CharField(max_length=32, blank=True)
    asked_number = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Council of {self.community}"


class CouncilGroup(models.Model):
    """A group of members with one delegate: a space, or a group the community names."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=120)
    space = models.ForeignKey(Space, on_delete=models.CASCADE, null=True, blank=True)
    delegate = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="delegations"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "pk")
        constraints = [
            models.UniqueConstraint(fields=("council", "name"), name="council_group_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class AnswerKind(models.TextChoices):
    RATIFY = "ratify", gettext_lazy("Ratifies")
    STAND_ASIDE = "stand_aside", gettext_lazy("Stands aside")
    BLOCK = "block", gettext_lazy("Blocks")


class AnswerQuerySet(models.QuerySet["Answer"]):
    def standing(self) -> AnswerQuerySet:
        """Answers not replaced by a later one of the same group for the same draft."""
        return self.filter(replaced_at__isnull=True)


class Answer(models.Model):
    """A delegate's answer for their group to one draft (by its fingerprint). Never deleted:
    a changed answer or a withdrawn block is marked replaced, and the version's history shows
    every row. A published version's answers are those to its fingerprint
    (``services.draft_fingerprint`` of the version). A revised draft has another
    fingerprint, so its answers start afresh."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="answers")
    group = models.ForeignKey(CouncilGroup, on_delete=models.CASCADE, related_name="answers")
    fingerprint = models.CharField(max_length=32, db_index=True)
    number = models.PositiveIntegerField(help_text="The version number the draft would take.")
    delegate = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="council_answers"
    )
    delegate_name = models.CharField(max_length=150)
    kind = models.CharField(max_length=12, choices=AnswerKind.choices)
    reason = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    replaced_at = models.DateTimeField(null=True, blank=True)
    withdrawn = models.BooleanField(default=False, help_text="A block its delegate withdrew.")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    objects: ClassVar[AnswerQuerySet] = AnswerQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("answered_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("group", "fingerprint"),
                condition=Q(replaced_at__isnull=True),
                name="council_answer_one_standing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.kind} on {self.fingerprint}"
