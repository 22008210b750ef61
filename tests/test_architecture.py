"""The package's layering, read from the source with :mod:`ast` (nothing is imported).

The restructuring into a technique seam promises:

* the fitting engine (``spectra/fitting/``) knows no technique: it imports nothing from
  ``spectra.xps`` or ``spectra.xrd``; techniques reach it only through the registry;
* the leaves ``spectra/lineshapes/`` and ``spectra/backgrounds/`` import neither the engine nor a
  technique;
* the technique-neutral recipe module ``spectra/recipe.py`` imports no technique;
* the module import graph of ``spectra`` has no cycles.

Every ``import`` and ``from … import`` statement counts, including those inside functions (a lazy
import is still a dependency). Relative imports are resolved to absolute module names, and
``from package import name`` counts as importing ``package.name`` when that is a module, else
``package``. A package ``__init__`` importing its own submodules is an ordinary edge
(``spectra.io`` → ``spectra.io.vamas``); the implicit import of a parent package when a submodule is
imported is *not* added, so only cycles made of import statements are reported.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "spectra"
TECHNIQUES = ("spectra.xps", "spectra.xrd")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


#: every module of the package: dotted name -> file
MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _resolve_base(module: str, level: int, target: str | None) -> str:
    """Absolute name of ``from <level dots><target> import …`` written in ``module``."""
    if level == 0:
        return target or ""
    package = module if _is_package(module) else module.rpartition(".")[0]
    parts = package.split(".")
    if level - 1 > len(parts) - 1:
        raise ValueError(f"relative import beyond the top package in {module}")
    base = ".".join(parts[:len(parts) - (level - 1)])
    return f"{base}.{target}" if target else base


def imports_of(module: str) -> list[tuple[str, int]]:
    """(absolute imported module name, line) of every import statement of ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), filename=str(MODULES[module]))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_base(module, node.level, node.module)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append((sub if sub in MODULES else base, node.lineno))
    return out


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _violations(owner_prefix: str, forbidden) -> list[str]:
    return [f"{MODULES[m].relative_to(PACKAGE_DIR.parent)}:{line} imports {target}"
            for m in MODULES if _within(m, [owner_prefix])
            for target, line in imports_of(m) if _within(target, forbidden)]


def test_every_module_parses_and_relative_imports_resolve():
    """The graph below is only meaningful if every file is read and every relative import lands on
    a module or package of spectra."""
    assert "spectra.fitting.problem" in MODULES and "spectra.xrd.reflections" in MODULES
    unresolved = [f"{m} -> {t}" for m in MODULES for t, _ in imports_of(m)
                  if t.startswith("spectra") and t not in MODULES]
    assert unresolved == []


def test_resolution_of_relative_and_from_imports():
    """``from . import x`` resolves to the submodule, ``from .m import name`` to the module."""
    targets = {t for t, _ in imports_of("spectra.xps.problem")}
    assert {"spectra.fitting.propagate", "spectra.fitting.problem", "spectra.xps.batched"} <= targets
    assert "spectra.fitting" not in targets  # ``from ..fitting import propagate`` is the submodule
    assert "spectra.results.curves" in {t for t, _ in imports_of("spectra.results")}  # from .curves import with_curves


def test_fitting_engine_imports_no_technique():
    assert _violations("spectra.fitting", TECHNIQUES) == []


@pytest.mark.parametrize("leaf", ["spectra.lineshapes", "spectra.backgrounds"])
def test_leaves_import_neither_engine_nor_technique(leaf):
    assert _violations(leaf, ("spectra.fitting", *TECHNIQUES)) == []


def test_neutral_recipe_imports_no_technique():
    assert [f"line {line}: {t}" for t, line in imports_of("spectra.recipe") if _within(t, TECHNIQUES)] == []


def import_graph() -> dict[str, set[str]]:
    """Module -> the spectra modules it imports (self-imports dropped)."""
    return {m: {t for t, _ in imports_of(m) if t in MODULES and t != m} for m in MODULES}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a closed path) per non-trivial strongly connected component (Tarjan)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def connect(v):  # recursion depth is bounded by the number of modules (~110)
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(set(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    cycles = []
    for component in components:  # a shortest closed path through the component's first member
        start = min(component)
        paths, seen, found = [[start]], {start}, None
        while paths and found is None:
            nxt = []
            for path in paths:
                for w in sorted(graph[path[-1]] & component):
                    if w == start:
                        found = path + [start]
                        break
                    if w not in seen:
                        seen.add(w)
                        nxt.append(path + [w])
                if found:
                    break
            paths = nxt
        cycles.append(found)
    return cycles


def test_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"} - {"e"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"p": {"p.sub"}, "p.sub": set()}) == []  # __init__ importing its submodule


def test_import_graph_has_no_cycles():
    graph = import_graph()
    cycles = find_cycles(graph)
    lines = []
    for cycle in cycles:
        steps = [f"{a} -> {b} (line {min(line for t, line in imports_of(a) if t == b)})"
                 for a, b in zip(cycle, cycle[1:])]
        lines.append("cycle: " + "; ".join(steps))
    if lines:
        print("\n".join(lines))
    assert not cycles, "import cycles among spectra modules:\n" + "\n".join(lines)


def test_every_subpackage_is_installed():
    """A non-editable ``pip install .`` installs only the packages setup.cfg lists; one left out
    imports in the repository (and in an editable install) but not for a user."""
    import configparser

    config = configparser.ConfigParser()
    config.read(PACKAGE_DIR.parent / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    present = {_module_name(p.parent / "__init__.py") for p in PACKAGE_DIR.rglob("__init__.py")}
    assert present - listed == set(), "add these to [options] packages in setup.cfg"
