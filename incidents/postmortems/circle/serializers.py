"""API shapes for the circle: explicit input serializers for writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from community.serializers import id_field
from incidents.postmortems.models import (
    Agreement,
    AgreementConsent,
    CircleForgiveness,
    ConsentAnswer,
    Participant,
    ParticipantRole,
)


class ParticipantOutSerializer(serializers.ModelSerializer[Participant]):
    member_id = serializers.IntegerField(source="membership_id")
    display_name = serializers.CharField(source="membership.display_name")
    role = serializers.CharField(help_text="harmed, responsible, supporter or facilitator")
    consent = serializers.CharField(
        help_text="invited, accepted or declined (a member who declined is never asked again "
        "for this incident)"
    )

    class Meta:
        model = Participant
        fields = (
            "id",
            "postmortem_id",
            "member_id",
            "display_name",
            "role",
            "consent",
            "invited_at",
            "responded_at",
        )


class InviteInSerializer(serializers.Serializer[dict[str, Any]]):
    member_id = id_field(help_text="The member to invite (they accept or decline themselves).")
    role = serializers.ChoiceField(choices=ParticipantRole.choices)


class ConsentOutSerializer(serializers.ModelSerializer[AgreementConsent]):
    answer = serializers.CharField(help_text="pending, given or refused")

    class Meta:
        model = AgreementConsent
        fields = ("participant_id", "answer", "answered_at")


class AgreementOutSerializer(serializers.ModelSerializer[Agreement]):
    incident_id = serializers.IntegerField(source="postmortem.incident_id")
    owner_id = serializers.IntegerField(help_text="The participant who owns it.")
    owner_name = serializers.CharField(source="owner.membership.display_name")
    status = serializers.CharField(
        help_text="open, kept, not_kept or withdrawn (taken back, or replaced by a revision)"
    )
    consents = ConsentOutSerializer(many=True, read_only=True)
    revises_id = serializers.IntegerField(
        allow_null=True, help_text="The earlier agreement this revision replaces."
    )
    revised_by_id = serializers.SerializerMethodField(
        help_text="The revision that replaced this agreement (it is then withdrawn)."
    )
    in_effect = serializers.SerializerMethodField(
        help_text="Whether every party (each participant who accepted) has agreed; until then "
        "the agreement is not in effect and cannot be marked kept."
    )

    class Meta:
        model = Agreement
        fields = (
            "id",
            "postmortem_id",
            "incident_id",
            "text",
            "owner_id",
            "owner_name",
            "harm_id",
            "due_on",
            "status",
            "decided_at",
            "decision_note",
            "consents",
            "in_effect",
            "revises_id",
            "revised_by_id",
        )

    def get_revised_by_id(self, obj: Agreement) -> int | None:
        revision = Agreement.objects.filter(revises=obj).values_list("pk", flat=True).first()
        return revision

    def get_in_effect(self, obj: Agreement) -> bool:
        return all(c.answer == ConsentAnswer.GIVEN for c in obj.consents.all())


class AgreementInSerializer(serializers.Serializer[dict[str, Any]]):
    text = serializers.CharField(max_length=4000)
    # Optional here so that the service answers a missing one in its own words.
    owner_id = id_field(
        required=False, allow_null=True, help_text="The participant who will do it (required)."
    )
    due_on = serializers.DateField(required=False, allow_null=True, help_text="Required.")
    harm_id = id_field(required=False, allow_null=True)


class WithdrawInSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField(max_length=2000, help_text="Why it is withdrawn.")


class ReviseInSerializer(serializers.Serializer[dict[str, Any]]):
    text = serializers.CharField(max_length=4000)
    owner_id = id_field(
        required=False, allow_null=True, help_text="The participant who will do it (required)."
    )
    due_on = serializers.DateField(required=False, allow_null=True, help_text="Required.")


class DecideInSerializer(serializers.Serializer[dict[str, Any]]):
    outcome = serializers.ChoiceField(choices=(("kept", "Kept"), ("not_kept", "Not kept")))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CircleForgivenessOutSerializer(serializers.ModelSerializer[CircleForgiveness]):
    participant_id = serializers.IntegerField()
    charge_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="The charges forgiven (each one's own entry)."
    )

    class Meta:
        model = CircleForgiveness
        fields = ("id", "postmortem_id", "participant_id", "at", "charge_ids", "cooldown_lifted")
        extra_kwargs = {
            "cooldown_lifted": {
                "help_text": "Whether this forgiveness lifted a pause on the member's posting "
                "(and with it their forum silence)."
            }
        }
