"""The static screen: a cheap first rejection of candidate programs, with a precise one-line reason.

The screen is not the security boundary (the jailed worker process is). It turns away, before anything
runs, programs whose intent is plain from their text: imports beyond numpy/math/numba, builtins that run
strings as code or reach namespaces by name, private attributes (the introspection escapes), numpy file
I/O and raw memory, patching modules, class machinery, generators, swallowing exits, context managers,
and sources large or deep enough to be compile bombs. Everything it lets through still runs in the jail.

Checks, in this order (the first failing one decides the result):

1. size: characters (``max_chars``, checked before parsing, since a 5 MB source takes ~20 s to parse),
   lines (:data:`MAX_LINES`) and null bytes -> ``FORBIDDEN``;
2. parsing -> ``SYNTAX_ERROR`` (a parser that runs out of stack or memory -> ``FORBIDDEN``);
3. AST size (:data:`MAX_NODES` nodes) and nesting depth (:data:`MAX_DEPTH`) -> ``FORBIDDEN``;
4. non-ASCII characters outside string literals and comments -> ``FORBIDDEN`` (Python folds identifiers
   with NFKC, so a fullwidth eval, U+FF45 U+FF56 U+FF41 U+FF4C, is ``eval``);
5. a top-level ``def <function_name>(a, b)`` with exactly two positional parameters -> ``SYNTAX_ERROR``;
6. the rules below -> ``FORBIDDEN``; the violation that starts first in the source is reported.

Rules (see the deny-lists of :mod:`~aurora_evo.sandbox.screen.vocabulary` for every name and its
reason):

* imports: only :data:`ALLOWED_IMPORTS`; ``from numpy import x`` only for a public name of numpy that is
  not denied; from numba only :data:`NUMBA_NAMES`; no relative or star imports;
* names: :data:`FORBIDDEN_NAMES`, and any name starting with ``__`` except :data:`HARMLESS_DUNDERS`;
* attributes: any starting with ``_``, any in :data:`FORBIDDEN_ATTRIBUTES` whatever the object (so
  ``x = np; x.load`` is caught), and any with a frame/code/traceback prefix (:data:`INTERNAL_PREFIXES`,
  e.g. ``gi_frame`` of a generator expression);
* chains rooted at a module name (``np``, ``numpy``, ``math``, ``numba`` and import aliases) are resolved
  against the real numpy/math modules: the name must exist there, and a module may only be reached if
  it is in :data:`ALLOWED_MODULE_PATHS`. A module (or numba's ``njit``/``jit``) may only be used as the
  base of an attribute (``np.where``), never as a value (``x = np``, ``f(np)``), and such names may not be
  rebound, so that every use of a module is visible to these checks;
* no attribute in a store or delete context (``np.save = None``, ``a.flags.writeable = True``);
* no ``class``, ``global``, ``async``/``await``, ``yield``, bare ``except:``; no ``with`` except
  ``with np.errstate(...):``; catching ``BaseException`` and friends is caught by the name rule;
* decorators: only numba's ``njit``/``jit``, with keyword arguments from :data:`JIT_KEYWORDS` and no
  string constants among their positional arguments (numba ``eval``\\s string signatures); the same
  argument rules apply wherever ``njit``/``jit`` is called.

Judgement calls: ``print`` is allowed (the jail caps output); ``classmethod``, ``staticmethod`` and
``property`` are allowed (harmless without ``class`` and ``type``); ``nonlocal`` is allowed (state of one
call); ``np.frombuffer`` and ``ndarray.view`` are allowed (they stay within a buffer's bounds);
``hash`` and ``id`` are forbidden (they differ between runs); ``numpy.random`` is forbidden (programs
must be deterministic); ``with np.errstate(...)`` is allowed (a common idiom that restores what it sets).
Module-level mutable state mutated across calls (``cache = []``) is not detected here.

The screen's parts, each one job: :mod:`~aurora_evo.sandbox.screen.verdict` (the result and its
messages), :mod:`~aurora_evo.sandbox.screen.source_checks` (checks 3-5: tree size, characters, the entry
point), :mod:`~aurora_evo.sandbox.screen.vocabulary` (the deny-lists),
:mod:`~aurora_evo.sandbox.screen.resolve` (following dotted paths through numpy, math and numba) and
:mod:`~aurora_evo.sandbox.screen.rules` (check 6). This module checks the size and parses (1 and 2),
then runs them in order.
"""

from __future__ import annotations

import ast
import warnings

from aurora_evo.program_text import MAX_SOURCE_CHARS, ProgramError, parse_source
from aurora_evo.sandbox.screen.rules import Rules
from aurora_evo.sandbox.screen.source_checks import (
    MAX_DEPTH,
    MAX_NODES,
    check_ascii,
    check_entry_point,
    flatten,
)
from aurora_evo.sandbox.screen.verdict import PASSED, ScreenResult, excerpt, forbidden, syntax_error
from aurora_evo.sandbox.screen.vocabulary import (
    ALLOWED_IMPORTS,
    ALLOWED_MODULE_PATHS,
    FORBIDDEN_ATTRIBUTES,
    FORBIDDEN_NAMES,
    HARMLESS_DUNDERS,
    INTERNAL_PREFIXES,
    JIT_KEYWORDS,
    NUMBA_DISPATCHER_ATTRIBUTES,
    NUMBA_NAMES,
)

__all__ = [
    "ALLOWED_IMPORTS",
    "ALLOWED_MODULE_PATHS",
    "FORBIDDEN_ATTRIBUTES",
    "FORBIDDEN_NAMES",
    "HARMLESS_DUNDERS",
    "INTERNAL_PREFIXES",
    "JIT_KEYWORDS",
    "MAX_DEPTH",
    "MAX_LINES",
    "MAX_NODES",
    "NUMBA_DISPATCHER_ATTRIBUTES",
    "NUMBA_NAMES",
    "ScreenResult",
    "screen_program",
]

#: Programs with more lines than this are refused before parsing.
MAX_LINES = 2_000


def screen_program(
    source: str, *, function_name: str = "priority", max_chars: int = MAX_SOURCE_CHARS
) -> ScreenResult:
    """Screen a candidate program's source; never raises, whatever the text.

    Args:
        source: the program text.
        function_name: the function the program must define (two positional parameters).
        max_chars: the longest source accepted; checked before anything else looks at the text.

    Returns:
        The first violation found (see the module docstring for the order), or an OK result.
    """
    if not isinstance(source, str):
        return forbidden(None, f"a source of type {type(source).__name__} is forbidden (expected str)")
    if len(source) > max_chars:
        return forbidden(
            None, f"a source of {len(source):,} characters is forbidden (the limit is {max_chars:,})"
        )
    n_lines = source.count("\n") + source.count("\r") - source.count("\r\n") + 1
    if n_lines > MAX_LINES:
        return forbidden(None, f"a source of {n_lines:,} lines is forbidden (the limit is {MAX_LINES:,})")
    if "\0" in source:
        lineno = source.count("\n", 0, source.index("\0")) + 1
        return forbidden(lineno, f"line {lineno}: a null byte is forbidden (it truncates C strings)")
    tree, failure = _parse(source)
    if failure is not None:
        return failure
    try:
        flat = flatten(tree)
        if isinstance(flat, ScreenResult):
            return flat
        nodes, parents = flat
        failure = check_ascii(nodes, source) or check_entry_point(tree, function_name)
        if failure is not None:
            return failure
        violation = Rules(nodes, parents).first_violation()
    except Exception as exc:  # fail closed: a screen bug must not let a program through
        return forbidden(None, f"a program the screen cannot check is forbidden ({type(exc).__name__})")
    if violation is not None:
        return forbidden(violation.lineno, violation.message)
    return PASSED


def _parse(source: str) -> tuple[ast.Module | None, ScreenResult | None]:
    """The tree, or the verdict on a source the shared parser refuses: a syntax error, or a compile
    bomb when the parser ran out of stack or memory."""
    try:
        with warnings.catch_warnings():
            # Invalid escapes warn at parse time; a warnings filter set to "error" must not turn a
            # legitimate program into a syntax error.
            warnings.simplefilter("ignore")
            return parse_source(source), None
    except ProgramError as exc:
        error = exc.parser_error
    if isinstance(error, SyntaxError):
        lineno = error.lineno if isinstance(error.lineno, int) else None
        where = f"line {lineno}: " if lineno is not None else ""
        return None, syntax_error(lineno, f"{where}syntax error: {excerpt(error.msg)}")
    if isinstance(error, RecursionError | MemoryError):
        # The C parser gives up on very deep nesting with one of these rather than a SyntaxError.
        return None, forbidden(None, "a source nested too deeply to parse is forbidden (compile bomb)")
    return None, syntax_error(None, f"syntax error: {excerpt(error)}")
