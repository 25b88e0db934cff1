"""The apps depend one way (STYLE.md): community is the spine and imports none of the others;
budgets builds on community; incidents on both; integrations only on community, and nothing
imports integrations. The demo package builds the demo community from all of them, and nothing
imports it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

APPS = ("community", "budgets", "incidents", "integrations", "demo")
ALLOWED = {
    "community": set(),
    "budgets": {"community"},
    "incidents": {"community", "budgets"},
    "integrations": {"community"},
    "demo": {"community", "budgets", "incidents", "integrations"},
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


DOTTED = re.compile(rf"({'|'.join(APPS)})(\.\w+)+")


def resolved_imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, relative imports made absolute; for ``from a import b``
    both ``a`` and ``a.b`` (``b`` may be a submodule). Also strings that name a module of ours,
    such as ``include("app.urls")``: a way in through the back door."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = list(path.relative_to(root).parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and DOTTED.fullmatch(node.value)
        ):
            names.add(node.value)
    return names


CONTRACT = "community.contract"
# The contract's models stay in the community app's models (its app label and tables), so that
# module is the one outside the package allowed to reach in, and only for the pure definitions.
SPINE_MAY_IMPORT = {"community/models/contract.py": ("community.contract.slo",)}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def spine_imports_of_the_contract(root: Path) -> list[str]:
    """Imports of ``community.contract`` from the spine: community/ outside community/contract/."""
    offending = []
    for path in sorted((root / "community").rglob("*.py")):
        relative = path.relative_to(root)
        # Migrations name models by "app_label.model" ("community.contract" is a model).
        if relative.parts[:2] == ("community", "contract") or "migrations" in relative.parts:
            continue
        allowed = SPINE_MAY_IMPORT.get(relative.as_posix(), ())
        for module in sorted(resolved_imports(path, root)):
            if _within(module, CONTRACT) and not any(_within(module, a) for a in allowed):
                offending.append(f"{relative.as_posix()} imports {module}")
    return offending


def test_the_spine_never_imports_the_contract_package() -> None:
    """community/contract/ builds on the spine, never the reverse: no module of community/
    outside the package imports it (the contract's models only its pure ``slo``)."""
    assert spine_imports_of_the_contract(ROOT) == []


@pytest.mark.parametrize(
    ("module", "source", "caught"),
    [
        ("community/urls.py", "from community.contract import views\n", "community.contract"),
        ("community/urls.py", "import community.contract.views\n", "community.contract.views"),
        ("community/urls.py", "from .contract.views import page\n", "community.contract.views"),
        ("community/apps.py", "from . import contract\n", "community.contract"),
        ("community/models/spine.py", "from ..contract import slo\n", "community.contract"),
        (
            "community/models/contract.py",
            "from community.contract.services import save_clause\n",
            "community.contract.services",
        ),
        ("config/urls.py", 'URLS = "community.contract.urls"\n', None),
        ("community/urls.py", 'URLS = "community.contract.urls"\n', "community.contract.urls"),
        ("community/contract/views.py", "from community.contract import text\n", None),
        ("community/models/contract.py", "from community.contract.slo import Counts\n", None),
    ],
)
def test_the_spine_rule_catches_absolute_relative_and_dotted_string_imports(
    tmp_path: Path, module: str, source: str, caught: str | None
) -> None:
    target = tmp_path / module
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    (tmp_path / "community").mkdir(exist_ok=True)
    offending = spine_imports_of_the_contract(tmp_path)
    if caught is None:
        assert offending == []
    else:
        assert f"{module} imports {caught}" in offending


# Framework-free modules that hold the normative math (DESIGN.md §3). Add new ones here.
PURE_MODULES = [
    "community/tiers.py",
    "community/contract/slo.py",
    "community/contract/sparkline.py",
    "community/contract/openslo.py",
    "incidents/rules.py",
    "budgets/budget_math.py",
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


# --- One access helper per protected object (STYLE.md points 5 and 10) -----------------------

# Models a page or an API view may fetch only through an access helper (``<app>/access.py``),
# which applies the one rule per object for session users and API keys alike.
PROTECTED_MODELS = frozenset(
    {
        "ApiKey",
        "Appeal",
        "Charge",
        "Clause",
        "ContractVersion",
        "Cooldown",
        "DiscourseConnection",
        "FacilitatorHandoff",
        "Incident",
        "IncidentReport",
        "IncidentRole",
        "MemberBudget",
        "Membership",
        "Runbook",
        "RunbookRun",
        "RunbookStep",
        "Space",
        "StepRun",
        "WebhookDelivery",
        "WebhookSubscription",
    }
)
FETCHING_MANAGER_METHODS = frozenset(
    {"get", "filter", "exclude", "all", "in_bulk", "first", "last"}
)
SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})
BY_ID = frozenset({"pk", "id", "pk__in", "id__in"})


def view_modules() -> list[Path]:
    """Every module that serves pages or API endpoints: ``views.py``, ``api.py``, modules in a
    ``views/`` package, and feature modules named ``*_views.py`` / ``*_api.py``."""
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = path.name
            if (
                name in {"views.py", "api.py"}
                or name.endswith(("_views.py", "_api.py"))
                or path.parent.name == "views"
            ):
                found.append(path)
    return sorted(found)


def protected_fetches(source: str) -> list[str]:
    """Where ``source`` fetches a protected object without an access helper: a 404 shortcut,
    ``<ProtectedModel>.objects.get/filter/…(``, or any ``.get/.filter(pk=…)`` by id."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in SHORTCUTS:
            found.append(f"line {node.lineno}: {func.id}")
            continue
        if not isinstance(func, ast.Attribute):
            continue
        manager = func.value
        if (
            func.attr in FETCHING_MANAGER_METHODS
            and isinstance(manager, ast.Attribute)
            and manager.attr == "objects"
            and isinstance(manager.value, ast.Name)
            and manager.value.id in PROTECTED_MODELS
        ):
            found.append(f"line {node.lineno}: {manager.value.id}.objects.{func.attr}")
        elif func.attr in {"get", "filter"} and any(kw.arg in BY_ID for kw in node.keywords):
            found.append(f"line {node.lineno}: .{func.attr}() by id")
    return found


def test_the_protected_models_exist() -> None:
    from django.apps import apps

    names = {model.__name__ for model in apps.get_models()}
    assert PROTECTED_MODELS - names == set()


def test_views_fetch_protected_objects_only_through_access_helpers() -> None:
    modules = view_modules()
    assert len(modules) >= 8  # the scan is not vacuous
    offending = [
        f"{path.relative_to(ROOT)} {where}"
        for path in modules
        for where in protected_fetches(path.read_text())
    ]
    assert offending == []


@pytest.mark.parametrize(
    "source",
    [
        "get_object_or_404(Incident, pk=pk)",
        "Incident.objects.get(pk=pk)",
        "Cooldown.objects.filter(community=community)",
        "ApiKey.objects.all()",
        "incident.roles.filter(pk=role_id).first()",
        "community.spaces.filter(pk__in=ids)",
    ],
)
def test_the_scan_catches_a_fetch_around_the_helpers(source: str) -> None:
    assert protected_fetches(source) != []


def test_the_scan_lets_collection_queries_through() -> None:
    assert protected_fetches("Incident.objects.for_community(c).open().filter(x=1)") == []
    assert protected_fetches("get_incident(access, pk, write=True)") == []
