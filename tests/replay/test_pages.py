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
