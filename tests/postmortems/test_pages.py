"""The postmortem pages: the editor (sections saved as you type, stale saves refused with a
reload prompt), starting one from the war room, the list with its metrics, and who sees what."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from community.models import Clause, Community, ContractVersion, Membership
from incidents.models import Incident
from incidents.postmortems import services
from incidents.postmortems.models import ActionItem, Consent, Participant, Postmortem
from tests.conftest import PASSWORD
from tests.postmortems.helpers import guardrail_item, section, written_up

HTMX = {"HX-Request": "true"}


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def url(doc: Postmortem, tail: str = "") -> str:
    return f"/c/{doc.community.slug}/postmortems/{doc.pk}/{tail}"


def test_the_editor_shows_every_section_with_its_prompt_and_the_figures(
    doc: Postmortem, moderator: User
) -> None:
    page = client_for(moderator).get(url(doc)).content.decode()
    for heading in ("Summary", "Impact", "Timeline", "Contributing factors", "Where we got lucky"):
        assert f">{heading}</h2>" in page
    assert "Name conditions, not people." in page
    assert "0 upheld flags or warnings, 0 posts and 0 members in Proposals." in page
    assert 'hx-trigger="input changed delay:600ms from:find textarea, submit"' in page


def test_a_section_saves_as_you_type_and_answers_with_its_status_and_new_version(
    doc: Postmortem, moderator: User
) -> None:
    v = section(doc, "lessons").version
    response = client_for(moderator).post(
        url(doc, "sections/lessons/"), {"body": "Pin the rules.", "version": v}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="section-lessons-status"' in html and "Saved." in html
    assert re.search(rf'id="section-lessons-version" value="{v + 1}" hx-swap-oob="true"', html), (
        html
    )
    assert section(doc, "lessons").body == "Pin the rules."


def test_a_stale_save_is_refused_with_a_reload_prompt_and_keeps_the_other_words(
    doc: Postmortem, moderator: User
) -> None:
    v = section(doc, "lessons").version
    services.save_section(
        postmortem=doc, key="lessons", body="Theirs.", expected_version=v, by=None
    )
    response = client_for(moderator).post(
        url(doc, "sections/lessons/"), {"body": "Mine.", "version": v}, headers=HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed “Lessons” while you were typing." in html
    assert "Reload the page" in html and "hx-swap-oob" not in html
    assert section(doc, "lessons").body == "Theirs."


def test_saving_the_contributing_factors_shows_the_blameless_check_out_of_band(
    doc: Postmortem, moderator: User
) -> None:
    v = section(doc, "contributing_factors").version
    response = client_for(moderator).post(
        url(doc, "sections/contributing_factors/"),
        {"body": "Milo was careless.", "version": v},
        headers=HTMX,
    )
    html = response.content.decode()
    assert 'id="pm-findings" class="findings" hx-swap-oob="true"' in html
    assert "“careless”" in html and "Try instead:" in html


def test_without_javascript_a_refused_save_shows_the_page_with_the_reason(
    doc: Postmortem, moderator: User
) -> None:
    response = client_for(moderator).post(url(doc, "sections/lessons/"), {"body": "x"})
    assert response.status_code == 400
    assert "That section or version is not one of this postmortem" in response.content.decode()


def test_publishing_without_a_guardrail_is_refused_on_the_page(
    doc: Postmortem, moderator: User
) -> None:
    written_up(doc)
    services.request_review(postmortem=doc, expected_version=None, by=None)
    doc.refresh_from_db()
    client = client_for(moderator)
    page = client.get(url(doc)).content.decode()
    assert "Before publishing: A postmortem is published with at least one guardrail" in page
    response = client.post(url(doc, "publish/"), {"version": doc.version}, headers=HTMX)
    assert response.status_code == 400
    assert "at least one guardrail action item" in response.content.decode()
    assert Postmortem.objects.get(pk=doc.pk).state == "in_review"


def test_adding_an_action_item_takes_its_target_as_a_percentage(
    doc: Postmortem, moderator: User, mod_membership: Membership, clause: Clause
) -> None:
    response = client_for(moderator).post(
        url(doc, "items/"),
        {
            "title": "Say what quoting means",
            "kind": "clause",
            "owner": mod_membership.pk,
            "due_on": "2030-01-15",
            "verification_criterion": "Fewer hostility flags",
            "verify_clause": clause.pk,
            "verify_target_percent": "98.5",
            "verify_window_days": "14",
        },
        headers=HTMX,
    )
    assert response.status_code == 200, response.content.decode()
    item = ActionItem.objects.get()
    assert (str(item.verify_target), item.target_percent) == ("0.985000", "98.5 %")
    html = response.content.decode()
    assert "at least 98.5 % over 14 days" in html and "Clause of the social contract" in html


def test_a_bad_action_item_is_refused_with_the_reason(
    doc: Postmortem, moderator: User, mod_membership: Membership
) -> None:
    response = client_for(moderator).post(
        url(doc, "items/"),
        {"title": "Pin it", "kind": "process", "owner": mod_membership.pk},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "Check the action item: Due: This field is required." in response.content.decode()
    assert not ActionItem.objects.exists()


def test_the_war_room_links_the_postmortem_and_starting_one_needs_a_post(
    incident: Incident, moderator: User
) -> None:
    client = client_for(moderator)
    room = client.get(incident.get_absolute_url()).content.decode()
    assert "Start the postmortem</a>" in room and "(required)" in room
    start = f"/c/garden/incidents/{incident.pk}/postmortem/"
    assert "What happens when you start it" in client.get(start).content.decode()
    assert not Postmortem.objects.exists()
    response = client.post(start)
    doc = Postmortem.objects.get()
    assert response["Location"] == url(doc)
    assert (
        'Open the postmortem</a> <span class="muted">(draft)'
        in client.get(incident.get_absolute_url()).content.decode()
    )


def test_a_member_outside_the_circle_cannot_see_it_and_an_accepted_participant_reads_it(
    doc: Postmortem, member: User, member_membership: Membership
) -> None:
    client = client_for(member)
    assert client.get(url(doc)).status_code == 404
    Participant.objects.create(
        postmortem=doc, membership=member_membership, role="harmed", consent=Consent.INVITED
    )
    assert client.get(url(doc)).status_code == 404  # invited is not taking part
    Participant.objects.filter(postmortem=doc).update(
        consent=Consent.ACCEPTED, responded_at=doc.created_at
    )
    page = client.get(url(doc))
    assert page.status_code == 200
    assert "<textarea" not in page.content.decode()  # reading, not editing
    # Saving is the moderators' (403 for a participant).
    v = section(doc, "lessons").version
    assert (
        client.post(url(doc, "sections/lessons/"), {"body": "x", "version": v}).status_code == 403
    )


def test_the_list_shows_metrics_and_open_action_items(
    doc: Postmortem,
    moderator: User,
    mod_membership: Membership,
    clause: Clause,
    version: ContractVersion,
    community: Community,
    django_assert_max_num_queries: Any,
) -> None:
    guardrail_item(doc, owner=mod_membership, clause=clause, version=version)
    client = client_for(moderator)
    with django_assert_max_num_queries(20):
        page = client.get("/c/garden/postmortems/").content.decode()
    assert "Postmortems on time" in page and "Guardrails verified" in page
    assert "Say in the clause that quoting private messages is not allowed" in page
    assert "Clause of the social contract" in page and "Open" in page
    assert "clause</td>" not in page and "in_review" not in page
