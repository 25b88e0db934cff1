"""/healthz, /readyz, /metrics, request ids and structured logs."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client, override_settings

from community.models import Community
from config.observability import JsonFormatter, RequestIdFilter, request_id_var


def test_healthz_is_ok_without_touching_anything(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_and_broker(db: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_names_an_unreachable_broker(db: None) -> None:
    with override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:1/0", CELERY_BROKER_TRANSPORT_OPTIONS={}
    ):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert list(body["failing"]) == ["broker"]
    assert body["failing"]["broker"].startswith("broker unreachable")


def test_metrics_are_prometheus_text(community: Community) -> None:
    Client().get("/healthz")
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'http_requests_total{method="GET",status="200",view="healthz"}' in text
    assert "csre_communities 1.0" in text
    assert 'csre_memberships{community="garden"} 0.0' in text


def test_each_response_carries_a_request_id(db: None) -> None:
    generated = Client().get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert (
        Client().get("/healthz", headers={"X-Request-ID": "abc-123"})["X-Request-ID"] == "abc-123"
    )
    hostile = Client().get("/healthz", headers={"X-Request-ID": "a\nb" * 40})["X-Request-ID"]
    assert "\n" not in hostile and len(hostile) == 32


def test_json_logs_carry_the_request_id_and_extras() -> None:
    record = logging.makeLogRecord(
        {"msg": "hello %s", "args": ("world",), "levelname": "INFO", "name": "t"}
    )
    record.community = "garden"
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello world"
    assert line["request_id"] == "req-1"
    assert line["community"] == "garden"


def test_api_docs_and_schema_are_served_without_a_cdn(db: None) -> None:
    schema = Client().get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/events/" in schema.content
    docs = Client().get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("path", ["/", "/c/garden/", "/accounts/login/"])
def test_pages_use_the_vendored_htmx(community: Community, path: str) -> None:
    html = Client().get(path).content.decode()
    assert "/static/vendor/htmx-2.0.11.min.js" in html
    assert "unpkg" not in html and "jsdelivr" not in html
    assert "hx-headers" in html
