"""The demo step: a connection that is not reachable, a subscription with logged deliveries."""

from __future__ import annotations

import random

from django.utils import timezone

from community.models import Community, Space
from demo.build import STEPS
from demo.context import DemoContext
from demo.integrations import DEMO_FORUM, seed_integrations
from integrations.models import DiscourseConnection, WebhookAttempt, WebhookDelivery


def test_the_demo_step_runs_last_after_the_steps_it_builds_on() -> None:
    assert STEPS[-1] == (
        "integrations: Discourse connection and outbound webhooks",
        seed_integrations,
    )


def test_the_demo_step_connects_a_forum_and_logs_deliveries_once(community: Community) -> None:
    grow = Space.objects.create(
        community=community, name="Growing Tips", source="demo", external_id="2"
    )
    ctx = DemoContext(
        community=community,
        now=timezone.now(),
        rng=random.Random(1),
        created=True,
        log=lambda m: None,
    )
    seed_integrations(ctx)
    connection = DiscourseConnection.objects.get()
    assert connection.base_url == DEMO_FORUM and connection.category_spaces == {"2": grow.pk}
    statuses = sorted(WebhookDelivery.objects.values_list("status", flat=True))
    assert statuses == ["delivered", "delivered", "failed"]
    census = (WebhookDelivery.objects.count(), WebhookAttempt.objects.count())
    seed_integrations(ctx)
    assert (WebhookDelivery.objects.count(), WebhookAttempt.objects.count()) == census
