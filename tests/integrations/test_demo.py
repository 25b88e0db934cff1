"""The demo step: a connection that is not reachable, a subscription with logged deliveries."""

from __future__ import annotations

import random

from django.utils import timezone

from community.demo import DemoContext, steps
from community.models import Community, Space
from integrations.demo import DEMO_FORUM, seed_integrations
from integrations.models import DiscourseConnection, WebhookAttempt, WebhookDelivery


def test_the_demo_step_is_registered_after_the_others() -> None:
    assert (50, "integrations: Discourse connection and outbound webhooks") in [
        (order, name) for order, name, _ in steps()
    ]


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
