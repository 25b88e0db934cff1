"""The apps depend one way (STYLE.md): community is the spine and imports none of the others;
budgets builds on community; incidents on both; integrations only on community, and nothing
imports integrations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

APPS = ("community", "budgets", "incidents", "integrations")
ALLOWED = {
    "community": set(),
    "budgets": {"community"},
    "incidents": {"community", "budgets"},
    "integrations": {"community"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_the_apps_below_them(app: str) -> None:
    offending = []
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in APPS and top != app and top not in ALLOWED[app]:
                offending.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offending == []


# Framework-free modules that hold the normative math (DESIGN.md §3). Add new ones here.
PURE_MODULES = [
    "community/slo.py",
    "community/sparkline.py",
    "community/openslo.py",
    "incidents/rules.py",
    "budgets/forgiveness.py",
    "integrations/signing.py",
    "integrations/retry.py",
    "integrations/discourse/dedupe.py",
    "integrations/discourse/fields.py",
    "community/json_safety.py",
    "incidents/notice_templates.py",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_math_modules_are_framework_free(module: str) -> None:
    imports = imported_modules(ROOT / module)
    framework = sorted(
        m for m in imports if m.split(".")[0] in {"django", "rest_framework", "celery", "budgets"}
    )
    assert framework == []
