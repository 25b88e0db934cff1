"""Rate limits at their real, configured rates: 429 with Retry-After once a limit is used up.

Login counts failed attempts per account and per client address; the right password is refused
too until the window has passed. Password resets, appeals and reports count every POST. The API
counts per key (another key is unaffected) and, without a key, per client address.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from budgets import services as budget_services
from community.models import Community, Membership, Space
from config.rates import Rate
from config.throttling import wait_in_words
from tests.conftest import PASSWORD, api_client_for, make_user
from tests.test_settings import manage

pytestmark = pytest.mark.django_db

# A fixed instant at the start of a quarter hour (and of an hour), so every window is whole.
START = "2026-11-20 10:00:00+00:00"


def limit(scope: str) -> Rate:
    return Rate.parse(settings.THROTTLE_RATES[scope])


def log_in(client: Client, username: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def test_rates_are_read_as_hits_per_period() -> None:
    assert Rate.parse("5/15m") == Rate(limit=5, seconds=900)
    assert Rate.parse("10/h") == Rate(limit=10, seconds=3600)
    assert Rate.parse("600/min") == Rate(limit=600, seconds=60)
    assert Rate.parse("2/day") == Rate(limit=2, seconds=86400)
    for bad in ("five a minute", "0/m", "5/0m", "5/week"):
        with pytest.raises(ValueError, match="rate"):
            Rate.parse(bad)


def test_a_malformed_rate_is_named_at_start() -> None:
    result = manage("check", env={"THROTTLE_LOGIN_ACCOUNT": "lots"})
    assert result.returncode != 0
    assert "THROTTLE_LOGIN_ACCOUNT" in result.stderr
    assert ImproperlyConfigured.__name__ in result.stderr


def test_waits_are_said_in_words() -> None:
    assert wait_in_words(1) == "1 second"
    assert wait_in_words(45) == "45 seconds"
    assert wait_in_words(600) == "10 minutes"
    assert wait_in_words(7200) == "2 hours"


def test_wrong_passwords_lock_the_account_until_the_window_passes(member: User) -> None:
    allowed = limit("login_account").limit
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        for _ in range(allowed):
            assert log_in(client, member.username, "wrong guess") == 200  # the form again
        # Even the right password is refused now, from any address: guessing gains nothing.
        stranger = Client(REMOTE_ADDR="198.51.100.7")
        refused = stranger.post(
            "/accounts/login/", {"username": member.username.upper(), "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(limit("login_account").seconds)
        page = refused.content.decode()
        assert "Please wait a little" in page
        assert "try again in about <strong>15 minutes</strong>" in page
        assert "_auth_user_id" not in stranger.session
        # Another account from the same address is unaffected.
        other = make_user("rosa_regular")
        assert log_in(client, other.username, PASSWORD) == 302

        clock.shift(timedelta(seconds=limit("login_account").seconds - 1))
        assert log_in(Client(), member.username, PASSWORD) == 429
        clock.shift(timedelta(seconds=1))
        assert log_in(Client(), member.username, PASSWORD) == 302


def test_wrong_passwords_from_one_address_lock_that_address(member: User) -> None:
    allowed = limit("login_address").limit
    with time_machine.travel(START, tick=False):
        attacker = Client(REMOTE_ADDR="203.0.113.9")
        for n in range(allowed):
            assert log_in(attacker, f"someone-{n}", "wrong guess") == 200
        # A real account with its right password, from the locked address: refused.
        refused = attacker.post(
            "/accounts/login/", {"username": member.username, "password": PASSWORD}
        )
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == limit("login_address").seconds
        # The same account from elsewhere: signed in.
        assert log_in(Client(REMOTE_ADDR="192.0.2.44"), member.username, PASSWORD) == 302


def test_a_successful_login_does_not_count(member: User) -> None:
    client = Client()
    for _ in range(limit("login_account").limit + 1):
        assert log_in(client, member.username, PASSWORD) == 302
        client.post("/accounts/logout/")


def test_the_admin_login_shares_the_limit(member: User) -> None:
    for _ in range(limit("login_account").limit):
        Client().post("/admin/login/", {"username": member.username, "password": "nope"})
    refused = Client().post("/admin/login/", {"username": member.username, "password": PASSWORD})
    assert refused.status_code == 429


def test_password_reset_requests_are_limited_per_address(member: User) -> None:
    allowed = limit("password_reset").limit
    with time_machine.travel(START, tick=False):
        client = Client(REMOTE_ADDR="203.0.113.20")
        for n in range(allowed):
            response = client.post("/accounts/password-reset/", {"email": f"p{n}@example.org"})
            assert response.status_code == 302
        refused = client.post("/accounts/password-reset/", {"email": member.email})
        assert refused.status_code == 429
        assert refused["Retry-After"] == "3600"
        assert "about <strong>60 minutes</strong>" in refused.content.decode()
        elsewhere = Client(REMOTE_ADDR="192.0.2.50")
        assert (
            elsewhere.post("/accounts/password-reset/", {"email": "x@example.org"}).status_code
            == 302
        )


def test_password_reset_requests_are_limited_per_email(member: User, mailoutbox: list) -> None:
    allowed = limit("password_reset_email").limit
    with time_machine.travel(START, tick=False):
        for n in range(allowed):
            sent = Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(
                "/accounts/password-reset/", {"email": member.email}
            )
            assert sent.status_code == 302
        refused = Client(REMOTE_ADDR="192.0.2.99").post(
            "/accounts/password-reset/", {"email": member.email.upper()}
        )
        assert refused.status_code == 429
    assert len(mailoutbox) == allowed  # no mail for the refused request


def _charge(community: Community, membership: Membership) -> int:
    return budget_services.create_charge(
        community=community,
        membership=membership,
        kind="moderator_warning",
        severity="moderate",
        reason="Sharp words in Proposals",
        occurred_at=timezone.now() - timedelta(days=2),
        by=None,
    ).pk


def test_filing_appeals_is_limited_per_person(
    community: Community, member: User, member_membership: Membership
) -> None:
    pk = _charge(community, member_membership)
    url = f"/c/garden/budgets/charges/{pk}/appeal/"
    client = Client()
    client.force_login(member)
    with time_machine.travel(START, tick=False):
        first = client.post(url, {"statement": "That was a quote from the rules."})
        assert first.status_code == 302
        for _ in range(limit("appeal").limit - 1):
            assert client.post(url, {"statement": "again"}).status_code == 400  # already filed
        refused = client.post(url, {"statement": "and again"})
        assert refused.status_code == 429
        assert refused["Retry-After"] == "3600"
        # Through htmx the calm message replaces the page's main content.
        swapped = client.post(url, {"statement": "htmx"}, HTTP_HX_REQUEST="true")
        assert swapped.status_code == 429
        assert swapped["HX-Retarget"] == "#main"
        assert swapped["HX-Reswap"] == "innerHTML"
        assert "<html" not in swapped.content.decode()
        assert "Please wait a little" in swapped.content.decode()
        # Someone else's appeal is unaffected.
        other = make_user("rosa_regular")
        other_membership = Membership.objects.create(community=community, user=other)
        other_client = Client()
        other_client.force_login(other)
        other_url = f"/c/garden/budgets/charges/{_charge(community, other_membership)}/appeal/"
        assert other_client.post(other_url, {"statement": "Mine"}).status_code == 302


def test_reporting_a_heated_space_is_limited_per_person(
    community: Community, member: User, member_membership: Membership
) -> None:
    space = Space.objects.create(community=community, name="Proposals", external_id="5")
    client = Client()
    client.force_login(member)
    with time_machine.travel(START, tick=False):
        for _ in range(limit("report").limit):
            assert client.post("/c/garden/status/", {"space": space.pk}).status_code in {200, 302}
        refused = client.post("/c/garden/status/", {"space": space.pk})
        assert refused.status_code == 429
        assert "This form has been sent many times" in refused.content.decode()


def test_the_api_is_limited_per_key(community: Community) -> None:
    allowed = limit("api_key").limit
    busy = api_client_for(community, "read")
    calm = api_client_for(community, "read")
    with time_machine.travel(START, tick=False):
        for _ in range(allowed):
            assert busy.get("/api/v1/spaces/").status_code == 200
        refused = busy.get("/api/v1/spaces/")
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/json"
        assert "throttled" in refused.json()["detail"].lower()
        assert refused["Retry-After"] == str(limit("api_key").seconds)
        # Another key of the same community keeps its own allowance.
        assert calm.get("/api/v1/spaces/").status_code == 200


def test_the_api_without_a_key_is_limited_per_address(db: None, settings: object) -> None:
    # The schema is slow to build, so this one test lowers the anonymous rate.
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api_anon": "2/m"}  # type: ignore[attr-defined]
    client = Client(REMOTE_ADDR="203.0.113.30")
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
    refused = client.get("/api/schema/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert Client(REMOTE_ADDR="192.0.2.60").get("/api/schema/").status_code == 200


def test_the_client_address_honours_trusted_proxies(member: User, settings: object) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # type: ignore[attr-defined]
    for n in range(limit("login_address").limit):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.40").post(
            "/accounts/login/", {"username": f"someone-{n}", "password": "nope"}
        )
    proxied = {"REMOTE_ADDR": "10.0.0.1"}
    blocked = Client(**proxied, HTTP_X_FORWARDED_FOR="203.0.113.40")
    assert log_in(blocked, member.username, PASSWORD) == 429
    # Another client behind the same proxy is a different address.
    assert (
        log_in(Client(**proxied, HTTP_X_FORWARDED_FOR="192.0.2.70"), member.username, PASSWORD)
        == 302
    )
