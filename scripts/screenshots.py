#!/usr/bin/env python3
"""Photograph every main page of the demo for each role, at 1280 px and 390 px.

Usage: `make screenshots` (or `.venv/bin/python scripts/screenshots.py [OUT_DIR]`).

It builds a fresh demo in a throwaway SQLite database, serves it on a free local port, logs in
as each role in headless Chromium and writes full-page PNGs named ``<role>-<page>-<width>.png``
(``moderator-needs-you-desktop.png``) to docs/screenshots/, with an index README.md there. The
pages are demo/tour.py's list, the same the accessibility tests check. Nothing outside the
temporary directory and the output directory is touched; the configured database is not used.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
TABLE_HEAD = "| page | desktop | phone |\n| --- | --- | --- |"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
# The demo's forum is not reachable and nothing here needs a worker: the broker is in memory.
SERVER_ENV = {
    "DEBUG": "true",
    "CELERY_BROKER_URL": "memory://",
    "CACHE_URL": "locmem://",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the demo server exited before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the demo server did not answer {url} within {timeout:.0f} s")


def log_in(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def save_small(png: bytes, path: Path) -> None:
    """A page is flat colour and text: 256 colours look the same at a third of the size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    # Fast octree: a sixth of median cut's time, and smaller here; zlib's "optimize" pass would
    # cost five times as long again for 5 %.
    small = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path, "PNG")


def photograph(
    base_url: str, out: Path, roles: tuple[str, ...] | None = None
) -> list[tuple[str, str, list[str]]]:
    """Every tour page (of ``roles``, default all), every width; returns (role, page name, file
    names) for the index."""
    from playwright.sync_api import sync_playwright

    from demo.context import DEMO_PASSWORD
    from demo.tour import ROLES, USERNAMES, main_pages

    roles = roles or ROLES
    pages = [p for p in main_pages() if p.role in roles]
    written: dict[str, list[str]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role in roles:
            for width_name, (width, height) in WIDTHS.items():
                context = browser.new_context(
                    base_url=base_url,
                    viewport={"width": width, "height": height},
                    device_scale_factor=1,
                    reduced_motion="reduce",
                )
                page = context.new_page()
                page.set_default_timeout(15_000)
                if role in USERNAMES:
                    log_in(page, USERNAMES[role], DEMO_PASSWORD)
                for tour_page in (p for p in pages if p.role == role):
                    response = page.goto(tour_page.path)
                    if response is None or response.status != 200:
                        status = response.status if response else "no response"
                        raise SystemExit(f"{tour_page.slug}: {tour_page.path} answered {status}")
                    name = f"{tour_page.slug}-{width_name}.png"
                    png = page.screenshot(full_page=True, animations="disabled")
                    save_small(png, out / name)
                    written.setdefault(tour_page.slug, []).append(name)
                context.close()
        browser.close()
    return [(p.role, p.name, written[p.slug]) for p in pages]


def write_index(out: Path, shots: list[tuple[str, str, list[str]]]) -> None:
    lines = [
        "# Screenshots",
        "",
        "Every main page of the demo community for each role, at 1280 px (desktop) and 390 px",
        "(phone), written by `make screenshots` (scripts/screenshots.py) from a freshly built",
        "demo. Regenerate them after a change to a page; the list of pages is demo/tour.py.",
        "",
    ]
    for role in dict.fromkeys(role for role, _, _ in shots):
        lines += [f"## {role.capitalize()}", "", TABLE_HEAD]
        for shot_role, name, files in shots:
            if shot_role == role:
                cells = " | ".join(f"[{f.rsplit('-', 1)[1][:-4]}]({f})" for f in files)
                lines.append(f"| {name.replace('-', ' ')} | {cells} |")
        lines.append("")
    (out / "README.md").write_text("\n".join(lines))


def main(out: Path) -> int:
    """The English pages into ``out``, then the visitor's and member's pages of the demo with
    Korean as its default into ``out/ko``."""
    started = time.monotonic()
    count = shoot(out, language="en", roles=None)
    count += shoot(out / "ko", language="ko", roles=("visitor", "member"))
    size = sum(f.stat().st_size for f in out.rglob("*.png"))
    print(
        f"wrote {count} screenshots ({size / 1e6:.1f} MB) to {out} "
        f"in {time.monotonic() - started:.0f} s"
    )
    return 0


def shoot(out: Path, *, language: str, roles: tuple[str, ...] | None) -> int:
    with tempfile.TemporaryDirectory(prefix="csre-screenshots-") as tmp:
        env = {
            **os.environ,
            **SERVER_ENV,
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "VAR_DIR": f"{tmp}/var",
            "STATIC_ROOT": f"{tmp}/static",
        }
        python = sys.executable
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--language", language]):
            subprocess.run(
                [python, "manage.py", *command],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        port = free_port()
        server = subprocess.Popen(
            [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{base_url}/healthz", server)
            # This process reads the same throwaway database to list the pages.
            os.environ.update({k: env[k] for k in ("DATABASE_URL", "VAR_DIR", "STATIC_ROOT")})
            os.environ.update(SERVER_ENV)
            sys.path.insert(0, str(ROOT))
            import django

            django.setup()
            from django.db import connections

            # A second language's demo is a second throwaway database: read that one.
            connections["default"].close()
            connections["default"].settings_dict["NAME"] = f"{tmp}/db.sqlite3"
            out.mkdir(parents=True, exist_ok=True)
            for old in out.glob("*.png"):
                old.unlink()
            shots = photograph(base_url, out, roles)
            write_index(out, shots)
        finally:
            server.terminate()
            server.wait(timeout=15)
    return sum(len(files) for _, _, files in shots)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUT))
