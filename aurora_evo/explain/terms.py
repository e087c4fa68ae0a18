"""A vetted program's named terms: what each variable ``priority`` assigns holds at one decision, and
the program run again with one term changed for one row.

The program's syntax tree is rewritten so that every assignment to a plain name inside ``priority``
(``spare = (bins - item) / cap``) and its return value pass through a hook, which records them and may
replace one row's value before the rest of the program reads it. Like
:func:`~aurora_evo.scheduler.load_scheduler`, this runs the program **in this process**: only for
programs you trust (those this project exports after evaluating them in the sandbox).
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

import numpy as np

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.program_loading import compile_program
from aurora_evo.program_text import comment_tokens, find_function, parse_program

#: The name the rewritten program calls its hook by (no program of the contract uses it).
HOOK = "_aurora_term_hook"
#: The term that holds what ``priority`` returns.
SCORE = "score"
#: A whole argument read (not one of its columns): ``bins``, ``item``, or ``nodes`` passed along.
WHOLE = "*"


@dataclass(frozen=True)
class Term:
    """One named quantity of a program.

    Attributes:
        name: the variable (``SCORE`` for the returned scores).
        line: where it is first assigned (1-based).
        note: the comment at the end of that line (GP programs say what a term means there), or "".
        inputs: what it reads, directly or through earlier terms: ``(argument, column)`` pairs, the
            column a feature name (``"cpu_free"``) or :data:`WHOLE`.
    """

    name: str
    line: int
    note: str
    inputs: tuple[tuple[str, str], ...]

    def reads(self) -> str:
        """``nodes.cpu_free, task.cpu``: its inputs in words."""
        return ", ".join(arg if column == WHOLE else f"{arg}.{column}" for arg, column in self.inputs)


class TermProgram:
    """``priority`` of ``source`` with its terms exposed (see the module docstring).

    Attributes:
        first, second: the names of its arguments (``task, nodes`` or ``item, bins``).
        terms: its terms in the order they are first assigned, the returned scores last.
    """

    def __init__(self, source: str, contract: Contract):
        tree = parse_program(source)
        function = find_function(tree)
        self.first, self.second = function.args.args[0].arg, function.args.args[1].arg
        self.contract = contract
        self.terms = program_terms(source)
        rewritten = copy.deepcopy(tree)
        target = find_function(rewritten)
        _Hooks().visit(target)
        target.args.kwonlyargs.append(ast.arg(HOOK))
        target.args.kw_defaults.append(None)
        ast.fix_missing_locations(rewritten)
        self._function = compile_program(ast.unparse(rewritten), contract, jit=False).python

    def run(
        self, first, second, change: tuple[str, int, float] | None = None
    ) -> tuple[np.ndarray, dict[str, object]]:
        """The scores ``(k,)`` of one decision and every term's value (an array ``(k,)`` for a term
        that differs per row, else a scalar); with ``change = (term, row, value)``, that term's value
        for ``row`` is replaced before the rest of the program reads it."""
        values: dict[str, object] = {}

        def hook(name: str, value):
            if change is not None and change[0] == name and np.ndim(value) == 1:
                value = np.array(value, dtype=np.float64)
                value[change[1]] = change[2]
            values[name] = value
            return value

        with np.errstate(all="ignore"):
            scores = np.asarray(self._function(first, second, **{HOOK: hook}), dtype=np.float64)
        return scores, values

    def term(self, name: str) -> Term:
        return next(term for term in self.terms if term.name == name)


def program_terms(source: str) -> tuple[Term, ...]:
    """The terms of ``priority`` in ``source``, read from its text alone (nothing runs).

    Raises:
        ProgramError: the source does not parse or has no ``priority(a, b)``.
    """
    function = find_function(parse_program(source))
    first, second = function.args.args[0].arg, function.args.args[1].arg
    return _terms(function, _line_notes(source), first, second)


def summary(source: str) -> str:
    """What ``priority`` reads and through which named terms, in a sentence or two (nothing runs),
    e.g. "Reads bins, item through 2 named terms: room (room left in each bin), fit. The score is
    computed from fit and room." """
    terms = program_terms(source)
    *named, score = terms
    function = find_function(parse_program(source))
    returns = [node.value for node in _own_nodes(function) if isinstance(node, ast.Return) and node.value]
    returned = {name.id for value in returns for name in ast.walk(value) if isinstance(name, ast.Name)}
    reads = f"Reads {score.reads()}" if score.inputs else "Reads none of its arguments"
    if not named:
        return f"{reads}, in one expression."
    listed = ", ".join(f"{term.name} ({term.note})" if term.note else term.name for term in named)
    text = f"{reads} through {len(named)} named term{'s' * (len(named) > 1)}: {listed}."
    direct = [term.name for term in named if term.name in returned]
    if direct:
        text += (
            f" The score is computed from {', '.join(direct[:-1])}{' and ' * (len(direct) > 1)}{direct[-1]}."
        )
    return text


class _Hooks(ast.NodeTransformer):
    """``x = e`` -> ``x = hook("x", e)``, ``x += e`` -> ``x = hook("x", x + e)`` and ``return e`` ->
    ``return hook("score", e)`` in one function (not in functions or lambdas defined inside it)."""

    def __init__(self):
        self._depth = 0

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self._depth += 1
        if self._depth == 1:
            self.generic_visit(node)
        self._depth -= 1
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            node.value = _hooked(node.targets[0].id, node.value)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        if not isinstance(node.target, ast.Name):
            return node
        name = node.target.id
        value = ast.BinOp(ast.Name(name, ast.Load()), node.op, node.value)
        return ast.copy_location(ast.Assign([ast.Name(name, ast.Store())], _hooked(name, value)), node)

    def visit_Return(self, node: ast.Return) -> ast.AST:
        if node.value is not None:
            node.value = _hooked(SCORE, node.value)
        return node


def _hooked(name: str, value: ast.expr) -> ast.expr:
    return ast.Call(ast.Name(HOOK, ast.Load()), [ast.Constant(name), value], [])


def _line_notes(source: str) -> dict[int, str]:
    """The comment ending each line, by line number."""
    return {token.start[0]: token.string.lstrip("#").strip() for token in comment_tokens(source)}


def _terms(function: ast.FunctionDef, notes: dict[int, str], first: str, second: str) -> tuple[Term, ...]:
    """Each assigned name with what it reads, in order of first assignment; the returned scores last."""
    inputs: dict[str, set[tuple[str, str]]] = {}
    lines: dict[str, int] = {}
    returned: set[tuple[str, str]] = set()
    own = list(_own_nodes(function))
    for node in own:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            lines.setdefault(name, node.lineno)
            inputs.setdefault(name, set()).update(_reads(node.value, inputs, first, second))
        elif (
            isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and node.target.id in inputs
        ):
            inputs[node.target.id] |= _reads(node.value, inputs, first, second)
        elif isinstance(node, ast.Return) and node.value is not None:
            returned |= _reads(node.value, inputs, first, second)
    ordered = sorted(lines, key=lines.get)
    terms = [Term(name, lines[name], notes.get(lines[name], ""), _sorted(inputs[name])) for name in ordered]
    last = max((n.lineno for n in own if isinstance(n, ast.Return)), default=function.lineno)
    return (*terms, Term(SCORE, last, "what priority returns", _sorted(returned)))


def _own_nodes(function: ast.FunctionDef):
    """The nodes of ``function``'s body in source order, not those of functions or lambdas inside it."""
    stack = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _reads(expression: ast.expr, known: dict[str, set], first: str, second: str) -> set[tuple[str, str]]:
    """The arguments' features ``expression`` reads, through the terms ``known`` so far."""
    found: set[tuple[str, str]] = set()
    columns: set[int] = set()  # ids of the argument names read column by column
    for node in ast.walk(expression):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            column = _column(node, first, second)
            if column is not None:
                found.add(column)
                columns.add(id(node.value))
    for node in ast.walk(expression):
        if not isinstance(node, ast.Name) or id(node) in columns:
            continue
        if node.id in (first, second):
            found.add((node.id, WHOLE))
        elif node.id in known:
            found |= known[node.id]
    return found


def _column(node: ast.Subscript, first: str, second: str) -> tuple[str, str] | None:
    """``nodes[:, N_CPU_FREE]`` -> ``("nodes", "cpu_free")``; ``task[T_MEM]`` -> ``("task", "memory")``."""
    argument = node.value.id
    if argument not in (first, second):
        return None
    index = node.slice
    if argument == second and isinstance(index, ast.Tuple) and len(index.elts) == 2:
        if isinstance(index.elts[0], ast.Slice):
            return _feature(argument, index.elts[1], features.NODE_FEATURE_NAMES)
        return None
    if argument == first and not isinstance(index, (ast.Slice, ast.Tuple)):
        return _feature(argument, index, features.TASK_FEATURE_NAMES)
    return None


def _feature(argument: str, index: ast.expr, names: tuple[str, ...]) -> tuple[str, str] | None:
    constants = features.contract_globals()
    if isinstance(index, ast.Name) and index.id in constants:
        position = constants[index.id]
    elif isinstance(index, ast.Constant) and isinstance(index.value, int):
        position = index.value
    else:
        return None
    return (argument, names[position]) if 0 <= position < len(names) else None


def _sorted(pairs: set[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pairs))
