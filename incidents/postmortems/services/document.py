"""The postmortem document: starting one from the template, saving a section (refused when it
is stale), the blameless check, review and publishing, visibility.

Concurrency: each section is its own row with its own ``version``. A save names the version it
was typed on; the row is locked and a save on an older version is refused (``StaleSection``), so
two people on different sections both keep their words and the same section is never silently
overwritten. State changes lock the postmortem row and check its ``version``.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.language import in_community_language
from community.models import Community, ConductEvent, ExternalIdentity, Membership
from community.services import ConflictError, ServiceError
from incidents.models import Incident, IncidentStatus
from incidents.postmortems import blameless, rules, timeline
from incidents.postmortems.models import (
    ActionItem,
    BlamelessFinding,
    FindingStatus,
    Participant,
    Postmortem,
    PostmortemSection,
    PostmortemSettings,
    PostmortemState,
    PublicSummaryState,
    Visibility,
)
from incidents.postmortems.sections import (
    BLAMELESS_CHECKED,
    PUBLIC_SECTION,
    SECTION_BY_KEY,
    SECTIONS,
)
from incidents.postmortems.services.template import incident_figures, initial_sections

MAX_SECTION_LENGTH = 20000


class StalePostmortem(ConflictError):
    """Someone else changed the postmortem's state since the caller read it."""


class StaleSection(ConflictError):
    """Someone else saved this section since the caller loaded it."""

    def __init__(self, section: PostmortemSection) -> None:
        heading = SECTION_BY_KEY[section.key].heading
        super().__init__(
            _(
                "Someone else changed “%(heading)s” while you were typing. Reload the section "
                "to see their words; yours were not saved (copy them first if you need them)."
            )
            % {"heading": _(heading)}
        )
        self.section = section


def settings_for(community: Community) -> PostmortemSettings:
    found, _created = PostmortemSettings.objects.get_or_create(community=community)
    return found


def _user(by: User | None) -> User | None:
    return by if by is not None and by.is_authenticated else None


# --- Starting ----------------------------------------------------------------------------------


def start_postmortem(*, incident: Incident, by: User | None) -> Postmortem:
    """Create the postmortem of a resolved incident from the template. Refused for an open
    incident, or when it already has one."""
    if Postmortem.objects.filter(incident=incident).exists():
        raise ServiceError(_("This incident already has a postmortem."))
    return _create(incident, by)


def ensure_postmortem(*, incident: Incident) -> Postmortem | None:
    """The incident's postmortem, created as a draft if it requires one and has none (the
    subscriber to "incident resolved" and the periodic sweep call this; idempotent)."""
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing is not None or not incident.postmortem_required:
        return existing
    if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        return None
    try:
        return _create(incident, None)
    except ServiceError:
        return Postmortem.objects.filter(incident=incident).first()


def _create(incident: Incident, by: User | None) -> Postmortem:
    if incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
        raise ServiceError(_("A postmortem is written once the incident is resolved."))
    settings = settings_for(incident.community)
    resolved = incident.resolved_at or incident.closed_at or timezone.now()
    due_at = resolved + timedelta(hours=settings.due_hours)
    now = timezone.now()
    figures = incident_figures(incident)
    try:
        with transaction.atomic():
            postmortem = Postmortem.objects.create(
                community=incident.community,
                incident=incident,
                figures=figures,
                due_at=due_at,
                created_by=_user(by),
                next_reminder_at=rules.first_reminder_at(
                    due_at=due_at, created_at=now, every_hours=settings.reminder_every_hours
                ),
            )
            bodies = initial_sections(incident, figures)
            PostmortemSection.objects.bulk_create(
                [
                    PostmortemSection(
                        postmortem=postmortem, key=spec.key, body=bodies[spec.key], updated_by=None
                    )
                    for spec in SECTIONS
                ]
            )
            timeline.started(postmortem, by)
    except IntegrityError as exc:  # two starts at once: the second finds the first
        raise ServiceError(_("This incident already has a postmortem.")) from exc
    return postmortem


# --- Sections ----------------------------------------------------------------------------------


def section_refusal(doc: Postmortem, key: str) -> str | None:
    """Why section ``key`` of ``doc`` cannot change now (None: it can). A published postmortem
    keeps its words, except the public summary until that summary is published itself, so an
    objection a harmed member raises after publication can still be met with new words."""
    if key == PUBLIC_SECTION:
        if doc.public_summary_state == PublicSummaryState.PUBLISHED:
            return _("The public summary is published; its words no longer change.")
        return None
    if doc.state == PostmortemState.PUBLISHED:
        return _(
            "This postmortem is published; its words no longer change. Only the public summary "
            "stays open, until it is published itself."
        )
    return None


def save_section(
    *, postmortem: Postmortem, key: str, body: str, expected_version: int, by: User | None
) -> PostmortemSection:
    """Save one section's words, typed on ``expected_version`` of that section."""
    if key not in SECTION_BY_KEY:
        raise ServiceError(_("There is no such section."))
    if len(body) > MAX_SECTION_LENGTH:
        raise ServiceError(
            _("A section holds at most %(MAX_SECTION_LENGTH)s characters.")
            % {"MAX_SECTION_LENGTH": f"{MAX_SECTION_LENGTH:,}"}
        )
    with transaction.atomic():
        doc = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        refusal = section_refusal(doc, key)
        if refusal:
            raise ServiceError(refusal)
        section = PostmortemSection.objects.select_for_update().get(postmortem=doc, key=key)
        if section.version != expected_version:
            raise StaleSection(section)
        if section.body != body:
            section.body = body
            section.version += 1
            section.updated_by = _user(by)
            section.updated_at = timezone.now()
            section.save(update_fields=["body", "version", "updated_by", "updated_at"])
            if key in BLAMELESS_CHECKED:
                _run_check(doc, section)
    return section


# --- The blameless check ------------------------------------------------------------------------


def people_to_check(postmortem: Postmortem) -> list[blameless.Person]:
    """The members whose names the check looks for: the incident's parties, the circle, and
    everyone with an event in the incident's spaces while it ran (a bounded set, whatever the
    size of the community)."""
    incident = postmortem.incident
    end = incident.resolved_at or incident.closed_at or timezone.now()
    active = ConductEvent.objects.filter(
        community=postmortem.community,
        space__in=incident.spaces.all(),
        occurred_at__gte=incident.declared_at - timedelta(days=1),
        occurred_at__lte=end,
        member__isnull=False,
    ).values("member")
    members = Membership.objects.filter(community=postmortem.community).filter(
        Q(pk__in=incident.parties.values("pk"))
        | Q(pk__in=Participant.objects.filter(postmortem=postmortem).values("membership"))
        | Q(pk__in=active)
    )
    handles: dict[int, list[str]] = {}
    for membership_id, username in ExternalIdentity.objects.filter(
        membership__in=members
    ).values_list("membership_id", "username"):
        if username:
            handles.setdefault(membership_id, []).append(username)
    people = []
    for m in members.select_related("user"):
        names = [m.display_name, *handles.get(m.pk, [])]
        if m.user is not None:
            names.append(m.user.get_username())
        people.append(blameless.Person(membership_id=m.pk, names=tuple(n for n in names if n)))
    return people


def _suggestion(community: Community, words: str) -> str:
    """A finding's suggestion, stored in the community's language (the check marks it)."""
    return in_community_language(community, lambda: _(words))


def _run_check(doc: Postmortem, section: PostmortemSection) -> list[BlamelessFinding]:
    """Check one section's current words: new passages become open findings; open findings
    whose words are gone are marked revised; an acknowledged passage stays acknowledged."""
    found = blameless.check(section.body, people_to_check(doc))
    existing = list(
        BlamelessFinding.objects.filter(postmortem=doc, section_key=section.key).exclude(
            status=FindingStatus.REVISED
        )
    )
    by_identity = {(f.kind, f.excerpt.casefold(), f.named_membership_id): f for f in existing}
    still: set[int] = set()
    for f in found:
        match = by_identity.get(f.identity)
        if match is not None:
            still.add(match.pk)
            match.start, match.end, match.section_version = f.start, f.end, section.version
            match.save(update_fields=["start", "end", "section_version"])
            continue
        created = BlamelessFinding.objects.create(
            postmortem=doc,
            section_key=section.key,
            section_version=section.version,
            kind=f.kind,
            excerpt=f.excerpt[:300],
            start=f.start,
            end=f.end,
            named_membership_id=f.membership_id,
            suggestion=_suggestion(doc.community, f.suggestion),
        )
        by_identity[f.identity] = created
        still.add(created.pk)
    BlamelessFinding.objects.filter(pk__in=[f.pk for f in existing if f.pk not in still]).update(
        status=FindingStatus.REVISED
    )
    doc.blameless_checked_at = timezone.now()
    doc.blameless_checked_version = section.version
    doc.save(update_fields=["blameless_checked_at", "blameless_checked_version"])
    return list(BlamelessFinding.objects.filter(postmortem=doc, section_key=section.key).open())


def run_blameless_check(*, postmortem: Postmortem) -> list[BlamelessFinding]:
    """Check the contributing factors now; returns the open findings."""
    with transaction.atomic():
        doc = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        open_findings: list[BlamelessFinding] = []
        for key in BLAMELESS_CHECKED:
            section = PostmortemSection.objects.get(postmortem=doc, key=key)
            open_findings += _run_check(doc, section)
    return open_findings


def acknowledge_finding(
    *, finding: BlamelessFinding, note: str, by: User | None
) -> BlamelessFinding:
    """Keep the words on purpose, saying why (the finding stops blocking review)."""
    note = note.strip()
    if not note:
        raise ServiceError(_("Say in a few words why these words stay."))
    with transaction.atomic():
        locked = BlamelessFinding.objects.select_for_update().get(pk=finding.pk)
        if locked.status != FindingStatus.OPEN:
            raise ServiceError(_("This passage was already revised or acknowledged."))
        locked.status = FindingStatus.ACKNOWLEDGED
        locked.acknowledgement = note[:2000]
        locked.acknowledged_by = _user(by)
        locked.acknowledged_at = timezone.now()
        locked.save(
            update_fields=["status", "acknowledgement", "acknowledged_by", "acknowledged_at"]
        )
    return locked


# --- States ------------------------------------------------------------------------------------


def _locked(postmortem: Postmortem, expected_version: int | None) -> Postmortem:
    doc = (
        Postmortem.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=postmortem.pk)
    )
    if expected_version is not None and doc.version != expected_version:
        raise StalePostmortem(
            _("Someone else changed this postmortem since you loaded it. Reload and try again.")
        )
    return doc


def _bump(doc: Postmortem, *fields: str) -> None:
    doc.version += 1
    doc.save(update_fields=[*fields, "version"])


def _section_body(doc: Postmortem, key: str) -> str:
    return PostmortemSection.objects.get(postmortem=doc, key=key).body


def request_review(
    *, postmortem: Postmortem, expected_version: int | None, by: User | None
) -> Postmortem:
    """Draft → in review, once the blameless check has looked at the current contributing
    factors and nothing it pointed out is left open."""
    with transaction.atomic():
        doc = _locked(postmortem, expected_version)
        if doc.state != PostmortemState.DRAFT:
            raise ServiceError(_("Only a draft can be sent for review."))
        if not _section_body(doc, "summary").strip():
            raise ServiceError(_("Write the summary before asking for review."))
        if not _section_body(doc, "contributing_factors").strip():
            raise ServiceError(
                _(
                    "Write the contributing factors before asking for review: what in the rules, "
                    "the interface or the context let this happen?"
                )
            )
        for key in BLAMELESS_CHECKED:
            _run_check(doc, PostmortemSection.objects.get(postmortem=doc, key=key))
        waiting = BlamelessFinding.objects.filter(postmortem=doc).open().count()
        if waiting:
            raise ServiceError(
                ngettext(
                    "The blameless check pointed out %(waiting)s passage in the contributing "
                    "factors. Revise it, or say why it stays, before asking for review.",
                    "The blameless check pointed out %(waiting)s passages in the contributing "
                    "factors. Revise them, or say why they stay, before asking for review.",
                    waiting,
                )
                % {"waiting": waiting}
            )
        doc.state = PostmortemState.IN_REVIEW
        doc.review_requested_at = timezone.now()
        _bump(doc, "state", "review_requested_at")
        timeline.sent_for_review(doc, by)
    return doc


def return_to_draft(
    *, postmortem: Postmortem, expected_version: int | None, by: User | None
) -> Postmortem:
    with transaction.atomic():
        doc = _locked(postmortem, expected_version)
        if doc.state != PostmortemState.IN_REVIEW:
            raise ServiceError(_("Only a postmortem in review can go back to draft."))
        doc.state = PostmortemState.DRAFT
        _bump(doc, "state")
    return doc


def publish_refusal(doc: Postmortem) -> str | None:
    """Why ``doc`` cannot be published yet (None when it can)."""
    if doc.state == PostmortemState.PUBLISHED:
        return _("This postmortem is already published.")
    if doc.state != PostmortemState.IN_REVIEW:
        return _("Send the postmortem for review before publishing it.")
    has_guardrail = (
        ActionItem.objects.filter(postmortem=doc).guardrails().exclude(verification_criterion="")
    ).exists()
    if not has_guardrail:
        return _(
            "A postmortem is published with at least one guardrail action item (a clause, "
            "runbook or alert change) that says how we will know it worked. Add one first."
        )
    if BlamelessFinding.objects.filter(postmortem=doc).open().exists():
        return _("The blameless check has passages waiting: revise or acknowledge them first.")
    return None


def publish_postmortem(
    *, postmortem: Postmortem, expected_version: int | None, by: User | None
) -> Postmortem:
    """In review → published. Reminders stop; the incident may close."""
    with transaction.atomic():
        doc = _locked(postmortem, expected_version)
        refusal = publish_refusal(doc)
        if refusal:
            raise ServiceError(refusal)
        doc.state = PostmortemState.PUBLISHED
        doc.published_at = timezone.now()
        doc.published_by = _user(by)
        doc.next_reminder_at = None
        _bump(doc, "state", "published_at", "published_by", "next_reminder_at")
        timeline.published(doc, by)
    return doc


def set_visibility(
    *, postmortem: Postmortem, visibility: str, expected_version: int | None, by: User | None
) -> Postmortem:
    if visibility not in Visibility.values:
        raise ServiceError(_("Visibility is the circle, moderators only, or a public summary."))
    with transaction.atomic():
        doc = _locked(postmortem, expected_version)
        if doc.visibility == visibility:
            return doc
        if doc.public_summary_state == "published" and visibility != Visibility.PUBLIC:
            raise ServiceError(
                _(
                    "The public summary is already published; it stays public. Change who reads "
                    "the rest by writing to the moderators."
                )
            )
        doc.visibility = visibility
        _bump(doc, "visibility")
    return doc
