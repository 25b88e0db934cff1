"""axe-core in the browser tests: run it on the page as it stands and report what it finds.

The axe-core build is the one axe-playwright-python ships (pinned with its hash in
requirements/dev.lock; docs/accessibility.md says why this package). It is evaluated through
Playwright's DevTools channel, which the page's Content-Security-Policy does not govern, so the
pages are checked under the very CSP they are served with.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

AXE_SOURCE = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
# WCAG 2.0 and 2.1, levels A and AA, and Deque's best practices (landmarks, heading order,
# unique landmark names, a page heading).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def axe_version(page: Any) -> str:
    _inject(page)
    return str(page.evaluate("() => axe.version"))


def _inject(page: Any) -> None:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now (after any swaps)."""
    _inject(page)
    violations: list[dict[str, Any]] = page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)",
        AXE_OPTIONS,
    )
    return violations


def describe(where: str, violations: list[dict[str, Any]]) -> str:
    """One block per rule: what is wrong, how much it matters, and each offending element."""
    lines = []
    for violation in violations:
        lines.append(
            f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)
