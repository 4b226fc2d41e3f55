"""The import contract of the code base, read from the source with ``ast`` (nothing is imported).

* no import cycle between project modules;
* ``models/`` (the mathematics) never imports ``optimizer/`` (the application around it);
* highspy, PuLP and Pyomo are imported only by the solver layer (``optimizer/core/solver``);
* each part depends only on the parts below it (:data:`LAYERS`), and never on another
  part's private names (``from optimizer.x.y import _private``);
* a project module is imported at the top of a module, not inside a function (so the graph
  above is the real one), except the few listed in :data:`LAZY_OK` with their reason;
* only ``cli`` modules print or choose exit codes; no shipped module imports ``tests``;
* no shipped module is much over 500 lines.

Each rule is also checked against a small bad example, so a rule that can never fail is caught.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("models", "optimizer")
SOLVER_PACKAGES = ("highspy", "pulp", "pyomo")
SOLVER_LAYER = "optimizer.core.solver"
MAX_LINES = 520

# part -> the parts it may import (besides itself).  The order is the data flow: models at
# the bottom, the shared core above it, the spine, the analyses built on the spine, the web
# app that shows them all, and the command list at the top.
LAYERS = {
    "optimizer": set(),               # the package itself (its __init__ holds no code)
    "models": set(),
    "optimizer.core": {"models"},
    "optimizer.sourcing": {"models", "optimizer.core"},
    "optimizer.pooling": {"models", "optimizer.core"},
    "optimizer.curves": {"models", "optimizer.core", "optimizer.sourcing"},
    "optimizer.risk": {"models", "optimizer.core", "optimizer.sourcing"},
    "optimizer.checks": {"models", "optimizer.core", "optimizer.sourcing", "optimizer.pooling", "optimizer.risk"},
    "optimizer.web": {"models", "optimizer.core", "optimizer.sourcing", "optimizer.pooling", "optimizer.curves",
                      "optimizer.risk"},
    # the corpus of hostile inputs exercises every command and the web API (it writes pool and risk
    # workbooks and runs uploads), so it sits above them all, just below the command list
    "optimizer.robustness": {"models", "optimizer.core", "optimizer.sourcing", "optimizer.pooling",
                             "optimizer.curves", "optimizer.risk", "optimizer.web"},
    "optimizer.cli": {"models", "optimizer.core", "optimizer.sourcing", "optimizer.pooling", "optimizer.curves",
                      "optimizer.risk", "optimizer.web", "optimizer.robustness", "optimizer.checks"},
}
# (importing module, imported module): why it is imported inside a function
LAZY_OK = {
    ("optimizer.web.cli", "optimizer.web.app"): "Flask is imported only when the server starts",
}
# modules that may print or exit besides the cli modules: the robustness child process forwards
# the command's own exit code
PRINT_OK = {"optimizer.robustness.child",
            "optimizer.robustness.webcheck"}   # a child-process entry that reports its own verdict


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def shipped_files() -> list[Path]:
    return sorted(p for pkg in SHIPPED for p in (ROOT / pkg).rglob("*.py"))


def part_of(module: str) -> str:
    best = ""
    for part in LAYERS:
        if (module == part or module.startswith(part + ".")) and len(part) > len(best):
            best = part
    return "" if best == "optimizer" and module != "optimizer" else best


class Imports(ast.NodeVisitor):
    """Every import of one module: (imported module, names, line, inside a function)."""

    def __init__(self, module: str, is_package: bool):
        self.module, self.is_package = module, is_package
        self.found: list[tuple[str, tuple[str, ...], int, bool]] = []
        self.depth = 0

    def _absolute(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = self.module.split(".")
        base = base if self.is_package else base[:-1]
        base = base[:len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def visit_FunctionDef(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node):
        for a in node.names:
            self.found.append((a.name, (), node.lineno, self.depth > 0))

    def visit_ImportFrom(self, node):
        mod = self._absolute(node)
        names = tuple(a.name for a in node.names)
        self.found.append((mod, names, node.lineno, self.depth > 0))


def imports_of(source: str, module: str, is_package: bool = False):
    v = Imports(module, is_package)
    v.visit(ast.parse(source))
    return v.found


def project_graph(files: list[Path]) -> dict[str, set[str]]:
    """module -> project modules it imports (``from pkg import mod`` counts as pkg.mod)."""
    known = {module_name(p) for p in files}
    graph: dict[str, set[str]] = {}
    for p in files:
        mod = module_name(p)
        edges = set()
        for target, names, _, _ in imports_of(p.read_text(), mod, p.name == "__init__.py"):
            for n in names:
                if f"{target}.{n}" in known:
                    edges.add(f"{target}.{n}")
            if target in known and not mod.startswith(target + "."):
                # ``from pkg import sub`` in a module of pkg: the submodule, not pkg's __init__
                edges.add(target)
        edges.discard(mod)
        graph[mod] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if state.get(m) is None:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if state.get(n) is None:
            found = visit(n)
            if found:
                return found
    return None


def layer_violations(module: str, source: str, is_package: bool = False) -> list[str]:
    out = []
    mine = part_of(module)
    for target, names, line, lazy in imports_of(source, module, is_package):
        top = target.split(".")[0]
        if top in SOLVER_PACKAGES and not module.startswith(SOLVER_LAYER):
            out.append(f"{module}:{line} imports {target} outside the solver layer")
        if top == "tests":
            out.append(f"{module}:{line} imports from tests")
        if top not in ("models", "optimizer"):
            continue
        other = part_of(target) or target
        if mine and other != mine and other not in LAYERS[mine]:
            out.append(f"{module}:{line} ({mine}) imports {target} ({other}), which is not below it")
        if other != mine and any(n.startswith("_") for n in names):
            out.append(f"{module}:{line} imports private names {names} of {target}")
        if lazy and (module, target) not in LAZY_OK and not any((module, f"{target}.{n}") in LAZY_OK
                                                               for n in names):
            out.append(f"{module}:{line} imports {target} inside a function")
    return out


def print_violations(module: str, source: str) -> list[str]:
    if module.split(".")[-1] == "cli" or module == "optimizer.cli" or module in PRINT_OK:
        return []
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else (f"{getattr(f.value, 'id', '')}.{f.attr}"
                                                         if isinstance(f, ast.Attribute) else "")
            if name in ("print", "sys.exit", "exit", "quit"):
                out.append(f"{module}:{node.lineno} calls {name}")
    return out


# --------------------------------------------------------------------------- the contract
FILES = shipped_files()


def test_there_are_modules_to_check():
    assert len(FILES) > 40 and all(part_of(module_name(p)) for p in FILES), \
        [module_name(p) for p in FILES if not part_of(module_name(p))]


def test_no_import_cycle():
    cycle = find_cycle(project_graph(FILES))
    assert cycle is None, " -> ".join(cycle)


@pytest.mark.parametrize("path", FILES, ids=lambda p: module_name(p))
def test_module_keeps_to_its_layer(path):
    mod = module_name(path)
    assert layer_violations(mod, path.read_text(), path.name == "__init__.py") == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: module_name(p))
def test_only_cli_modules_print_or_exit(path):
    assert print_violations(module_name(path), path.read_text()) == []


def test_no_module_is_much_over_500_lines():
    long = {module_name(p): n for p in FILES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_lazy_imports_listed_are_still_lazy():
    """An allowance that is no longer needed is removed from LAZY_OK."""
    lazy = set()
    for p in FILES:
        mod = module_name(p)
        for target, names, _, inside in imports_of(p.read_text(), mod, p.name == "__init__.py"):
            if inside:
                lazy.add((mod, target))
                lazy.update((mod, f"{target}.{n}") for n in names)
    assert set(LAZY_OK) <= lazy


# --------------------------------------------------------------------------- the rules can fail
def test_rules_catch_bad_examples():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert layer_violations("models.x", "from optimizer.core import cli\n")
    assert layer_violations("optimizer.sourcing.x", "import highspy\n")
    assert layer_violations("optimizer.curves.x", "from pulp import LpProblem\n")
    assert not layer_violations("optimizer.core.solver.x", "import highspy\n")
    assert layer_violations("optimizer.sourcing.x", "from optimizer.curves.parametric import compute_curve\n")
    assert layer_violations("optimizer.curves.x", "from optimizer.sourcing.report import _value\n")
    assert layer_violations("optimizer.curves.x", "def f():\n    from optimizer.sourcing import run\n")
    assert layer_violations("optimizer.core.x", "from tests import helpers\n")
    assert not layer_violations("optimizer.curves.x", "from optimizer.sourcing.run import solve_data\n")
    assert print_violations("optimizer.sourcing.run", "print('x')\n")
    assert print_violations("optimizer.sourcing.run", "import sys\nsys.exit(3)\n")
    assert not print_violations("optimizer.sourcing.cli", "print('x')\n")
