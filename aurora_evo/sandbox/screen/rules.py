"""Check 6 of the screen: the rules on a parsed program's names, attributes, imports, calls and
statements (see :mod:`aurora_evo.sandbox.screen`); the violation that starts first is reported."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from aurora_evo.sandbox.numba_guard import is_dimension
from aurora_evo.sandbox.screen.resolve import Resolved, resolve
from aurora_evo.sandbox.screen.verdict import excerpt
from aurora_evo.sandbox.screen.vocabulary import (
    ALLOWED_IMPORTS,
    IMPORT_REASONS,
    JIT_KEYWORD_REASONS,
    JIT_KEYWORDS,
    JIT_PATHS,
    NUMBA_TYPE_NAMES,
    attribute_reason,
    name_reason,
)


@dataclass(frozen=True, order=True)
class _Violation:
    """One broken rule; ordering puts the earliest (then innermost) one first."""

    lineno: int
    col: int
    end_lineno: int
    end_col: int
    seq: int
    message: str = field(compare=False)


_WHY_JIT_ARGUMENT = (
    "numba takes a function (a def or a lambda) or a signature written with numba's type names; "
    "it evaluates anything else that is a string with eval()"
)


def _other_bindings(nodes: list[ast.AST]) -> Iterator[str]:
    """Every name bound other than by a ``def``: assignments, loop and comprehension targets,
    parameters, imports, ``except ... as``, ``with ... as``, match captures."""
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            yield node.id
        elif isinstance(node, ast.arg):
            yield node.arg
        elif isinstance(node, ast.alias):
            yield node.asname or node.name.split(".")[0]
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            yield node.name
        elif isinstance(node, ast.MatchMapping) and node.rest:
            yield node.rest
        elif isinstance(node, ast.Global | ast.Nonlocal):
            yield from node.names


def _chain(node: ast.expr) -> tuple[ast.Name, list[ast.Attribute]] | None:
    """``a.b.c`` as its root name and its attribute nodes, innermost first; ``None`` if not rooted at a
    name."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    attrs.reverse()
    return node, attrs


class Rules:
    """Checks rules 4-9 on one syntax tree; the state lives for one :func:`screen_program` call."""

    def __init__(self, nodes: list[ast.AST], parents: dict[ast.AST, ast.AST]) -> None:
        self.nodes = nodes
        self.parents = parents
        self.violations: list[_Violation] = []
        # Names bound to modules and numba names; the program's namespace provides np, numpy and math.
        self.bindings: dict[str, str] = {
            "np": "numpy", "numpy": "numpy", "math": "math", "numba": "numba",
            "njit": "numba.njit", "jit": "numba.jit",
        }  # fmt: skip
        self.decorators = {id(d) for n in nodes for d in getattr(n, "decorator_list", ())}
        # Names that hold a function wherever they are used: bound by a ``def`` and by nothing else.
        defined = {n.name for n in nodes if isinstance(n, ast.FunctionDef)}
        self.functions = defined - set(_other_bindings(nodes))

    def first_violation(self) -> _Violation | None:
        for node in self.nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                self._check_import(node)  # first, so that every alias is known before it is used
        for node in self.nodes:
            self._check_node(node)
        return min(self.violations, default=None)

    # --- recording ------------------------------------------------------------------------------

    def _position(self, node: ast.AST) -> tuple[int, int, int, int]:
        while not hasattr(node, "lineno") and node in self.parents:
            node = self.parents[node]  # comprehensions, arguments and match cases carry no position
        lineno = getattr(node, "lineno", 1) or 1
        col = getattr(node, "col_offset", 0) or 0
        end_lineno = getattr(node, "end_lineno", lineno) or lineno
        end_col = getattr(node, "end_col_offset", col) or col
        return lineno, col, end_lineno, end_col

    def _report(self, node: ast.AST, what: str, why: str) -> None:
        lineno, col, end_lineno, end_col = self._position(node)
        message = f"line {lineno}: {what} is forbidden ({why})"
        self.violations.append(_Violation(lineno, col, end_lineno, end_col, len(self.violations), message))

    # --- imports (rule 4) -----------------------------------------------------------------------

    def _bind(self, node: ast.AST, name: str, target: str) -> None:
        previous = self.bindings.get(name)
        if previous is not None and previous != target:
            self._report(node, f"binding '{name}' to {excerpt(target)}", f"it already names {previous}")
        self.bindings[name] = target

    def _check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in ALLOWED_IMPORTS:
                    self._report(node, f"import of '{excerpt(alias.name)}'", self._import_reason(alias.name))
                elif alias.asname:
                    self._bind(alias, alias.asname, alias.name)
                else:
                    top = alias.name.split(".")[0]
                    self._bind(alias, top, top)
            return
        module = node.module or ""
        if node.level:
            self._report(node, "a relative import", "only numpy, math and numba may be imported")
            return
        if module == "__future__":
            return
        if module not in ALLOWED_IMPORTS:
            self._report(node, f"import from '{excerpt(module)}'", self._import_reason(module))
            return
        for alias in node.names:
            if alias.name == "*":
                self._report(node, f"'from {module} import *'", "it hides which names are used")
                continue
            path = f"{module}.{alias.name}"
            resolved = resolve(path.split("."))
            if resolved.failed_at is not None:
                self._report(alias, f"import of '{excerpt(path)}'", resolved.reason)
            elif resolved.kind != "value" or (alias.asname or alias.name) in self.bindings:
                self._bind(alias, alias.asname or alias.name, path)

    @staticmethod
    def _import_reason(module: str) -> str:
        parts = module.split(".")
        for i in range(len(parts), 0, -1):
            reason = IMPORT_REASONS.get(".".join(parts[:i]))
            if reason is not None:
                return reason
        return "only numpy, numpy.linalg, numpy.fft, math and numba may be imported"

    # --- everything else (rules 5-9) ------------------------------------------------------------

    def _check_node(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            self._check_name(node)
        elif isinstance(node, ast.Attribute):
            self._check_attribute(node)
        elif isinstance(node, ast.arg):
            self._check_binding(node, node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self._check_function_def(node)
        elif isinstance(node, ast.Call):
            self._check_call(node)
        elif isinstance(node, ast.With):
            self._check_with(node)
        elif isinstance(node, ast.ExceptHandler):
            if node.type is None:
                self._report(node, "a bare 'except:'", "it swallows timeouts and exits")
            if node.name:
                self._check_binding(node, node.name)
        elif isinstance(node, ast.MatchClass):
            for name in node.kwd_attrs:
                reason = attribute_reason(name)
                if reason is not None:
                    self._report(node, f"attribute '{excerpt(name)}' in a class pattern", reason)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            self._check_binding(node, node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            self._check_binding(node, node.rest)
        else:
            self._check_statement(node)

    def _check_statement(self, node: ast.AST) -> None:
        if isinstance(node, ast.ClassDef):
            self._report(node, "a class definition", "not needed, and enables __del__/__reduce__ traps")
        elif isinstance(node, ast.Global):
            self._report(node, "a 'global' statement", "state kept across calls breaks determinism")
        elif isinstance(node, ast.AsyncFor | ast.AsyncWith | ast.Await):
            self._report(node, "async code", "not needed in a priority function")
        elif isinstance(node, ast.Yield | ast.YieldFrom):
            self._report(node, "'yield'", "generators are not needed in a priority function")

    def _check_binding(self, node: ast.AST, name: str) -> None:
        """A name being bound (assigned, a parameter, a def): neither forbidden nor a module's name."""
        reason = name_reason(name, load=False)
        if reason is not None:
            self._report(node, f"name '{excerpt(name)}'", reason)
        elif name in self.bindings and resolve(self.bindings[name].split(".")).kind != "value":
            self._report(node, f"rebinding '{name}'", f"it names {self.bindings[name]}")

    def _check_name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._check_binding(node, node.id)
            return
        reason = name_reason(node.id, load=True)
        if reason is not None:
            self._report(node, f"name '{excerpt(node.id)}'", reason)
        elif node.id in self.bindings and not isinstance(self.parents.get(node), ast.Attribute):
            self._check_use_of(node, resolve(self.bindings[node.id].split(".")), node.id)

    def _check_use_of(self, node: ast.expr, resolved: Resolved, text: str) -> None:
        """A module may only be the base of an attribute; ``njit`` only called or a decorator."""
        if resolved.kind == "module":
            self._report(node, f"using module '{excerpt(text)}' as a value", "write the full dotted name")
        elif resolved.kind == "jit":
            parent = self.parents.get(node)
            called = isinstance(parent, ast.Call) and parent.func is node
            if not called and id(node) not in self.decorators:
                self._report(node, f"using '{excerpt(text)}' as a value", "call it or use it as a decorator")

    def _check_attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            verb = "deleting" if isinstance(node.ctx, ast.Del) else "assigning to"
            self._report(
                node, f"{verb} attribute '{excerpt(ast.unparse(node))}'", "programs may not patch objects"
            )
            return
        reason = attribute_reason(node.attr)
        if reason is not None:
            self._report(node, f"attribute '{excerpt(node.attr)}'", reason)
        parent = self.parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return  # the outermost attribute of the chain resolves the whole chain
        chain = _chain(node)
        if chain is None or chain[0].id not in self.bindings:
            return
        root, attrs = chain
        base = self.bindings[root.id].split(".")
        resolved = resolve(base + [a.attr for a in attrs])
        if resolved.failed_at is None:
            self._check_use_of(node, resolved, ast.unparse(node))
        elif resolved.failed_at >= len(base):
            culprit = attrs[resolved.failed_at - len(base)]
            if attribute_reason(culprit.attr) is None:  # else reported as a forbidden attribute
                self._report(culprit, f"'{excerpt(ast.unparse(culprit))}'", resolved.reason)

    def _qualified(self, node: ast.expr) -> str | None:
        chain = _chain(node)
        if chain is None or chain[0].id not in self.bindings:
            return None
        root, attrs = chain
        return ".".join([self.bindings[root.id], *(a.attr for a in attrs)])

    def _check_function_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if isinstance(node, ast.AsyncFunctionDef):
            self._report(node, "async code", "not needed in a priority function")
        self._check_binding(node, node.name)
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if self._qualified(target) not in JIT_PATHS:
                self._report(
                    decorator,
                    f"decorator '{excerpt(ast.unparse(decorator))}'",
                    "only numba's njit and jit may decorate functions",
                )

    def _check_call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Call) and self._qualified(node.func.func) in JIT_PATHS:
            # njit(...)(f): what the decorator is applied to must be a function.
            for arg in node.args:
                if not self._is_function(arg):
                    self._report(arg, f"applying numba to '{excerpt(ast.unparse(arg))}'", _WHY_JIT_ARGUMENT)
            return
        if self._qualified(node.func) not in JIT_PATHS:
            return
        for arg in node.args:
            strings = [s for s in ast.walk(arg) if isinstance(s, ast.Constant) and isinstance(s.value, str)]
            for sub in strings:
                self._report(sub, "a string signature for numba", "numba evaluates it with eval()")
            if not strings and not (self._is_function(arg) or self._is_signature(arg)):
                self._report(arg, f"numba argument '{excerpt(ast.unparse(arg))}'", _WHY_JIT_ARGUMENT)
        for keyword in node.keywords:
            allowed = JIT_KEYWORDS.get(keyword.arg) if keyword.arg else None
            value = keyword.value.value if isinstance(keyword.value, ast.Constant) else None
            if allowed is not None and value in allowed and type(value) is type(allowed[0]):
                continue
            what = f"numba option '{keyword.arg}'" if keyword.arg else "numba options from '**'"
            reason = JIT_KEYWORD_REASONS.get(keyword.arg or "")
            if reason is None:
                reason = "allowed: " + ", ".join(
                    f"{k}={'/'.join(map(repr, v))}" for k, v in JIT_KEYWORDS.items()
                )
            self._report(keyword, what, reason)

    def _is_function(self, node: ast.expr) -> bool:
        """A lambda, or a name bound only by a ``def``: what numba may compile."""
        return isinstance(node, ast.Lambda) or (isinstance(node, ast.Name) and node.id in self.functions)

    def _is_signature(self, node: ast.expr) -> bool:
        """A signature written with numba's type names: ``float64``, ``float64[:, ::1]``,
        ``float64[:](int64, float64[:])``, or a tuple or list of those."""
        if isinstance(node, ast.Tuple | ast.List):
            return bool(node.elts) and all(self._is_signature(e) for e in node.elts)
        if isinstance(node, ast.Call):
            return (
                not node.keywords
                and self._is_signature(node.func)
                and all(self._is_signature(a) for a in node.args)
            )
        if isinstance(node, ast.Subscript):
            dims = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return self._is_signature(node.value) and all(is_dimension(d) for d in dims)
        qualified = self._qualified(node)
        return qualified is not None and qualified.removeprefix("numba.") in NUMBA_TYPE_NAMES

    def _check_with(self, node: ast.With) -> None:
        for item in node.items:
            expr = item.context_expr
            is_errstate = isinstance(expr, ast.Call) and self._qualified(expr.func) == "numpy.errstate"
            if not is_errstate or item.optional_vars is not None:
                self._report(
                    node,
                    f"'with {excerpt(ast.unparse(expr))}'",
                    "context managers run code on exit; only 'with np.errstate(...):' is allowed",
                )
