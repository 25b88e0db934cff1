"""Settings come from the environment; production refuses to start half-configured."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "-a-long-random-production-secret",
    "ALLOWED_HOSTS": "community.example.org",
    "DATABASE_URL": "sqlite:////tmp/csre-settings-test.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_pass_the_deploy_check() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_missing_production_secret_is_named_at_start() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_missing_allowed_hosts_is_named_at_start() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required" in result.stderr


def test_a_malformed_boolean_is_named() -> None:
    result = manage("check", env={"DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


# --- `make run`: DEBUG off on this machine, with no environment -----------------------------

LOCAL_RUN = {"DEBUG": "false", "LOCAL_RUN": "true"}
SHOW = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.SECRET_KEY, ','.join(s.ALLOWED_HOSTS), s.SECURE_SSL_REDIRECT, "
    "s.SESSION_COOKIE_SECURE, sep='|')"
)


def test_a_local_run_generates_its_secret_key_once_and_reuses_it(tmp_path: Path) -> None:
    env = {**LOCAL_RUN, "VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    first = manage("shell", "-c", SHOW, env=env)
    assert first.returncode == 0, first.stderr
    debug, key, hosts, redirect, secure_cookie = first.stdout.splitlines()[-1].split("|")
    assert debug == "False" and len(key) >= 50 and "insecure" not in key
    assert "localhost" in hosts and "127.0.0.1" in hosts
    # Served over plain HTTP on this machine: no redirect to HTTPS, cookies that HTTP can carry.
    assert (redirect, secure_cookie.strip()) == ("False", "False")
    stored = tmp_path / "secret_key"
    assert stored.read_text().strip() == key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    again = manage("shell", "-c", SHOW, env=env)
    assert again.stdout.splitlines()[-1].split("|")[1] == key


def test_an_operators_debug_off_without_the_local_flag_still_needs_a_secret(
    tmp_path: Path,
) -> None:
    env = {"DEBUG": "false", "VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "community.example.org"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_the_makefile_runs_with_debug_off_unless_asked() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "RUN_ENV = DEBUG=$(or $(DEBUG),false) LOCAL_RUN=true" in makefile
    run = makefile.split("\nrun: ", 1)[1].split("\n\n", 1)[0]
    assert "$(RUN_ENV) $(PY) scripts/run_all.py" in run
    assert "$(RUN_ENV) $(PY) manage.py collectstatic" in run


def test_a_local_run_serves_styled_pages_and_our_404(tmp_path: Path) -> None:
    """What `make run` serves, with DEBUG off: static files through WhiteNoise and our 404 page,
    never Django's debug page listing every URL."""
    env = {
        **LOCAL_RUN,
        "VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "CELERY_BROKER_URL": "memory://",
    }
    collected = manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)  # noqa: S310 - local
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/no-such-page/", timeout=5)  # noqa: S310 - local
        assert missing.value.code == 404
        page = missing.value.read().decode()
        assert "Nothing here" in page and "URLconf" not in page
        stylesheet = re.search(r'href="(/static/css/app[^"]*\.css)"', page)
        assert stylesheet is not None
        css = urllib.request.urlopen(base + stylesheet.group(1), timeout=5)  # noqa: S310
        assert css.status == 200 and b".card" in css.read()
    finally:
        server.terminate()
        server.wait(timeout=15)
