"""The shared cast and the real-service fixtures.

Cast (same names in every permission test): ``community`` with ``moderator``, ``member`` and
``outsider`` (a user with no membership), and ``other_community`` with its own ``other_moderator``.

Real services: tests marked ``postgres``, ``worker`` or ``browser`` need PostgreSQL, Redis plus a
real Celery worker, or headless Chromium. Outside CI they skip with a reason naming what is
missing; with ``CI=true`` any skipped test fails the run (see ``pytest_sessionfinish``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.test import APIClient

from community.models import Community, Membership, Role
from community.services import create_api_key, set_role
from config import queues as celery_queues
from config.celery import app as celery_app
from tests import demo_snapshot
from tests.world import World, build_world

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


# --- Parallel runs: each xdist process on its own Redis database ---------------------------


def own_redis_database(url: str, worker: int) -> str:
    """``url`` moved to the Redis database after its own, one per xdist process (gw0 → +1), so
    one process's purge or queue never meets another's; other URLs are returned unchanged."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        return url
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + 1 + worker}"))


def pytest_configure(config: pytest.Config) -> None:
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not name.startswith("gw"):
        return
    worker = int(name[2:])
    broker = own_redis_database(settings.CELERY_BROKER_URL, worker)
    settings.CELERY_BROKER_URL = broker
    # Celery reads CELERY_BROKER_URL from the environment before Django's settings, and the
    # workers the tests start inherit the environment.
    os.environ["CELERY_BROKER_URL"] = broker
    celery_app.conf.broker_url = broker
    cache = settings.CACHES["default"]
    if isinstance(cache.get("LOCATION"), str):
        cache["LOCATION"] = own_redis_database(str(cache["LOCATION"]), worker)
        os.environ["CACHE_URL"] = str(cache["LOCATION"])


# --- Celery: eager by default; the worker fixture switches to the real broker ---------------


@pytest.fixture(autouse=True)
def _celery_eager() -> Iterator[None]:
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Close connections after each request in tests, so live-server threads never hold one
    open when the test database is dropped. (pytest-django's own fixture, extended: each xdist
    process keeps its own test database.)"""
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """The cast logs in with real passwords; a fast hasher keeps the suite quick. (Password
    hashing itself is Django's, tested there; a test that needs the real hasher can override.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> None:
    """Each test counts rate limits from zero (at the real rates) under its own cache key
    prefix. Never a flush: with Redis the cache may share the broker's database."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


# --- The cast -------------------------------------------------------------------------------


def make_user(username: str) -> User:
    return User.objects.create_user(username, f"{username}@example.org", PASSWORD)


@pytest.fixture
def community(db: None) -> Community:
    return Community.objects.create(slug="garden", name="Garden Club")


@pytest.fixture
def other_community(db: None) -> Community:
    return Community.objects.create(slug="chess", name="Chess Corner")


@pytest.fixture
def moderator(community: Community) -> User:
    user = make_user("maya_mod")
    set_role(community=community, user=user, role=Role.MODERATOR)
    return user


@pytest.fixture
def member(community: Community) -> User:
    user = make_user("milo_member")
    set_role(community=community, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def member_membership(member: User, community: Community) -> Membership:
    return Membership.objects.get(community=community, user=member)


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("olive_outsider")


@pytest.fixture
def other_moderator(other_community: Community) -> User:
    user = make_user("oscar_othermod")
    set_role(community=other_community, user=user, role=Role.MODERATOR)
    return user


@pytest.fixture
def world(
    community: Community,
    other_community: Community,
    moderator: User,
    member: User,
    outsider: User,
    other_moderator: User,
) -> World:
    """One of each protected object on the cast (see ``tests/world.py``)."""
    return build_world(
        community=community,
        other_community=other_community,
        moderator=moderator,
        member=member,
        outsider=outsider,
        other_moderator=other_moderator,
    )


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document ``/api/schema/`` serves, generated in-process."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def api_client_for(community: Community, *scopes: str) -> APIClient:
    _, key = create_api_key(community=community, name="test", scopes=scopes, by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api(community: Community) -> APIClient:
    """An API client with every scope on ``community``."""
    return api_client_for(community, "read", "events:write", "moderate")


# --- Real services --------------------------------------------------------------------------


def _uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _redis_url() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return None
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url


def chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def _run_early(item: pytest.Item) -> int:
    module = getattr(item, "module", None)
    if module is not None and module.__name__.endswith("test_bench_harness"):
        return 0
    if getattr(module, "build_demo", None) is demo_snapshot.build_demo:
        return 1
    return 2


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needs_pg = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"
    )
    needs_worker = pytest.mark.skip(
        reason="needs PostgreSQL and Redis for a real Celery worker: set "
        "DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://... (CI does)"
    )
    needs_browser = pytest.mark.skip(
        reason="needs headless Chromium: apt-get install chromium (CI does)"
    )
    for item in items:
        # schemathesis gives every operation's test the function's node id; pytest-xdist
        # schedules by node id, so all but one operation would silently never run. The
        # operation in the id keeps each one apart (and names it in reports).
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            item._id = dataclasses.replace(item.id, params=label)
    # Longest first, then the files that copy the demo back (tests/demo_snapshot.py) next to
    # each other, so each process builds it about once while its copy is fresh. The order is
    # the same in every xdist process; within a file it is unchanged.
    items.sort(key=_run_early)
    have_pg = _uses_postgres()
    have_worker = have_pg and _redis_url() is not None
    have_browser = chromium_path() is not None
    for item in items:
        if "postgres" in item.keywords and not have_pg:
            item.add_marker(needs_pg)
        if "worker" in item.keywords and not have_worker:
            item.add_marker(needs_worker)
        if "browser" in item.keywords and not have_browser:
            item.add_marker(needs_browser)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every service is present, so a skipped test means something is broken."""
    if os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        if reporter:
            reporter.write_line(
                f"CI=true: {skipped} test(s) were skipped; in CI every service must be present.",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def database_url() -> str:
    """A URL for the database the tests use (pytest-django's test database)."""
    s = connection.settings_dict
    auth = s["USER"] or ""
    if s["PASSWORD"]:
        auth += f":{s['PASSWORD']}"
    host = f"{auth}@" if auth else ""
    host += f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{host}/{s['NAME']}"


class WorkerProcess:
    """A real ``celery worker`` subprocess on the real broker and the test database."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children (a crash, not a shutdown)."""
        subprocess.run(["pkill", "-9", "-P", str(self.process.pid)], check=False)
        self.process.kill()
        self.process.wait(timeout=10)


def start_worker(
    tmp_path: Path,
    *,
    concurrency: int = 2,
    extra_env: dict[str, str] | None = None,
    queues: tuple[str, ...] = celery_queues.QUEUES,
) -> WorkerProcess:
    """A worker consuming ``queues`` (all of them unless told: most tests follow work from one
    queue to the next)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DEBUG": "true",
        "LOG_FORMAT": "text",
        **(extra_env or {}),
    }
    log_path = tmp_path / f"worker-{time.monotonic_ns()}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            f"--concurrency={concurrency}",
            "-Q",
            celery_queues.worker_argument(*queues),
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    # Up to two minutes: on a loaded, shared machine a worker's start takes a minute.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if "ready." in log_path.read_text(errors="replace"):
            return WorkerProcess(process, log_path)
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"celery worker did not start:\n{log_path.read_text(errors='replace')}")


@pytest.fixture
def celery_worker(transactional_db: None, tmp_path: Path) -> Iterator[WorkerProcess]:
    """Start a real worker; tasks are sent through the real broker (not eager) meanwhile."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    worker = start_worker(tmp_path)
    try:
        yield worker
    finally:
        if worker.process.poll() is None:
            worker.process.terminate()
            try:
                worker.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        celery_app.control.purge()


def wait_for(
    predicate: Any, *, timeout: float = 20.0, interval: float = 0.2, what: str = ""
) -> Any:
    """Poll until ``predicate()`` is truthy; return its value or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what or predicate}")


# --- Browser --------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def browser_page(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A Playwright page in headless Chromium, with ``page.base_url`` set to the live server."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (Playwright's own default is 5 s): on a busy 2-core
    # machine running the suite in parallel, an htmx answer can take longer than that.
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def browser_login(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def check_in_now(page: Any) -> None:
    """Press the war room's "Check in now" once the worker has set the check-in time: the room
    shows "due at" only then, and a click on the page from before is refused as stale."""
    from playwright.sync_api import expect  # imported here, as the browser fixture imports it

    expect(page.get_by_test_id("next-step")).to_contain_text("due at")
    page.get_by_role("button", name="Check in now").click()
