"""The circle: participants (with consent), harms and needs (and whose obligation each is), the
repair exchange, agreements (with each party's consent), the harmed members' approval of the
public summary, and the record of a forgiveness given when a participant's agreements were kept.

Issue 12 items 2, 5 and 7. Services enforce the flows; the constraints here hold the invariants
that are cheap to hold in the database.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Membership
from incidents.postmortems.models.document import Postmortem


class ParticipantRole(models.TextChoices):
    HARMED = "harmed", _("Harmed")
    RESPONSIBLE = "responsible", _("Responsible")
    SUPPORTER = "supporter", _("Supporter")
    FACILITATOR = "facilitator", _("Facilitator")


class Consent(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def accepted(self) -> ParticipantQuerySet:
        return self.filter(consent=Consent.ACCEPTED)


class Participant(models.Model):
    """A member invited to the circle. Nobody takes part without accepting. The row is unique
    per postmortem and member and is never deleted once declined, so a member who declines is
    never asked again for that incident (the postmortem is one-to-one with it)."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="participants"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="postmortem_participations"
    )
    role = models.CharField(max_length=12, choices=ParticipantRole.choices)
    consent = models.CharField(max_length=10, choices=Consent.choices, default=Consent.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ParticipantQuerySet] = ParticipantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("postmortem", "invited_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("postmortem", "membership"), name="participant_once_per_postmortem"
            ),
            models.CheckConstraint(
                condition=Q(consent="invited") | Q(responded_at__isnull=False),
                name="participant_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.membership_id} in postmortem {self.postmortem_id}"

    @property
    def has_accepted(self) -> bool:
        return self.consent == Consent.ACCEPTED


class ObligationOf(models.TextChoices):
    PARTICIPANT = "participant", _("A participant")
    MODERATORS = "moderators", _("The moderators")
    COMMUNITY = "community", _("The community")


class Harm(models.Model):
    """For a harmed participant: the harm, what they need, and whose obligation meeting that
    need is (a participant, the moderators or the community)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="harms")
    harmed = models.ForeignKey("Participant", on_delete=models.CASCADE, related_name="harms")
    harm = models.TextField(max_length=4000)
    need = models.TextField(max_length=4000)
    obligation_of = models.CharField(max_length=12, choices=ObligationOf.choices)
    obligated = models.ForeignKey(
        "Participant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="obligations",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("postmortem", "created_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=(Q(obligation_of="participant") & Q(obligated__isnull=False))
                | (~Q(obligation_of="participant") & Q(obligated__isnull=True)),
                name="harm_obligated_participant_iff_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"harm of {self.harmed_id} in postmortem {self.postmortem_id}"


class ExchangeStage(models.TextChoices):
    ASKED = "asked", _("Asked")
    ANSWERED = "answered", _("Answered")
    REVIEWED = "reviewed", _("Reviewed")
    CONFIRMED = "confirmed", _("Confirmed")


class RepairExchange(models.Model):
    """The repair exchange: the harmed member asks for what would help, the responsible member
    answers, the harmed member reviews the answer, the facilitator confirms. Each stage has its
    time; a later stage implies the earlier ones."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="repair_exchanges"
    )
    harmed = models.ForeignKey("Participant", on_delete=models.CASCADE, related_name="+")
    responsible = models.ForeignKey("Participant", on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(
        max_length=10, choices=ExchangeStage.choices, default=ExchangeStage.ASKED
    )
    ask = models.TextField(max_length=4000)
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(max_length=4000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    review = models.TextField(max_length=4000, blank=True)
    review_satisfied = models.BooleanField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        "Participant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("postmortem", "asked_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=~Q(harmed=models.F("responsible")), name="exchange_two_people"
            ),
            models.CheckConstraint(
                condition=Q(stage="asked") | Q(answered_at__isnull=False),
                name="exchange_answered_has_time",
            ),
            models.CheckConstraint(
                condition=Q(stage__in=("asked", "answered"))
                | (Q(reviewed_at__isnull=False) & Q(review_satisfied__isnull=False)),
                name="exchange_reviewed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(stage="confirmed") | Q(confirmed_at__isnull=False),
                name="exchange_confirmed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"repair exchange {self.pk} in postmortem {self.postmortem_id}"


class AgreementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    KEPT = "kept", _("Kept")
    NOT_KEPT = "not_kept", _("Not kept")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AgreementQuerySet(models.QuerySet["Agreement"]):
    def open(self) -> AgreementQuerySet:
        return self.filter(status=AgreementStatus.OPEN)


class Agreement(models.Model):
    """What a participant agrees to do, by when, with each party's recorded consent
    (``AgreementConsent``). An agreement always has an owner and a due date. An open one can
    be withdrawn, or revised: the revision is a new agreement (``revises``) that every party
    is asked about again, and the earlier wording stays, withdrawn."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="agreements")
    text = models.TextField(max_length=4000)
    owner = models.ForeignKey("Participant", on_delete=models.PROTECT, related_name="agreements")
    harm = models.ForeignKey(
        Harm, on_delete=models.SET_NULL, null=True, blank=True, related_name="agreements"
    )
    due_on = models.DateField()
    status = models.CharField(
        max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.OPEN
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # The agreement this one replaces (revised: the earlier wording stays, withdrawn).
    revises = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="revised_by"
    )

    objects: ClassVar[AgreementQuerySet] = AgreementQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("postmortem", "due_on", "id")
        indexes = [models.Index(fields=("status", "due_on"), name="agreement_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False),
                name="agreement_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(revises=models.F("pk")), name="agreement_never_revises_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"agreement {self.pk} in postmortem {self.postmortem_id}"


class ConsentAnswer(models.TextChoices):
    PENDING = "pending", _("Not answered yet")
    GIVEN = "given", _("Agreed")
    REFUSED = "refused", _("Did not agree")


class AgreementConsent(models.Model):
    """One party's consent to one agreement."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="consents")
    participant = models.ForeignKey("Participant", on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(
        max_length=10, choices=ConsentAnswer.choices, default=ConsentAnswer.PENDING
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("agreement", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("agreement", "participant"), name="agreement_consent_once"
            ),
            models.CheckConstraint(
                condition=Q(answer="pending") | Q(answered_at__isnull=False),
                name="agreement_consent_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"consent of {self.participant_id} to agreement {self.agreement_id}"


class SummaryDecision(models.TextChoices):
    PENDING = "pending", _("Not answered yet")
    APPROVED = "approved", _("Approved")
    OBJECTED = "objected", _("Objected")


class SummaryApproval(models.Model):
    """A harmed participant's answer to the proposed public summary (``section_version`` is
    the version of the public summary they read: a change asks again)."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="summary_approvals"
    )
    participant = models.ForeignKey("Participant", on_delete=models.CASCADE, related_name="+")
    section_version = models.PositiveIntegerField()
    decision = models.CharField(
        max_length=10, choices=SummaryDecision.choices, default=SummaryDecision.PENDING
    )
    note = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("postmortem", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("postmortem", "participant", "section_version"),
                name="summary_approval_once_per_version",
            ),
            models.CheckConstraint(
                condition=Q(decision="pending") | Q(decided_at__isnull=False),
                name="summary_approval_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"summary approval by {self.participant_id}"


class CircleForgiveness(models.Model):
    """One forgiveness action: every agreement of a responsible participant was kept, and a
    moderator forgave the charges related to the incident. The ledger entries themselves are
    ``budgets.Forgiveness`` rows (reason: this postmortem); this records the action once."""

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="forgivenesses"
    )
    participant = models.ForeignKey("Participant", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    charge_ids = models.JSONField(default=list, blank=True)
    cooldown_lifted = models.BooleanField(default=False)

    class Meta:
        ordering = ("postmortem", "at")
        constraints = [
            models.UniqueConstraint(
                fields=("postmortem", "participant"), name="circle_forgiveness_once"
            ),
        ]

    def __str__(self) -> str:
        return f"forgiveness of {self.participant_id} in postmortem {self.postmortem_id}"
