"""The replay pages: start from the clause editor, watch the progress, read the results in
words beside the live alerts, dismiss; moderators only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from community.contract.replay.models import Replay, ReplayStatus
from community.models import Community
from tests.contract.helpers import posts_and_flags, published_clause

pytestmark = pytest.mark.django_db(transaction=True)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_moderator_tries_a_clause_on_past_events_and_reads_what_would_have_fired(
    community: Community, moderator: User
) -> None:
    clause = published_clause(community, at=timezone.now() - timedelta(days=3))
    posts_and_flags(community, posts=150, flags=45, at=timezone.now() - timedelta(hours=5))
    client = _client(moderator)
    edit = client.get(f"/c/{community.slug}/contract/clauses/{clause.pk}/").content.decode()
    assert "Try this change on past events" in edit
    response = client.post(f"/c/{community.slug}/contract/clauses/{clause.pk}/replay/")
    replay = Replay.objects.get()
    assert response["Location"] == f"/c/{community.slug}/contract/replays/{replay.pk}/"
    assert replay.status == ReplayStatus.DONE  # eager in tests
    page = client.get(response["Location"]).content.decode()
    assert "195 events in the period" in page
    assert "fast burn" in page.lower()
    assert "across the community" in page
    assert "page_fast" not in page and "hx-trigger" not in page
    partial = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="replay-progress"')
    listing = client.get(f"/c/{community.slug}/contract/replays/").content.decode()
    assert "Disagree without hostility" in listing
    client.post(f"/c/{community.slug}/contract/replays/{replay.pk}/dismiss/")
    assert Replay.objects.get().status == ReplayStatus.DISMISSED
    assert client.get(response["Location"]).status_code == 404


def test_a_queued_replay_polls_and_an_empty_period_says_so(
    community: Community, moderator: User
) -> None:
    clause = published_clause(community)
    replay = Replay.objects.create(
        community=community,
        clause=clause,
        definition=clause.draft_definition().as_dict(),
        period_from=timezone.now() - timedelta(days=30),
        period_to=timezone.now(),
    )
    client = _client(moderator)
    url = f"/c/{community.slug}/contract/replays/{replay.pk}/"
    assert 'hx-trigger="every 1s"' in client.get(url).content.decode()
    client.post(f"/c/{community.slug}/contract/clauses/{clause.pk}/replay/")
    done = Replay.objects.exclude(pk=replay.pk).get()
    page = client.get(f"/c/{community.slug}/contract/replays/{done.pk}/").content.decode()
    assert "No events in this period" in page
    assert "hx-trigger" not in page


def test_members_may_not_see_or_start_replays(community: Community, member: User) -> None:
    clause = published_clause(community)
    client = _client(member)
    assert client.get(f"/c/{community.slug}/contract/replays/").status_code == 403
    response = client.post(f"/c/{community.slug}/contract/clauses/{clause.pk}/replay/")
    assert response.status_code == 403
    assert not Replay.objects.exists()


def test_a_moderator_tries_a_draft_policy_and_a_clause_from_the_form(
    community: Community, moderator: User
) -> None:
    clause = published_clause(community, at=timezone.now() - timedelta(days=3))
    posts_and_flags(community, posts=150, flags=45, at=timezone.now() - timedelta(hours=5))
    client = _client(moderator)
    url = f"/c/{community.slug}/contract/replays/new/"
    form = client.get(url).content.decode()
    assert "Start the replay" in form and "Disagree without hostility" in form
    response = client.post(
        url,
        {
            "clause": str(clause.pk),
            "cost_minor": "1",
            "cost_moderate": "6",
            "cost_severe": "9",
            "floor_points": "12",
        },
    )
    replay = Replay.objects.get()
    assert response["Location"] == f"/c/{community.slug}/contract/replays/{replay.pk}/"
    assert replay.policy is not None and replay.policy["floor_points"] == "12"
    assert replay.policy["costs"]["flag_upheld"] == {"minor": "1", "moderate": "6", "severe": "9"}
    page = client.get(response["Location"]).content.decode()
    assert "and a draft budget policy" in page
    assert "Members under the draft budget policy" in page
    assert "Incidents the alerts would have opened" in page
    assert "The clause at the end of the period" in page
    assert "Members whose tier would differ" in page
    assert "Over the whole period" in page
    assert "Members whose period would differ" in page
    # From this clause's replay, the way on to a trial of the draft.
    assert f'href="/c/{community.slug}/contract/releases/#start-h"' in page
    assert "long_standing" not in page and "page_fast" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose a clause, change a budget setting, or both."),
        ({"window_days": "0"}, "The window is a whole number of days from 1 to 365."),
        ({"cost_minor": "1"}, "Give the three costs, or none to keep them."),
        ({"member_target": "2"}, "The member target is a fraction between 0 and 1"),
        ({"floor_points": "5", "end": "2999-01-01T00:00"}, "the end is in the future"),
    ],
)
def test_the_form_refuses_bad_input_in_words_and_keeps_nothing(
    community: Community, moderator: User, data: dict[str, str], message: str
) -> None:
    posts_and_flags(community, posts=3, flags=0, at=timezone.now() - timedelta(hours=5))
    response = _client(moderator).post(f"/c/{community.slug}/contract/replays/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Replay.objects.exists()


def test_dismissing_asks_first_and_says_what_happens(community: Community, moderator: User) -> None:
    clause = published_clause(community)
    replay = Replay.objects.create(
        community=community,
        clause=clause,
        definition=clause.draft_definition().as_dict(),
        period_from=timezone.now() - timedelta(days=30),
        period_to=timezone.now(),
        status=ReplayStatus.DONE,
    )
    client = _client(moderator)
    detail = client.get(f"/c/{community.slug}/contract/replays/{replay.pk}/").content.decode()
    assert "Dismiss this replay…" in detail
    confirm = client.get(f"/c/{community.slug}/contract/replays/{replay.pk}/dismiss/")
    assert "What happens when you dismiss it" in confirm.content.decode()
    assert Replay.objects.get().status == ReplayStatus.DONE
    client.post(f"/c/{community.slug}/contract/replays/{replay.pk}/dismiss/")
    assert Replay.objects.get().status == ReplayStatus.DISMISSED


def test_members_may_not_open_the_form(community: Community, member: User) -> None:
    client = _client(member)
    assert client.get(f"/c/{community.slug}/contract/replays/new/").status_code == 403
    assert client.post(f"/c/{community.slug}/contract/replays/new/", {}).status_code == 403
    assert not Replay.objects.exists()
