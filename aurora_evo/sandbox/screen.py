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

Rules (see the deny-lists below for every name and its reason):

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
"""

from __future__ import annotations

import ast
import importlib
import io
import sys
import tokenize
import types
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from aurora_evo.outcome import Outcome
from aurora_evo.program_text import MAX_SOURCE_CHARS, ProgramError, parse_source
from aurora_evo.sandbox.numba_guard import is_dimension

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
    "NUMBA_NAMES",
    "ScreenResult",
    "screen_program",
]

#: Programs with more lines than this are refused before parsing.
MAX_LINES = 2_000
#: Programs whose syntax tree has more nodes than this are refused (numba compile time grows with size).
MAX_NODES = 20_000
#: Deepest nesting of syntax-tree nodes allowed (deep expressions crash compilers' recursion).
MAX_DEPTH = 100

#: Modules a program may import, by dotted name.
ALLOWED_IMPORTS = frozenset({"numpy", "numpy.linalg", "numpy.fft", "math", "numba"})

#: Dotted paths that may evaluate to a module (``np.linalg``); any other module reached is refused.
ALLOWED_MODULE_PATHS = frozenset(
    {"numpy", "numpy.linalg", "numpy.fft", "numpy.emath", "math", "numba"}
)  # fmt: skip

#: The only names a program may take from numba.
NUMBA_NAMES = frozenset({"njit", "jit", "prange", "float64", "int64"})

#: numba's type names a signature may be written with (``float64[:](float64, float64[:])``).
NUMBA_TYPE_NAMES = frozenset({"float64", "int64"})

#: Public attributes of a numba dispatcher (what ``njit(f)`` returns), refused on any object; a test
#: checks that the list covers the installed numba.
NUMBA_DISPATCHER_ATTRIBUTES = frozenset({
    "add_overload", "compile", "disable_compile", "doc", "dump", "enable_caching", "fold_argument_types",
    "func_code", "get_annotation_info", "get_call_template", "get_compile_result", "get_function_type",
    "get_metadata", "get_overload", "inspect_asm", "inspect_cfg", "inspect_disasm_cfg", "inspect_llvm",
    "inspect_types", "is_compiling", "locals", "nopython_signatures", "overloads", "parallel_diagnostics",
    "py_func", "recompile", "signatures", "stats", "targetctx", "targetdescr", "targetoptions",
    "typeof_pyval", "typingctx",
})  # fmt: skip

_JIT_PATHS = frozenset({"numba.njit", "numba.jit"})

#: Keyword arguments allowed for ``njit``/``jit``, with the constant values each may take.
JIT_KEYWORDS: Mapping[str, tuple] = types.MappingProxyType(
    {
        "nopython": (True,),
        "nogil": (True, False),
        "fastmath": (True, False),
        "error_model": ("python", "numpy"),
    }
)

_JIT_KEYWORD_REASONS: Mapping[str, str] = types.MappingProxyType(
    {
        "cache": "writes compiled code to disk",
        "parallel": "starts threads",
        "forceobj": "object mode runs arbitrary Python",
        "looplift": "object mode runs arbitrary Python",
        "nopython": "object mode runs arbitrary Python",
    }
)

#: Why some modules may not be imported (any other module gets a generic reason).
_IMPORT_REASONS: Mapping[str, str] = types.MappingProxyType(
    {
        "numpy.random": "programs must be deterministic",
        "random": "programs must be deterministic",
        "numpy.ctypeslib": "raw pointers and native code",
        "ctypes": "raw pointers and native code",
        "numpy.lib": "reaches numpy's file I/O and raw memory tools",
        "numpy.f2py": "compiles and loads native code",
        "numpy.distutils": "compiles and loads native code",
        "numpy.testing": "runs subprocesses and touches files",
        "numba.core": "numba internals",
        "importlib": "imports modules by name",
        "builtins": "reaches eval, exec and open",
    }
)

_WHY_EXEC = "runs code built from a string"
_WHY_BY_NAME = "reaches attributes or namespaces by name"
_WHY_IO = "interactive or file I/O"
_WHY_CLASS = "class machinery reaches interpreter internals"
_WHY_NONDET = "differs between runs; programs must be deterministic"
_WHY_EXIT = "exits and interrupts must not be caught or raised"

#: Builtins (and other names) a program may not mention, with the reason given to the mutator.
FORBIDDEN_NAMES: Mapping[str, str] = types.MappingProxyType(
    {
        "eval": _WHY_EXEC,
        "exec": _WHY_EXEC,
        "compile": _WHY_EXEC,
        "open": _WHY_IO,
        "input": _WHY_IO,
        "breakpoint": _WHY_IO,
        "help": _WHY_IO,
        "exit": _WHY_IO,
        "quit": _WHY_IO,
        "copyright": _WHY_IO,
        "credits": _WHY_IO,
        "license": _WHY_IO,
        "getattr": _WHY_BY_NAME,
        "setattr": _WHY_BY_NAME,
        "delattr": _WHY_BY_NAME,
        "hasattr": _WHY_BY_NAME,
        "globals": _WHY_BY_NAME,
        "locals": _WHY_BY_NAME,
        "vars": _WHY_BY_NAME,
        "dir": _WHY_BY_NAME,
        "memoryview": "raw memory access",
        "type": _WHY_CLASS,
        "object": _WHY_CLASS,
        "super": _WHY_CLASS,
        "id": _WHY_NONDET,
        "hash": _WHY_NONDET,
        "format": "format strings can walk attributes",
        "BaseException": _WHY_EXIT,
        "SystemExit": _WHY_EXIT,
        "KeyboardInterrupt": _WHY_EXIT,
        "GeneratorExit": _WHY_EXIT,
    }
)

#: Dunder names that are plain strings or constants (``if __name__ == "__main__":`` is common).
HARMLESS_DUNDERS = frozenset({"__name__", "__doc__", "__debug__"})

_WHY_FILE = "numpy file I/O"
_WHY_MEMORY = "raw memory or native code"
_WHY_STATE = "changes global numpy state"
_WHY_INFO = "prints, imports or runs code"
_WHY_PIVOT = "a module that reaches the operating system or interpreter"
_WHY_INTERNAL = "frame, code and traceback internals"

#: Attribute names refused on any object (the object behind a name is not known statically).
FORBIDDEN_ATTRIBUTES: Mapping[str, str] = types.MappingProxyType(
    {
        **dict.fromkeys(
            ["load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
             "fromfile", "fromregex", "tofile", "memmap", "open_memmap", "DataSource", "dump", "dumps"],
            _WHY_FILE,
        ),
        **dict.fromkeys(["ctypes", "ctypeslib", "data", "as_strided", "byte_bounds"], _WHY_MEMORY),
        "base": "reaches the writable array behind a read-only view",
        "flags": "can re-enable writes to read-only inputs",
        "setflags": "can re-enable writes to read-only inputs",
        **dict.fromkeys(
            ["set_printoptions", "printoptions", "seterr", "seterrcall", "setbufsize",
             "set_string_function", "add_docstring", "add_newdoc", "add_newdoc_ufunc"],
            _WHY_STATE,
        ),
        **dict.fromkeys(
            ["show_config", "show_runtime", "info", "source", "who", "lookfor", "test"], _WHY_INFO
        ),
        "random": "programs must be deterministic",
        **dict.fromkeys(
            ["lib", "core", "testing", "distutils", "f2py", "compat", "os", "sys", "builtins",
             "subprocess", "importlib", "operator", "attrgetter", "methodcaller"],
            _WHY_PIVOT,
        ),
        "format": "format strings can walk attributes",
        "format_map": "format strings can walk attributes",
        "mro": _WHY_CLASS,
        # numba compiles these without index checks or read-only checks (tests/sandbox/test_numba_routes.py)
        "flat": "numba indexes it without bounds checks and writes through it into read-only inputs",
        "take_along_axis": "numba's version reads out of bounds without an error",
        "bincount": "numba's version writes out of bounds on a negative value",
        "nditer": "numba's version writes into read-only inputs",
        "fill_diagonal": "numba's version writes into read-only inputs",
        "ascontiguousarray": "numba's version returns a writable alias of a read-only input",
        "asfortranarray": "numba's version returns a writable alias of a read-only input",
        # The public API of numba's dispatchers (``njit(f).compile(...)``): compile() and recompile()
        # parse signatures, the contexts reach numba's compiler.
        **dict.fromkeys(NUMBA_DISPATCHER_ATTRIBUTES, "numba's dispatcher internals reach its compiler"),
    }
)  # fmt: skip

#: Attribute-name prefixes of frames, code objects, tracebacks, generators and coroutines.
INTERNAL_PREFIXES = ("f_", "tb_", "co_", "gi_", "cr_", "ag_")

_MESSAGE_EXCERPT = 60

# Tokens whose text may hold any character.
_FREE_TEXT_TOKENS = frozenset(
    t
    for t in (
        tokenize.STRING,
        tokenize.COMMENT,
        getattr(tokenize, "FSTRING_MIDDLE", None),  # Python >= 3.12 splits f-strings into tokens
    )
    if t is not None
)


@dataclass(frozen=True)
class ScreenResult:
    """The verdict on one program.

    Attributes:
        ok: the program passed the screen.
        outcome: ``Outcome.OK``, ``Outcome.SYNTAX_ERROR`` or ``Outcome.FORBIDDEN``.
        message: one line, e.g. ``"line 4: attribute '__class__' is forbidden (...)"``; ``"ok"`` on success.
        lineno: the line of the violation, when there is one.
    """

    ok: bool
    outcome: Outcome
    message: str
    lineno: int | None


_PASSED = ScreenResult(True, Outcome.OK, "ok", None)


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
        return _forbidden(None, f"a source of type {type(source).__name__} is forbidden (expected str)")
    if len(source) > max_chars:
        return _forbidden(
            None, f"a source of {len(source):,} characters is forbidden (the limit is {max_chars:,})"
        )
    n_lines = source.count("\n") + source.count("\r") - source.count("\r\n") + 1
    if n_lines > MAX_LINES:
        return _forbidden(None, f"a source of {n_lines:,} lines is forbidden (the limit is {MAX_LINES:,})")
    if "\0" in source:
        lineno = source.count("\n", 0, source.index("\0")) + 1
        return _forbidden(lineno, f"line {lineno}: a null byte is forbidden (it truncates C strings)")
    tree, failure = _parse(source)
    if failure is not None:
        return failure
    try:
        flat = _flatten(tree)
        if isinstance(flat, ScreenResult):
            return flat
        nodes, parents = flat
        failure = _check_ascii(nodes, source) or _check_function(tree, function_name)
        if failure is not None:
            return failure
        violation = _Rules(nodes, parents).first_violation()
    except Exception as exc:  # fail closed: a screen bug must not let a program through
        return _forbidden(None, f"a program the screen cannot check is forbidden ({type(exc).__name__})")
    if violation is not None:
        return _forbidden(violation.lineno, violation.message)
    return _PASSED


def _forbidden(lineno: int | None, message: str) -> ScreenResult:
    return ScreenResult(False, Outcome.FORBIDDEN, message, lineno)


def _syntax_error(lineno: int | None, message: str) -> ScreenResult:
    return ScreenResult(False, Outcome.SYNTAX_ERROR, message, lineno)


def _excerpt(text: str) -> str:
    """``text`` on one line and at most ~60 characters, for messages."""
    text = " ".join(str(text).split())
    return text if len(text) <= _MESSAGE_EXCERPT else text[: _MESSAGE_EXCERPT - 3] + "..."


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
        return None, _syntax_error(lineno, f"{where}syntax error: {_excerpt(error.msg)}")
    if isinstance(error, RecursionError | MemoryError):
        # The C parser gives up on very deep nesting with one of these rather than a SyntaxError.
        return None, _forbidden(None, "a source nested too deeply to parse is forbidden (compile bomb)")
    return None, _syntax_error(None, f"syntax error: {_excerpt(error)}")


def _flatten(tree: ast.Module) -> tuple[list[ast.AST], dict[ast.AST, ast.AST]] | ScreenResult:
    """Every node of the tree and every node's parent, in one pass that stops at the size limits.

    Iterative, since a recursive walk of a deep tree would itself run out of stack.
    """
    nodes: list[ast.AST] = []
    parents: dict[ast.AST, ast.AST] = {}
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes.append(node)
        if len(nodes) > MAX_NODES:
            return _forbidden(
                None, f"a program of more than {MAX_NODES:,} syntax nodes is forbidden (compile bomb)"
            )
        if depth > MAX_DEPTH:
            lineno = getattr(node, "lineno", None)
            where = f"line {lineno}: " if lineno is not None else ""
            return _forbidden(
                lineno, f"{where}nesting deeper than {MAX_DEPTH} levels is forbidden (compile bomb)"
            )
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            stack.append((child, depth + 1))
    return nodes, parents


def _check_ascii(nodes: list[ast.AST], source: str) -> ScreenResult | None:
    """Refuse non-ASCII outside string literals and comments (look-alike and NFKC-folded identifiers)."""
    if source.isascii():
        return None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type not in _FREE_TEXT_TOKENS and not token.string.isascii():
                lineno = token.start[0]
                return _forbidden(
                    lineno,
                    f"line {lineno}: non-ASCII identifier or symbol {_excerpt(repr(token.string))} is "
                    "forbidden (look-alike characters; Python folds identifiers with NFKC)",
                )
    except (tokenize.TokenError, SyntaxError, ValueError):
        # The source parsed, so this is a disagreement between tokenize and the parser: refuse rather
        # than let unchecked characters through.
        return _forbidden(
            None, "non-ASCII text the tokenizer cannot check is forbidden (look-alike characters)"
        )
    # Python 3.11 keeps f-strings as one token, so check the identifiers of the tree as well.
    for node in nodes:
        for name in _identifiers(node):
            if not name.isascii():
                lineno = getattr(node, "lineno", None)
                return _forbidden(
                    lineno,
                    f"line {lineno}: non-ASCII identifier {_excerpt(repr(name))} is forbidden "
                    "(look-alike characters)",
                )
    return None


def _identifiers(node: ast.AST) -> Iterator[str]:
    for attr in ("id", "attr", "arg", "name", "asname", "module"):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            yield value
    for attr in ("names", "kwd_attrs"):
        for value in getattr(node, attr, None) or ():
            if isinstance(value, str):
                yield value


def _check_function(tree: ast.Module, function_name: str) -> ScreenResult | None:
    """The entry point must be a top-level ``def`` with exactly two positional parameters.

    Messages follow :func:`aurora_evo.program_text.parse_program`. When the name is defined twice, the last
    definition is the one that runs, so it is the one checked.
    """
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function_name]
    if not defs:
        return _syntax_error(None, f"no top-level function named {function_name}()")
    fn = defs[-1]
    args = fn.args
    positional = len(args.posonlyargs) + len(args.args)
    if positional != 2 or args.vararg or args.kwarg or args.kwonlyargs:
        return _syntax_error(
            fn.lineno, f"line {fn.lineno}: {function_name}() must take exactly two arguments"
        )
    return None


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class _Violation:
    """One broken rule; ordering puts the earliest (then innermost) one first."""

    lineno: int
    col: int
    end_lineno: int
    end_col: int
    seq: int
    message: str = field(compare=False)


@dataclass(frozen=True)
class _Resolved:
    """Where a dotted path led: ``kind`` is ``module``, ``jit`` (numba's decorators), ``type`` (numba's
    type names) or ``value``; or the step that failed."""

    kind: str = "value"
    failed_at: int | None = None
    reason: str = ""


def _attribute_reason(name: str) -> str | None:
    """Why the attribute ``name`` is refused on any object, or ``None``."""
    if name.startswith("_"):
        return "private and dunder attributes reach interpreter internals"
    if name in FORBIDDEN_ATTRIBUTES:
        return FORBIDDEN_ATTRIBUTES[name]
    if name.startswith(INTERNAL_PREFIXES):
        return _WHY_INTERNAL
    return None


def _name_reason(name: str, *, load: bool) -> str | None:
    """Why the name ``name`` is refused, or ``None``."""
    if name in FORBIDDEN_NAMES:
        return FORBIDDEN_NAMES[name]
    if name.startswith("__") and not (load and name in HARMLESS_DUNDERS):
        return "dunder names reach interpreter internals"
    return None


_MISSING = object()
_SUBMODULES = "the submodules allowed are " + ", ".join(
    sorted(ALLOWED_MODULE_PATHS - {"numpy", "math", "numba"})
)


def _resolve(parts: list[str]) -> _Resolved:
    """Follow a dotted path (``["numpy", "linalg", "norm"]``) through the real numpy and math modules.

    numba is not imported (it takes a second); its allowed names are listed in :data:`NUMBA_NAMES`.
    Only module dictionaries are read (and the allowed submodules imported), so nothing of numpy's lazy
    ``__getattr__`` runs.
    """
    top = parts[0]
    if top == "numba":
        if len(parts) == 1:
            return _Resolved("module")
        if parts[1] not in NUMBA_NAMES:
            return _Resolved(
                failed_at=1, reason=f"only {', '.join(sorted(NUMBA_NAMES))} may be taken from numba"
            )
        if len(parts) > 2:
            return _Resolved(failed_at=2, reason="attributes of numba's objects reach its compiler")
        if f"numba.{parts[1]}" in _JIT_PATHS:
            return _Resolved("jit")
        return _Resolved("type" if parts[1] in NUMBA_TYPE_NAMES else "value")
    if top not in ("numpy", "math"):
        return _Resolved(failed_at=0, reason="only numpy, math and numba may be used")
    obj: object = sys.modules.get(top) or importlib.import_module(top)
    for i in range(1, len(parts)):
        if not isinstance(obj, types.ModuleType):
            # Attributes of functions and classes get the name rules only.
            return _Resolved("value")
        name, path = parts[i], ".".join(parts[: i + 1])
        reason = _attribute_reason(name)
        if reason is not None:
            return _Resolved(failed_at=i, reason=reason)
        if path in ALLOWED_MODULE_PATHS:
            obj = importlib.import_module(path) if name not in vars(obj) else vars(obj)[name]
            continue
        # Whether a lazily loaded submodule (np.polynomial) is in the namespace depends on what this
        # process imported before, so a missing name and a module get the same reason.
        obj = vars(obj).get(name, _MISSING)
        if obj is _MISSING or isinstance(obj, types.ModuleType):
            return _Resolved(failed_at=i, reason=f"not a name of {parts[0]} programs may use; {_SUBMODULES}")
    return _Resolved("module" if isinstance(obj, types.ModuleType) else "value")


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


class _Rules:
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
            self._report(node, f"binding '{name}' to {_excerpt(target)}", f"it already names {previous}")
        self.bindings[name] = target

    def _check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in ALLOWED_IMPORTS:
                    self._report(node, f"import of '{_excerpt(alias.name)}'", self._import_reason(alias.name))
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
            self._report(node, f"import from '{_excerpt(module)}'", self._import_reason(module))
            return
        for alias in node.names:
            if alias.name == "*":
                self._report(node, f"'from {module} import *'", "it hides which names are used")
                continue
            path = f"{module}.{alias.name}"
            resolved = _resolve(path.split("."))
            if resolved.failed_at is not None:
                self._report(alias, f"import of '{_excerpt(path)}'", resolved.reason)
            elif resolved.kind != "value" or (alias.asname or alias.name) in self.bindings:
                self._bind(alias, alias.asname or alias.name, path)

    @staticmethod
    def _import_reason(module: str) -> str:
        parts = module.split(".")
        for i in range(len(parts), 0, -1):
            reason = _IMPORT_REASONS.get(".".join(parts[:i]))
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
                reason = _attribute_reason(name)
                if reason is not None:
                    self._report(node, f"attribute '{_excerpt(name)}' in a class pattern", reason)
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
        reason = _name_reason(name, load=False)
        if reason is not None:
            self._report(node, f"name '{_excerpt(name)}'", reason)
        elif name in self.bindings and _resolve(self.bindings[name].split(".")).kind != "value":
            self._report(node, f"rebinding '{name}'", f"it names {self.bindings[name]}")

    def _check_name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._check_binding(node, node.id)
            return
        reason = _name_reason(node.id, load=True)
        if reason is not None:
            self._report(node, f"name '{_excerpt(node.id)}'", reason)
        elif node.id in self.bindings and not isinstance(self.parents.get(node), ast.Attribute):
            self._check_use_of(node, _resolve(self.bindings[node.id].split(".")), node.id)

    def _check_use_of(self, node: ast.expr, resolved: _Resolved, text: str) -> None:
        """A module may only be the base of an attribute; ``njit`` only called or a decorator."""
        if resolved.kind == "module":
            self._report(node, f"using module '{_excerpt(text)}' as a value", "write the full dotted name")
        elif resolved.kind == "jit":
            parent = self.parents.get(node)
            called = isinstance(parent, ast.Call) and parent.func is node
            if not called and id(node) not in self.decorators:
                self._report(node, f"using '{_excerpt(text)}' as a value", "call it or use it as a decorator")

    def _check_attribute(self, node: ast.Attribute) -> None:
        if not isinstance(node.ctx, ast.Load):
            verb = "deleting" if isinstance(node.ctx, ast.Del) else "assigning to"
            self._report(
                node, f"{verb} attribute '{_excerpt(ast.unparse(node))}'", "programs may not patch objects"
            )
            return
        reason = _attribute_reason(node.attr)
        if reason is not None:
            self._report(node, f"attribute '{_excerpt(node.attr)}'", reason)
        parent = self.parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            return  # the outermost attribute of the chain resolves the whole chain
        chain = _chain(node)
        if chain is None or chain[0].id not in self.bindings:
            return
        root, attrs = chain
        base = self.bindings[root.id].split(".")
        resolved = _resolve(base + [a.attr for a in attrs])
        if resolved.failed_at is None:
            self._check_use_of(node, resolved, ast.unparse(node))
        elif resolved.failed_at >= len(base):
            culprit = attrs[resolved.failed_at - len(base)]
            if _attribute_reason(culprit.attr) is None:  # else reported as a forbidden attribute
                self._report(culprit, f"'{_excerpt(ast.unparse(culprit))}'", resolved.reason)

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
            if self._qualified(target) not in _JIT_PATHS:
                self._report(
                    decorator,
                    f"decorator '{_excerpt(ast.unparse(decorator))}'",
                    "only numba's njit and jit may decorate functions",
                )

    def _check_call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Call) and self._qualified(node.func.func) in _JIT_PATHS:
            # njit(...)(f): what the decorator is applied to must be a function.
            for arg in node.args:
                if not self._is_function(arg):
                    self._report(arg, f"applying numba to '{_excerpt(ast.unparse(arg))}'", _WHY_JIT_ARGUMENT)
            return
        if self._qualified(node.func) not in _JIT_PATHS:
            return
        for arg in node.args:
            strings = [s for s in ast.walk(arg) if isinstance(s, ast.Constant) and isinstance(s.value, str)]
            for sub in strings:
                self._report(sub, "a string signature for numba", "numba evaluates it with eval()")
            if not strings and not (self._is_function(arg) or self._is_signature(arg)):
                self._report(arg, f"numba argument '{_excerpt(ast.unparse(arg))}'", _WHY_JIT_ARGUMENT)
        for keyword in node.keywords:
            allowed = JIT_KEYWORDS.get(keyword.arg) if keyword.arg else None
            value = keyword.value.value if isinstance(keyword.value, ast.Constant) else None
            if allowed is not None and value in allowed and type(value) is type(allowed[0]):
                continue
            what = f"numba option '{keyword.arg}'" if keyword.arg else "numba options from '**'"
            reason = _JIT_KEYWORD_REASONS.get(keyword.arg or "")
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
                    f"'with {_excerpt(ast.unparse(expr))}'",
                    "context managers run code on exit; only 'with np.errstate(...):' is allowed",
                )
