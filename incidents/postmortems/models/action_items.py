"""Action items, and the verification of a guardrail item against a clause's indicator.

A guardrail item (clause, runbook or alert) names what it changes and links the change that
fulfilled it: a contract version (a clause or an alert rule), or a runbook. It may carry a
verification: a clause, a target and a window. Marked done, it moves to *verifying*; it becomes
*verified* only if the clause's SLI meets the target over the whole window, and *reopens* (the
owner is told) if it breaches.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Clause, Community, ContractVersion, Membership
from incidents.models import Runbook
from incidents.postmortems.models.document import Postmortem


class ActionKind(models.TextChoices):
    CLAUSE = "clause", _("Clause of the social contract")
    RUNBOOK = "runbook", _("Runbook")
    ALERT = "alert", _("Alert")
    TOOLING = "tooling", _("Tooling")
    PROCESS = "process", _("Process")


# The kinds that strengthen a guardrail (DESIGN.md §4a): one is needed to publish.
GUARDRAIL_KINDS = frozenset({ActionKind.CLAUSE, ActionKind.RUNBOOK, ActionKind.ALERT})


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    VERIFYING = "verifying", _("Being verified")
    VERIFIED = "verified", _("Verified")
    REOPENED = "reopened", _("Reopened")


class ActionItemQuerySet(models.QuerySet["ActionItem"]):
    def guardrails(self) -> ActionItemQuerySet:
        return self.filter(kind__in=GUARDRAIL_KINDS)

    def verifying(self) -> ActionItemQuerySet:
        return self.filter(status=ActionStatus.VERIFYING)

    def outstanding(self) -> ActionItemQuerySet:
        """Still needing work from their owner."""
        return self.filter(status__in=(ActionStatus.OPEN, ActionStatus.REOPENED))


class ActionItem(models.Model):
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="action_items")
    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=ActionKind.choices)
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="action_items")
    due_on = models.DateField()
    verification_criterion = models.TextField(
        max_length=2000, blank=True, help_text="How we will know it worked."
    )
    changes = models.TextField(
        max_length=2000, blank=True, help_text="For a guardrail item: what it changes."
    )
    # The change that fulfilled a guardrail item.
    contract_version = models.ForeignKey(
        ContractVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    runbook = models.ForeignKey(
        Runbook, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    alert_rule = models.CharField(
        max_length=40, blank=True, help_text="The alert rule (of the linked contract version)."
    )
    # Verification against an indicator.
    verify_clause = models.ForeignKey(
        Clause, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verify_target = models.DecimalField(max_digits=7, decimal_places=6, null=True, blank=True)
    verify_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verification_started_at = models.DateTimeField(null=True, blank=True)
    verification_ends_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_sli = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[ActionItemQuerySet] = ActionItemQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("due_on", "id")
        indexes = [
            models.Index(fields=("community", "status"), name="action_item_comm_status"),
            models.Index(fields=("status", "verification_ends_at"), name="action_item_verifying"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(verify_clause__isnull=True)
                    & Q(verify_target__isnull=True)
                    & Q(verify_window_days__isnull=True)
                )
                | (
                    Q(verify_clause__isnull=False)
                    & Q(verify_target__gt=0)
                    & Q(verify_target__lt=1)
                    & Q(verify_window_days__gte=1)
                ),
                name="action_item_verification_complete",
            ),
            models.CheckConstraint(
                condition=Q(verify_clause__isnull=True)
                | Q(kind__in=("clause", "runbook", "alert")),
                name="action_item_verification_on_guardrail",
            ),
            models.CheckConstraint(
                condition=~Q(status="verifying")
                | (
                    Q(verify_clause__isnull=False)
                    & Q(verification_started_at__isnull=False)
                    & Q(verification_ends_at__isnull=False)
                ),
                name="action_item_verifying_has_window",
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_at__isnull=False),
                name="action_item_verified_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=("done", "verifying", "verified"))
                | Q(done_at__isnull=False),
                name="action_item_done_has_time",
            ),
            models.CheckConstraint(
                condition=Q(contract_version__isnull=True) | Q(kind__in=("clause", "alert")),
                name="action_item_version_on_clause_or_alert_item",
            ),
            models.CheckConstraint(
                condition=Q(runbook__isnull=True) | Q(kind="runbook"),
                name="action_item_runbook_on_runbook_item",
            ),
            models.CheckConstraint(
                condition=Q(alert_rule="") | Q(kind="alert", contract_version__isnull=False),
                name="action_item_alert_rule_on_alert_item",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_guardrail(self) -> bool:
        return self.kind in GUARDRAIL_KINDS

    @property
    def has_verification(self) -> bool:
        return self.verify_clause_id is not None

    @property
    def target_percent(self) -> str:
        """The verification target as people read it ("98 %", "99.5 %")."""
        if self.verify_target is None:
            return ""
        return _percent(self.verify_target)

    @property
    def last_sli_percent(self) -> str:
        return "" if self.last_sli is None else _percent(self.last_sli)


def _percent(ratio: Decimal) -> str:
    value = (ratio * 100).quantize(Decimal("0.1")).normalize()
    return f"{format(value, 'f')} %"


class VerificationCheck(models.Model):
    """One look at a verifying item's clause: the SLI over the verification window so far.
    Append-only; the item's status follows the latest check."""

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="checks")
    at = models.DateTimeField(default=timezone.now)
    total = models.PositiveIntegerField()
    bad = models.PositiveIntegerField()
    sli = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    meets_target = models.BooleanField()

    class Meta:
        ordering = ("item", "at", "id")

    def __str__(self) -> str:
        return f"check of action item {self.item_id} @ {self.at:%Y-%m-%d %H:%M}"
