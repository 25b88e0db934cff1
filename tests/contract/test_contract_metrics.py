"""Clause SLIs on /metrics under Sloth's names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from community.contract.evaluation import evaluate_community
from community.models import Community
from tests.contract.helpers import posts_and_flags, published_clause

pytestmark = pytest.mark.django_db


def test_clause_slis_are_exported_under_sloths_names(community: Community) -> None:
    published_clause(community)
    now = timezone.now()
    posts_and_flags(
        community, posts=5000, flags=60, at=now - timedelta(days=20), spread=timedelta(days=10)
    )
    posts_and_flags(community, posts=100, flags=10, at=now - timedelta(minutes=30), prefix="recent")
    evaluate_community(community=community, now=now)
    text = Client().get("/metrics").content.decode()
    samples = {
        (s.name, s.labels.get("space", "")): s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.labels.get("sloth_service") == "garden"
    }
    objective = samples[("slo:objective:ratio", "")]
    assert objective.value == pytest.approx(0.98)
    assert objective.labels["sloth_slo"] == "disagree-without-hostility"
    assert objective.labels["sloth_id"] == "garden-disagree-without-hostility"
    assert samples[("slo:sli_error:ratio_rate30d", "")].value == pytest.approx(70 / 5100)
    assert samples[("slo:sli_error:ratio_rate1h", "")].value == pytest.approx(0.1)
    assert samples[("slo:period_error_budget_remaining:ratio", "")].value == pytest.approx(
        1 - 70 / (0.02 * 5100), abs=1e-6
    )
    assert samples[("slo:sli_error:ratio_rate1h", "Space 2")].value == pytest.approx(0.1)
    assert ("slo:time_period:days", "") in samples
