"""The package's measurable structure rules (issue 19), checked on its source with :mod:`ast`.

1. No module of ``aurora_evo/`` is over :data:`MAX_MODULE_LINES` lines.
2. No function or method is over :data:`MAX_FUNCTION_LINES` lines, tables aside: a function's length is
   its lines from ``def`` to its last line (decorators not counted, nested functions included), less the
   lines of its *tables*. A table is a literal ``dict``, ``list``, ``tuple`` or ``set`` display written
   over :data:`TABLE_MIN_LINES` lines or more, not inside another one (e.g. a preset's fields, the checks
   of a configuration, a figure's styles). So a function that is mostly a table is measured by the code
   around it; comprehensions and call arguments are code, not tables.
3. No import cycle among the package's modules. The graph has an edge for every ``import`` and
   ``from ... import`` statement of every module, at any depth (in functions too), except those under
   ``if TYPE_CHECKING:``, which never run. The edges go to the modules Python runs for the statement:
   ``import a.b`` and ``from a.b import name`` to ``a.b``; ``from a import b`` to the module ``a.b`` when
   there is one, else to ``a``; relative imports resolved; and to the packages above them (``a``, whose
   ``__init__`` runs first), except the importer's own, which Python has begun before it. A package's
   ``__init__`` is the module named after the package. A cycle is reported as the sorted list of the
   modules of a strongly connected component of the graph, with one shortest cycle through it. The same
   is checked of the graph of module-level imports alone (those run when the module is imported), where a
   cycle makes the import order matter.
4. An import inside a function is justified: it imports only :data:`HEAVY_OR_OPTIONAL` dependencies, or a
   comment on its line, or on the line before the run of import statements it belongs to, says why with
   one of the tags of :data:`JUSTIFICATIONS` (``# heavy: imports numba``, ``# cycle: evolve imports
   this module``).

Today's violators are listed below, each entry a known debt with its reason. The tests fail on a
violation that is not listed, and on a listed entry that no longer violates: the lists only shrink.
``python tests/test_structure.py`` prints the measured state.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "aurora_evo"

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: A literal display over this many lines or more is a table (rule 2).
TABLE_MIN_LINES = 3

#: Third-party modules that are slow to import or may be missing: importing them inside the function that
#: needs them keeps ``aurora-evo --help`` and the sandbox's start quick (rule 4). Top-level names, or
#: dotted prefixes (``google.genai``).
HEAVY_OR_OPTIONAL = frozenset(
    {
        "numba",
        "matplotlib",
        "scipy",
        "joblib",
        "google.genai",
        "openai",
        "sklearn",
        "pandas",
        "nbformat",
        "nbclient",
        "deap",
        "jsonschema",
        "rich",
        "simpy",
        "seccomp",
        "pyseccomp",
    }
)

#: Tags of the comment that justifies any other import inside a function (rule 4): what it imports is slow
#: to import (``heavy:``) or may be missing (``optional:``), importing it at the top would close an import
#: cycle (``cycle:``), or it must be imported after something else is set up (``order:``, e.g. numba after
#: the sandbox's numba_guard).
JUSTIFICATIONS = ("heavy:", "optional:", "cycle:", "order:")

# --- today's violators (known debts: remove an entry when its module is mended) ---------------------------


#: Modules over MAX_MODULE_LINES lines -> why they still are.
LONG_MODULES: dict[str, str] = {}

#: ``module:function`` (``Class.method``, ``outer.<locals>.inner``) over MAX_FUNCTION_LINES -> why.
LONG_FUNCTIONS: dict[str, str] = {}

#: Modules in an import cycle, function-level imports counted -> the cycle they are in.
MODULES_IN_IMPORT_CYCLES: dict[str, str] = {}

#: Modules in an import cycle of module-level imports alone -> the cycle they are in.
MODULES_IN_TOP_LEVEL_IMPORT_CYCLES: dict[str, str] = {}

#: Modules with imports inside functions that are not justified -> (how many, why they are left).
UNJUSTIFIED_FUNCTION_IMPORTS: dict[str, tuple[int, str]] = {}


# --- reading the package ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool
    source: str
    tree: ast.Module

    @property
    def lines(self) -> int:
        return len(self.source.splitlines())


@cache
def modules() -> dict[str, Module]:
    """Every module of the package by dotted name (a package's ``__init__`` under the package's name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        source = path.read_text(encoding="utf-8")
        found[name] = Module(name, path, is_package, source, ast.parse(source, str(path)))
    return found


# --- rule 2: function lengths -----------------------------------------------------------------------------

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
DISPLAYS = (ast.Dict, ast.List, ast.Tuple, ast.Set)


def _span(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1


def table_lines(function: ast.AST) -> set[int]:
    """The line numbers of ``function`` taken by its tables (see the module's docstring)."""
    lines: set[int] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, DISPLAYS) and _span(node) >= TABLE_MIN_LINES:
            lines.update(range(node.lineno, node.end_lineno + 1))
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    for child in ast.iter_child_nodes(function):
        visit(child)
    return lines


def function_length(function: ast.AST) -> int:
    """Lines from ``def`` to the end, tables aside."""
    return _span(function) - len(table_lines(function))


def functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """``(qualified name, node)`` of every function and method, nested ones included."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, FUNCTIONS):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, f"{name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")
            else:
                yield from walk(child, prefix)

    yield from walk(tree, "")


def long_functions() -> dict[str, int]:
    """``module:function`` -> length, of the functions over MAX_FUNCTION_LINES."""
    lengths = {
        f"{module.name}:{name}": function_length(node)
        for module in modules().values()
        for name, node in functions(module.tree)
    }
    return {name: length for name, length in lengths.items() if length > MAX_FUNCTION_LINES}


def long_modules() -> dict[str, int]:
    return {m.name: m.lines for m in modules().values() if m.lines > MAX_MODULE_LINES}


# --- rule 3: import cycles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    """One import statement: where it is, what it names, and whether it runs inside a function."""

    module: str
    node: ast.Import | ast.ImportFrom
    in_function: bool
    targets: tuple[str, ...]  # absolute dotted names of the modules (or names) it imports
    block: tuple[ast.stmt, ...]  # the statements of the body it is in


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    """The absolute name of ``from <node.module> import ...``, relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


@cache
def imports(name: str) -> tuple[Import, ...]:
    """Every import statement of the package's module ``name`` that can run (see :func:`imports_of`)."""
    return imports_of(modules()[name])


def imports_of(module: Module) -> tuple[Import, ...]:
    """Every import statement of ``module`` that can run (not under ``if TYPE_CHECKING:``)."""
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for _, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            for child in children:
                if not isinstance(child, ast.AST):
                    continue
                if isinstance(child, ast.Import | ast.ImportFrom):
                    found.append(_import(module, child, in_function, children))
                elif isinstance(child, ast.If) and _is_type_checking(child.test):
                    visit(ast.If(test=child.test, body=[], orelse=child.orelse), in_function)
                else:
                    visit(child, in_function or isinstance(child, FUNCTIONS))

    visit(module.tree, False)
    return tuple(found)


def _import(module: Module, node: ast.Import | ast.ImportFrom, in_function: bool, block: list) -> Import:
    if isinstance(node, ast.Import):
        targets = tuple(alias.name for alias in node.names)
    else:
        base = _resolve(module, node)
        targets = (*(f"{base}.{alias.name}" if base else alias.name for alias in node.names), base)
    return Import(module.name, node, in_function, targets, tuple(block))


def _own_packages(module: Module) -> set[str]:
    """The packages Python has begun to import before ``module`` runs (its own, for a package)."""
    parts = module.name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + module.is_package)}


def import_graph(top_level_only: bool = False) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (see the module's docstring)."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module in known.values():
        own = _own_packages(module)
        for statement in imports(module.name):
            if top_level_only and statement.in_function:
                continue
            if isinstance(statement.node, ast.Import):
                named = statement.targets
            else:
                *names, base = statement.targets
                named = [name if name in known else base for name in names]
            for target in (t for t in named if t in known):
                parts = target.split(".")
                packages = {".".join(parts[:i]) for i in range(1, len(parts))}
                graph[module.name] |= {target} | {p for p in packages if p in known and p not in own}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one module, or one importing itself,
    each sorted, largest first (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (-len(c), c))


def shortest_cycle(graph: dict[str, set[str]], start: str) -> list[str]:
    """A shortest path of imports from ``start`` back to itself (breadth first), for a readable message."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return []


# --- rule 4: imports inside functions ---------------------------------------------------------------------


@cache
def _comments(source: str) -> dict[int, str]:
    """Line number -> the comment on it."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.start[0]: token.string for token in tokens if token.type == tokenize.COMMENT}


def _is_heavy(statement: Import) -> bool:
    """Whether every module the statement imports is a third-party heavy or optional one."""
    # ``from google import genai`` imports google.genai: the names, each under the module imported from.
    names = statement.targets if isinstance(statement.node, ast.Import) else statement.targets[:-1]
    return all(
        any(name == heavy or name.startswith(f"{heavy}.") for heavy in HEAVY_OR_OPTIONAL) for name in names
    )


def function_imports() -> dict[str, list[Import]]:
    """Module -> its imports inside functions."""
    found: dict[str, list[Import]] = {}
    for module in modules().values():
        inside = [s for s in imports(module.name) if s.in_function]
        if inside:
            found[module.name] = sorted(inside, key=lambda s: s.node.lineno)
    return found


def unjustified_function_imports() -> dict[str, list[Import]]:
    """Module -> its imports inside functions that are neither heavy nor explained (rule 4)."""
    found: dict[str, list[Import]] = {}
    for name, inside in function_imports().items():
        unjustified = [s for s in inside if not justified(s, modules()[name].source)]
        if unjustified:
            found[name] = unjustified
    return found


def justified(statement: Import, source: str) -> bool:
    """Whether an import inside a function of ``source`` is heavy or says why (rule 4)."""
    return _is_heavy(statement) or _explained(statement, _comments(source), source.splitlines())


def _tagged(comment: str) -> bool:
    """Whether a comment says why, one of its ``;``-separated parts starting with a tag of JUSTIFICATIONS
    (``# heavy: ...``, ``# noqa: F401; cycle: ...``)."""
    return any(part.strip().startswith(JUSTIFICATIONS) for part in comment.lstrip("#").split(";"))


def _explained(statement: Import, comments: dict[int, str], lines: list[str]) -> bool:
    """A tagged comment on the statement's lines, or alone on the line before its run of imports (the
    import statements right before it in its block, one per line)."""
    node = statement.node
    if any(_tagged(comments.get(line, "")) for line in range(node.lineno, node.end_lineno + 1)):
        return True
    block = statement.block
    first = next(i for i, s in enumerate(block) if s is node)
    while (
        first > 0
        and isinstance(block[first - 1], ast.Import | ast.ImportFrom)
        and block[first - 1].end_lineno == block[first].lineno - 1
    ):
        first -= 1
    before = block[first].lineno - 1
    return before >= 1 and lines[before - 1].lstrip().startswith("#") and _tagged(comments.get(before, ""))


# --- the tests --------------------------------------------------------------------------------------------


def _stale(listed, measured) -> list[str]:
    return sorted(set(listed) - set(measured))


def test_no_module_over_the_line_limit():
    measured = long_modules()
    new = {name: lines for name, lines in measured.items() if name not in LONG_MODULES}
    assert not new, f"modules over {MAX_MODULE_LINES} lines: {new}; split them into modules of one job"
    stale = _stale(LONG_MODULES, measured)
    assert not stale, f"no longer over {MAX_MODULE_LINES} lines, remove from LONG_MODULES: {stale}"


def test_no_function_over_the_line_limit():
    measured = long_functions()
    new = {name: lines for name, lines in measured.items() if name not in LONG_FUNCTIONS}
    assert not new, f"functions over {MAX_FUNCTION_LINES} lines (tables aside): {new}"
    stale = _stale(LONG_FUNCTIONS, measured)
    assert not stale, f"no longer over {MAX_FUNCTION_LINES} lines, remove from LONG_FUNCTIONS: {stale}"


def _check_cycles(graph: dict[str, set[str]], allowed: dict[str, str], listing: str) -> None:
    found = cycles(graph)
    members = {name for component in found for name in component}
    new = sorted(members - set(allowed))
    assert not new, f"in an import cycle, not listed in {listing}: {new}; e.g. " + "; ".join(
        " -> ".join(shortest_cycle(graph, name)) for name in new
    )
    stale = _stale(allowed, members)
    assert not stale, f"no longer in an import cycle, remove from {listing}: {stale}"


def test_no_import_cycle():
    _check_cycles(import_graph(), MODULES_IN_IMPORT_CYCLES, "MODULES_IN_IMPORT_CYCLES")


def test_no_import_cycle_at_module_level():
    _check_cycles(
        import_graph(top_level_only=True),
        MODULES_IN_TOP_LEVEL_IMPORT_CYCLES,
        "MODULES_IN_TOP_LEVEL_IMPORT_CYCLES",
    )


def test_imports_inside_functions_are_justified():
    measured = {name: len(found) for name, found in unjustified_function_imports().items()}
    listed = {name: count for name, (count, _) in UNJUSTIFIED_FUNCTION_IMPORTS.items()}
    changed = {
        name: f"{count} unjustified, listed {listed.get(name, 0)}"
        for name, count in measured.items()
        if count != listed.get(name, 0)
    }
    where = [f"{s.module}:{s.node.lineno}" for name in changed for s in unjustified_function_imports()[name]]
    assert not changed, (
        f"imports inside functions: {changed} (at {where}); hoist them, or say why on the line before with "
        f"one of {JUSTIFICATIONS}; when fewer are left, lower the count in UNJUSTIFIED_FUNCTION_IMPORTS"
    )
    stale = _stale(listed, measured)
    assert not stale, (
        f"every import inside a function is justified, remove from UNJUSTIFIED_FUNCTION_IMPORTS: {stale}"
    )


def test_the_rules_see_what_they_measure():
    """The measures on small sources, so that a broken measure cannot pass everything."""
    source = "def f():\n    x = 1\n    table = {\n        1: 2,\n        3: 4,\n    }\n    return table\n"
    (_, function), *_ = functions(ast.parse(source))
    assert function_length(function) == 7 - 4
    assert cycles({"a": {"b"}, "b": {"c", "a"}, "c": set(), "d": {"d"}}) == [["a", "b"], ["d"]]
    assert shortest_cycle({"a": {"b"}, "b": {"c", "a"}, "c": set()}, "a") == ["a", "b", "a"]
    assert "aurora_evo.analysis" in modules() and not modules()["aurora_evo.analysis.report"].is_package
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import aurora_evo.evolve\n"
        "def f():\n"
        "    import scipy.stats\n    from google import genai\n"
        "    from . import cli  # cycle: cli imports this module\n"
        "    # heavy: imports numba\n    import aurora_evo.sim\n    from aurora_evo import policy\n"
        "    x = 1\n"
        "    import aurora_evo.seeds\n"
        "    # why not say why\n    import json\n"
    )
    module = Module("aurora_evo.example", PACKAGE / "example.py", False, source, ast.parse(source))
    found = imports_of(module)
    lines = [(1, False)] + [(n, True) for n in (5, 6, 7, 9, 10, 12, 14)]
    assert [(s.node.lineno, s.in_function) for s in found] == lines
    assert found[3].targets == ("aurora_evo.cli", "aurora_evo")  # relative, resolved
    assert [s.node.lineno for s in found if s.in_function and not justified(s, source)] == [12, 14]


def measured_state() -> str:
    """Every rule's measure, for people (``python tests/test_structure.py``)."""
    out = [f"Modules over {MAX_MODULE_LINES} lines:"]
    out += [f"  {lines:5d} {name}" for name, lines in sorted(long_modules().items(), key=lambda kv: -kv[1])]
    out.append(f"Functions over {MAX_FUNCTION_LINES} lines (tables aside):")
    out += [f"  {lines:5d} {name}" for name, lines in sorted(long_functions().items(), key=lambda kv: -kv[1])]
    for title, graph in (
        ("Import cycles, function-level imports counted:", import_graph()),
        ("Import cycles of module-level imports:", import_graph(top_level_only=True)),
    ):
        out.append(title)
        for component in cycles(graph):
            out.append(f"  {len(component)} modules: {', '.join(component)}")
            out.append(f"    e.g. {' -> '.join(shortest_cycle(graph, component[0]))}")
    out.append("Imports inside functions by module (unjustified):")
    unjustified = unjustified_function_imports()
    for name, inside in sorted(function_imports().items(), key=lambda kv: -len(kv[1])):
        lines = ", ".join(str(s.node.lineno) for s in unjustified.get(name, []))
        out.append(
            f"  {len(inside):3d} {name} ({len(unjustified.get(name, []))}{': ' + lines if lines else ''})"
        )
    return "\n".join(out)


if __name__ == "__main__":
    print(measured_state())
