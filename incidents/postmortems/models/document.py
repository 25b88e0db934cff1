"""The postmortem document: one per incident, its sections (each with its own version counter,
so two people editing different sections both keep their words and a stale edit of the same
section is refused), the per-community settings and the blameless check's findings."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Community, Membership
from incidents.models import Incident
from incidents.postmortems.sections import SECTIONS


class PostmortemState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")


class Visibility(models.TextChoices):
    """Who may read the document. The public summary is a separate section; with ``PUBLIC``
    everyone who can see the community reads that section (once it is approved and published),
    and the rest of the document stays with the participants and the moderators."""

    PARTICIPANTS = "participants", _("The circle's participants and the moderators")
    MODERATORS = "moderators", _("Moderators only")
    PUBLIC = "public", _("A public summary for everyone; the rest stays with the circle")


class PublicSummaryState(models.TextChoices):
    """The public summary's way out (DESIGN.md §4a, issue item 7). When it mentions what a
    harmed member went through it waits for their approval, or for the objection window to
    pass without an objection."""

    NOT_PROPOSED = "not_proposed", _("Not proposed yet")
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for the harmed members")
    OBJECTED = "objected", _("A harmed member objected")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")


SECTION_CHOICES: list[tuple[str, str]] = [(s.key, s.heading) for s in SECTIONS]


class PostmortemSettings(models.Model):
    """Per-community postmortem settings (created with defaults on first use)."""

    community = models.OneToOneField(
        Community, on_delete=models.CASCADE, related_name="postmortem_settings"
    )
    due_hours = models.PositiveIntegerField(
        default=48, help_text="A postmortem is due this many hours after the incident resolved."
    )
    reminder_every_hours = models.PositiveIntegerField(
        default=24, help_text="How often an unpublished postmortem is brought up again."
    )
    escalate_after_hours = models.PositiveIntegerField(
        default=24,
        help_text="Hours past the due time after which reminders go to every moderator, not "
        "just the facilitator.",
    )
    objection_window_days = models.PositiveIntegerField(
        default=7,
        help_text="Days a harmed member has to object to a public summary that mentions them.",
    )

    class Meta:
        verbose_name_plural = "postmortem settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(due_hours__gte=1) & Q(reminder_every_hours__gte=1),
                name="postmortem_settings_positive_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"postmortem settings of {self.community_id}"


class PostmortemQuerySet(models.QuerySet["Postmortem"]):
    def for_community(self, community: Community) -> PostmortemQuerySet:
        return self.filter(community=community)

    def unpublished(self) -> PostmortemQuerySet:
        return self.exclude(state=PostmortemState.PUBLISHED)


class Postmortem(models.Model):
    """The restorative postmortem of one incident. ``version`` guards the document's state
    (draft → in review → published, visibility); each section has its own version."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="postmortems")
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    state = models.CharField(
        max_length=10, choices=PostmortemState.choices, default=PostmortemState.DRAFT
    )
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.PARTICIPANTS
    )
    figures = models.JSONField(
        default=dict,
        blank=True,
        help_text="The incident's figures when the postmortem was created (impact in numbers).",
    )
    due_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    review_requested_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The blameless check: when it last ran over the contributing factors, and on which
    # version of that section (a review request needs a check of the current words).
    blameless_checked_at = models.DateTimeField(null=True, blank=True)
    blameless_checked_version = models.PositiveIntegerField(null=True, blank=True)
    # Reminders repeat until it is published: to the facilitator, then to every moderator.
    reminders_sent = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    # The public summary's approval (the summary's words are the ``public_summary`` section).
    public_summary_state = models.CharField(
        max_length=20,
        choices=PublicSummaryState.choices,
        default=PublicSummaryState.NOT_PROPOSED,
    )
    public_summary_proposed_at = models.DateTimeField(null=True, blank=True)
    public_summary_window_ends_at = models.DateTimeField(null=True, blank=True)
    public_summary_published_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects: ClassVar[PostmortemQuerySet] = PostmortemQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=("community", "state"), name="postmortem_comm_state"),
            models.Index(fields=("next_reminder_at",), name="postmortem_next_reminder"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="postmortem_published_has_time",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(review_requested_at__isnull=False),
                name="postmortem_review_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(public_summary_state="published")
                | (Q(public_summary_published_at__isnull=False) & Q(visibility="public")),
                name="postmortem_public_summary_published_when_public",
            ),
            models.CheckConstraint(
                condition=~Q(public_summary_state="awaiting_approval")
                | Q(public_summary_window_ends_at__isnull=False),
                name="postmortem_summary_awaiting_has_window",
            ),
        ]

    def __str__(self) -> str:
        return f"postmortem of incident {self.incident_id}"

    def get_absolute_url(self) -> str:
        return reverse("postmortems:editor", kwargs={"slug": self.community.slug, "pk": self.pk})

    @property
    def is_published(self) -> bool:
        return self.state == PostmortemState.PUBLISHED


class PostmortemSection(models.Model):
    """One section's words. ``version`` starts at 1 and goes up by one on every save; a save
    names the version it was typed on, and a save on an older version is refused (somebody
    else changed this section meanwhile)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=30, choices=SECTION_CHOICES)
    body = models.TextField(blank=True, max_length=20000)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("postmortem", "id")
        constraints = [
            models.UniqueConstraint(fields=("postmortem", "key"), name="postmortem_section_once"),
            models.CheckConstraint(condition=Q(version__gte=1), name="postmortem_section_version"),
        ]

    def __str__(self) -> str:
        return f"{self.key} of postmortem {self.postmortem_id}"


class FindingKind(models.TextChoices):
    NAMES_MEMBER = "names_member", _("Names a member")
    BLAME_WORD = "blame_word", _("Words of blame")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("To look at")
    REVISED = "revised", _("Revised")
    ACKNOWLEDGED = "acknowledged", _("Kept on purpose")


class BlamelessFindingQuerySet(models.QuerySet["BlamelessFinding"]):
    def open(self) -> BlamelessFindingQuerySet:
        return self.filter(status=FindingStatus.OPEN)


class BlamelessFinding(models.Model):
    """A passage of a checked section that names a member or uses words of blame, with a
    systemic rephrasing suggested. The author revises the words (the finding is then
    ``revised`` at the next check) or acknowledges it with a note."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="blameless_findings"
    )
    section_key = models.CharField(max_length=30, choices=SECTION_CHOICES)
    section_version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=FindingKind.choices)
    excerpt = models.CharField(max_length=300, help_text="The words pointed out.")
    start = models.PositiveIntegerField(help_text="Offset of the words in the section.")
    end = models.PositiveIntegerField()
    named_membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    suggestion = models.TextField(help_text="A systemic rephrasing to consider.")
    status = models.CharField(
        max_length=15, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.TextField(blank=True, help_text="Why the words stay.")
    found_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[BlamelessFindingQuerySet] = BlamelessFindingQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("postmortem", "start", "id")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="finding_span"),
            models.CheckConstraint(
                condition=~Q(status="acknowledged") | Q(acknowledged_at__isnull=False),
                name="finding_acknowledged_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in postmortem {self.postmortem_id}"
