"""The connect service keeps stored secrets when a form is saved again with them blank."""

from __future__ import annotations

import pytest

from community.models import Community
from community.services import ServiceError
from integrations.discourse.connection import connect_discourse
from integrations.models import DiscourseConnection
from tests.integrations.helpers import API_KEY, API_USER, SECRET


def test_a_blank_secret_and_key_keep_the_stored_ones(
    community: Community, connection: DiscourseConnection
) -> None:
    again = connect_discourse(
        community=community, base_url=connection.base_url, secret="", api_username=API_USER
    )
    assert (again.pk, again.webhook_secret, again.api_key) == (connection.pk, SECRET, API_KEY)


def test_clearing_the_username_drops_the_key(
    community: Community, connection: DiscourseConnection
) -> None:
    again = connect_discourse(community=community, base_url=connection.base_url, secret="")
    assert (again.webhook_secret, again.api_key, again.api_username, again.can_act) == (
        SECRET,
        "",
        "",
        False,
    )


def test_a_blank_secret_is_refused_for_a_first_connection(community: Community) -> None:
    with pytest.raises(ServiceError, match="at least 12"):
        connect_discourse(community=community, base_url="https://forum.example.org", secret="")
    assert not DiscourseConnection.objects.exists()


def test_a_new_secret_replaces_the_stored_one(
    community: Community, connection: DiscourseConnection
) -> None:
    again = connect_discourse(
        community=community, base_url=connection.base_url, secret="a-brand-new-secret-1"
    )
    assert again.webhook_secret == "a-brand-new-secret-1"
