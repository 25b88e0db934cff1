"""Content-Security-Policy and Permissions-Policy on every response; templates the policy can
keep (no inline script, style or event handler); oversized bodies answered with a 413."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from community.models import Community
from config.headers import permissions_policy
from tests.conftest import ROOT, api_client_for

pytestmark = pytest.mark.django_db

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(
    "path", ["/", "/c/garden/", "/accounts/login/", "/api/docs/", "/api/v1/spaces/", "/healthz"]
)
def test_every_response_carries_the_csp_and_permissions_policy(
    community: Community, path: str
) -> None:
    response = Client().get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    features = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in features


def test_the_permissions_policy_header_denies_each_feature() -> None:
    assert permissions_policy(("camera", "usb")) == "camera=(), usb=()"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_inline_script_style_or_handler(template: Any) -> None:
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text, "inline <style>"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "event handler attribute"
    assert "javascript:" not in text


def test_htmx_is_told_to_inject_no_style_and_evaluate_nothing() -> None:
    base = (ROOT / "templates" / "base.html").read_text()
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']*)'", base).group(1))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False


def test_the_api_docs_load_their_script_and_style_as_files(db: None) -> None:
    page = Client().get("/api/docs/").content.decode()
    assert "<style" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


# --- Oversized bodies -----------------------------------------------------------------------


def test_an_oversized_api_body_is_a_json_413(community: Community, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    api = api_client_for(community, "events:write")
    body = json.dumps({"events": [{"external_id": f"p-{n}", "kind": "post"} for n in range(500)]})
    response = api.post("/api/v1/events/", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The request body is larger than the 9.8\xa0KB this service accepts."
    }


def test_an_oversized_form_gets_the_styled_413_page(member: User, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = Client().post("/accounts/login/", {"username": "x" * 20_000, "password": "y"})
    assert response.status_code == 413
    page = response.content.decode()
    assert "Too much at once" in page
    assert 'href="/static/css/app.css"' in page


def test_a_malformed_request_gets_the_styled_400_page(db: None, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{n}": "x" for n in range(10)}
    response = Client().post("/accounts/login/", fields)
    assert response.status_code == 400
    assert "That request did not make sense" in response.content.decode()


def test_a_discourse_delivery_over_the_upload_limit_is_a_413(db: None, settings: Any) -> None:
    # Under the receiver's own limit but over Django's: refused before the connection is looked up.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = Client().post(
        f"/integrations/discourse/{uuid.uuid4()}/",
        data="x" * 20_000,
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
