"""The screen's deny-lists: what a program may import and take from numba, and the names and attributes
it may not use, each with the reason the mutator is told (see :mod:`aurora_evo.sandbox.screen`)."""

from __future__ import annotations

import types
from collections.abc import Mapping

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

JIT_PATHS = frozenset({"numba.njit", "numba.jit"})

#: Keyword arguments allowed for ``njit``/``jit``, with the constant values each may take.
JIT_KEYWORDS: Mapping[str, tuple] = types.MappingProxyType(
    {
        "nopython": (True,),
        "nogil": (True, False),
        "fastmath": (True, False),
        "error_model": ("python", "numpy"),
    }
)

JIT_KEYWORD_REASONS: Mapping[str, str] = types.MappingProxyType(
    {
        "cache": "writes compiled code to disk",
        "parallel": "starts threads",
        "forceobj": "object mode runs arbitrary Python",
        "looplift": "object mode runs arbitrary Python",
        "nopython": "object mode runs arbitrary Python",
    }
)

#: Why some modules may not be imported (any other module gets a generic reason).
IMPORT_REASONS: Mapping[str, str] = types.MappingProxyType(
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


def attribute_reason(name: str) -> str | None:
    """Why the attribute ``name`` is refused on any object, or ``None``."""
    if name.startswith("_"):
        return "private and dunder attributes reach interpreter internals"
    if name in FORBIDDEN_ATTRIBUTES:
        return FORBIDDEN_ATTRIBUTES[name]
    if name.startswith(INTERNAL_PREFIXES):
        return _WHY_INTERNAL
    return None


def name_reason(name: str, *, load: bool) -> str | None:
    """Why the name ``name`` is refused, or ``None``."""
    if name in FORBIDDEN_NAMES:
        return FORBIDDEN_NAMES[name]
    if name.startswith("__") and not (load and name in HARMLESS_DUNDERS):
        return "dunder names reach interpreter internals"
    return None
