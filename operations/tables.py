"""What an export holds: every table with a community's data, in the order an import inserts
them (each table only refers to tables above it), and how each row finds its community.

Rows are written with their model's concrete fields (so a field added by a migration is exported
without a change here); what is declared is only what a generic walk cannot know: secrets left
out, ids hidden inside JSON or text, and the tables deliberately not exported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

USERS = "auth.user"
COMMUNITY = "community.community"
DOMAIN_EVENTS = "community.domainevent"

# A user is exported with these fields only: never a password hash, never staff flags. An
# imported login that did not exist has no usable password and must be reset.
USER_FIELDS = ("username", "email", "first_name", "last_name", "is_active", "date_joined")

# In the JSON fields listed per table below, these keys hold ids of our tables (the convention
# of docs/domain-events.md: ``*_id``/``*_ids`` and ``space``/``spaces`` objects or ids).
JSON_KEYS: dict[str, str] = {
    "clause_id": "community.clause",
    "clause_ids": "community.clause",
    "alert_id": "community.clausealert",
    "version_id": "community.contractversion",
    "membership_id": "community.membership",
    "member_cooldown_id": "budgets.membercooldown",
    "event_ids": "community.conductevent",
    "trigger_event_ids": "community.conductevent",
    "incident_id": "incidents.incident",
    "cooldown_id": "incidents.cooldown",
    "notice_id": "incidents.notice",
    "handoff_id": "incidents.facilitatorhandoff",
    "space": "community.space",
    "spaces": "community.space",
}


@dataclass(frozen=True)
class Table:
    label: str
    # The lookup from a row to its community ("" for the community itself).
    path: str
    # Left out of the file (secrets); an import leaves them blank.
    secrets: tuple[str, ...] = ()
    # JSON fields whose ids are remapped by ``JSON_KEYS``.
    json_fields: tuple[str, ...] = ()
    # JSON fields that hold only ids of one table: a list, or an object whose values are ids.
    id_lists: dict[str, str] = field(default_factory=dict)
    # Text fields holding the id of one table (``""`` for none).
    text_ids: dict[str, str] = field(default_factory=dict)
    # Export order (stable, so two exports of the same data are the same bytes).
    order_by: tuple[str, ...] = ("pk",)
    # Left out of the file and made afresh by the import (a game day's sandbox, see
    # ``operations.sandboxes``).
    made_on_import: tuple[str, ...] = ()

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)


TABLES: tuple[Table, ...] = (
    Table(COMMUNITY, ""),
    Table("community.membership", "community"),
    Table("community.space", "community"),
    Table("community.externalidentity", "community"),
    Table("community.conductevent", "community"),
    Table("community.contract", "community"),
    Table("community.clause", "community", json_fields=("live_definition",)),
    Table("community.clausetranslation", "clause__community"),
    Table("community.contractversion", "contract__community", json_fields=("clauses",)),
    Table("community.acknowledgement", "version__contract__community"),
    Table("community.clausesnapshot", "clause__community"),
    Table("community.notificationpreference", "membership__community"),
    Table(
        "community.clausealert",
        "clause__community",
        id_lists={"event_ids": "community.conductevent"},
    ),
    Table("budgets.forgivenesspolicy", "community"),
    Table("budgets.policyversion", "community"),
    Table("budgets.charge", "community"),
    Table("budgets.forgiveness", "community"),
    Table("budgets.appeal", "community"),
    Table("budgets.memberbudget", "community"),
    Table("budgets.tiertransition", "community"),
    Table("budgets.notice", "community"),
    Table("budgets.membercooldown", "community"),
    Table("budgets.dirtymember", "community"),
    Table("budgets.recalcflag", "community"),
    Table("budgets.recalcrun", "community"),
    Table("incidents.runbook", "community"),
    Table("incidents.runbookstep", "runbook__community"),
    Table(
        "incidents.incident",
        "community",
        json_fields=("cost_detail",),
        id_lists={"trigger_event_ids": "community.conductevent"},
    ),
    Table("incidents.incidentsettings", "community"),
    # The postmortems feature package (its circle has no tables of its own). Before the
    # timeline, whose entries name postmortems and action items in their data and keys.
    Table("postmortems.postmortemsettings", "community"),
    # ``figures`` are words and numbers (space names, not ids): copied as they are.
    Table("postmortems.postmortem", "community"),
    Table("postmortems.postmortemsection", "postmortem__community"),
    Table("postmortems.blamelessfinding", "postmortem__community"),
    Table("postmortems.participant", "postmortem__community"),
    Table("postmortems.harm", "postmortem__community"),
    Table("postmortems.repairexchange", "postmortem__community"),
    Table("postmortems.agreement", "postmortem__community"),
    Table("postmortems.agreementconsent", "agreement__postmortem__community"),
    Table("postmortems.summaryapproval", "postmortem__community"),
    Table(
        "postmortems.circleforgiveness",
        "postmortem__community",
        id_lists={"charge_ids": "budgets.charge"},
    ),
    Table("postmortems.actionitem", "community"),
    Table("postmortems.verificationcheck", "item__community"),
    Table("incidents.incidentrole", "incident__community"),
    Table("incidents.facilitatorhandoff", "incident__community"),
    Table("incidents.runbookrun", "incident__community"),
    Table("incidents.steprun", "run__incident__community"),
    Table("incidents.notice", "incident__community"),
    Table("incidents.cooldown", "community"),
    # ``data`` and ``dedupe_key`` are remapped in operations.remap (they depend on the kind).
    Table("incidents.timelineentry", "incident__community", json_fields=("data",)),
    Table(
        "incidents.incidentreport",
        "community",
        id_lists={"event_ids": "community.conductevent"},
    ),
    Table(DOMAIN_EVENTS, "community", json_fields=("payload",), order_by=("created_at", "pk")),
    Table(
        "integrations.discourseconnection",
        "community",
        secrets=("webhook_secret", "api_key"),
        id_lists={"category_spaces": "community.space"},
    ),
    Table("integrations.inbounddelivery", "connection__community"),
    Table(
        "integrations.forumaction",
        "community",
        text_ids={
            "incident_id": "incidents.incident",
            "cooldown_id": "incidents.cooldown",
            "notice_id": "incidents.notice",
            "member_cooldown_id": "budgets.membercooldown",
        },
    ),
    Table("integrations.forumactionattempt", "forum_action__community"),
    Table("integrations.webhooksubscription", "community", secrets=("secret",)),
    Table("integrations.webhookdelivery", "subscription__community"),
    Table("integrations.webhookattempt", "delivery__subscription__community"),
    # The contract's feature packages: replays, trials (canaries) and the spokescouncil.
    # A replay's results name spaces by id under ``scope`` and as ``space_names`` keys
    # (remapped in operations.remap).
    Table("replay.replay", "community", json_fields=("definition", "results")),
    # Which events came in as imported history, so the copy's live alert windows leave them out
    # too (docs/replay.md); keyed by the event itself.
    Table("replay.importedevent", "community"),
    Table("releases.canary", "community", json_fields=("clauses",)),
    Table("releases.canaryentry", "canary__community"),
    Table("releases.council", "community"),
    Table("releases.councilgroup", "council__community"),
    Table("releases.answer", "council__community"),
    # A game day's record, its recording (made-up names, no ids) and its frozen report. Its
    # sandbox (a hidden community of scratch rows) is not in the file: the import gives it a
    # new, empty one (operations.sandboxes).
    Table("gamedays.gameday", "community", made_on_import=("sandbox", "sandbox_runbook_id")),
    # Last: a notification's link names rows of the tables above (an incident, an appeal, a
    # postmortem, a trial), remapped in operations.remap. Its ``key`` only stops a retried
    # caller from notifying twice; it names ids of the installation it was made in, so an
    # import leaves it blank rather than remap it.
    Table("community.notification", "recipient__community", secrets=("key",)),
    Table("community.notificationdelivery", "notification__recipient__community"),
)
BY_LABEL = {table.label: table for table in TABLES}

# Tables with a community's rows that are deliberately not exported, and why.
NOT_EXPORTED: dict[str, str] = {
    "budgets.fanoutrun": (
        "bookkeeping of a full budget recalculation in flight: the exported flag that asked for "
        "it makes the restored community's next run start afresh"
    ),
    "budgets.fanoutchunk": "the chunks of a full budget recalculation in flight (as above)",
    "boards.fairnesssnapshot": (
        "derived: the fairness board's counts, recomputed from the events and charges each hour"
    ),
    "community.apikey": "API keys are secrets: moderators create new ones after an import",
    "community.heartbeat": "not a community's: the last beat of each background process",
    "community.auditentry": (
        "the installation's record of requests made to it: kept where they happened, never "
        "rewritten (it outlives the community it names)"
    ),
}

# The installation's own tables, not any community's: never in a file.
INSTALLATION_TABLES: dict[str, str] = {
    "admin.logentry": "the Django admin's log of the installation's staff",
    "auth.group": "permission groups of the installation's staff",
    "auth.permission": "Django's permissions, made by migrations",
    "contenttypes.contenttype": "Django's list of models, made by migrations",
    "sessions.session": "logins in progress: a restored community's members log in again",
    "community.personalsettings": (
        "a person's own choices (their language), the same in every community they belong to: "
        "a login the import creates chooses again"
    ),
}

# Fields that hold a domain event's id without a foreign key (the outbox is pruned while the
# rows that name its events stay).
DOMAIN_EVENT_REFERENCES: dict[str, tuple[str, ...]] = {
    "integrations.forumaction": ("domain_event_id",),
    "integrations.webhookdelivery": ("event_id",),
    "incidents.incidentreport": ("alert_key",),
}

# Timeline entries name rows under keys that depend on the entry's kind ("to" is a membership
# in a handoff, a status or a name elsewhere), and answer outside events by a dedupe key.
TIMELINE_DATA_KEYS: dict[str, dict[str, str]] = {
    "handoff": {"to": "community.membership"},
    "runbook": {"run": "incidents.runbookrun"},
    "step": {"step": "incidents.steprun"},
    **{
        kind: {"postmortem": "postmortems.postmortem", "action_item": "postmortems.actionitem"}
        for kind in (
            "pm_started",
            "pm_review",
            "pm_published",
            "pm_summary",
            "pm_item",
            "pm_agreement",
        )
    },
}
DEDUPE_KEY_PREFIXES: dict[str, str] = {
    "alert": DOMAIN_EVENTS,
    "forum": DOMAIN_EVENTS,
    "check-in": "incidents.steprun",
    "pm": "postmortems.postmortem",
}

# What an operator must enter again after an import: secrets are never in the file.
RE_ENTER = (
    "Discourse: the webhook secret and the API key (Integrations page, Connect); until then the "
    "forum's deliveries are refused and no action is taken on the forum.",
    "Outbound webhooks: each subscription's secret (Django admin, Webhook subscriptions); until "
    "then nothing is sent to it.",
    "API keys: none are exported; create new ones (settings page or manage.py create_api_key).",
)


def concrete_fields(model: type[models.Model]) -> list[models.Field[object, object]]:
    return list(model._meta.concrete_fields)


def many_to_many(model: type[models.Model]) -> list[models.ManyToManyField[Any, Any]]:
    return [f for f in model._meta.many_to_many if isinstance(f, models.ManyToManyField)]


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


def through_model(m2m: models.ManyToManyField[Any, Any]) -> type[models.Model]:
    through = m2m.remote_field.through
    assert through is not None and not isinstance(through, str)
    return through
