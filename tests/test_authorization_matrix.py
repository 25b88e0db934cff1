"""Who may reach what: every URL of the site and every operation of the API, for every role.

The addresses come from the URL configuration (``get_resolver()``, walked recursively) and the
operations from the generated OpenAPI document, so **a new endpoint without a rule here fails**:
an unknown name is a failure, never a skip. The expectations live in one explicit table per
side (``PAGES`` keyed by URL name, ``OPERATIONS`` keyed by operation id); paths are filled with
the real objects of the fixture world (``tests/world.py``).

Each request runs in a savepoint that is rolled back, so every role meets the same world. Pages
are asked for plainly and as htmx (a client can ask for a partial directly), in the public
community and again with the community made members-only, where whoever is not a member must
not learn it exists (404). The number of requests per role is printed at the end.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from community.contract.releases.canary import start_canary
from community.contract.releases.council import add_group, configure_council, get_council
from community.contract.releases.models import Baseline, Canary, CanaryStatus, CouncilGroup
from community.contract.replay.models import Replay
from community.contract.replay.services import request_replay
from community.contract.services import current_draft_fingerprint, export_openslo
from community.models import Visibility
from community.services import create_api_key
from incidents.models import Runbook
from incidents.postmortems.models import PostmortemSection
from tests.conftest import openapi_document
from tests.world import ALL_SCOPES, World

# --- Outcome classes ------------------------------------------------------------------------

OK = "ok"  # 2xx, or a redirect that is not to a login page
LOGIN = "login"  # a redirect to the login page
REFUSED = "400"  # an id of another community: "no such ... in this community"
# Past every check to the form itself, shown again with its errors (a page: 200; its htmx
# partial: 400, or 422 in the contract's editors).
FORM = "form"
FORM_STATUSES = {200, 400, 422}
UNAUTHORIZED = "401"
FORBIDDEN = "403"
HIDDEN = "404"


def outcome(response: HttpResponse) -> str:
    if response.status_code in (301, 302, 303) and "/login/" in response["Location"]:
        return LOGIN
    if response.status_code < 400:
        return OK
    return str(response.status_code)


# --- Pages ----------------------------------------------------------------------------------

WEB_ROLES = ("anonymous", "outsider", "member", "other_member", "moderator", "other_moderator")


def _profile(
    anonymous: str, outsider: str, member: str, other_member: str, moderator: str, other_mod: str
) -> dict[str, str]:
    return dict(
        zip(
            WEB_ROLES,
            (anonymous, outsider, member, other_member, moderator, other_mod),
            strict=True,
        )
    )


EVERYONE = _profile(OK, OK, OK, OK, OK, OK)
LOGGED_IN = _profile(LOGIN, OK, OK, OK, OK, OK)
MEMBERS = _profile(LOGIN, HIDDEN, OK, OK, OK, HIDDEN)
MODERATORS = _profile(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN)
# Moderation records (an incident's war room): not even their existence is shown to others.
RECORDS = _profile(LOGIN, HIDDEN, HIDDEN, HIDDEN, OK, HIDDEN)
# A member's private records (``member``'s budget): that member and the moderators.
OWN = _profile(LOGIN, HIDDEN, OK, HIDDEN, OK, HIDDEN)
# Appealing ``member``'s charge: only that member (moderators see it but may not appeal it).
APPEAL = _profile(LOGIN, HIDDEN, OK, HIDDEN, FORBIDDEN, HIDDEN)
# Forgiving ``member``'s charge: moderators (the member sees it but may not forgive it).
FORGIVE = _profile(LOGIN, HIDDEN, FORBIDDEN, HIDDEN, OK, HIDDEN)
# A person's own notification: only its recipient (``member``); nobody else, moderators included.
MINE = _profile(LOGIN, HIDDEN, OK, HIDDEN, HIDDEN, HIDDEN)
# Joining in: members (a stranger can see a public community but not act in it).
MEMBERS_ACT = _profile(LOGIN, FORBIDDEN, OK, OK, OK, FORBIDDEN)
# Roles are given by the community's admins (none in the cast): moderators see the team only.
ADMINS = _profile(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN)
# The Django admin: none of the cast is staff, so every address sends them to its login.
ADMIN = _profile(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)


def _no_kwargs(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Page:
    expect: Mapping[str, str]
    method: str = "GET"
    kwargs: Callable[[World], dict[str, Any]] = _no_kwargs
    query: str = ""
    data: Callable[[World], dict[str, Any]] = _no_kwargs


def get(expect: Mapping[str, str], kwargs: Callable[[World], dict[str, Any]] = _no_kwargs) -> Page:
    return Page(expect, "GET", kwargs)


def post(
    expect: Mapping[str, str],
    kwargs: Callable[[World], dict[str, Any]] = _no_kwargs,
    data: Callable[[World], dict[str, Any]] = _no_kwargs,
) -> Page:
    return Page(expect, "POST", kwargs, data=data)


# Moderators reach the form, which refuses the empty one (the matrix never points the
# application at an outside address, which these forms would need).
MODERATORS_FORM = {**MODERATORS, "moderator": FORM}


# Releases: a trial rolled back (the pages: nothing they do may stop the contract's publish
# step) or running (the API's promote and roll back), and a council group whose delegate is
# ``member``. A running trial and the council both hold publishing, so the publish operation's
# body ends them first (bodies are built before their requests and are not rolled back).
def _trial_record(w: World) -> dict[str, Any]:
    canary = Canary.objects.filter(community=w.community, summary="A past trial").first()
    if canary is None:
        now = timezone.now()
        canary = Canary.objects.create(
            community=w.community,
            number=w.version.number + 1,
            summary="A past trial",
            fingerprint="0" * 32,
            base_version=w.version,
            status=CanaryStatus.ROLLED_BACK,
            ends_at=now,
            started_by_name="moderator",
        )
        canary.spaces.set([w.space])
    return {"pk": canary.pk}


def _running_trial(w: World) -> dict[str, Any]:
    configure_council(community=w.community, enabled=False)
    canary = Canary.objects.running().filter(community=w.community).first()
    if canary is None and not Canary.objects.filter(community=w.community).exists():
        canary = start_canary(
            community=w.community,
            space_ids=[w.space.pk],
            duration_hours=24,
            summary="Trial",
            baseline=Baseline.OWN_PAST,
            by=None,
        )
    canary = canary or Canary.objects.filter(community=w.community).first()
    assert canary is not None
    return {"id": canary.pk}


def _no_trial(w: World) -> None:
    Canary.objects.running().filter(community=w.community).update(status=CanaryStatus.ROLLED_BACK)
    configure_council(community=w.community, enabled=False)


def _group(w: World) -> CouncilGroup:
    group = get_council(community=w.community).groups.filter(name="Allotments spoke").first()
    return group or add_group(community=w.community, name="Allotments spoke", delegate=w.membership)


def _answering(w: World) -> dict[str, Any]:
    _no_trial(w)
    configure_council(community=w.community, enabled=True)
    return {"delegate_id": w.membership.pk, "kind": "stand_aside"}


# The delegate of the group (``member``) answers; everyone else who may see it is refused.
DELEGATE = _profile(LOGIN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN)


def _incident(w: World) -> dict[str, Any]:
    return {"pk": w.incident.pk}


def _postmortem(w: World) -> dict[str, Any]:
    return {"pk": w.postmortem.pk}


RECORDS_FORM = {**RECORDS, "moderator": FORM}


def _circle(w: World) -> dict[str, Any]:
    return {"pk": w.circle_postmortem.pk}


# A circle: its participants (``member``) and the moderators; nobody else learns it exists.
CIRCLE = _profile(LOGIN, HIDDEN, OK, HIDDEN, OK, HIDDEN)
CIRCLE_FORM = _profile(LOGIN, HIDDEN, FORM, HIDDEN, FORM, HIDDEN)
# Changing the circle: moderators (a participant sees it but may not).
CIRCLE_MANAGE = _profile(LOGIN, HIDDEN, FORBIDDEN, HIDDEN, FORM, HIDDEN)
# A participant's own step: the participant (a moderator who is not one may not take it).
CIRCLE_STEP = _profile(LOGIN, HIDDEN, FORM, HIDDEN, FORBIDDEN, HIDDEN)


PAGES: dict[str, Page] = {
    # Operations and accounts
    "healthz": get(EVERYONE),
    "readyz": get(EVERYONE),
    "metrics": get(EVERYONE),
    "login": get(EVERYONE),
    "logout": post(EVERYONE),
    "password_reset": get(EVERYONE),
    "password_reset_done": get(EVERYONE),
    "password_reset_confirm": get(EVERYONE, lambda w: {"uidb64": "MQ", "token": "set-password"}),
    "password_reset_complete": get(EVERYONE),
    "password_change": get(LOGGED_IN),
    "password_change_done": get(LOGGED_IN),
    "schema": get(EVERYONE),
    "api-docs": get(EVERYONE),
    # The signature over the body is the authentication: nobody's session counts.
    "integrations:discourse-webhook": post(
        _profile(*[FORBIDDEN] * 6), lambda w: {"connection_id": w.connection.pk}
    ),
    # The spine
    "community:index": get(EVERYONE),
    "community:create": get(LOGGED_IN),
    "community:home": get(EVERYONE),
    "community:join": post(LOGGED_IN),
    "community:settings": get(MODERATORS),
    "community:role-change": post(ADMINS),
    "community:language-settings": post(MODERATORS_FORM),
    "community:api-key-create": post(MODERATORS),
    "community:api-key-revoke": post(MODERATORS, lambda w: {"key_id": w.api_key.pk}),
    # Releases of the contract: trials, release health and the council
    "releases:index": get(EVERYONE),
    "releases:canary-start": post(MODERATORS),
    "releases:canary": get(EVERYONE, _trial_record),
    "releases:canary-action": post(MODERATORS, lambda w: {**_trial_record(w), "verb": "rollback"}),
    "releases:health": get(EVERYONE, lambda w: {"number": w.version.number}),
    "releases:council": get(EVERYONE),
    "releases:council-settings": post(MODERATORS),
    "releases:council-answer": post(DELEGATE, lambda w: {"group_id": _group(w).pk}),
    # The social contract
    "contract:page": get(EVERYONE),
    "contract:acknowledge": post(MEMBERS_ACT),
    "contract:versions": get(EVERYONE),
    "contract:version": get(EVERYONE, lambda w: {"number": w.version.number}),
    "contract:diff": Page(EVERYONE, query="from=1&to=1"),
    "contract:edit": get(MODERATORS),
    "contract:draft": post(MODERATORS_FORM),
    "contract:publish": post(MODERATORS, data=lambda w: {"summary": "Stay on topic"}),
    "contract:clause-new": get(MODERATORS),
    "contract:clause-import": post(
        MODERATORS,
        data=lambda w: {"document": export_openslo(clause=w.clause).replace("disagree", "differ")},
    ),
    "contract:clause-edit": get(MODERATORS, lambda w: {"pk": w.clause.pk}),
    "contract:clause-retire": post(MODERATORS, lambda w: {"pk": w.clause.pk}),
    "contract:clause-translation": post(
        MODERATORS,
        lambda w: {"pk": w.clause.pk, "language": "ko"},
        data=lambda w: {"ko-title": "주제에 맞게", "ko-text": ""},
    ),
    "replay:list": get(MODERATORS),
    "replay:new": get(MODERATORS),
    "replay:detail": get(MODERATORS, lambda w: {"pk": _replay(w).pk}),
    "replay:dismiss": post(MODERATORS, lambda w: {"pk": _replay(w).pk}),
    "replay:start": post(MODERATORS, lambda w: {"pk": w.clause.pk}),
    "contract:clause-openslo": get(EVERYONE, lambda w: {"pk": w.clause.pk}),
    # Budgets
    "budgets:my-budget": get(MEMBERS),
    "community:notifications": get(MEMBERS_ACT),
    "community:notifications-read-all": post(MEMBERS_ACT),
    "community:notification-read": post(MINE, lambda w: {"pk": w.notification.pk}),
    "community:notification-preferences": get(MEMBERS_ACT),
    "budgets:table": get(MODERATORS),
    "budgets:member": get(OWN, lambda w: {"pk": w.membership.pk}),
    "budgets:appeal": get(APPEAL, lambda w: {"pk": w.forgiven_charge.pk}),
    "budgets:forgive": post(FORGIVE, lambda w: {"pk": w.charge.pk}),
    "budgets:appeals": get(MODERATORS),
    "budgets:decide": post(
        MODERATORS,
        lambda w: {"pk": w.appeal.pk},
        lambda w: {"decision": "reverse", "reason": "A quotation, not the member's words"},
    ),
    "budgets:policy": get(MODERATORS),
    # Incidents: the board, runbooks and reports are the moderators' (403 for others)
    "incidents:status": get(EVERYONE),
    "incidents:board": get(MODERATORS),
    "incidents:metrics": get(MODERATORS),
    # The boards: the moderators' (403 for others who can see the community)
    "boards:flow": get(MODERATORS),
    "boards:flow-csv": get(MODERATORS),
    "boards:change": get(MODERATORS),
    "boards:change-csv": get(MODERATORS),
    "boards:fairness": get(MODERATORS),
    "boards:fairness-csv": get(MODERATORS),
    "boards:fairness-count": post(MODERATORS),
    "incidents:runbooks": get(MODERATORS),
    "incidents:runbook-edit": post(
        MODERATORS, lambda w: {"runbook_id": w.runbook.pk, "verb": "retire"}
    ),
    "incidents:runbook-step-edit": post(
        MODERATORS,
        lambda w: {"runbook_id": w.runbook.pk, "step_id": w.runbook_step.pk, "verb": "remove-step"},
    ),
    "incidents:report-declare": post(MODERATORS, lambda w: {"pk": w.report.pk}),
    "incidents:report-attach": post(
        MODERATORS, lambda w: {"pk": w.report.pk}, lambda w: {"incident": w.incident.pk}
    ),
    "incidents:report-dismiss": post(MODERATORS, lambda w: {"pk": w.report.pk}),
    # ... and an incident's war room does not exist for anyone else (404)
    "incidents:detail": get(RECORDS, _incident),
    "incidents:transition": post(RECORDS, _incident),
    "incidents:resolve": get(RECORDS, _incident),
    "incidents:report-detach": post(
        RECORDS, lambda w: {"pk": w.incident.pk, "report_id": w.report.pk}
    ),
    "incidents:offer": post(RECORDS, _incident),
    "incidents:handoff": post(
        RECORDS, lambda w: {"pk": w.incident.pk, "handoff_id": w.handoff.pk, "answer": "withdraw"}
    ),
    "incidents:role": post(RECORDS, _incident),
    "incidents:checklist": post(
        RECORDS, lambda w: {"pk": w.incident.pk, "role_id": w.role.pk, "index": 0}
    ),
    "incidents:note": post(RECORDS, _incident),
    "incidents:details": post(RECORDS, _incident),
    "incidents:runbook-start": post(RECORDS, _incident),
    "incidents:step": post(
        RECORDS, lambda w: {"pk": w.incident.pk, "step_id": w.step.pk, "verb": "skip"}
    ),
    "incidents:cooldown-start": post(RECORDS, _incident),
    "incidents:cooldown": post(
        RECORDS, lambda w: {"pk": w.incident.pk, "cooldown_id": w.cooldown.pk, "verb": "lift"}
    ),
    # Postmortems: the community's list is the moderators'; a postmortem (visible to its circle
    # and the moderators; the world's has no circle) does not exist for anyone else.
    # Game days: moderators only (a rehearsal is theirs to run).
    "gamedays:index": get(MODERATORS),
    "gamedays:detail": get(MODERATORS, lambda w: {"pk": w.game_day.pk}),
    "gamedays:stop": post(MODERATORS, lambda w: {"pk": w.game_day.pk}),
    "postmortems:index": get(MODERATORS),
    "postmortems:settings": post(MODERATORS_FORM),
    "postmortems:start": get(RECORDS, lambda w: {"pk": w.resolved_incident.pk}),
    "postmortems:editor": get(RECORDS, _postmortem),
    "postmortems:section": post(RECORDS_FORM, lambda w: {"pk": w.postmortem.pk, "key": "lessons"}),
    "postmortems:state": post(RECORDS, lambda w: {"pk": w.postmortem.pk, "verb": "check"}),
    # Acknowledged already: the moderator reaches the form, which says so.
    "postmortems:acknowledge": post(
        RECORDS_FORM, lambda w: {"pk": w.postmortem.pk, "finding_id": w.finding.pk}
    ),
    "postmortems:item-add": post(RECORDS_FORM, _postmortem),
    "postmortems:item": post(RECORDS, lambda w: {"item_id": w.action_item.pk, "verb": "done"}),
    # The circle: the member takes part in the world's circle (harmed, accepted), so they see
    # it and take their own steps; a member who was not invited does not learn it exists.
    # Moderators manage it but take no participant's step (the empty forms are refused).
    "circle:page": get(CIRCLE, _circle),
    "circle:answer": post(CIRCLE_FORM, _circle),
    "circle:invite": post(CIRCLE_MANAGE, _circle),
    "circle:harm": post(CIRCLE_MANAGE, _circle),
    "circle:ask": post(CIRCLE_STEP, _circle),
    "circle:exchange": post(
        CIRCLE_STEP,
        lambda w: {"pk": w.circle_postmortem.pk, "exchange_id": w.exchange.pk, "verb": "answer"},
    ),
    "circle:agreement-add": post(CIRCLE_MANAGE, _circle),
    "circle:consent": post(
        CIRCLE_STEP, lambda w: {"pk": w.circle_postmortem.pk, "agreement_id": w.agreement.pk}
    ),
    "circle:decide": post(
        CIRCLE_MANAGE, lambda w: {"pk": w.circle_postmortem.pk, "agreement_id": w.agreement.pk}
    ),
    # Withdrawing or revising: the circle's facilitator or a moderator (the world's member is
    # a harmed participant: 403; the moderator's empty form is refused).
    "circle:withdraw": post(
        CIRCLE_MANAGE, lambda w: {"pk": w.circle_postmortem.pk, "agreement_id": w.agreement.pk}
    ),
    "circle:revise": post(
        CIRCLE_MANAGE, lambda w: {"pk": w.circle_postmortem.pk, "agreement_id": w.agreement.pk}
    ),
    # Rafa's agreement was kept: the moderator's forgiveness goes through.
    "circle:forgive": post(
        FORGIVE,
        lambda w: {"pk": w.circle_postmortem.pk, "participant_id": w.responsible.pk},
    ),
    "circle:summary": post(CIRCLE_STEP, lambda w: {"pk": w.circle_postmortem.pk, "verb": "answer"}),
    "circle:agreements": get(MODERATORS),
    # Integrations
    "integrations:page": get(MODERATORS),
    "integrations:connect": post(MODERATORS_FORM),
    "integrations:test": post(MODERATORS),
    "integrations:clear-error": post(MODERATORS),
    "integrations:mapping": post(MODERATORS_FORM),
    "integrations:subscription-create": post(MODERATORS_FORM),
    "integrations:subscription-toggle": post(MODERATORS, lambda w: {"pk": w.subscription.pk}),
    "integrations:redeliver": post(MODERATORS, lambda w: {"pk": w.delivery.pk}),
    "integrations:retry-inbound": post(MODERATORS, lambda w: {"pk": w.inbound_delivery.pk}),
    # The admin's own login and logout; every other admin address is ADMIN (see below).
    "admin:login": get(EVERYONE),
    "admin:logout": post(EVERYONE),
}
# Every API address is covered operation by operation (``OPERATIONS``).
COVERED_BY_OPERATIONS = "api:"
ADMIN_NAMESPACE = "admin:"
# Values for the admin's generic path parts: each admin view checks staff before it looks.
ADMIN_KWARGS = {
    "object_id": "1",
    "id": "1",
    "content_type_id": "1",
    "app_label": "community",
    "url": "nowhere/",
}


@dataclass(frozen=True)
class Address:
    name: str
    route: str
    kwargs: tuple[str, ...]

    @property
    def named(self) -> bool:
        return "(unnamed" not in self.name

    def url(self, kwargs: dict[str, Any]) -> str:
        if self.named:
            return reverse(self.name, kwargs=kwargs)
        path = re.sub(
            r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m[1] or m[2]]), self.route
        )
        return "/" + path.strip("^$")


def _walk(resolver: URLResolver, route: str = "", namespace: str = "") -> Iterator[Address]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, route + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            full = route + str(entry.pattern)
            names = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", full)
            yield Address(
                name=f"{namespace}{entry.name or '(unnamed: ' + full + ')'}",
                route=full,
                kwargs=tuple(a or b for a, b in names),
            )


def addresses() -> list[Address]:
    return list(_walk(get_resolver()))


def page_rule(address: Address) -> Page | None:
    if address.name in PAGES:
        return PAGES[address.name]
    if address.name.startswith(ADMIN_NAMESPACE):
        return Page(ADMIN, kwargs=lambda w: {k: ADMIN_KWARGS[k] for k in address.kwargs})
    return None


def hidden_from_strangers(expect: Mapping[str, str]) -> dict[str, str]:
    """The same page once the community is members-only: whoever is not a member is told it
    does not exist (the login page still comes first where a page needs one)."""
    strangers = {"anonymous", "outsider", "other_moderator"}
    return {
        role: (HIDDEN if role in strangers and seen != LOGIN else seen)
        for role, seen in expect.items()
    }


# --- The API --------------------------------------------------------------------------------

API_ROLES = ("no key", "revoked key", "other community's key", "key without the scope", "key")


def _iso(delta: timedelta) -> str:
    return (timezone.now() + delta).isoformat()


@dataclass(frozen=True)
class Operation:
    scope: str
    body: Callable[[World], Any] | None = None
    path: Callable[[World], dict[str, Any]] = _no_kwargs
    # A key of Chess Corner acts on Chess: objects of Garden named in its request do not exist.
    other_key: str = OK
    # What the right key meets past authorization (a business refusal the world provokes).
    key: str = OK


def _replay(world: World) -> Replay:
    """A kept replay of the world's clause (the same one for every request)."""
    replay = Replay.objects.filter(community=world.community).first()
    return replay or request_replay(
        community=world.community,
        definition=world.clause.draft_definition(),
        clause=world.clause,
    )


CLAUSE = {
    "title": "Be kind to newcomers",
    "wording": "Answer a first post as you would want yours answered.",
    "total_kinds": ["post"],
    "bad_kinds": ["flag_upheld"],
    "target": "0.990000",
}


def _section_version(w: World) -> int:
    return PostmortemSection.objects.get(postmortem=w.postmortem, key="lessons").version


def _other_runbook(w: World) -> int:
    runbook = Runbook.objects.filter(community=w.community).exclude(pk=w.runbook.pk).first()
    assert runbook is not None
    return runbook.pk


OPERATIONS: dict[str, Operation] = {
    "events_ingest": Operation(
        "events:write",
        lambda w: {
            "events": [
                {
                    "external_id": "m-1",
                    "kind": "post",
                    "occurred_at": _iso(-timedelta(minutes=5)),
                    "member": {"external_id": "77", "username": "sam_oak"},
                }
            ]
        },
    ),
    "identities_upsert": Operation(
        "events:write", lambda w: {"identities": [{"external_id": "77", "username": "sam_oak"}]}
    ),
    "spaces_list": Operation("read"),
    "spaces_upsert": Operation(
        "events:write", lambda w: {"spaces": [{"external_id": "9", "name": "Seed swap"}]}
    ),
    # Releases
    "canaries_list": Operation("read"),
    "canaries_create": Operation(
        "moderate",
        lambda w: (
            _no_trial(w)
            or {
                "summary": "Try it",
                "space_ids": [w.space.pk],
                "duration_hours": 5,
                "baseline": "own_past",
            }
        ),
        other_key=REFUSED,
    ),
    "canaries_retrieve": Operation("read", path=_running_trial, other_key=HIDDEN),
    "canaries_promote": Operation("moderate", path=_running_trial, other_key=HIDDEN),
    "canaries_rollback": Operation("moderate", path=_running_trial, other_key=HIDDEN),
    "council_retrieve": Operation("read"),
    "council_update": Operation("moderate", lambda w: {"enabled": False, "rotation_days": 7}),
    "council_groups_create": Operation("moderate", lambda w: {"name": "Orchard spoke"}),
    "council_groups_delegate": Operation(
        "moderate",
        lambda w: {"delegate_id": w.membership.pk},
        path=lambda w: {"id": _group(w).pk},
        other_key=HIDDEN,
    ),
    "council_groups_answer": Operation(
        "moderate", _answering, path=lambda w: {"id": _group(w).pk}, other_key=HIDDEN
    ),
    "releases_health": Operation("read", path=lambda w: {"number": w.version.number}),
    # Game days. The world has open incidents, so a start by the right key is refused past
    # authorization (400, the refusals are tested in tests/gamedays); Chess's key names Garden's
    # runbook, which its community does not have.
    "game_days_list": Operation("read"),
    "game_days_recordings": Operation("read"),
    "game_days_start": Operation(
        "moderate",
        lambda w: {"recording": "sample:heated_thread", "runbook_id": w.runbook.pk, "speed": 60},
        other_key=REFUSED,
        key=REFUSED,
    ),
    "game_days_retrieve": Operation("read", path=lambda w: {"id": w.game_day.pk}, other_key=HIDDEN),
    "game_days_report": Operation("read", path=lambda w: {"id": w.game_day.pk}, other_key=HIDDEN),
    "game_days_stop": Operation("moderate", path=lambda w: {"id": w.game_day.pk}, other_key=HIDDEN),
    # The contract
    "clauses_list": Operation("read"),
    "clauses_create": Operation("moderate", lambda w: CLAUSE),
    "clauses_retrieve": Operation("read", path=lambda w: {"id": w.clause.pk}, other_key=HIDDEN),
    "clauses_openslo": Operation("read", path=lambda w: {"id": w.clause.pk}, other_key=HIDDEN),
    "clauses_translation_update": Operation(
        "moderate",
        lambda w: {"title": "주제에 맞게", "text": ""},
        path=lambda w: {"id": w.clause.pk, "lang": "ko"},
        other_key=HIDDEN,
    ),
    "clauses_translation_destroy": Operation(
        "moderate", path=lambda w: {"id": w.clause.pk, "lang": "ko"}, other_key=HIDDEN
    ),
    "replays_create": Operation("moderate", lambda w: {"clause": CLAUSE}),
    "replays_retrieve": Operation("read", path=lambda w: {"id": _replay(w).pk}, other_key=HIDDEN),
    "replays_dismiss": Operation(
        "moderate", path=lambda w: {"id": _replay(w).pk}, other_key=HIDDEN
    ),
    "clauses_import": Operation(
        "moderate",
        lambda w: {"document": export_openslo(clause=w.clause).replace("disagree", "differ")},
    ),
    "contract_retrieve": Operation("read"),
    "contract_draft_retrieve": Operation("read"),
    "contract_draft_update": Operation(
        "moderate", lambda w: {"preamble": "We garden together.", "policy": {}}
    ),
    # Chess has published everything it has: nothing new to publish.
    "contract_publish": Operation(
        "moderate",
        lambda w: (
            _no_trial(w)
            or {
                "summary": "v2",
                "draft_digest": current_draft_fingerprint(community=w.community),
            }
        ),
        other_key=REFUSED,
    ),
    "contract_versions_list": Operation("read"),
    "contract_versions_retrieve": Operation(
        "read", path=lambda w: {"number": w.version.number}, other_key=OK
    ),
    # Incidents and cooldowns
    "incidents_list": Operation("read"),
    "fairness_retrieve": Operation("read"),
    "incidents_declare": Operation(
        "moderate",
        lambda w: {"title": "Allotments: heated", "severity": "SEV3", "space_ids": [w.space.pk]},
        other_key=REFUSED,
    ),
    "incidents_retrieve": Operation("read", path=lambda w: {"id": w.incident.pk}, other_key=HIDDEN),
    "incidents_update": Operation(
        "moderate",
        lambda w: {"version": w.incident.version, "title": "Proposals: calmer now"},
        path=lambda w: {"id": w.incident.pk},
        other_key=HIDDEN,
    ),
    "incidents_runbook_start": Operation(
        "moderate",
        lambda w: {"version": w.incident.version, "runbook_id": _other_runbook(w)},
        path=lambda w: {"id": w.incident.pk},
        other_key=HIDDEN,
    ),
    "incidents_step_action": Operation(
        "moderate",
        lambda w: {"version": w.incident.version, "action": "skip", "reason": "Not needed"},
        path=lambda w: {"id": w.incident.pk, "step_id": w.step.pk},
        other_key=HIDDEN,
    ),
    "cooldowns_list": Operation("read"),
    "cooldowns_start": Operation(
        "moderate",
        lambda w: {
            "space_id": w.quiet_space.pk,
            "mode": "read_only",
            "ends_at": _iso(timedelta(hours=1)),
        },
        other_key=REFUSED,
    ),
    "cooldowns_extend": Operation(
        "moderate",
        lambda w: {"ends_at": _iso(timedelta(hours=3))},
        path=lambda w: {"id": w.cooldown.pk},
        other_key=HIDDEN,
    ),
    "cooldowns_lift": Operation(
        "moderate",
        lambda w: {"reason": "Calm again"},
        path=lambda w: {"id": w.cooldown.pk},
        other_key=HIDDEN,
    ),
    # Postmortems and action items
    "postmortems_list": Operation("read"),
    # Chess's key names Garden's incident: no such incident in its community.
    "postmortems_create": Operation(
        "moderate", lambda w: {"incident_id": w.spare_incident.pk}, other_key=REFUSED
    ),
    "postmortems_retrieve": Operation(
        "read", path=lambda w: {"id": w.postmortem.pk}, other_key=HIDDEN
    ),
    "postmortems_section_update": Operation(
        "moderate",
        lambda w: {"body": "We learned to pin the rules.", "version": _section_version(w)},
        path=lambda w: {"id": w.postmortem.pk, "key": "lessons"},
        other_key=HIDDEN,
    ),
    "postmortems_review": Operation(
        "moderate",
        lambda w: {"version": w.draft_postmortem.version},
        path=lambda w: {"id": w.draft_postmortem.pk},
        other_key=HIDDEN,
    ),
    "postmortems_publish": Operation(
        "moderate",
        lambda w: {"version": w.postmortem.version},
        path=lambda w: {"id": w.postmortem.pk},
        other_key=HIDDEN,
    ),
    "postmortems_action_items_create": Operation(
        "moderate",
        lambda w: {
            "title": "A runbook step that pins the rules",
            "kind": "process",
            "owner_id": w.membership.pk,
            "due_on": (timezone.now() + timedelta(days=7)).date().isoformat(),
        },
        path=lambda w: {"id": w.postmortem.pk},
        other_key=HIDDEN,
    ),
    "action_items_list": Operation("read"),
    "action_items_retrieve": Operation(
        "read", path=lambda w: {"id": w.action_item.pk}, other_key=HIDDEN
    ),
    "action_items_status": Operation(
        "moderate",
        lambda w: {"status": "done", "version": w.action_item.version},
        path=lambda w: {"id": w.action_item.pk},
        other_key=HIDDEN,
    ),
    "postmortem_settings_retrieve": Operation("read"),
    "postmortem_settings_update": Operation(
        "moderate",
        lambda w: {
            "due_hours": 72,
            "reminder_every_hours": 12,
            "escalate_after_hours": 24,
            "objection_window_days": 7,
        },
    ),
    # The circle
    "participants_list": Operation(
        "read", path=lambda w: {"id": w.circle_postmortem.pk}, other_key=HIDDEN
    ),
    "participants_invite": Operation(
        "moderate",
        lambda w: {"member_id": w.other_membership.pk, "role": "supporter"},
        path=lambda w: {"id": w.circle_postmortem.pk},
        other_key=HIDDEN,
    ),
    "agreements_create": Operation(
        "moderate",
        lambda w: {
            "text": "Check in with the facilitator next week",
            "owner_id": w.responsible.pk,
            "due_on": (timezone.now() + timedelta(days=7)).date().isoformat(),
        },
        path=lambda w: {"id": w.circle_postmortem.pk},
        other_key=HIDDEN,
    ),
    "agreements_list": Operation("read"),
    "agreements_retrieve": Operation(
        "read", path=lambda w: {"id": w.agreement.pk}, other_key=HIDDEN
    ),
    "agreements_decide": Operation(
        "moderate",
        lambda w: {"outcome": "not_kept", "note": "Moved away"},
        path=lambda w: {"id": w.agreement.pk},
        other_key=HIDDEN,
    ),
    "agreements_withdraw": Operation(
        "moderate",
        lambda w: {"reason": "Talked over: the parties chose another way"},
        path=lambda w: {"id": w.agreement.pk},
        other_key=HIDDEN,
    ),
    "agreements_revise": Operation(
        "moderate",
        lambda w: {
            "text": "Post a short note in the thread by the end of next week",
            "owner_id": w.agreement.owner_id,
            "due_on": (timezone.now() + timedelta(days=9)).date().isoformat(),
        },
        path=lambda w: {"id": w.agreement.pk},
        other_key=HIDDEN,
    ),
    "participants_forgive": Operation(
        "moderate", path=lambda w: {"id": w.responsible.pk}, other_key=HIDDEN
    ),
    # Budgets
    "members_list": Operation("read"),
    "members_ledger_retrieve": Operation(
        "read", path=lambda w: {"id": w.membership.pk}, other_key=HIDDEN
    ),
    "charges_create": Operation(
        "moderate",
        lambda w: {
            "member_id": w.membership.pk,
            "kind": "moderator_warning",
            "severity": "minor",
            "reason": "Off-topic again",
            "occurred_at": _iso(-timedelta(hours=1)),
        },
        other_key=REFUSED,
    ),
    "forgiveness_create": Operation(
        "moderate",
        lambda w: {"charge_ids": [w.charge.pk], "reason": "Apologised"},
        other_key=REFUSED,
    ),
    "budget_policy_retrieve": Operation("read"),
    "budget_policy_update": Operation("moderate", lambda w: {"window_days": 45}),
}

# What a key of another community must never see of Garden's.
GARDEN_WORDS = ("Garden Club", "milo_member", "Proposals: the vote got heated", "Allotments")


def api_operations(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (op["operationId"], method.upper(), path)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


# --- The walk -------------------------------------------------------------------------------


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)

    def check(self, what: str, role: str, response: HttpResponse, expected: str) -> None:
        self.requests[role] += 1
        seen = outcome(response)
        if expected == FORM and response.status_code in FORM_STATUSES:
            return
        if seen != expected:
            self.wrong.append(f"{what} as {role}: expected {expected}, got {response.status_code}")

    def report(self, title: str) -> str:
        lines = [f"{title}: {sum(self.requests.values())} requests"]
        lines += [f"  {role:<24} {count}" for role, count in self.requests.items()]
        return "\n".join(lines)


def rolled_back(send: Callable[[], HttpResponse]) -> HttpResponse:
    """One request in a savepoint that is undone: every role meets the same world."""
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


class Browser:
    """A logged-in (or anonymous) client whose session survives any page, even a logout."""

    def __init__(self, user: User | None) -> None:
        self.client = Client()
        if user is not None:
            self.client.force_login(user)
        self.cookies = SimpleCookie(self.client.cookies.output(header="", sep="\n"))

    def send(self, method: str, url: str, data: dict[str, Any], *, htmx: bool) -> HttpResponse:
        self.client.cookies = SimpleCookie(self.cookies.output(header="", sep="\n"))
        headers = {"HX-Request": "true"} if htmx else {}
        send = self.client.post if method == "POST" else self.client.get
        return rolled_back(lambda: send(url, data, headers=headers))


def test_every_address_has_a_rule() -> None:
    document = openapi_document()
    paths = {re.sub(r"\{\w+\}", "_", path) for _, _, path in api_operations(document)}
    missing = []
    for address in addresses():
        if address.name.startswith(COVERED_BY_OPERATIONS):
            route = "/" + re.sub(r"<(?:\w+:)?\w+>", "_", address.route)
            if route not in paths:
                missing.append(f"{address.name} ({address.route}) is not in the API schema")
        elif page_rule(address) is None:
            missing.append(f"{address.name} ({address.route}) has no rule in PAGES")
    missing += [
        f"operation {op} ({method} {path}) has no rule in OPERATIONS"
        for op, method, path in api_operations(document)
        if op not in OPERATIONS
    ]
    assert not missing, "\n".join(missing)
    stale = set(PAGES) - {a.name for a in addresses()}
    stale |= set(OPERATIONS) - {op for op, _, _ in api_operations(document)}
    assert stale == set(), "rules for addresses that no longer exist"


def test_every_page_answers_each_role_as_its_rule_says(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    browsers = {
        "anonymous": Browser(None),
        "outsider": Browser(world.outsider),
        "member": Browser(world.member),
        "other_member": Browser(world.other_member),
        "moderator": Browser(world.moderator),
        "other_moderator": Browser(world.other_moderator),
    }
    tally = Tally()
    walk = [(a, rule) for a in addresses() if (rule := page_rule(a)) is not None]

    def visit(walk: list[tuple[Address, Page]], label: str, members_only: bool = False) -> None:
        for address, rule in walk:
            kwargs = rule.kwargs(world)
            if "slug" in address.kwargs:
                kwargs["slug"] = world.community.slug
            url = address.url(kwargs) + (f"?{rule.query}" if rule.query else "")
            expected = hidden_from_strangers(rule.expect) if members_only else rule.expect
            # The admin has no partials; everything else is asked for as htmx too.
            variants = (False,) if address.name.startswith(ADMIN_NAMESPACE) else (False, True)
            for role, browser in browsers.items():
                for htmx in variants:
                    response = browser.send(rule.method, url, rule.data(world), htmx=htmx)
                    what = f"{label}{rule.method} {url}{' (htmx)' if htmx else ''}"
                    tally.check(what, role, response, expected[role])

    visit(walk, "")
    world.community.visibility = Visibility.MEMBERS
    world.community.save(update_fields=["visibility"])
    visit([(a, r) for a, r in walk if "slug" in a.kwargs], "members-only: ", members_only=True)
    with capsys.disabled():
        print("\n" + tally.report("Authorization matrix, pages"))
    assert not tally.wrong, "\n".join(tally.wrong)


def test_every_api_operation_answers_each_key_as_its_rule_says(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    document = openapi_document()
    tally = Tally()
    for operation_id, method, path in api_operations(document):
        rule = OPERATIONS[operation_id]
        url = path.format(**rule.path(world))
        without = tuple(s for s in ALL_SCOPES if s != rule.scope)
        keys = {
            "no key": None,
            "revoked key": world.revoked_key,
            "other community's key": world.other_key,
            "key without the scope": create_api_key(
                community=world.community, name="narrow", scopes=without, by=None
            )[1],
            "key": create_api_key(
                community=world.community, name="scoped", scopes=(rule.scope,), by=None
            )[1],
        }
        expected = {
            "no key": UNAUTHORIZED,
            "revoked key": UNAUTHORIZED,
            "other community's key": rule.other_key,
            "key without the scope": FORBIDDEN,
            "key": rule.key,
        }
        body = rule.body(world) if rule.body else None
        for role, key in keys.items():
            client = APIClient()
            if key is not None:
                client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            send = getattr(client, method.lower())
            response = rolled_back(lambda: send(url, body, format="json"))  # noqa: B023
            tally.check(f"{method} {url} ({operation_id})", role, response, expected[role])
            if role == "other community's key" and outcome(response) == OK:
                leaked = [w for w in GARDEN_WORDS if w in response.content.decode()]
                if leaked:
                    tally.wrong.append(f"{method} {url} shows Chess's key {leaked}")
    with capsys.disabled():
        print("\n" + tally.report("Authorization matrix, API"))
    assert not tally.wrong, "\n".join(tally.wrong)
