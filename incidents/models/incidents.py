"""The incident, its roles, facilitator handoffs, the append-only timeline, member reports and
alert suggestions, and the per-community incident settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from community.models import Community, Membership, Space
from incidents import rules
from incidents.words import system_author


class SevLevel(models.TextChoices):
    SEV1 = "SEV1", _("SEV1 · safety (threats, doxxing)")
    SEV2 = "SEV2", _("SEV2 · community-wide")
    SEV3 = "SEV3", _("SEV3 · one space")


class IncidentStatus(models.TextChoices):
    DECLARED = rules.DECLARED, _("Declared")
    MITIGATING = rules.MITIGATING, _("Mitigating")
    MONITORING = rules.MONITORING, _("Monitoring")
    RESOLVED = rules.RESOLVED, _("Resolved")
    CLOSED = rules.CLOSED, _("Closed")


# Calm public wording for the status page: what is happening, never who.
PUBLIC_STATUS = {
    rules.DECLARED: _("Moderators are looking into it"),
    rules.MITIGATING: _("Cooling down"),
    rules.MONITORING: _("Calmer; moderators are keeping an eye on it"),
    rules.RESOLVED: _("Resolved"),
    rules.CLOSED: _("Resolved"),
}


class DetectedBy(models.TextChoices):
    MODERATOR = "moderator", _("A moderator")
    MEMBER_REPORT = "member_report", _("A member's report")
    CLAUSE_ALERT = "clause_alert", _("A clause alert")
    API = "api", _("The API")


class AlertResponse(models.TextChoices):
    DECLARE = "declare", _("Declare a SEV3 incident on the space")
    SUGGEST = "suggest", _("Suggest an incident to the moderators")


class IncidentSettings(models.Model):
    """Per-community incident settings (created with defaults on first use)."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="incident_settings"
    )
    max_cooldown_minutes = models.PositiveIntegerField(
        default=24 * 60, help_text="The longest cooldown anyone may start or extend to."
    )
    alert_response = models.CharField(
        max_length=10, choices=AlertResponse.choices, default=AlertResponse.DECLARE
    )
    auto_runbook = models.ForeignKey(
        "incidents.Runbook",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Start this runbook on incidents declared from a clause alert (opt-in).",
    )

    class Meta:
        verbose_name_plural = "incident settings"

    def __str__(self) -> str:
        return f"incident settings of {self.community_id}"


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=rules.OPEN_STATUSES)

    def for_community(self, community: Community) -> IncidentQuerySet:
        return self.filter(community=community)


class Incident(models.Model):
    """A conflict incident. ``version`` is bumped on every change to the incident's state and
    checked by every write that a person makes from a page they loaded earlier, so two
    moderators acting at once cannot silently overwrite each other."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=SevLevel.choices, default=SevLevel.SEV3)
    status = models.CharField(
        max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.DECLARED
    )
    detected_by = models.CharField(
        max_length=20, choices=DetectedBy.choices, default=DetectedBy.MODERATOR
    )
    spaces = models.ManyToManyField(Space, related_name="incidents", blank=True)
    parties = models.ManyToManyField(
        Membership,
        related_name="incidents_as_party",
        blank=True,
        help_text="Members involved. Parties, never culprits: nobody is judged here.",
    )
    trigger_event_ids = models.JSONField(
        default=list, blank=True, help_text="Conduct event ids of the bad events that triggered it."
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declared_at = models.DateTimeField(default=timezone.now)
    mitigating_at = models.DateTimeField(null=True, blank=True)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    facilitator_at = models.DateTimeField(
        null=True, blank=True, help_text="When a facilitator first accepted."
    )
    first_cooldown_at = models.DateTimeField(null=True, blank=True)
    cost_bad_events = models.PositiveIntegerField(null=True, blank=True)
    cost_detail = models.JSONField(default=list, blank=True)
    postmortem_required = models.BooleanField(default=False)
    close_reason = models.TextField(blank=True)
    resolution_summary = models.TextField(
        blank=True, help_text="How it was resolved, in public words (timeline and status page)."
    )
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[IncidentQuerySet] = IncidentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-declared_at",)
        indexes = [models.Index(fields=("community", "status"), name="incident_comm_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in rules.OPEN_STATUSES

    @property
    def public_status(self) -> str:
        return str(PUBLIC_STATUS.get(self.status, ""))

    def next_statuses(self) -> list[str]:
        return [s for s in rules.STATUS_ORDER if s in rules.TRANSITIONS.get(self.status, ())]

    def step_times(self) -> list[tuple[Any, datetime | None]]:
        return [
            (_("Declared"), self.declared_at),
            (_("Mitigating"), self.mitigating_at),
            (_("Monitoring"), self.monitoring_at),
            (_("Resolved"), self.resolved_at),
            (_("Closed"), self.closed_at),
        ]


class RoleKind(models.TextChoices):
    FACILITATOR = "facilitator", _("Facilitator")
    DEPUTY = "deputy", _("Deputy")
    SCRIBE = "scribe", _("Scribe")
    LIAISON = "liaison", _("Liaison")
    SUPPORT = "support", _("Support person")


ROLE_CHECKLISTS: dict[str, list[str]] = {
    RoleKind.FACILITATOR: [
        gettext_noop("Coordinate; do not judge. Decide the next step and say who does it."),
        gettext_noop("Confirm the cooldown and the notice are in place."),
        gettext_noop("Check in privately with each party."),
        gettext_noop("Advance the status as things calm down; resolve when the space is calm."),
    ],
    RoleKind.DEPUTY: [
        gettext_noop("Be ready to take over: read the timeline."),
        gettext_noop("Watch the cooldown's time left and the re-check results."),
    ],
    RoleKind.SCRIBE: [
        gettext_noop("Add a note for every decision and who made it."),
        gettext_noop("Keep notes factual: what happened, not who is to blame."),
    ],
    RoleKind.LIAISON: [
        gettext_noop("Tell the community what is happening, in calm public words."),
        gettext_noop("Name no members in public."),
    ],
    RoleKind.SUPPORT: [
        gettext_noop("Reach out to whoever was harmed and ask what they need."),
        gettext_noop(
            "Record their needs for the restorative postmortem (without private details)."
        ),
    ],
}
# Roles that act in the war room must be moderators; the others may be any member.
MODERATOR_ROLES = frozenset({RoleKind.FACILITATOR, RoleKind.DEPUTY})


class IncidentRoleQuerySet(models.QuerySet["IncidentRole"]):
    def active(self) -> IncidentRoleQuerySet:
        return self.filter(ended_at__isnull=True)


class IncidentRole(models.Model):
    """Who holds a role on an incident, from when to when. One active holder per role."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=12, choices=RoleKind.choices)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    done_items = models.JSONField(
        default=list, blank=True, help_text="Indexes of the checklist items ticked."
    )

    objects: ClassVar[IncidentRoleQuerySet] = IncidentRoleQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("assigned_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("incident", "kind"),
                condition=Q(ended_at__isnull=True),
                name="incident_role_one_active_holder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} of incident {self.incident_id}"

    @property
    def checklist(self) -> list[str]:
        return ROLE_CHECKLISTS.get(self.kind, [])

    def checklist_items(self) -> list[tuple[int, str, bool]]:
        done = set(self.done_items or [])
        # The default items are stored in English and read in the reader's language; an item a
        # community wrote itself has no translation and reads as written.
        return [(i, gettext(text), i in done) for i, text in enumerate(self.checklist)]


class HandoffStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class FacilitatorHandoff(models.Model):
    """An offer to facilitate. It takes effect only when the person offered accepts."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="handoffs")
    to_membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    from_membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.OFFERED
    )
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-offered_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("incident",),
                condition=Q(status="offered"),
                name="handoff_one_open_offer",
            )
        ]

    def __str__(self) -> str:
        return f"handoff of incident {self.incident_id} to {self.to_membership_id}"


class TimelineKind(models.TextChoices):
    DECLARED = "declared", _("Declared")
    UPDATED = "updated", _("Updated")
    STATUS = "status", _("Status")
    ROLE = "role", _("Role")
    HANDOFF = "handoff", _("Handoff")
    COOLDOWN = "cooldown", _("Cooldown")
    RUNBOOK = "runbook", _("Runbook")
    STEP = "step", _("Runbook step")
    NOTE = "note", _("Note")
    ALERT = "alert", _("Alert")
    REPORT = "report", _("Report")
    FORUM = "forum", _("Forum action")
    CHECK_IN = "check_in", _("Check-in")
    METRICS = "metrics", _("Metrics")
    PROPOSAL = "proposal", _("Proposal")
    # Written by the restorative postmortem (incidents.postmortems) through
    # ``incidents.services.record_followup``: what happened after the incident resolved.
    PM_STARTED = "pm_started", _("Postmortem started")
    PM_REVIEW = "pm_review", _("Postmortem sent for review")
    PM_PUBLISHED = "pm_published", _("Postmortem published")
    PM_SUMMARY = "pm_summary", _("Public summary")
    PM_ITEM = "pm_item", _("Action item")
    PM_AGREEMENT = "pm_agreement", _("Agreement")


# The kinds a follow-up outside this app (the postmortem) may write.
FOLLOWUP_KINDS = frozenset(
    {
        TimelineKind.PM_STARTED,
        TimelineKind.PM_REVIEW,
        TimelineKind.PM_PUBLISHED,
        TimelineKind.PM_SUMMARY,
        TimelineKind.PM_ITEM,
        TimelineKind.PM_AGREEMENT,
    }
)


class AppendOnlyError(Exception):
    """Timeline entries are never edited or deleted."""


class TimelineQuerySet(models.QuerySet["TimelineEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Timeline entries are never edited.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Timeline entries are never deleted.")


class TimelineEntry(models.Model):
    """One typed, timestamped, authored entry. Append-only: no edit or delete anywhere (the
    model, its QuerySet and the admin all refuse). ``author`` empty means the system did it;
    ``author_label`` then says what (a runbook, an API key, the forum)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=12, choices=TimelineKind.choices)
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_label = models.CharField(max_length=150, blank=True)
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    # Set when the entry answers an outside event (a domain event id), so replays add nothing.
    dedupe_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    objects: ClassVar[TimelineQuerySet] = TimelineQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("at", "pk")
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=("incident", "at"), name="timeline_incident_at")]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Timeline entries are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Timeline entries are never deleted.")

    @property
    def by(self) -> str:
        if self.author_id is not None and self.author is not None:
            return self.author.get_username()
        return system_author(self.author_label) if self.author_label else str(_("system"))


class ReportSource(models.TextChoices):
    MEMBER = "member_report", _("Member report")
    CLAUSE_ALERT = "clause_alert", _("Clause alert")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DECLARED = "declared", _("Declared as an incident")
    ATTACHED = "attached", _("Joined an incident")
    DISMISSED = "dismissed", _("Dismissed")


# A report that is part of an incident: the one it was declared from, or one that joined it.
LINKED_REPORT_STATUSES = (ReportStatus.DECLARED, ReportStatus.ATTACHED)


class IncidentReportQuerySet(models.QuerySet["IncidentReport"]):
    def open(self) -> IncidentReportQuerySet:
        """Waiting for a moderator: not declared, attached to an incident or dismissed."""
        return self.filter(status=ReportStatus.OPEN)

    def linked(self) -> IncidentReportQuerySet:
        return self.filter(status__in=LINKED_REPORT_STATUSES, incident__isnull=False)

    def resolved_notices_for(self, membership: Membership) -> IncidentReportQuerySet:
        """The member's reports whose incident has resolved, newest first: the in-app notice
        "the moderators looked after what you reported"."""
        return self.filter(reporter=membership, resolved_notice_at__isnull=False).order_by(
            "-resolved_notice_at"
        )


class IncidentReport(models.Model):
    """A sign that a space is overheating: a member's report, or a clause alert. While the space
    has an open incident the report joins it (``attached``, with a timeline entry); otherwise
    it waits on the board for a moderator to declare, attach or dismiss it. A moderator may
    detach a joined report, which puts it back on the board."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="incident_reports"
    )
    source = models.CharField(max_length=20, choices=ReportSource.choices)
    space = models.ForeignKey(Space, on_delete=models.SET_NULL, null=True, blank=True)
    reporter = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField(blank=True)
    alert_key = models.CharField(
        max_length=100, null=True, blank=True, unique=True, help_text="Domain event id of an alert."
    )
    event_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_notice_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the reporter was told that the incident their report joined resolved.",
    )

    objects: ClassVar[IncidentReportQuerySet] = IncidentReportQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.source} report on {self.space_id}"
