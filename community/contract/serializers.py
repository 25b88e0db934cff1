"""API shapes of the social contract. Decimals travel as strings, so they stay exact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework import serializers

from community.contract.slo import (
    MAX_MIN_BAD_EVENTS,
    MAX_WINDOW_DAYS,
    MINUTES_PER_DAY,
    AlertRule,
    ClauseDefinition,
    Severity,
)
from community.serializers import id_field
from community.tiers import Tier
from community.vocabulary import EventKind

KINDS = ", ".join(EventKind.values)
MAX_WINDOW_MINUTES = MAX_WINDOW_DAYS * MINUTES_PER_DAY


class StatusSerializer(serializers.Serializer[dict[str, Any]]):
    sli = serializers.CharField(
        allow_null=True, help_text="(total - bad) / total; null when there is no data."
    )
    total = serializers.IntegerField()
    bad = serializers.IntegerField()
    allowed_bad = serializers.CharField(help_text="(1 - target) * total.")
    budget_remaining = serializers.CharField(help_text="1 - bad / allowed_bad; may be negative.")
    tier = serializers.ChoiceField(choices=[t.value for t in Tier])
    burn_rates = serializers.DictField(
        child=serializers.CharField(), help_text="Burn rate per alert window, e.g. {'1h': '2.5'}."
    )
    computed_at = serializers.DateTimeField()


class SpaceRefOutSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]
    external_id = serializers.CharField()


class SpaceStatusSerializer(serializers.Serializer[dict[str, Any]]):
    space = SpaceRefOutSerializer()
    status = StatusSerializer()


class AlertRuleSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.SlugField(max_length=40)
    severity = serializers.ChoiceField(choices=[s.value for s in Severity])
    budget_percent = serializers.DecimalField(max_digits=7, decimal_places=4)
    long_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_WINDOW_DAYS * MINUTES_PER_DAY
    )
    short_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_WINDOW_DAYS * MINUTES_PER_DAY
    )


class DefinitionSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(max_length=200)
    wording = serializers.CharField()
    total_kinds = serializers.ListField(
        child=serializers.CharField(max_length=30),
        help_text=f"Event kinds that count as total: {KINDS}.",
    )
    total_categories = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    bad_kinds = serializers.ListField(
        child=serializers.CharField(max_length=30),
        help_text=f"Event kinds that count as bad: {KINDS}.",
    )
    bad_categories = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )
    spaces = serializers.ListField(
        child=id_field(),
        required=False,
        default=list,
        help_text="Space ids; empty measures the whole community.",
    )
    per_space = serializers.BooleanField(required=False, default=True)
    target = serializers.DecimalField(max_digits=7, decimal_places=6)
    window_days = serializers.IntegerField(
        required=False, default=30, min_value=1, max_value=MAX_WINDOW_DAYS
    )
    alert_rules = AlertRuleSerializer(many=True, required=False)
    min_bad_events = serializers.IntegerField(
        required=False, default=3, min_value=1, max_value=MAX_MIN_BAD_EVENTS
    )

    def to_definition(self, data: dict[str, Any]) -> ClauseDefinition:
        rules = data.get("alert_rules")
        extra: dict[str, Any] = {}
        if rules is not None:
            extra["alert_rules"] = tuple(
                AlertRule(
                    r["name"],
                    Severity(r["severity"]),
                    Decimal(r["budget_percent"]).normalize(),
                    r["long_minutes"],
                    r["short_minutes"],
                )
                for r in rules
            )
        return ClauseDefinition(
            title=data["title"],
            wording=data["wording"],
            total_kinds=tuple(data["total_kinds"]),
            total_categories=tuple(data["total_categories"]),
            bad_kinds=tuple(data["bad_kinds"]),
            bad_categories=tuple(data["bad_categories"]),
            spaces=tuple(sorted(data["spaces"])),
            per_space=data["per_space"],
            target=data["target"],
            window_days=data["window_days"],
            min_bad_events=data["min_bad_events"],
            **extra,
        )


class TranslationInSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField(
        max_length=200,
        allow_blank=True,
        help_text="The clause's title in this language; required when `text` is given. Both "
        "empty removes the translation.",
    )
    text = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        help_text="Its wording in this language; empty: members read the clause's own wording.",
    )


class TranslationOutSerializer(serializers.Serializer[dict[str, Any]]):
    title = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField()


LANGUAGES = [code for code, _name in settings.LANGUAGES]


class ClauseOutSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField(help_text="In the language asked for, else the clause's own.")
    wording = serializers.CharField(help_text="In the language asked for, else the clause's own.")
    language = serializers.ChoiceField(
        choices=LANGUAGES, help_text="The language of the clause's own words (`definition`)."
    )
    title_language = serializers.ChoiceField(choices=LANGUAGES)
    wording_language = serializers.ChoiceField(choices=LANGUAGES)
    translations = serializers.DictField(
        child=TranslationOutSerializer(),
        required=False,
        help_text="Moderators only: the title and text in each other language, by code.",
    )
    published = serializers.BooleanField(help_text="In the current published version.")
    retired = serializers.BooleanField(
        help_text="Removed from the draft (it leaves the contract at the next publish)."
    )
    unpublished_changes = serializers.BooleanField()
    definition = DefinitionSerializer(help_text="As published (the draft for a new clause).")
    status = StatusSerializer(allow_null=True, help_text="Community-wide; null until evaluated.")
    spaces = SpaceStatusSerializer(many=True, help_text="Per-space status, where measured.")
    openslo_url = serializers.CharField()


class VersionOutSerializer(serializers.Serializer[dict[str, Any]]):
    number = serializers.IntegerField()
    id = serializers.IntegerField()
    summary = serializers.CharField()
    preamble = serializers.CharField(allow_blank=True)
    policy = serializers.DictField(child=serializers.CharField())
    clauses = serializers.ListField(child=serializers.DictField())
    published_by = serializers.CharField()
    published_at = serializers.DateTimeField()
    acknowledgements = serializers.IntegerField()


class ContractOutSerializer(serializers.Serializer[dict[str, Any]]):
    community = serializers.CharField()
    current_version = VersionOutSerializer(allow_null=True)
    versions = serializers.IntegerField()


DIGEST_HELP = (
    "A digest of the draft as publishing would freeze it (its clauses, preamble and policy, "
    "and the next version's number). Read it with GET /api/v1/contract/draft/ and send it back "
    "with the publish, which is refused when the draft changed since."
)


class PublishInSerializer(serializers.Serializer[dict[str, Any]]):
    summary = serializers.CharField(help_text="What changed, in a sentence or two.")
    draft_digest = serializers.CharField(max_length=64, help_text=DIGEST_HELP + " Required.")


class DraftInSerializer(serializers.Serializer[dict[str, Any]]):
    preamble = serializers.CharField(allow_blank=True)
    policy = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text="Text per tier: healthy, warning, critical, exhausted.",
    )


class DraftOutSerializer(serializers.Serializer[dict[str, Any]]):
    preamble = serializers.CharField(allow_blank=True)
    policy = serializers.DictField(child=serializers.CharField())
    draft_digest = serializers.CharField(help_text=DIGEST_HELP)


class ImportInSerializer(serializers.Serializer[dict[str, Any]]):
    document = serializers.CharField(help_text="An OpenSLO v1 SLO document (YAML).")
