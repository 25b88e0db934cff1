"""Outbound calls reach only public addresses in production (no SSRF into our own network)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from community.models import Community
from community.services import ServiceError
from integrations.addresses import InternalAddressError, check_public_url
from integrations.discourse.client import DiscourseClient
from integrations.discourse.connection import connect_discourse
from integrations.http import CallError, post_signed
from integrations.models import DiscourseConnection, WebhookSubscription
from integrations.webhooks.subscriptions import create_subscription

SECRET = "a-webhook-secret-of-length"
INTERNAL = [
    "http://127.0.0.1:6379/",
    "http://localhost/",
    "http://10.0.0.5/hook",
    "http://192.168.1.10/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:5432/",
]

pytestmark = pytest.mark.usefixtures("_production_addresses")


@pytest.fixture
def _production_addresses() -> object:
    with override_settings(INTEGRATIONS_ALLOW_PRIVATE_ADDRESSES=False):
        yield


@pytest.mark.parametrize("url", INTERNAL)
def test_an_internal_address_is_refused(url: str) -> None:
    with pytest.raises(InternalAddressError):
        check_public_url(url)


def test_a_public_address_passes() -> None:
    check_public_url("https://93.184.216.34/hooks")


@pytest.mark.parametrize("url", INTERNAL)
def test_a_webhook_to_an_internal_address_is_refused_and_nothing_stored(
    community: Community, url: str
) -> None:
    with pytest.raises(ServiceError, match="must be public"):
        create_subscription(community=community, url=url, secret=SECRET, event_types=["*"])
    assert not WebhookSubscription.objects.exists()


def test_a_forum_on_an_internal_address_is_refused(community: Community) -> None:
    with pytest.raises(ServiceError, match="must be public"):
        connect_discourse(community=community, base_url="http://10.1.2.3", secret=SECRET)
    assert not DiscourseConnection.objects.exists()


def test_requests_are_checked_again_when_sent() -> None:
    with pytest.raises(CallError) as refused:
        post_signed("http://127.0.0.1:9/hook", b"{}", {})
    assert refused.value.permanent
    client = DiscourseClient(base_url="http://127.0.0.1:9", api_key="k", api_username="u")
    with client, pytest.raises(CallError) as again:
        client.request("GET", "/site.json")
    assert again.value.permanent
