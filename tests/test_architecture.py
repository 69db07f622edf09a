"""The package reads one way. Counted over ``ast`` imports (module level and inside functions
alike), independently of import-linter, which CI runs on the contracts of pyproject.toml:

- no import cycle among the modules of litedse/;
- outside litedse/cli (whose commands import the library lazily so that ``--help`` starts fast)
  no function imports a litedse module: every layer's dependencies are at its top;
- the solver kernel (litedse/optimize) imports no instance, input, column or results module;
- the lists the CLI spells out for start-up speed equal the one list of criteria;
- every pruning rule named in formulations/design.md exists in litedse/optimize/prune.py.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "litedse"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@functools.lru_cache(maxsize=None)
def imports_of(name: str) -> list[tuple[str, bool]]:
    """(imported litedse module, inside a function?) for every import statement of module ``name``.
    ``from litedse.x import y`` counts as importing ``litedse.x.y`` when that is a module."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(f) if n is not f}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] == "litedse":
                while target not in MODULES:          # litedse.x.y.Name -> litedse.x.y
                    target = target.rpartition(".")[0]
                out.append((target, id(node) in nested))
    return out


@functools.lru_cache(maxsize=None)
def graph() -> dict[str, set[str]]:
    return {name: {t for t, _ in imports_of(name) if t != name} for name in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), i.e. the import cycles."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_of_resolves_relative_and_from_imports():
    assert ("litedse.optimize.problem", False) in imports_of("litedse.optimize.prune")
    assert ("litedse.results.tables", False) in imports_of("litedse.cli.common")


def test_no_import_cycle_among_litedse_modules():
    found = cycles(graph())
    assert found == [], f"import cycles: {found}"


def test_no_function_level_import_of_litedse_outside_the_cli():
    lazy = sorted({(name, target) for name in MODULES if not name.startswith("litedse.cli")
                   for target, inside in imports_of(name) if inside})
    assert lazy == [], f"function-level imports of litedse modules: {lazy}"


@pytest.mark.parametrize("upper", ["litedse.inputs", "litedse.columns", "litedse.solve", "litedse.results",
                                   "litedse.batch", "litedse.cli", "litedse.workload", "litedse.presets"])
def test_the_solver_kernel_knows_no_instance(upper):
    kernel = [n for n in MODULES if n.startswith("litedse.optimize")]
    bad = [(n, t) for n in kernel for t in graph()[n] if t == upper or t.startswith(upper + ".")]
    assert bad == []


def test_cli_choice_lists_are_the_criteria_list():
    from litedse.cli.pareto import CRITERIA as PARETO_CHOICES
    from litedse.cli.solve import OBJECTIVE_CHOICES
    from litedse.optimize.problem import CRITERIA, OBJECTIVES

    assert list(OBJECTIVE_CHOICES) == list(OBJECTIVES)
    assert list(PARETO_CHOICES) == list(CRITERIA)
    assert set(OBJECTIVES) <= set(CRITERIA)


def test_cli_method_choices_are_the_solve_methods():
    from litedse.cli.solve import METHOD_CHOICES
    from litedse.solve import METHODS

    assert list(METHOD_CHOICES) == list(METHODS)


def test_every_pruning_rule_of_the_formulation_lives_in_prune():
    from litedse.optimize import prune

    text = (ROOT / "formulations" / "design.md").read_text()
    section = text[text.index("## 7. Exact pruning"):text.index("## 8.")]
    table = [line for line in section.splitlines() if line.startswith("| Proposition")]
    rules = [re.match(r"\| Proposition ([0-9]+'?(?:, [0-9]+'?)*) ", line).group(1) for line in table]
    assert rules == ["1, 1'", "2", "3", "3'", "5", "7", "8", "10"], rules
    named = {m for line in table for m in re.findall(r"`(\w+)`", line.split("|")[2])}
    missing = [f for f in named if not callable(getattr(prune, f, None))]
    assert missing == []
    # and no other module defines one of them
    for name, path in MODULES.items():
        if name == "litedse.optimize.prune":
            continue
        defined = {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.FunctionDef)}
        assert not defined & named, (name, defined & named)


def test_pyomo_is_imported_only_when_a_model_is_built():
    """optimize.milp defers Pyomo (0.3-0.7 s) to the first model build: importing the solve
    pipeline and the CLI loads none of it, building a DesignModel does."""
    import subprocess
    import sys

    code = ("import sys, numpy as np; import litedse.solve, litedse.cli; assert 'pyomo' not in sys.modules;"
            "sys.path.insert(0, 'tests'); from problems import random_problem;"
            "from litedse.optimize.milp import DesignModel;"
            "DesignModel(random_problem(np.random.default_rng(0))); assert 'pyomo.environ' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_solving_through_the_public_api_loads_no_verdict_or_plotting_stack():
    """litedse.solve, compare, pareto and evaluate (litedse/api.py) import neither SciPy's stats,
    SALib nor matplotlib (over a second of imports, litedse/verdict.py's); the verdict's do."""
    import subprocess
    import sys

    code = ("import sys, litedse; [getattr(litedse, n) for n in ('solve', 'compare', 'pareto', 'evaluate')];"
            "heavy = ('scipy.stats', 'SALib', 'matplotlib'); assert not [m for m in heavy if m in sys.modules];"
            "litedse.sensitivity; assert 'scipy.stats' in sys.modules and 'matplotlib' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
