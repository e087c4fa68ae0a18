"""numba without ``eval``: signature strings read as numba type names, in every sandbox process.

numba turns a signature string into types with ``eval`` (``njit("float64(float64)")``,
``dispatcher.compile("...")``, ``jit(["..."])``, ``objmode(x="...")``, ``cfunc("...")``), so a string a
program builds at run time is Python that runs. The static screen refuses every such string it can see,
but a string can be built where it cannot see it. :func:`install`, run in the supervisor before numba is
imported (every jail is forked from it), replaces numba's parser with :func:`parse_signature`: it reads
the string as a syntax tree and accepts only numba's type names, array dimensions (``[:]``, ``[:, ::1]``),
calls (a signature) and tuples. Anything else raises ``TypeError``, and no part of the string runs.

:func:`check_indices`, run in each jail and witness before the candidate, makes numba's decorators
compile the candidate's helpers with index checks.
"""

from __future__ import annotations

import ast
import functools
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType

#: Longest signature string read; a longer one is refused before it is parsed.
MAX_SIGNATURE_CHARS = 1_000
#: Deepest nesting of a signature's syntax tree.
MAX_SIGNATURE_DEPTH = 20

_SIGUTILS = "numba.core.sigutils"


class SignatureError(TypeError):
    """A signature string that is not written with numba's type names."""


def parse_signature(text: str):
    """The numba types or signature ``text`` spells, without evaluating it.

    ``"float64[:](int64, float64[:, ::1])"`` gives the same ``Signature`` as numba's own parser; a tuple
    of types (``"(float64, int64)"``) gives a tuple.

    Raises:
        SignatureError: ``text`` is not a string, is too long, does not parse, or uses anything but
            numba's type names, ``[:]``/``[::1]`` dimensions, calls of a type and tuples.
    """
    if not isinstance(text, str):
        raise SignatureError(f"a signature string must be a str, not {type(text).__name__}")
    if len(text) > MAX_SIGNATURE_CHARS:
        raise SignatureError(f"a signature string of {len(text):,} characters is refused")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise SignatureError(f"signature {_excerpt(text)} does not parse") from None
    return _build(tree.body, text, 0)


def _build(node: ast.expr, text: str, depth: int):
    from numba.core import types

    if depth > MAX_SIGNATURE_DEPTH:
        raise SignatureError(f"signature {_excerpt(text)} is nested too deeply")
    if isinstance(node, ast.Name):
        value = vars(types).get(node.id)
        if isinstance(value, types.Type):
            return value
        raise SignatureError(f"signature {_excerpt(text)}: {node.id!r} is not a numba type name")
    if isinstance(node, ast.Tuple):
        return tuple(_build(element, text, depth + 1) for element in node.elts)
    if isinstance(node, ast.Subscript):
        base = _build(node.value, text, depth + 1)
        dims = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if isinstance(base, types.Type) and dims and all(is_dimension(d) for d in dims):
            slices = tuple(slice(None, None, None if d.step is None else 1) for d in dims)
            return base[slices if len(slices) > 1 else slices[0]]
    if isinstance(node, ast.Call) and not node.keywords:
        callee = _build(node.func, text, depth + 1)
        if isinstance(callee, types.Type) and not any(isinstance(a, ast.Starred) for a in node.args):
            return callee(*(_build(argument, text, depth + 1) for argument in node.args))
    raise SignatureError(
        f"signature {_excerpt(text)} is not written with numba's type names "
        f"({type(node).__name__} is not allowed)"
    )


def is_dimension(node: ast.expr) -> bool:
    """``:`` or ``::1``: an array dimension in a numba signature."""
    if not isinstance(node, ast.Slice) or node.lower is not None or node.upper is not None:
        return False
    step = node.step
    return step is None or (isinstance(step, ast.Constant) and type(step.value) is int and step.value == 1)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _read_signatures_safely(sigutils) -> None:
    sigutils._parse_signature_string = parse_signature


def _compile_with_index_checks(numba) -> None:
    """``numba.njit`` and ``numba.jit`` compile with index checks, whatever options they are given.

    A candidate's own helpers go through them (the screen lets only these decorators through), so an
    out-of-bounds access there raises too. Only these two names change: numba's global switch would
    also recompile, in every jail, numba's versions of numpy functions that the supervisor warmed.
    """

    def with_checks(decorator):
        @functools.wraps(decorator)
        def checked(*args, **options):
            options["boundscheck"] = True
            return decorator(*args, **options)

        return checked

    numba.njit, numba.jit = with_checks(numba.njit), with_checks(numba.jit)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Applies ``patches[name]`` to a module the moment it is imported."""

    def __init__(self) -> None:
        self.patches: dict[str, Callable[[ModuleType], None]] = {}

    def find_spec(self, fullname, path, target=None):
        patch = self.patches.get(fullname)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        original = spec.loader.exec_module

        def exec_module(module):
            original(module)
            patch(module)

        spec.loader.exec_module = exec_module
        return spec


def _on_import(name: str, patch: Callable[[ModuleType], None]) -> None:
    """Apply ``patch`` to the module ``name`` now if it is imported, else as soon as it is."""
    if name in sys.modules:
        patch(sys.modules[name])
        return
    finder = next((f for f in sys.meta_path if isinstance(f, _PatchOnImport)), None)
    if finder is None:
        finder = _PatchOnImport()
        sys.meta_path.insert(0, finder)
    finder.patches[name] = patch


def install() -> None:
    """Make numba read signature strings with :func:`parse_signature`, now or when it is imported."""
    _on_import(_SIGUTILS, _read_signatures_safely)


def installed() -> bool:
    """Whether numba's parser in this process is :func:`parse_signature` (numba imported or not)."""
    module = sys.modules.get(_SIGUTILS)
    if module is not None:
        return module._parse_signature_string is parse_signature
    return any(isinstance(f, _PatchOnImport) and _SIGUTILS in f.patches for f in sys.meta_path)


def check_indices() -> None:
    """Make numba's decorators compile with index checks in this process, now or when it is imported
    (a witness imports numba only if the candidate does)."""
    _on_import("numba", _compile_with_index_checks)
