"""The postmortem document: the template, sections saved per version, the blameless check,
review, publishing with a guardrail, and closing the incident only once it is published."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from community.models import (
    Clause,
    Community,
    ContractVersion,
    ExternalIdentity,
    Membership,
    Space,
)
from community.services import ServiceError
from incidents import services as incident_services
from incidents.models import Incident
from incidents.postmortems import services
from incidents.postmortems.models import (
    ActionKind,
    BlamelessFinding,
    FindingStatus,
    Postmortem,
    PostmortemState,
)
from incidents.postmortems.services import ItemFields
from tests.postmortems.helpers import (
    SYSTEMIC,
    guardrail_item,
    resolved_incident,
    section,
    write,
    written_up,
)


def test_a_postmortem_starts_from_the_template_with_the_incidents_figures(
    doc: Postmortem, incident: Incident
) -> None:
    assert doc.state == PostmortemState.DRAFT
    assert doc.due_at == incident.resolved_at + timedelta(hours=48)
    assert doc.next_reminder_at == doc.due_at - timedelta(hours=24)
    assert section(doc, "summary").body == "The thread calmed down after a two-hour slow mode."
    impact = section(doc, "impact").body
    assert "0 upheld flags or warnings, 0 posts and 0 members in Proposals." in impact
    timeline = section(doc, "timeline").body
    assert "Declared SEV3 in Proposals" in timeline and "resolved" in timeline
    assert section(doc, "contributing_factors").body == ""
    assert doc.figures["spaces"] == ["Proposals"]


def test_an_open_incident_or_a_second_postmortem_is_refused(
    doc: Postmortem, incident: Incident, community: Community, moderator: User
) -> None:
    with pytest.raises(ServiceError, match="already has a postmortem"):
        services.start_postmortem(incident=incident, by=moderator)
    open_one = incident_services.declare_incident(
        community=community,
        title="Still going",
        severity="SEV2",
        actor=incident_services.Actor.person(moderator),
    )
    with pytest.raises(ServiceError, match="once the incident is resolved"):
        services.start_postmortem(incident=open_one, by=moderator)
    assert Postmortem.objects.count() == 1


def test_two_people_on_different_sections_both_keep_their_words(
    doc: Postmortem, moderator: User
) -> None:
    summary_v = section(doc, "summary").version
    lessons_v = section(doc, "lessons").version
    services.save_section(
        postmortem=doc, key="summary", body="Mine.", expected_version=summary_v, by=moderator
    )
    services.save_section(
        postmortem=doc, key="lessons", body="Theirs.", expected_version=lessons_v, by=None
    )
    assert (section(doc, "summary").body, section(doc, "lessons").body) == ("Mine.", "Theirs.")
    assert section(doc, "summary").version == summary_v + 1


def test_a_stale_edit_of_the_same_section_is_refused_and_changes_nothing(doc: Postmortem) -> None:
    v = section(doc, "lessons").version
    services.save_section(postmortem=doc, key="lessons", body="First.", expected_version=v, by=None)
    with pytest.raises(services.StaleSection, match="Someone else changed “Lessons”"):
        services.save_section(
            postmortem=doc, key="lessons", body="Second.", expected_version=v, by=None
        )
    assert section(doc, "lessons").body == "First."
    assert section(doc, "lessons").version == v + 1


def test_unknown_sections_and_published_documents_refuse_edits(
    doc: Postmortem, mod_membership: Membership, clause: Clause, version: ContractVersion
) -> None:
    with pytest.raises(ServiceError, match="no such section"):
        services.save_section(postmortem=doc, key="verdict", body="x", expected_version=1, by=None)
    written_up(doc)
    guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    services.request_review(postmortem=doc, expected_version=None, by=None)
    services.publish_postmortem(postmortem=doc, expected_version=None, by=None)
    with pytest.raises(ServiceError, match="published"):
        write(doc, "lessons", "Changed afterwards.")


def test_the_blameless_check_points_out_names_handles_and_blame_and_tracks_revisions(
    doc: Postmortem, member_membership: Membership, community: Community
) -> None:
    ExternalIdentity.objects.create(
        community=community,
        membership=member_membership,
        source="discourse",
        external_id="77",
        username="milo_m",
    )
    write(doc, "contributing_factors", "@milo_m was careless. The rules were unclear.")
    found = BlamelessFinding.objects.filter(postmortem=doc).order_by("start")
    assert [(f.kind, f.excerpt, f.status) for f in found] == [
        ("names_member", "@milo_m", FindingStatus.OPEN),
        ("blame_word", "careless", FindingStatus.OPEN),
    ]
    assert found[0].named_membership == member_membership
    # The author rephrases one passage: that finding is revised, the other stays open.
    write(doc, "contributing_factors", "A reply was careless in tone. The rules were unclear.")
    statuses = dict(BlamelessFinding.objects.values_list("excerpt", "status"))
    assert statuses == {"@milo_m": FindingStatus.REVISED, "careless": FindingStatus.OPEN}


def test_review_waits_for_each_passage_to_be_revised_or_acknowledged(doc: Postmortem) -> None:
    write(doc, "summary", "A vote thread escalated.")
    write(doc, "contributing_factors", "It was their fault for posting at midnight.")
    with pytest.raises(ServiceError, match="pointed out 1 passage"):
        services.request_review(postmortem=doc, expected_version=None, by=None)
    assert Postmortem.objects.get(pk=doc.pk).state == PostmortemState.DRAFT
    finding = BlamelessFinding.objects.get(postmortem=doc)
    with pytest.raises(ServiceError, match="why these words stay"):
        services.acknowledge_finding(finding=finding, note="  ", by=None)
    services.acknowledge_finding(finding=finding, note="A quotation from the thread.", by=None)
    reviewed = services.request_review(postmortem=doc, expected_version=None, by=None)
    assert reviewed.state == PostmortemState.IN_REVIEW and reviewed.review_requested_at


def test_review_needs_a_summary_and_contributing_factors(doc: Postmortem) -> None:
    write(doc, "summary", "")
    with pytest.raises(ServiceError, match="summary"):
        services.request_review(postmortem=doc, expected_version=None, by=None)
    write(doc, "summary", "Something happened.")
    with pytest.raises(ServiceError, match="contributing factors"):
        services.request_review(postmortem=doc, expected_version=None, by=None)


def test_publishing_without_a_guardrail_item_is_refused_and_changes_nothing(
    doc: Postmortem, mod_membership: Membership
) -> None:
    written_up(doc)
    services.add_action_item(
        postmortem=doc,
        fields=ItemFields(
            title="Add a moderator on Sunday evenings",
            kind=ActionKind.PROCESS,
            owner=mod_membership,
            due_on=doc.due_at.date(),
            verification_criterion="Two moderators on every Sunday evening for a month.",
        ),
        by=None,
    )
    reviewed = services.request_review(postmortem=doc, expected_version=None, by=None)
    with pytest.raises(ServiceError, match="at least one guardrail action item"):
        services.publish_postmortem(postmortem=doc, expected_version=reviewed.version, by=None)
    after = Postmortem.objects.get(pk=doc.pk)
    assert (after.state, after.published_at, after.version) == (
        PostmortemState.IN_REVIEW,
        None,
        reviewed.version,
    )


def test_a_guardrail_without_a_verification_criterion_does_not_count(
    doc: Postmortem, mod_membership: Membership, version: ContractVersion
) -> None:
    written_up(doc)
    services.add_action_item(
        postmortem=doc,
        fields=ItemFields(
            title="Reword the clause",
            kind=ActionKind.CLAUSE,
            owner=mod_membership,
            due_on=doc.due_at.date(),
            contract_version=version,
        ),
        by=None,
    )
    services.request_review(postmortem=doc, expected_version=None, by=None)
    with pytest.raises(ServiceError, match="how we will know it worked"):
        services.publish_postmortem(postmortem=doc, expected_version=None, by=None)


def test_a_stale_publish_is_refused(
    doc: Postmortem, mod_membership: Membership, clause: Clause, version: ContractVersion
) -> None:
    written_up(doc)
    guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    seen = doc.version
    services.request_review(postmortem=doc, expected_version=seen, by=None)
    with pytest.raises(services.StalePostmortem):
        services.publish_postmortem(postmortem=doc, expected_version=seen, by=None)


def test_an_incident_that_requires_a_postmortem_closes_only_once_it_is_published(
    doc: Postmortem,
    incident: Incident,
    moderator: User,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
) -> None:
    actor = incident_services.Actor.person(moderator)

    def close() -> Incident:
        return incident_services.transition_incident(
            incident=incident, to="closed", expected_version=None, actor=actor, reason="Done."
        )

    with pytest.raises(ServiceError, match="closes once its restorative postmortem is published"):
        close()
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    written_up(doc)
    guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    services.request_review(postmortem=doc, expected_version=None, by=None)
    published = services.publish_postmortem(postmortem=doc, expected_version=None, by=moderator)
    assert published.next_reminder_at is None and published.published_by == moderator
    assert close().status == "closed"


def test_an_incident_without_a_postmortem_is_told_to_start_one(
    community: Community, moderator: User, incident: Incident
) -> None:
    with pytest.raises(ServiceError, match="Start its postmortem"):
        incident_services.transition_incident(
            incident=incident,
            to="closed",
            expected_version=None,
            actor=incident_services.Actor.person(moderator),
        )


def test_resolving_an_incident_that_requires_one_makes_its_draft(
    community: Community, moderator: User, space: Space
) -> None:
    incident = resolved_incident(community=community, space=space, moderator=moderator)
    assert not Postmortem.objects.filter(incident=incident).exists()
    made = services.ensure_due_drafts()
    assert made == 1
    doc = Postmortem.objects.get(incident=incident)
    assert section(doc, "contributing_factors").body == ""
    assert services.ensure_due_drafts() == 0


def test_systemic_words_pass_the_check(doc: Postmortem) -> None:
    write(doc, "contributing_factors", SYSTEMIC)
    assert services.run_blameless_check(postmortem=doc) == []
