"""The pages work under the Content-Security-Policy in a real browser: no violation, no console
error, on every main page, the API docs and the admin's login, and through an htmx round trip."""

from __future__ import annotations

from typing import Any

import pytest

from demo import context as demo
from incidents.models import Incident
from tests.conftest import browser_login
from tests.demo_snapshot import build_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records each violation the page itself reports (the init script runs outside the page's CSP).
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""

PUBLIC_PAGES = ["/", "/c/demo/", "/c/demo/contract/", "/c/demo/status/", "/accounts/login/"]
MEMBER_PAGES = ["/c/demo/my-budget/", "/c/demo/contract/versions/"]
MODERATOR_PAGES = [
    "/c/demo/settings/",
    "/c/demo/contract/edit/",
    "/c/demo/contract/versions/1/",
    "/c/demo/incidents/",
    "/c/demo/incidents/metrics/",
    "/c/demo/incidents/runbooks/",
    "/c/demo/budgets/",
    "/c/demo/budgets/appeals/",
    "/c/demo/budgets/policy/",
    "/c/demo/integrations/",
]


class Watch:
    """Console errors and CSP violations seen on a page, to assert there were none."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message: Any) -> None:
        # Browsers ask for /favicon.ico on their own (the admin names no icon): not a page error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def visit(self, path: str) -> None:
        self.page.goto(path)
        self.page.wait_for_load_state("networkidle")
        self.check(path)

    def check(self, where: str) -> None:
        violations = self.page.evaluate("window.__csp || []")
        problems = [*self.errors, *(f"csp: {v}" for v in violations)]
        self.errors.clear()
        assert problems == [], f"{where}: {problems}"


def test_the_main_pages_raise_no_csp_violation(browser_page: Any) -> None:
    build_demo(log=lambda line: None)
    page = browser_page
    watch = Watch(page)
    for path in PUBLIC_PAGES:
        watch.visit(path)

    browser_login(page, demo.MEMBER_USERNAME, demo.DEMO_PASSWORD)
    page.wait_for_url("**/")
    watch.check("after logging in")
    for path in MEMBER_PAGES:
        watch.visit(path)
    # An htmx round trip (the inline appeal form) works and injects no style.
    page.goto("/c/demo/my-budget/")
    page.get_by_role("link", name="Appeal").first.click()
    page.get_by_role("button", name="Send appeal").first.wait_for()
    watch.check("the inline appeal form")
    assert page.evaluate("document.querySelectorAll('style').length") == 0

    page.get_by_role("button", name="Log out").click()
    browser_login(page, demo.MODERATOR_USERNAME, demo.DEMO_PASSWORD)
    page.wait_for_url("**/")
    for path in MODERATOR_PAGES:
        watch.visit(path)
    incident = Incident.objects.filter(community__slug=demo.DEMO_SLUG).order_by("pk").first()
    assert incident is not None
    watch.visit(incident.get_absolute_url())


def test_the_api_docs_and_the_admin_login_raise_no_csp_violation(browser_page: Any) -> None:
    page = browser_page
    watch = Watch(page)
    watch.visit("/api/docs/")
    page.get_by_text("Community SRE API").first.wait_for()
    watch.check("the rendered API docs")
    watch.visit("/admin/login/")
