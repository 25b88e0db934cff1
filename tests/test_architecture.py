"""The apps depend one way (STYLE.md): community is the spine and imports none of the others;
budgets builds on community; incidents on both; integrations only on community, and nothing
imports integrations. The demo package builds the demo community from all of them, and nothing
imports it; so do the operations package (export/import, retention) and the boards."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

APPS = ("community", "budgets", "incidents", "integrations", "demo", "operations", "boards")
ALLOWED = {
    "community": set(),
    "budgets": {"community"},
    "incidents": {"community", "budgets"},
    "integrations": {"community"},
    "demo": {"community", "budgets", "incidents", "integrations"},
    "operations": {"community", "budgets", "incidents", "integrations"},
    "boards": {"community", "budgets", "incidents", "integrations"},
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


POSTMORTEMS = "incidents.postmortems"


def incidents_imports_of_postmortems(root: Path) -> list[str]:
    """Imports of ``incidents.postmortems`` from the rest of ``incidents`` (the package registers
    itself through ``incidents.hooks`` and the spine's attention registry instead)."""
    offending = []
    for path in sorted((root / "incidents").rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[:2] == ("incidents", "postmortems") or "migrations" in relative.parts:
            continue
        for module in sorted(resolved_imports(path, root)):
            if _within(module, POSTMORTEMS):
                offending.append(f"{relative.as_posix()} imports {module}")
    return offending


def test_the_rest_of_incidents_never_imports_the_postmortems_package() -> None:
    assert incidents_imports_of_postmortems(ROOT) == []


@pytest.mark.parametrize(
    ("module", "source", "caught"),
    [
        (
            "incidents/services/lifecycle.py",
            "from incidents.postmortems.models import Postmortem\n",
            "incidents.postmortems.models",
        ),
        (
            "incidents/urls.py",
            'URLS = "incidents.postmortems.urls"\n',
            "incidents.postmortems.urls",
        ),
        ("incidents/apps.py", "from .postmortems import hooks\n", "incidents.postmortems"),
        ("config/urls.py", 'URLS = "incidents.postmortems.urls"\n', None),
        ("incidents/postmortems/views.py", "from incidents.postmortems import services\n", None),
    ],
)
def test_the_postmortems_rule_catches_imports_from_the_rest_of_incidents(
    tmp_path: Path, module: str, source: str, caught: str | None
) -> None:
    target = tmp_path / module
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    (tmp_path / "incidents").mkdir(exist_ok=True)
    offending = incidents_imports_of_postmortems(tmp_path)
    if caught is None:
        assert offending == []
    else:
        assert f"{module} imports {caught}" in offending


CIRCLE = "incidents.postmortems.circle"


def document_imports_of_the_circle(root: Path) -> list[str]:
    """Imports of the circle package from the rest of ``incidents.postmortems``: the circle
    builds on the document (its models, sections and access), never the reverse."""
    offending = []
    for path in sorted((root / "incidents" / "postmortems").rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[:3] == ("incidents", "postmortems", "circle"):
            continue
        if "migrations" in relative.parts:
            continue
        for module in sorted(resolved_imports(path, root)):
            if _within(module, CIRCLE):
                offending.append(f"{relative.as_posix()} imports {module}")
    return offending


def test_the_postmortem_document_never_imports_the_circle() -> None:
    assert document_imports_of_the_circle(ROOT) == []


@pytest.mark.parametrize(
    ("module", "source", "caught"),
    [
        (
            "incidents/postmortems/views.py",
            "from incidents.postmortems.circle import services\n",
            "incidents.postmortems.circle",
        ),
        ("incidents/postmortems/api.py", "from .circle.access import get_circle\n", CIRCLE),
        (
            "incidents/postmortems/circle/views.py",
            "from incidents.postmortems import models\n",
            None,
        ),
    ],
)
def test_the_circle_rule_catches_imports_from_the_document(
    tmp_path: Path, module: str, source: str, caught: str | None
) -> None:
    target = tmp_path / module
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    offending = document_imports_of_the_circle(tmp_path)
    if caught is None:
        assert offending == []
    else:
        assert any(line.startswith(f"{module} imports {caught}") for line in offending)


RELEASES = "community.contract.releases"


def contract_imports_of_releases(root: Path) -> list[str]:
    """Imports of the releases package from anywhere else: it plugs into the contract through
    ``community.contract.hooks`` and into budgets' appeal counts the other way round, so no
    app module outside it imports it (the settings and URL lists name it; the demo and the
    tests, on top of everything, may use it)."""
    offending = []
    apps = ("community", "budgets", "incidents", "integrations", "operations")
    for path in sorted(p for app in apps for p in (root / app).rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[:3] == ("community", "contract", "releases"):
            continue
        if "migrations" in relative.parts:
            continue
        for module in sorted(resolved_imports(path, root)):
            if _within(module, RELEASES):
                offending.append(f"{relative.as_posix()} imports {module}")
    return offending


def test_nothing_outside_the_demo_and_tests_imports_the_releases_package() -> None:
    assert contract_imports_of_releases(ROOT) == []


@pytest.mark.parametrize(
    ("module", "source", "caught"),
    [
        (
            "community/contract/services.py",
            "from community.contract.releases import council\n",
            "community.contract.releases",
        ),
        ("community/contract/views.py", "from .releases.trial import trial_section\n", RELEASES),
        ("budgets/apps.py", "from community.contract.releases import gate\n", RELEASES),
        ("config/urls.py", 'URLS = "community.contract.releases.urls"\n', None),
        ("community/contract/releases/views.py", "from community.contract import hooks\n", None),
    ],
)
def test_the_releases_rule_catches_imports_of_the_package(
    tmp_path: Path, module: str, source: str, caught: str | None
) -> None:
    target = tmp_path / module
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    offending = contract_imports_of_releases(tmp_path)
    if caught is None:
        assert offending == []
    else:
        assert any(line.startswith(f"{module} imports {caught}") for line in offending)


# Framework-free modules that hold the normative math (DESIGN.md §3). Add new ones here.
PURE_MODULES = [
    "community/tiers.py",
    "community/problems.py",
    "community/contract/slo.py",
    "community/contract/sparkline.py",
    "community/contract/openslo.py",
    "community/contract/replay/episodes.py",
    "community/contract/releases/gate.py",
    "incidents/rules.py",
    "incidents/postmortems/rules.py",
    "incidents/postmortems/blameless.py",
    "incidents/postmortems/sections.py",
    "incidents/gamedays/scoring.py",
    "budgets/budget_math.py",
    "integrations/signing.py",
    "integrations/retry.py",
    "integrations/discourse/dedupe.py",
    "integrations/discourse/fields.py",
    "community/json_safety.py",
    "incidents/notice_templates.py",
    "boards/fairness_math.py",
    "boards/timing.py",
    "boards/charts.py",
    "boards/observability.py",
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
        "ActionItem",
        "Agreement",
        "Answer",
        "ApiKey",
        "Appeal",
        "BlamelessFinding",
        "Canary",
        "Charge",
        "Clause",
        "ContractVersion",
        "Cooldown",
        "CouncilGroup",
        "DiscourseConnection",
        "FacilitatorHandoff",
        "Harm",
        "Incident",
        "IncidentReport",
        "IncidentRole",
        "MemberBudget",
        "Membership",
        "Notification",
        "Participant",
        "Postmortem",
        "RepairExchange",
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


# --- One way to enqueue; tasks import services, never the reverse; modules stay small ---------

CODE_ROOTS = (
    "config",
    "community",
    "budgets",
    "incidents",
    "integrations",
    "demo",
    "operations",
    "boards",
)
FIRST_PARTY = frozenset(CODE_ROOTS)
ENQUEUE_CALLS = frozenset({"delay", "apply_async", "send_task"})
# The one enqueue helper; Celery's own wiring lives in config/celery.py.
MAY_ENQUEUE = frozenset({"community/jobs.py"})


def code_files(root: Path) -> list[Path]:
    return sorted(
        path
        for top in CODE_ROOTS
        if (root / top).is_dir()
        for path in (root / top).rglob("*.py")
        if "migrations" not in path.parts
    )


def hand_written_enqueues(root: Path) -> list[str]:
    """Calls of ``.delay``, ``.apply_async`` or ``.send_task`` outside ``community.jobs``."""
    offending = []
    for path in code_files(root):
        relative = path.relative_to(root).as_posix()
        if relative in MAY_ENQUEUE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ENQUEUE_CALLS
            ):
                offending.append(f"{relative}:{node.lineno} calls .{node.func.attr}()")
    return offending


def tasks_module_imports(root: Path) -> list[str]:
    """Imports of any ``tasks`` module, except by an ``apps.py`` (which imports its own to
    register the tasks): services enqueue by name, so nothing else needs to."""
    offending = []
    for path in code_files(root):
        relative = path.relative_to(root)
        for module in sorted(resolved_imports(path, root)):
            if module.split(".")[-1] != "tasks" or module.split(".")[0] not in FIRST_PARTY:
                continue
            own = ".".join([*relative.parts[:-1], "tasks"])
            if relative.name == "apps.py" and module == own:
                continue
            offending.append(f"{relative.as_posix()} imports {module}")
    return offending


def function_local_imports(root: Path) -> list[str]:
    """First-party imports inside a function (apps.py's ``ready`` excepted: Django loads models
    before it runs, which is why it exists). Such an import only ever dodges a cycle."""
    offending = []
    for path in code_files(root):
        relative = path.relative_to(root)
        if relative.name == "apps.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(relative))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    modules = ["." if node.level else (node.module or "")]
                else:
                    continue
                for module in modules:
                    if module == "." or module.split(".")[0] in FIRST_PARTY:
                        line = f"{relative.as_posix()}:{node.lineno} imports {module} in a function"
                        offending.append(line)
    return offending


MAX_MODULE_LINES = 500


def oversized_modules(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root).as_posix()} has {count} lines"
        for path in code_files(root)
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]


def test_work_is_enqueued_only_through_community_jobs() -> None:
    assert hand_written_enqueues(ROOT) == []


def test_no_module_imports_a_tasks_module_except_to_register_it() -> None:
    assert tasks_module_imports(ROOT) == []


def test_no_function_local_imports_of_our_own_modules() -> None:
    assert function_local_imports(ROOT) == []


def test_no_module_outside_migrations_and_tests_is_over_500_lines() -> None:
    assert oversized_modules(ROOT) == []


@pytest.mark.parametrize(
    ("module", "source", "scan", "caught"),
    [
        ("budgets/services.py", "def f():\n    recalc.delay(1)\n", "enqueue", ".delay()"),
        (
            "incidents/services/runbooks.py",
            "def f():\n    run_step.apply_async(args=(1,), eta=now)\n",
            "enqueue",
            ".apply_async()",
        ),
        ("config/ops.py", "app.send_task('x')\n", "enqueue", ".send_task()"),
        ("community/jobs.py", "def f():\n    sig.apply_async()\n", "enqueue", None),
        ("budgets/services.py", "from budgets import tasks\n", "tasks", "budgets.tasks"),
        ("incidents/views/board.py", "from incidents.tasks import x\n", "tasks", "incidents.tasks"),
        ("budgets/apps.py", "from budgets import tasks\n", "tasks", None),
        ("budgets/apps.py", "from incidents import tasks\n", "tasks", "incidents.tasks"),
        (
            "budgets/recalculation.py",
            "def f():\n    from budgets.services import get_policy\n",
            "local",
            "budgets.services",
        ),
        ("community/tasks.py", "def f():\n    from . import services\n", "local", "."),
        ("community/tasks.py", "def f():\n    import json\n", "local", None),
        ("incidents/apps.py", "def ready():\n    from incidents import tasks\n", "local", None),
        ("community/big.py", "x = 1\n" * 501, "size", "501 lines"),
        ("community/fine.py", "x = 1\n" * 500, "size", None),
    ],
)
def test_the_layout_scans_catch_what_they_forbid(
    tmp_path: Path, module: str, source: str, scan: str, caught: str | None
) -> None:
    target = tmp_path / module
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    scanner = {
        "enqueue": hand_written_enqueues,
        "tasks": tasks_module_imports,
        "local": function_local_imports,
        "size": oversized_modules,
    }[scan]
    offending = scanner(tmp_path)
    if caught is None:
        assert offending == []
    else:
        assert len(offending) == 1 and caught in offending[0], offending
