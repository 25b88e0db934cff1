"""Pages: who sees what, actions from the war room (plain POST and htmx), the status page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from community.models import Community, Visibility
from incidents import services
from incidents.models import Cooldown, Incident, IncidentReport
from tests.conftest import PASSWORD
from tests.incidents.conftest import fresh

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def room(incident: Incident) -> str:
    return f"/c/garden/incidents/{incident.pk}/"


@pytest.mark.parametrize(
    ("who", "code"), [("member", 404), ("outsider", 404), ("other_moderator", 404)]
)
def test_the_war_room_is_for_this_communitys_moderators(
    incident: Incident, who: str, code: int, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    assert client_for(user).get(room(incident)).status_code == code
    assert client_for(user).post(room(incident) + "notes/", {"text": "hi"}).status_code == code
    assert incident.timeline.count() == 1


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_the_board_is_for_moderators(community: Community, who: str, request) -> None:
    assert client_for(request.getfixturevalue(who)).get("/c/garden/incidents/").status_code == 403


def test_a_moderator_declares_from_the_board_and_lands_in_the_war_room(
    community, space, moderator
) -> None:
    client = client_for(moderator)
    response = client.post(
        "/c/garden/incidents/",
        {"title": "Proposals: heated", "severity": "SEV3", "spaces": [space.pk]},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == room(incident)
    page = client.get(room(incident))
    assert b"Proposals: heated" in page.content
    assert b"No facilitator yet" in page.content


def test_declaring_a_sev3_without_a_space_shows_the_reason(community, moderator) -> None:
    response = client_for(moderator).post(
        "/c/garden/incidents/", {"title": "Heated", "severity": "SEV3"}
    )
    assert response.status_code == 200
    assert "choose it" in response.content.decode()
    assert not Incident.objects.exists()


def test_the_live_region_polls_and_refreshes_the_version_out_of_band(incident, moderator) -> None:
    page = client_for(moderator).get(room(incident)).content.decode()
    assert 'id="room-poll"' in page and 'hx-trigger="every 3s"' in page
    response = client_for(moderator).get(room(incident), **HTMX)
    html = response.content.decode()
    assert 'id="v-offer"' in html and 'hx-swap-oob="true"' in html
    for region in ("room-header", "room-timeline", "room-roles", "room-runbooks"):
        assert html.count(f'id="{region}"') == 1
    assert 'id="room-message"' not in html  # a message stays until the next action
    assert "<html" not in html


def test_offer_and_accept_through_the_pages(community, incident, moderator) -> None:
    from community.services import set_role
    from tests.incidents.test_roles import make_user

    second = make_user("sam_secondmod")
    set_role(community=community, user=second, role="moderator")
    target = community.memberships.get(user=second)
    client = client_for(moderator)
    response = client.post(
        room(incident) + "facilitator/", {"membership": target.pk, "version": 1}, **HTMX
    )
    assert "Waiting for sam_secondmod" in response.content.decode()
    offer = incident.handoffs.get()
    # The moderator who offered cannot accept for them.
    response = client.post(room(incident) + f"handoffs/{offer.pk}/accept/", **HTMX)
    assert "Only sam_secondmod can answer" in response.content.decode()
    page = client_for(second).get(room(incident)).content.decode()
    assert "Accept facilitator role" in page
    response = client_for(second).post(room(incident) + f"handoffs/{offer.pk}/accept/")
    assert response.status_code == 302
    assert fresh(incident).facilitator_at is not None


def test_a_stale_form_is_refused_with_a_reload_message(incident, moderator) -> None:
    client = client_for(moderator)
    client.post(room(incident) + "transition/", {"to": "mitigating", "version": 1})
    response = client.post(room(incident) + "transition/", {"to": "resolved", "version": 1}, **HTMX)
    assert response.status_code == 200
    assert "Someone else changed this incident" in response.content.decode()
    assert fresh(incident).status == "mitigating"


def test_an_out_of_order_transition_shows_why(incident, moderator) -> None:
    response = client_for(moderator).post(
        room(incident) + "transition/", {"to": "closed", "version": 1}, follow=True
    )
    assert "cannot become closed" in response.content.decode()
    assert fresh(incident).status == "declared"


def test_cooldown_start_extend_and_lift_from_the_war_room(incident, space, moderator) -> None:
    client = client_for(moderator)
    response = client.post(
        room(incident) + "cooldowns/",
        {
            "space": space.pk,
            "mode": "slow_mode",
            "slow_mode_seconds": 60,
            "duration_minutes": 90,
            "version": 1,
        },
        **HTMX,
    )
    assert "left (ends" in response.content.decode()
    cd = Cooldown.objects.get()
    version = fresh(incident).version
    client.post(
        room(incident) + f"cooldowns/{cd.pk}/extend/", {"extra_minutes": 30, "version": version}
    )
    assert Cooldown.objects.get().ends_at == cd.ends_at + timedelta(minutes=30)
    response = client.post(
        room(incident) + f"cooldowns/{cd.pk}/lift/",
        {"version": fresh(incident).version},
        HTTP_HX_REQUEST="true",
        HTTP_HX_PROMPT="They talked it through",
    )
    assert Cooldown.objects.get().lift_reason == "They talked it through"
    assert "lifted early" in response.content.decode()


def test_a_cooldown_over_the_maximum_is_refused_in_the_page(incident, space, moderator) -> None:
    response = client_for(moderator).post(
        room(incident) + "cooldowns/",
        {"space": space.pk, "mode": "read_only", "duration_minutes": 60 * 25, "version": 1},
        **HTMX,
    )
    assert "maximum cooldown" in response.content.decode()
    assert not Cooldown.objects.exists()


def test_a_cooldown_on_another_communitys_space_is_refused_in_the_page(
    incident, other_space, moderator
) -> None:
    response = client_for(moderator).post(
        room(incident) + "cooldowns/",
        {"space": other_space.pk, "mode": "read_only", "duration_minutes": 60, "version": 1},
        **HTMX,
    )
    assert "Check the cooldown" in response.content.decode()
    assert not Cooldown.objects.exists()


def test_notes_are_added_from_the_page(incident, moderator) -> None:
    response = client_for(moderator).post(
        room(incident) + "notes/", {"text": "Calmer now."}, **HTMX
    )
    assert "Calmer now." in response.content.decode()


def test_unknown_actions_are_404(incident, moderator) -> None:
    client = client_for(moderator)
    assert client.post(room(incident) + "steps/1/explode/").status_code == 404
    assert client.post(room(incident) + "cooldowns/1/explode/").status_code == 404


def test_the_status_page_names_no_members_and_uses_calm_wording(
    incident, space, mod_actor, member_membership, community
) -> None:
    services.start_cooldown(
        community=community,
        space=space,
        mode="slow_mode",
        slow_mode_seconds=60,
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
        incident=incident,
    )
    html = Client().get("/c/garden/status/").content.decode()
    assert "A conversation in Proposals is being looked after" in html
    assert "Cooling down" in html
    assert "Proposals: slow mode" in html
    assert member_membership.display_name not in html
    assert "maya_mod" not in html
    assert incident.title not in html


def test_a_members_only_status_page_is_hidden_from_outsiders(community, outsider) -> None:
    community.visibility = Visibility.MEMBERS
    community.save()
    assert client_for(outsider).get("/c/garden/status/").status_code == 404


def test_a_member_reports_a_heated_space_and_a_moderator_declares_from_it(
    community, space, member, moderator
) -> None:
    response = client_for(member).post(
        "/c/garden/status/", {"space": space.pk, "message": "It's getting personal"}
    )
    assert response.status_code == 302
    report = IncidentReport.objects.get()
    again = client_for(member).post("/c/garden/status/", {"space": space.pk, "message": "again"})
    assert "already reported" in again.content.decode()
    assert IncidentReport.objects.count() == 1
    board = client_for(moderator).get("/c/garden/incidents/").content.decode()
    assert "It&#x27;s getting personal" in board
    response = client_for(moderator).post(f"/c/garden/incidents/reports/{report.pk}/declare/")
    incident = Incident.objects.get()
    assert response["Location"] == room(incident)
    assert incident.detected_by == "member_report"
    assert IncidentReport.objects.get().status == "declared"


def test_members_cannot_handle_reports(community, space, member, member_membership) -> None:
    report = services.report_heated_space(
        community=community, space=space, reporter=member_membership, message=""
    )
    assert (
        client_for(member).post(f"/c/garden/incidents/reports/{report.pk}/declare/").status_code
        == 403
    )
    assert not Incident.objects.exists()


def test_pages_keep_their_query_counts_flat(
    community, space, moderator, mod_actor, django_assert_max_num_queries
) -> None:
    for n in range(6):
        services.declare_incident(
            community=community,
            title=f"Incident {n}",
            severity="SEV3",
            spaces=[space],
            actor=mod_actor,
        )
    client = client_for(moderator)
    # 15 for the board, and one for the navigation's counts (unread notifications, Needs you).
    with django_assert_max_num_queries(16):
        assert client.get("/c/garden/incidents/").status_code == 200
    with django_assert_max_num_queries(12):
        assert Client().get("/c/garden/status/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get("/c/garden/incidents/metrics/").status_code == 200
    incident = Incident.objects.first()
    with django_assert_max_num_queries(30):
        assert client.get(room(incident)).status_code == 200


def test_metrics_and_runbooks_pages_are_for_moderators(
    community, member, moderator, runbook_a
) -> None:
    assert client_for(member).get("/c/garden/incidents/metrics/").status_code == 403
    page = client_for(moderator).get("/c/garden/incidents/runbooks/").content.decode()
    assert "Runbook A: Cool Down" in page
    assert "Lift the cooldown when both windows are calm" in page


def test_the_nav_links_incidents_for_moderators_only(community, member, moderator) -> None:
    assert b"/c/garden/incidents/" in client_for(moderator).get("/c/garden/").content
    page = client_for(member).get("/c/garden/").content
    assert b"/c/garden/incidents/" not in page
    assert b"/c/garden/status/" in page


def test_details_and_parties_are_edited_from_the_war_room(
    incident, space, moderator, member_membership
) -> None:
    client = client_for(moderator)
    response = client.post(
        room(incident) + "details/",
        {
            "title": "Proposals: calmer title",
            "severity": "SEV2",
            "summary": "",
            "spaces": [space.pk],
            "parties": "milo_member, nobody_here",
            "version": 1,
        },
        **HTMX,
    )
    assert "Not members here: nobody_here." in response.content.decode()
    assert fresh(incident).title == "Proposals: the vote got heated"
    client.post(
        room(incident) + "details/",
        {
            "title": "Proposals: calmer title",
            "severity": "SEV2",
            "summary": "",
            "spaces": [space.pk],
            "parties": "",
            "version": 1,
        },
    )
    after = fresh(incident)
    assert (after.title, after.severity, after.version) == ("Proposals: calmer title", "SEV2", 2)
    assert not after.parties.exists()


def test_a_checklist_item_is_ticked_from_the_war_room(community, incident, moderator) -> None:
    services.offer_facilitator(
        incident=incident,
        to=community.memberships.get(user=moderator),
        expected_version=None,
        actor=services.Actor.person(moderator),
    )
    role = incident.roles.get()
    response = client_for(moderator).post(room(incident) + f"roles/{role.pk}/checklist/0/", **HTMX)
    assert "✓" in response.content.decode()
    assert client_for(moderator).post(room(incident) + "roles/999/checklist/0/").status_code == 404


def test_only_members_can_report(community, space, outsider) -> None:
    assert client_for(outsider).post("/c/garden/status/", {"space": space.pk}).status_code == 403
    response = Client().post("/c/garden/status/", {"space": space.pk})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not IncidentReport.objects.exists()


def test_a_cooldown_of_another_incident_in_the_url_is_404(
    community, incident, space, moderator, mod_actor
) -> None:
    other = services.declare_incident(
        community=community, title="Elsewhere", severity="SEV3", spaces=[space], actor=mod_actor
    )
    cd = services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
        incident=other,
    )
    client = client_for(moderator)
    lift = client.post(room(incident) + f"cooldowns/{cd.pk}/lift/", {"reason": "calm"})
    extend = client.post(room(incident) + f"cooldowns/{cd.pk}/extend/", {"extra_minutes": 30})
    assert (lift.status_code, extend.status_code) == (404, 404)
    assert Cooldown.objects.get(pk=cd.pk).ended_at is None
    assert (
        client.post(room(other) + f"cooldowns/{cd.pk}/lift/", {"reason": "calm"}).status_code == 302
    )
    assert Cooldown.objects.get(pk=cd.pk).ended_at is not None


def test_extending_from_the_war_room_adds_to_the_current_end(
    community, incident, space, moderator, mod_actor
) -> None:
    cd = services.start_cooldown(
        community=community,
        space=space,
        mode="read_only",
        ends_at=timezone.now() + timedelta(hours=1),
        actor=mod_actor,
        incident=incident,
    )
    client = client_for(moderator)
    for _ in range(2):
        client.post(room(incident) + f"cooldowns/{cd.pk}/extend/", {"extra_minutes": 30})
    assert Cooldown.objects.get(pk=cd.pk).ends_at == cd.ends_at + timedelta(hours=1)


# --- Resolving: a confirm step and a public summary ---------------------------------------


def test_resolving_asks_for_a_summary_and_says_what_happens(incident, moderator) -> None:
    client = client_for(moderator)
    page = client.get(room(incident)).content.decode()
    assert f'href="{room(incident)}resolve/"' in page and "Mark resolved" not in page
    confirm = client.get(room(incident) + "resolve/").content.decode()
    assert "What happens when you resolve it" in confirm and "status page" in confirm
    refused = client.post(room(incident) + "resolve/", {"summary": "  ", "version": 1})
    assert refused.status_code == 400
    assert "Write a short summary" in refused.content.decode()
    assert fresh(incident).status == "declared"
    done = client.post(
        room(incident) + "resolve/", {"summary": "The vote thread calmed down.", "version": 1}
    )
    assert done.status_code == 302
    resolved = fresh(incident)
    assert (resolved.status, resolved.resolution_summary) == (
        "resolved",
        "The vote thread calmed down.",
    )
    assert resolved.timeline.filter(text__contains="Summary: The vote thread calmed down.")
    status = Client().get("/c/garden/status/").content.decode()
    assert "Recently settled" in status and "The vote thread calmed down." in status


def test_resolving_from_the_web_without_a_summary_is_refused(incident, moderator) -> None:
    response = client_for(moderator).post(
        room(incident) + "transition/", {"to": "resolved", "version": 1}, **HTMX
    )
    assert "Write a short summary" in response.content.decode()
    assert fresh(incident).status == "declared"


def test_only_moderators_resolve(incident, member) -> None:
    assert client_for(member).get(room(incident) + "resolve/").status_code in (403, 404)
    response = client_for(member).post(room(incident) + "resolve/", {"summary": "x", "version": 1})
    assert response.status_code in (403, 404)
    assert fresh(incident).status == "declared"


def test_a_stale_resolve_says_so_and_offers_a_reload(incident, moderator) -> None:
    client = client_for(moderator)
    client.post(room(incident) + "transition/", {"to": "mitigating", "version": 1})
    response = client.post(room(incident) + "resolve/", {"summary": "Calm again.", "version": 1})
    assert response.status_code == 400
    assert "Reload the incident" in response.content.decode()
    assert fresh(incident).status == "mitigating"
