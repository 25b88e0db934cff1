"""The fairness board: its figures (checked against the math module), the API, the page, the
CSV, bad input, access and a query count that does not grow with the community."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boards.fairness import fairness
from boards.fairness_math import rate_ratio
from boards.models import FairnessSnapshot
from community.models import Community, Space, Visibility
from tests.boards.helpers import seed_cohort, seed_disparity
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/fairness/"


def test_the_figures_are_the_math_modules_over_the_counted_cohorts(community: Community) -> None:
    now = timezone.now()
    seed_disparity(community, now=now)
    board = fairness(community=community, at=now, window_days=30)
    newcomers, regulars, long_standing = board.tenure.cohorts
    assert (newcomers.members, newcomers.posts, newcomers.charges) == (10, 50, 10)
    assert (regulars.members, regulars.posts, regulars.charges) == (20, 200, 10)
    assert long_standing.suppressed
    assert newcomers.rate == rate_ratio(c1=10, p1=50, c0=10, p0=200)
    assert newcomers.rate is not None and newcomers.rate.ratio == pytest.approx(4.0)
    assert newcomers.flagged
    assert board.trust is None  # no event carried a trust level


def test_the_first_event_outside_the_window_still_sets_the_cohort(community: Community) -> None:
    now = timezone.now()
    seed_cohort(community, now=now, members=6, first_seen_days=400, posts_each=2, charges_each=0)
    board = fairness(community=community, at=now, window_days=7)
    long_standing = board.tenure.cohorts[2]
    assert (long_standing.members, long_standing.posts) == (6, 12)


def test_trust_levels_group_members_with_the_most_common_level_as_reference(
    community: Community,
) -> None:
    now = timezone.now()
    seed_cohort(
        community,
        now=now,
        members=5,
        first_seen_days=5,
        posts_each=4,
        charges_each=2,
        trust_level=0,
    )
    seed_cohort(
        community,
        now=now,
        members=9,
        first_seen_days=90,
        posts_each=10,
        charges_each=0,
        trust_level=2,
    )
    trust = fairness(community=community, at=now, window_days=30).trust
    assert trust is not None
    assert trust.reference == "trust_level_2"
    assert [c.name for c in trust.cohorts] == ["trust_level_0", "trust_level_2"]
    assert trust.cohorts[0].rate is None  # the reference has no charges: undefined, not zero


def test_the_api_answers_in_the_issue_shape(community: Community) -> None:
    seed_disparity(community, now=timezone.now())
    response = api_client_for(community, "read").get(URL, {"window_days": 30})
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == "regulars"
    assert [c["name"] for c in body["cohorts"]] == ["newcomers", "regulars", "long_standing"]
    newcomers = body["cohorts"][0]
    assert set(newcomers) == {
        "name",
        "members",
        "posts",
        "charges",
        "charges_per_100_posts",
        "share_warning_or_worse",
        "overturned_share",
        "rate_ratio",
        "ci_low",
        "ci_high",
        "flagged",
    }
    spread = 1.96 * math.sqrt(1 / 10 + 1 / 10)
    assert newcomers["charges_per_100_posts"] == 20.0
    assert newcomers["rate_ratio"] == 4.0
    assert newcomers["ci_low"] == pytest.approx(4 * math.exp(-spread), abs=1e-4)
    assert newcomers["ci_high"] == pytest.approx(4 * math.exp(spread), abs=1e-4)
    assert newcomers["flagged"] is True
    suppressed = body["cohorts"][2]
    assert suppressed["members"] is None and suppressed["rate_ratio"] is None
    assert suppressed["flagged"] is False


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"window_days": 6}, "window_days"),
        ({"window_days": 366}, "window_days"),
        ({"window_days": "a month"}, "window_days"),
        ({"cohort": "veterans"}, "cohort"),
        ({"space": 987654}, "space"),
        ({"by": "age"}, "by"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    community: Community, query: dict[str, object], field: str
) -> None:
    response = api_client_for(community, "read").get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["message"]


def test_a_space_of_another_community_is_unknown(
    community: Community, other_community: Community
) -> None:
    elsewhere = Space.objects.create(community=other_community, name="Openings")
    response = api_client_for(community, "read").get(URL, {"space": elsewhere.pk})
    assert response.status_code == 400


def test_a_members_only_community_refuses_a_key_without_read(community: Community) -> None:
    community.visibility = Visibility.MEMBERS
    community.save()
    assert api_client_for(community, "events:write").get(URL).status_code == 403
    assert api_client_for(community, "read").get(URL).status_code == 200


def test_one_cohort_can_be_asked_for(community: Community) -> None:
    seed_disparity(community, now=timezone.now())
    body = api_client_for(community, "read").get(URL, {"cohort": "newcomers"}).json()
    assert [c["name"] for c in body["cohorts"]] == ["newcomers"]


def test_the_page_reads_the_flagged_cohort_in_words(community: Community, moderator: User) -> None:
    seed_disparity(community, now=timezone.now())
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/boards/fairness/").content.decode()
    assert (
        "New members are charged about 4 times as often per post as regulars; this is unlikely "
        "to be chance." in page
    )
    assert "<title" in page and 'role="img"' in page  # the chart is an accessible SVG


def test_a_community_too_small_says_so_instead_of_zeros(
    community: Community, moderator: User
) -> None:
    seed_cohort(
        community, now=timezone.now(), members=3, first_seen_days=5, posts_each=1, charges_each=0
    )
    client = Client()
    client.force_login(moderator)
    page = client.get(f"/c/{community.slug}/boards/fairness/").content.decode()
    assert "This community is too small for any figure yet" in page


def test_the_page_refuses_a_window_outside_the_range(community: Community, moderator: User) -> None:
    client = Client()
    client.force_login(moderator)
    response = client.get(f"/c/{community.slug}/boards/fairness/", {"window_days": 400})
    assert response.status_code == 400
    assert "from 7 to 365" in response.content.decode()


def test_the_csv_has_the_same_figures(community: Community, moderator: User) -> None:
    seed_disparity(community, now=timezone.now())
    client = Client()
    client.force_login(moderator)
    response = client.get(f"/c/{community.slug}/boards/fairness.csv")
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[1].startswith("tenure,New members,10,50,10,20,")
    assert "suppressed" in lines[3]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("board", ["flow/", "change-safety/", "fairness/", "fairness.csv"])
def test_the_query_count_does_not_grow_with_the_community(
    community: Community, moderator: User, board: str
) -> None:
    client = Client()
    client.force_login(moderator)
    url = f"/c/{community.slug}/boards/{board}"
    seed_disparity(community, now=timezone.now())
    small = _queries(client, url)
    seed_disparity(community, now=timezone.now(), scale=5)
    # Counted again (not read from the fairness figures the first request stored), so both
    # requests take the same path.
    FairnessSnapshot.objects.all().delete()
    assert _queries(client, url) == small
