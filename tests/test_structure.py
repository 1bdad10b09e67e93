"""The shape of the code: no import circles, no module over 600 lines.

The import graph is read from the source with :mod:`ast`, not by importing:
every ``import``/``from ... import`` of a ``softmax_cli`` module counts, at the
top of a module *and* inside a function or method (a function-level import that
dodges a circle is still a circle). Relative imports are resolved. The edges:

* ``from P import name``: an edge to the module ``P.name`` when it is a module
  (``from . import registry``), else to ``P`` itself (``from .. import
  __version__`` is an edge to the package ``softmax_cli``).
* importing ``P.x`` from outside the package ``P`` runs ``P/__init__.py`` first,
  so it is also an edge to ``P`` (this is what makes ``registry ->
  derivatives.forms`` a circle when ``derivatives/__init__`` imports the
  registry). From inside ``P`` it is not: the package is already initialising.
* a package's ``__init__`` importing its own submodules is an ordinary edge; it
  only closes a circle if such a submodule imports names of that ``__init__``.

Not seen: imports by a computed name (``importlib.import_module``), such as the
command loader of ``cli/app.py`` and the registry's oracle twins, named as
``"module:function"`` strings and imported on first use.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "softmax_cli"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

MAX_LINES = 600

#: Modules over the limit that other helpers are splitting right now (issue 11).
#: being split (issue 11)
OVERSIZE_ALLOWED: set[str] = set()

#: Known circles inside analysis/, cli/ or io/ (owned by other helpers), as sorted
#: tuples of module names. Empty: none were found.
CYCLES_ALLOWED: set[tuple[str, ...]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *([target] if target else [])])


def _with_parents(importer: str, target: str, modules: dict[str, Path]) -> set[str]:
    """``target`` and the packages between it and ``importer`` that importing it initialises."""
    out = {target}
    parts = target.split(".")
    for i in range(1, len(parts)):
        pkg = ".".join(parts[:i])
        inside = importer == pkg or importer.startswith(pkg + ".")
        if pkg in modules and not inside:
            out.add(pkg)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module name -> the ``softmax_cli`` modules it imports (anywhere in its body)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    targets.add(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.add(sub if sub in modules else base)
        edges: set[str] = set()
        for t in targets:
            if t == PACKAGE or t.startswith(PACKAGE + "."):
                while t not in modules:  # ``import a.b.c`` of a name, not a module
                    t = t.rpartition(".")[0]
                edges |= _with_parents(name, t, modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_path(graph, comp) for comp in components]


def _cycle_path(graph: dict[str, set[str]], comp: list[str]) -> list[str]:
    """One concrete circle ``a -> b -> ... -> a`` through the component, for the message."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str | None] = {start: None}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            if start in graph[v]:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return [*reversed(path), start]
            for w in sorted(graph[v] & members):
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def test_the_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    assert "softmax_cli.registry" in graph["softmax_cli.oracle"]  # inside evaluate()
    assert "softmax_cli.errors" in graph["softmax_cli.exp_family"]  # from .errors import
    assert PACKAGE in graph["softmax_cli.cli.app"]  # from .. import __version__
    assert "softmax_cli.io" in graph["softmax_cli.cli.source"]  # io/__init__ runs first


def test_cycle_finder_finds_a_planted_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles():
    cycles = [c for c in find_cycles(import_graph()) if tuple(sorted(set(c))) not in CYCLES_ALLOWED]
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_allowed_circles_are_still_there():
    found = {tuple(sorted(set(c))) for c in find_cycles(import_graph())}
    assert CYCLES_ALLOWED <= found, f"fixed, remove from CYCLES_ALLOWED: {CYCLES_ALLOWED - found}"


def test_no_module_over_600_lines():
    too_long = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).as_posix()
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES and rel not in OVERSIZE_ALLOWED:
            too_long.append(f"{rel}: {n} lines")
    assert not too_long, f"modules over {MAX_LINES} lines:\n" + "\n".join(too_long)


def test_the_sampling_library_imports_no_command_line_code():
    graph = import_graph()
    library = ("softmax_cli.processors", "softmax_cli.processor_records", "softmax_cli.sampling")
    for module in library:
        assert module in graph
        assert not any(m.startswith("softmax_cli.cli") for m in graph[module]), module
