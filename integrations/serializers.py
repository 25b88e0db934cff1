"""API shapes for the endpoints any forum or bot builds on (identities and spaces)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from community.models import Space, SpaceKind

MAX_ITEMS = 1000


class IdentityInSerializer(serializers.Serializer[dict[str, Any]]):
    external_id = serializers.CharField(max_length=100)
    username = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class IdentityBatchInSerializer(serializers.Serializer[dict[str, Any]]):
    source = serializers.SlugField(max_length=40, required=False, default="api")  # type: ignore[assignment]
    identities = IdentityInSerializer(many=True, allow_empty=False)

    def validate_identities(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [item["external_id"] for item in value]
        if len(ids) > MAX_ITEMS:
            raise serializers.ValidationError(f"At most {MAX_ITEMS} per request.")
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Each external_id may appear once per request.")
        return value


class IdentityOutSerializer(serializers.Serializer[dict[str, Any]]):
    external_id = serializers.CharField()
    username = serializers.CharField(allow_blank=True)
    membership_id = serializers.IntegerField()
    display_name = serializers.CharField()
    claimed = serializers.BooleanField(help_text="True when a person has linked a login to it.")


class IdentityBatchOutSerializer(serializers.Serializer[dict[str, Any]]):
    source = serializers.CharField()  # type: ignore[assignment]
    identities = IdentityOutSerializer(many=True)


class SpaceInSerializer(serializers.Serializer[dict[str, Any]]):
    external_id = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=SpaceKind.choices, default=SpaceKind.CATEGORY)


class SpaceBatchInSerializer(serializers.Serializer[dict[str, Any]]):
    source = serializers.SlugField(max_length=40, required=False, default="api")  # type: ignore[assignment]
    spaces = SpaceInSerializer(many=True, allow_empty=False)

    def validate_spaces(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [item["external_id"] for item in value]
        if len(ids) > MAX_ITEMS:
            raise serializers.ValidationError(f"At most {MAX_ITEMS} per request.")
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError("Each external_id may appear once per request.")
        return value


class SpaceSerializer(serializers.ModelSerializer[Space]):
    parent_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Space
        fields = ("id", "name", "kind", "source", "external_id", "parent_id", "created_at")
        read_only_fields = fields
