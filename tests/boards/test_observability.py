"""The operations view: generated rules pass promtool (checked and unit-tested), the app's alert
state is on /metrics, and a real Prometheus loading the rules fires when the app's alert is open."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from community.models import Clause, ClauseAlert, Community
from tests.contract.helpers import published_clause

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
needs_promtool = pytest.mark.skipif(not Path(PROMTOOL).exists(), reason="promtool not installed")
SLUG = "disagree-without-hostility"


def _export(community: Community, out: Path) -> Path:
    call_command("export_observability", community=community.slug, out=str(out))
    return out / f"{community.slug}-alerts.yml"


def _open_alert(clause: Clause) -> ClauseAlert:
    return ClauseAlert.objects.create(
        clause=clause,
        scope="",
        rule="page_fast",
        severity="page",
        long_minutes=60,
        short_minutes=5,
        threshold=14.4,
        burn_rate_long=15,
        burn_rate_short=17.9,
        bad_long=45,
        total_long=150,
        fired_at=timezone.now(),
    )


@needs_promtool
@pytest.mark.django_db
def test_the_generated_rules_pass_promtool(community: Community, tmp_path: Path) -> None:
    published_clause(community)
    rules = _export(community, tmp_path)
    checked = subprocess.run(
        [PROMTOOL, "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 8 rules found" in checked.stdout  # 5 burn-rate windows, 3 alerts
    document = yaml.safe_load(rules.read_text())
    alerts = document["groups"][1]["rules"]
    assert {a["labels"]["rule"] for a in alerts} == {"page_fast", "page_slow", "ticket"}
    assert all("csre_clause_alert_firing" in a["expr"] for a in alerts)
    board = json.loads((tmp_path / f"{community.slug}-dashboard.json").read_text())
    assert len(board["panels"]) == 3 and board["uid"] == "csre-garden"


@needs_promtool
@pytest.mark.django_db
def test_the_generated_alert_fires_in_promtools_unit_test(
    community: Community, tmp_path: Path
) -> None:
    published_clause(community)
    rules = _export(community, tmp_path)
    series = (
        f'csre_clause_alert_firing{{community="garden", clause="{SLUG}", rule="page_fast", '
        'scope="community"}'
    )
    unit = {
        "rule_files": [rules.name],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": series, "values": "0 0 1 1 1"}],
                "alert_rule_test": [
                    {"eval_time": "1m", "alertname": "CsreClauseBudgetBurn", "exp_alerts": []},
                    {
                        "eval_time": "3m",
                        "alertname": "CsreClauseBudgetBurn",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "page",
                                    "community": "garden",
                                    "clause": SLUG,
                                    "rule": "page_fast",
                                    "scope": "community",
                                },
                                "exp_annotations": {
                                    "summary": "Disagree without hostility: the budget is "
                                    "going fast (community)",
                                    "description": yaml.safe_load(rules.read_text())["groups"][1][
                                        "rules"
                                    ][0]["annotations"]["description"],
                                },
                            }
                        ],
                    },
                ],
            }
        ],
    }
    test_file = tmp_path / "alerts_test.yml"
    test_file.write_text(yaml.safe_dump(unit, sort_keys=False))
    tested = subprocess.run(
        [PROMTOOL, "test", "rules", test_file.name],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


@pytest.mark.django_db
def test_an_unknown_community_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="There is no community 'nowhere'"):
        call_command("export_observability", community="nowhere", out=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_metrics_carry_the_apps_alert_state(community: Community) -> None:
    clause = published_clause(community)
    quiet = Client().get("/metrics").content.decode()
    labels = f'clause="{SLUG}",community="garden",rule="page_fast",scope="community"'
    assert f"csre_clause_alert_firing{{{labels}}} 0.0" in quiet
    _open_alert(clause)
    firing = Client().get("/metrics").content.decode()
    assert f"csre_clause_alert_firing{{{labels}}} 1.0" in firing
    assert "member" not in firing.split("csre_clause_alert_firing", 1)[1].split("\n# ")[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def prometheus(tmp_path: Path, live_server: Any) -> Iterator[tuple[str, Path]]:
    """A real Prometheus scraping the live test server every second; yields its address and
    the folder its rule file goes into (it is loaded once written and reloaded)."""
    if not Path(PROMETHEUS).exists():
        pytest.skip("prometheus not installed")
    port = _free_port()
    host = live_server.url.removeprefix("http://")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(tmp_path / "rules" / "*.yml")],
        "scrape_configs": [
            {
                "job_name": "csre",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": [host]}],
            }
        ],
    }
    (tmp_path / "rules").mkdir()
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}", tmp_path / "rules"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a local test server
        return dict(json.loads(response.read()))


def _wait(predicate: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _firing(address: str) -> list[dict[str, Any]]:
    alerts = _get(f"{address}/api/v1/alerts")["data"]["alerts"]
    return [a for a in alerts if a["state"] == "firing"]


@pytest.mark.django_db(transaction=True)
def test_a_real_prometheus_pages_when_the_app_does(
    community: Community, prometheus: tuple[str, Path]
) -> None:
    address, rules_dir = prometheus
    clause = published_clause(community)
    _export(community, rules_dir)
    reload = urllib.request.Request(f"{address}/-/reload", method="POST")  # noqa: S310
    assert _wait(lambda: urllib.request.urlopen(reload, timeout=5).status == 200)  # noqa: S310
    assert _wait(lambda: len(_get(f"{address}/api/v1/rules")["data"]["groups"]) == 2)
    # Quiet: the series is scraped at 0, and nothing fires.
    assert _wait(
        lambda: _get(f"{address}/api/v1/query?query=csre_clause_alert_firing")["data"]["result"]
    )
    assert _firing(address) == []
    _open_alert(clause)
    assert _wait(lambda: len(_firing(address)) == 1)
    labels = _firing(address)[0]["labels"]
    assert (labels["alertname"], labels["rule"], labels["severity"], labels["scope"]) == (
        "CsreClauseBudgetBurn",
        "page_fast",
        "page",
        "community",
    )
