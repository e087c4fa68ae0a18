"""The static screen: legitimate programs pass, each rule refuses its table of escapes with a precise
reason, and no text whatsoever makes the screen raise."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aurora_evo.domains.binpacking.baselines import (
    BASELINE_SOURCES,
    FUNSEARCH_WEIBULL_SOURCE,
    VECTOR_BASELINE_SOURCES,
)
from aurora_evo.outcome import Outcome
from aurora_evo.program_text import MAX_SOURCE_CHARS
from aurora_evo.sandbox import screen
from aurora_evo.sandbox.screen import MAX_DEPTH, MAX_LINES, MAX_NODES, ScreenResult, screen_program

SEEDS = Path(__file__).resolve().parents[2] / "seeds" / "programs"

FORBIDDEN = Outcome.FORBIDDEN
SYNTAX = Outcome.SYNTAX_ERROR


def prog(body: str, header: str = "import numpy as np\n") -> str:
    """A program whose ``priority`` runs ``body`` (dedented, then indented into the function)."""
    return header + "\n\ndef priority(item, bins):\n" + textwrap.indent(textwrap.dedent(body), "    ")


# --- legitimate programs ----------------------------------------------------------------------------

FUNSEARCH_OR = '''\
import numpy as np


def priority(item: float, bins: np.ndarray) -> np.ndarray:
    """Returns priority with which we want to add item to each bin."""
    score = 1000 * np.ones(bins.shape)
    # Penalize bins with large capacities.
    score -= bins * (bins - item)
    index = np.argmin(bins)
    score[index] *= item
    score[index] -= (bins[index] - item) ** 4
    return score
'''

FUNSEARCH_WEIBULL = f"import numpy as np\n\n\n{FUNSEARCH_WEIBULL_SOURCE}"

RICH = '''\
"""A program using much of what evolved programs use."""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange
from numpy import linalg as la
from numpy.linalg import norm

SCALE = 2.5
WEIGHTS = (0.5, 0.25, 0.25)


@njit
def _tightness(item, bins):
    out = np.empty_like(bins)
    for i in prange(bins.shape[0]):
        out[i] = math.sqrt(max(bins[i] - item, 0.0))
    return out


@njit(nogil=True, fastmath=True)
def _bonus(bins):
    return np.log1p(bins)


@numba.jit(nopython=True, error_model="numpy")
def _penalty(bins):
    return np.exp(-bins)


def _rank(bins):
    order = np.argsort(bins)
    ranks = np.empty(len(bins))
    ranks[order] = np.arange(len(bins))
    return ranks


def priority(item, bins):
    """Mix best fit with a few smooth terms."""
    gap = bins - item
    tight = np.where(gap < 1e-9, 1e9, 1.0 / np.maximum(gap, 1e-9))
    extra = [WEIGHTS[k] * float(k) for k in range(len(WEIGHTS))]
    scale = la.norm(bins) + norm(bins) + np.linalg.norm(bins) + np.fft.fft(bins).real.sum()
    total = tight + _tightness(item, bins) + _bonus(bins) - _penalty(bins) + sum(extra)
    total = total - _rank(bins) * SCALE / max(scale, 1.0) + np.emath.sqrt(4.0).real
    squares = {i: i * i for i in range(3)}
    key = (lambda x: -x)(squares[2])
    try:
        ratio = item / bins.max()
    except (ZeroDivisionError, ValueError):
        ratio = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.nan_to_num(total + ratio + key, nan=0.0, posinf=1e9, neginf=-1e9)
    if __name__ == "__main__":
        print(f"{total.shape} ✓ — café")  # non-ASCII in strings and comments: fine
    match total.ndim:
        case 1:
            pass
        case _:
            total = total.ravel()
    return total.astype(np.float64)
'''


def test_every_seed_program_passes():
    paths = sorted(SEEDS.glob("*.py"))
    assert len(paths) >= 5
    for path in paths:
        result = screen_program(path.read_text(encoding="utf-8"))
        assert result == ScreenResult(True, Outcome.OK, "ok", None), path.name


@pytest.mark.parametrize(
    "source",
    [
        *BASELINE_SOURCES.values(),
        *VECTOR_BASELINE_SOURCES.values(),
        FUNSEARCH_OR,
        FUNSEARCH_WEIBULL,
        RICH,
        "import numpy as np\ndef priority(item, bins):\n    return -(bins - item)\n",
        "def priority(item, bins):\n    return -np.abs(bins - 2 * item)\n",
        "def priority(item, bins):\n    return -bins.sum(axis=1)\n",
        "def priority(task, nodes):\n    return -nodes[:, N_PLACED]\n",
        prog("return np.maximum(bins - item, 0) + math.sqrt(item) + np.log1p(bins) + np.exp(-bins)", ""),
        prog("f = njit(lambda b: b * 2)\nreturn f(bins)", "from numba import njit\n"),
        prog("def helper(x):\n    nonlocal_total = 0\n    return x + nonlocal_total\nreturn helper(bins)"),
        prog("x = bins.copy()\nx[0] = 1.0\ndel x\nreturn bins.view(np.float64)"),
        prog("assert item >= 0, 'negative'\nreturn np.frombuffer(bins.tobytes())"),
        prog("total = 0\ndef add():\n    nonlocal total\n    total += 1\nadd()\nreturn bins * total"),
        prog("return sorted(bins, key=lambda b: -b) and np.array([*bins]) + sum(b for b in bins)"),
        prog("if isinstance(item, float) and callable(print):\n    pass\nreturn bins", "import math as m\n"),
        prog("return bins * np.pi + np.inf * 0 + np.float64(1.0)", "import numpy\nimport numpy as np\n"),
        prog("return bins", "import numpy.linalg\nimport numpy.fft as F\nfrom math import sqrt, pi as PI\n"),
        prog(
            "return bins",
            "from numba import jit, float64, int64\n@jit(nopython=True)\ndef g(x):\n    return x\n",
        ),
        prog(
            "return g(item, bins)",
            "from numba import njit, float64\n@njit(float64[:](float64, float64[::1]))\ndef g(x, b):\n    return b - x\n",
        ),
        prog(
            "return bins",
            "import numba\n@numba.njit([numba.float64(numba.float64), numba.int64(numba.int64)])\ndef g(x):\n    return x\n",
        ),
        prog(
            "return h(bins)",
            "from numba import njit\ndef g(x):\n    return x * 2.0\nh = njit(nogil=True)(g)\n",
        ),
        prog("return bins * float64(2.0)", "from numba import float64\n"),
        prog("return bins", "from numpy import where, argsort, maximum\n"),
        prog(
            "return bins",
            "x = '\uff45\uff56\uff41\uff4c ok in a string'  # \uff45\uff56\uff41\uff4c ok in a comment\n",
        ),
    ],
    ids=lambda s: s.strip().splitlines()[0][:40] if "\n" in s.strip() else s[:40],
)
def test_legitimate_programs_pass(source):
    result = screen_program(source)
    assert result.ok, result.message
    assert result.outcome is Outcome.OK and result.lineno is None


def test_another_function_name():
    source = "def heuristic(item, bins):\n    return bins\n"
    assert screen_program(source, function_name="heuristic").ok
    assert screen_program(source).message == "no top-level function named priority()"


# --- refused programs ---------------------------------------------------------------------------------

# fmt: off
CASES = [
    # size, null bytes, parser bombs
    ("a" * (MAX_SOURCE_CHARS + 1), FORBIDDEN, "characters is forbidden (the limit is 64,000)"),
    ("x = 1\n" * (MAX_LINES + 1), FORBIDDEN, "lines is forbidden (the limit is 2,000)"),
    ("x = 1\ny = 2\0\n", FORBIDDEN, "line 2: a null byte is forbidden"),
    ("x = " + "(" * 3000 + "1" + ")" * 3000, SYNTAX, "too many nested parentheses"),
    ("x = " + "-" * 30000 + "1", FORBIDDEN, "nested too deeply to parse"),
    ("x = " + "1+" * 20000 + "1", FORBIDDEN, "nested too deeply to parse"),
    ("x = " + "-" * (MAX_DEPTH + 5) + "1\n" + prog("return bins", ""), FORBIDDEN, "nesting deeper than 100 levels"),
    ("x = [" + "1," * 30000 + "]\n" + prog("return bins", ""), FORBIDDEN, f"more than {MAX_NODES:,} syntax nodes"),
    ("x = " + "1" * 5000 + "\n" + prog("return bins", ""), SYNTAX, "line 1: syntax error: Exceeds the limit"),
    # look-alike identifiers
    (prog('\uff45\uff56\uff41\uff4c("1")\nreturn bins'), FORBIDDEN, "line 5: non-ASCII identifier or symbol '\uff45\uff56\uff41\uff4c'"),
    (prog("return np.\uff4c\uff4f\uff41\uff44('x')"), FORBIDDEN, "non-ASCII identifier or symbol '\uff4c\uff4f\uff41\uff44'"),
    (prog("café = 1\nreturn bins"), FORBIDDEN, "non-ASCII identifier or symbol 'café'"),
    (prog("℘ = 1\nreturn bins"), FORBIDDEN, "non-ASCII identifier or symbol '℘'"),
    # syntax and the entry point
    ("def priority(item, bins)\n    return bins\n", SYNTAX, "line 1: syntax error: expected ':'"),
    ("def priority(item, bins):\nreturn bins\n", SYNTAX, "line 2: syntax error: expected an indented block"),
    ("import numpy as np\n", SYNTAX, "no top-level function named priority()"),
    ("def helper(item, bins):\n    return bins\n", SYNTAX, "no top-level function named priority()"),
    ("priority = lambda item, bins: bins\n", SYNTAX, "no top-level function named priority()"),
    ("def f():\n    def priority(item, bins):\n        return bins\n", SYNTAX, "no top-level function named priority()"),
    ("def priority(bins):\n    return bins\n", SYNTAX, "line 1: priority() must take exactly two arguments"),
    ("def priority(a, b, c):\n    return b\n", SYNTAX, "priority() must take exactly two arguments"),
    ("def priority(a, b, *rest):\n    return b\n", SYNTAX, "priority() must take exactly two arguments"),
    ("def priority(a, *, b):\n    return b\n", SYNTAX, "priority() must take exactly two arguments"),
    ("def priority(a, b):\n    return b\ndef priority(a):\n    return a\n", SYNTAX, "line 3: priority() must take"),
    # imports
    (prog("return bins", "import os\n"), FORBIDDEN, "line 1: import of 'os' is forbidden (only numpy, numpy.linalg, numpy.fft, math and numba"),
    (prog("return bins", "import sys, numpy\n"), FORBIDDEN, "import of 'sys' is forbidden"),
    (prog("import subprocess\nreturn bins"), FORBIDDEN, "line 5: import of 'subprocess' is forbidden"),
    (prog("return bins", "import importlib\n"), FORBIDDEN, "import of 'importlib' is forbidden (imports modules by name)"),
    (prog("return bins", "import numpy.ctypeslib\n"), FORBIDDEN, "import of 'numpy.ctypeslib' is forbidden (raw pointers and native code)"),
    (prog("return bins", "import numpy.random as npr\n"), FORBIDDEN, "import of 'numpy.random' is forbidden (programs must be deterministic)"),
    (prog("return bins", "import numpy.lib.format\n"), FORBIDDEN, "import of 'numpy.lib.format' is forbidden (reaches numpy's file I/O"),
    (prog("return bins", "import numpy.f2py\n"), FORBIDDEN, "import of 'numpy.f2py' is forbidden (compiles and loads native code)"),
    (prog("return bins", "import numpy.testing\n"), FORBIDDEN, "import of 'numpy.testing' is forbidden"),
    (prog("return bins", "from numpy import load\n"), FORBIDDEN, "import of 'numpy.load' is forbidden (numpy file I/O)"),
    (prog("return bins", "from numpy import where, memmap\n"), FORBIDDEN, "import of 'numpy.memmap' is forbidden (numpy file I/O)"),
    (prog("return bins", "from numpy import random\n"), FORBIDDEN, "import of 'numpy.random' is forbidden (programs must be deterministic)"),
    (prog("return bins", "from numpy import dtypes\n"), FORBIDDEN, "import of 'numpy.dtypes' is forbidden (not a name of numpy programs may use"),
    (prog("return bins", "from numpy import no_such_thing\n"), FORBIDDEN, "import of 'numpy.no_such_thing' is forbidden (not a name of numpy programs may use"),
    (prog("return bins", "from numpy.lib import format\n"), FORBIDDEN, "import from 'numpy.lib' is forbidden"),
    (prog("return bins", "from numpy import *\n"), FORBIDDEN, "'from numpy import *' is forbidden"),
    (prog("return bins", "from math import *\n"), FORBIDDEN, "'from math import *' is forbidden"),
    (prog("return bins", "from . import helpers\n"), FORBIDDEN, "a relative import is forbidden"),
    (prog("return bins", "from numba import objmode\n"), FORBIDDEN, "import of 'numba.objmode' is forbidden (only float64, int64, jit, njit, prange"),
    (prog("return bins", "from numba.core import types\n"), FORBIDDEN, "import from 'numba.core' is forbidden (numba internals)"),
    (prog("return bins", "import math as np\n"), FORBIDDEN, "binding 'np' to math is forbidden (it already names numpy)"),
    # names
    (prog("__import__('os').system('id')\nreturn bins"), FORBIDDEN, "line 5: name '__import__' is forbidden (dunder names"),
    (prog("f = lambda: __import__('os')\nreturn bins"), FORBIDDEN, "name '__import__' is forbidden"),
    (prog("return __builtins__['open']('/etc/passwd')"), FORBIDDEN, "name '__builtins__' is forbidden"),
    (prog("return __loader__.load_module('posix')"), FORBIDDEN, "name '__loader__' is forbidden"),
    (prog("eval('1')\nreturn bins"), FORBIDDEN, "name 'eval' is forbidden (runs code built from a string)"),
    (prog("exec(bytes.fromhex('7072696e74283129').decode())\nreturn bins"), FORBIDDEN, "name 'exec' is forbidden"),
    (prog("c = compile('1', 'x', 'eval')\nreturn bins"), FORBIDDEN, "name 'compile' is forbidden"),
    (prog("return getattr(np, 'lo' + 'ad')('/etc/passwd')"), FORBIDDEN, "name 'getattr' is forbidden (reaches attributes or namespaces by name)"),
    (prog("setattr(np, 'x', 1)\nreturn bins"), FORBIDDEN, "name 'setattr' is forbidden"),
    (prog("g = globals()\nreturn bins"), FORBIDDEN, "name 'globals' is forbidden"),
    (prog("return vars(np)['load']"), FORBIDDEN, "name 'vars' is forbidden"),
    (prog("with open('/etc/passwd') as f:\n    pass\nreturn bins"), FORBIDDEN, "line 5: 'with open('/etc/passwd')' is forbidden (context managers"),
    (prog("f = open('/etc/passwd')\nreturn bins"), FORBIDDEN, "line 5: name 'open' is forbidden (interactive or file I/O)"),
    (prog("breakpoint()\nreturn bins"), FORBIDDEN, "name 'breakpoint' is forbidden"),
    (prog("x = input()\nreturn bins"), FORBIDDEN, "name 'input' is forbidden"),
    (prog("exit(0)"), FORBIDDEN, "name 'exit' is forbidden"),
    (prog("return type('A', (), {})"), FORBIDDEN, "name 'type' is forbidden (class machinery"),
    (prog("return object.__subclasses__()"), FORBIDDEN, "name 'object' is forbidden"),
    (prog("return bins * id(bins)"), FORBIDDEN, "name 'id' is forbidden (differs between runs"),
    (prog("return bins * hash('x')"), FORBIDDEN, "name 'hash' is forbidden"),
    (prog("m = memoryview(bins)\nreturn bins"), FORBIDDEN, "name 'memoryview' is forbidden (raw memory access)"),
    (prog("s = format(1, '{0.__class__}')\nreturn bins"), FORBIDDEN, "name 'format' is forbidden (format strings can walk attributes)"),
    (prog("def eval(x):\n    return x\nreturn bins"), FORBIDDEN, "line 5: name 'eval' is forbidden"),
    (prog("__name__ = 'x'\nreturn bins"), FORBIDDEN, "name '__name__' is forbidden"),
    # rebinding and module values
    (prog("x = np\nreturn x.load('/etc/passwd')"), FORBIDDEN, "line 5: using module 'np' as a value is forbidden"),
    (prog("return helper(math)", "def helper(m):\n    return m\n"), FORBIDDEN, "using module 'math' as a value is forbidden"),
    (prog("la = np.linalg\nreturn bins"), FORBIDDEN, "using module 'np.linalg' as a value is forbidden"),
    (prog("np = 3\nreturn bins"), FORBIDDEN, "line 5: rebinding 'np' is forbidden (it names numpy)"),
    ("import numpy as np\ndef priority(np, bins):\n    return bins\n", FORBIDDEN, "rebinding 'np' is forbidden"),
    (prog("for math in range(3):\n    pass\nreturn bins"), FORBIDDEN, "rebinding 'math' is forbidden"),
    (prog("j = njit\nreturn bins", "from numba import njit\n"), FORBIDDEN, "using 'njit' as a value is forbidden"),
    # attributes
    (prog("return ().__class__.__bases__[0].__subclasses__()"), FORBIDDEN, "line 5: attribute '__class__' is forbidden (private and dunder"),
    (prog("return [c for c in ().__class__.__mro__]"), FORBIDDEN, "attribute '__class__' is forbidden"),
    (prog("return priority.__globals__"), FORBIDDEN, "attribute '__globals__' is forbidden"),
    (prog("return bins._private"), FORBIDDEN, "attribute '_private' is forbidden"),
    (prog("return (x for x in bins).gi_frame.f_back.f_globals"), FORBIDDEN, "attribute 'gi_frame' is forbidden (frame, code and traceback internals)"),
    (prog("return np.load('/etc/passwd')"), FORBIDDEN, "line 5: attribute 'load' is forbidden (numpy file I/O)"),
    (prog("np.save('/tmp/x', bins)\nreturn bins"), FORBIDDEN, "attribute 'save' is forbidden (numpy file I/O)"),
    (prog("np.savetxt('/tmp/x', bins)\nreturn bins"), FORBIDDEN, "attribute 'savetxt' is forbidden"),
    (prog("return np.fromfile('/etc/passwd')"), FORBIDDEN, "attribute 'fromfile' is forbidden"),
    (prog("bins.tofile('/tmp/x')\nreturn bins"), FORBIDDEN, "attribute 'tofile' is forbidden"),
    (prog("return np.memmap('/tmp/x')"), FORBIDDEN, "attribute 'memmap' is forbidden"),
    (prog("def helper(m):\n    return m.load('/etc/passwd')\nreturn bins"), FORBIDDEN, "line 6: attribute 'load' is forbidden (numpy file I/O)"),
    (prog("return np.ctypeslib.as_array(1)"), FORBIDDEN, "attribute 'ctypeslib' is forbidden (raw memory or native code)"),
    (prog("p = bins.ctypes.data\nreturn bins"), FORBIDDEN, "attribute 'ctypes' is forbidden"),
    (prog("b = bins.base\nreturn bins"), FORBIDDEN, "attribute 'base' is forbidden"),
    (prog("bins.setflags(write=True)\nreturn bins"), FORBIDDEN, "attribute 'setflags' is forbidden (can re-enable writes"),
    (prog("return np.lib.stride_tricks.as_strided(bins, (10**6,), (8,))"), FORBIDDEN, "attribute 'lib' is forbidden (a module that reaches the operating system"),
    (prog("np.seterr(all='ignore')\nreturn bins"), FORBIDDEN, "attribute 'seterr' is forbidden (changes global numpy state)"),
    (prog("np.set_printoptions(threshold=5)\nreturn bins"), FORBIDDEN, "attribute 'set_printoptions' is forbidden"),
    (prog("np.show_config()\nreturn bins"), FORBIDDEN, "attribute 'show_config' is forbidden (prints, imports or runs code)"),
    (prog("np.test()\nreturn bins"), FORBIDDEN, "attribute 'test' is forbidden"),
    (prog("return np.random.rand(len(bins))"), FORBIDDEN, "attribute 'random' is forbidden (programs must be deterministic)"),
    (prog("return np.testing.assert_equal(1, 1)"), FORBIDDEN, "attribute 'testing' is forbidden"),
    (prog("return np.polynomial.polyval(1, bins)"), FORBIDDEN, "line 5: 'np.polynomial' is forbidden (not a name of numpy programs may use; the submodules allowed are numpy.emath, numpy.fft, numpy.linalg)"),
    (prog("return np.linalg.os"), FORBIDDEN, "attribute 'os' is forbidden"),
    (prog("return np.dtypes.Float64DType"), FORBIDDEN, "'np.dtypes' is forbidden (not a name of numpy programs may use"),
    (prog("return np.no_such_function(bins)"), FORBIDDEN, "'np.no_such_function' is forbidden (not a name of numpy programs may use"),
    (prog("return math.no_such_function(item)"), FORBIDDEN, "'math.no_such_function' is forbidden (not a name of math programs may use"),
    (prog("return numba.objmode", "import numba\n"), FORBIDDEN, "'numba.objmode' is forbidden (only float64, int64, jit, njit, prange"),
    (prog("return '{0.__class__}'.format(1)"), FORBIDDEN, "attribute 'format' is forbidden (format strings can walk attributes)"),
    (prog("return '{x}'.format_map({'x': 1})"), FORBIDDEN, "attribute 'format_map' is forbidden"),
    (prog("return int.mro()"), FORBIDDEN, "attribute 'mro' is forbidden"),
    (prog("match bins:\n    case tuple(__class__=c):\n        pass\nreturn bins"), FORBIDDEN, "line 6: attribute '__class__' in a class pattern is forbidden"),
    # attribute stores
    (prog("np.save = None\nreturn bins"), FORBIDDEN, "line 5: assigning to attribute 'np.save' is forbidden (programs may not patch objects)"),
    (prog("math.pi = 3\nreturn bins"), FORBIDDEN, "assigning to attribute 'math.pi' is forbidden"),
    (prog("np.linalg.norm = abs\nreturn bins"), FORBIDDEN, "assigning to attribute 'np.linalg.norm' is forbidden"),
    (prog("np.isfinite.x += 1\nreturn bins"), FORBIDDEN, "assigning to attribute 'np.isfinite.x' is forbidden"),
    (prog("del np.where\nreturn bins"), FORBIDDEN, "deleting attribute 'np.where' is forbidden"),
    (prog("for bins.x in range(3):\n    pass\nreturn bins"), FORBIDDEN, "assigning to attribute 'bins.x' is forbidden"),
    # statements
    (prog("class A:\n    pass\nreturn bins"), FORBIDDEN, "line 5: a class definition is forbidden"),
    ("counter = 0\n" + prog("global counter\ncounter += 1\nreturn bins", ""), FORBIDDEN, "line 5: a 'global' statement is forbidden"),
    (prog("return bins", "def gen():\n    yield 1\n"), FORBIDDEN, "line 2: 'yield' is forbidden"),
    (prog("return bins", "def gen():\n    yield from range(3)\n"), FORBIDDEN, "'yield' is forbidden"),
    (prog("return bins", "async def f():\n    return 1\n"), FORBIDDEN, "line 1: async code is forbidden"),
    (prog("try:\n    pass\nexcept BaseException:\n    pass\nreturn bins"), FORBIDDEN, "line 7: name 'BaseException' is forbidden (exits and interrupts"),
    (prog("try:\n    pass\nexcept (ValueError, SystemExit):\n    pass\nreturn bins"), FORBIDDEN, "name 'SystemExit' is forbidden"),
    (prog("try:\n    pass\nexcept:\n    pass\nreturn bins"), FORBIDDEN, "line 7: a bare 'except:' is forbidden (it swallows timeouts and exits)"),
    (prog("raise KeyboardInterrupt"), FORBIDDEN, "name 'KeyboardInterrupt' is forbidden"),
    (prog("with np.printoptions(precision=2):\n    pass\nreturn bins"), FORBIDDEN, "'with np.printoptions(precision=2)' is forbidden"),
    (prog("np.printoptions(precision=2)\nreturn bins"), FORBIDDEN, "attribute 'printoptions' is forbidden (changes global numpy state)"),
    (prog("with np.errstate(all='ignore') as e:\n    pass\nreturn bins"), FORBIDDEN, "'with np.errstate(all='ignore')' is forbidden (context managers run code"),
    (prog("with helper():\n    pass\nreturn bins"), FORBIDDEN, "'with helper()' is forbidden"),
    # decorators and numba options
    (prog("return bins", "import functools\n"), FORBIDDEN, "import of 'functools' is forbidden"),
    (prog("return bins", "def deco(f):\n    return f\n@deco\ndef g():\n    pass\n"), FORBIDDEN, "line 3: decorator 'deco' is forbidden (only numba's njit and jit"),
    (prog("return bins", "@np.errstate(all='ignore')\ndef g():\n    pass\n"), FORBIDDEN, "decorator 'np.errstate(all='ignore')' is forbidden"),
    (prog("return bins", "@njit(cache=True)\ndef g():\n    pass\n"), FORBIDDEN, "numba option 'cache' is forbidden (writes compiled code to disk)"),
    (prog("return bins", "@njit(parallel=True)\ndef g():\n    pass\n"), FORBIDDEN, "numba option 'parallel' is forbidden (starts threads)"),
    (prog("return bins", "@jit(forceobj=True)\ndef g():\n    pass\n"), FORBIDDEN, "numba option 'forceobj' is forbidden (object mode"),
    (prog("return bins", "@jit(nopython=False)\ndef g():\n    pass\n"), FORBIDDEN, "numba option 'nopython' is forbidden"),
    (prog("return bins", "@njit('float64(float64)')\ndef g(x):\n    return x\n"), FORBIDDEN, "a string signature for numba is forbidden (numba evaluates it with eval())"),
    (prog("return njit(('f8(f8)',))(abs)(item) * bins", "from numba import njit\n"), FORBIDDEN, "a string signature for numba is forbidden"),
    (prog("return bins", "@njit(**{'cache': True})\ndef g():\n    pass\n"), FORBIDDEN, "numba options from '**' is forbidden"),
    # numba arguments: a def, a lambda or a signature of numba's type names; anything else may be a string
    (prog("return bins", "from numba import njit\nSIG = 'float64(float64)'\n@njit(SIG)\ndef g(x):\n    return x\n"), FORBIDDEN, "line 3: numba argument 'SIG' is forbidden (numba takes a function (a def or a lambda) or a signature"),
    (prog("return bins", "from numba import njit\ng = njit(chr(102) + chr(56))(abs)\n"), FORBIDDEN, "numba argument 'chr(102) + chr(56)' is forbidden"),
    (prog("return bins", "from numba import njit\nS = ['f8(f8)']\ng = njit(S)\n"), FORBIDDEN, "numba argument 'S' is forbidden"),
    (prog("return bins", "from numba import njit\ndef make(sig):\n    return njit(sig)\n"), FORBIDDEN, "numba argument 'sig' is forbidden"),
    (prog("return bins", "from numba import njit\ndef g(x):\n    return x\ng = 'f8(f8)'\nh = njit(g)\n"), FORBIDDEN, "numba argument 'g' is forbidden"),
    (prog("return bins", "from numba import njit\nS = 'f8(f8)'\nh = njit(nogil=True)(S)\n"), FORBIDDEN, "line 3: applying numba to 'S' is forbidden"),
    (prog("return bins", "from numba import njit, float64\n@njit(float64[::2](float64))\ndef g(x):\n    return x\n"), FORBIDDEN, "numba argument 'float64[::2](float64)' is forbidden"),
    (prog("return bins", "from numba import njit\ndef g(x):\n    return x\nnjit(g).compile('f8(f8)')\n"), FORBIDDEN, "line 4: attribute 'compile' is forbidden"),
    (prog("return bins", "from numba import njit\ndef g(x):\n    return x\nh = njit(g)\nh.compile(h)\n"), FORBIDDEN, "line 5: attribute 'compile' is forbidden (numba's dispatcher internals"),
    (prog("return bins", "from numba import njit\ndef g(x):\n    return x\nc = njit(g).targetctx\n"), FORBIDDEN, "attribute 'targetctx' is forbidden"),
    (prog("return bins", "from numba import njit\ndef g(x):\n    return x\nf = njit(g).py_func\n"), FORBIDDEN, "attribute 'py_func' is forbidden"),
    (prog("return bins", "from numba import float64\nx = float64.cast_python_value\n"), FORBIDDEN, "line 2: 'float64.cast_python_value' is forbidden (attributes of numba's objects"),
    (prog("return bins", "import numba\nx = numba.int64.key\n"), FORBIDDEN, "'numba.int64.key' is forbidden (attributes of numba's objects"),
    (prog("return bins", "from numba import float64\nfloat64 = 'f8'\n"), FORBIDDEN, "rebinding 'float64' is forbidden (it names numba.float64)"),
    (prog("return bins", "from numba import cfunc\n"), FORBIDDEN, "import of 'numba.cfunc' is forbidden"),
    (prog("return bins", "from numba import carray\n"), FORBIDDEN, "import of 'numba.carray' is forbidden"),
    # numba routes without index or read-only checks
    (prog("return bins * bins.flat[10**6]"), FORBIDDEN, "attribute 'flat' is forbidden (numba indexes it without bounds checks"),
    (prog("return np.take_along_axis(bins, np.zeros(1, np.int64), 0)"), FORBIDDEN, "attribute 'take_along_axis' is forbidden (numba's version reads out of bounds"),
    (prog("return bins + np.bincount(np.array([-5]))[0]"), FORBIDDEN, "attribute 'bincount' is forbidden (numba's version writes out of bounds"),
    (prog("for x in np.nditer(bins):\n    x[...] = 0.0\nreturn bins"), FORBIDDEN, "attribute 'nditer' is forbidden (numba's version writes into read-only"),
    (prog("np.fill_diagonal(bins, 0.0)\nreturn bins"), FORBIDDEN, "attribute 'fill_diagonal' is forbidden"),
    (prog("b = np.ascontiguousarray(bins)\nb[0] = 1.0\nreturn b"), FORBIDDEN, "attribute 'ascontiguousarray' is forbidden (numba's version returns a writable alias"),
    (prog("return np.asfortranarray(bins)"), FORBIDDEN, "attribute 'asfortranarray' is forbidden"),
    (prog("return bins", "from numpy import take_along_axis\n"), FORBIDDEN, "import of 'numpy.take_along_axis' is forbidden"),
    # the first violation by position is the one reported
    (prog("x = 1\ny = eval('2')\nz = open('f')\nreturn bins", "import os\n"), FORBIDDEN, "line 1: import of 'os'"),
    (prog("a = open('f'); b = eval('2')\nreturn bins"), FORBIDDEN, "line 5: name 'open'"),
]
# fmt: on


@pytest.mark.parametrize(("source", "outcome", "fragment"), CASES, ids=[c[2][:60] for c in CASES])
def test_refused_programs(source, outcome, fragment):
    result = screen_program(source)
    assert not result.ok
    assert result.outcome is outcome, result.message
    assert fragment in result.message
    assert "\n" not in result.message and len(result.message) < 240
    if result.message.startswith("line "):
        assert result.lineno == int(result.message.split(":")[0].removeprefix("line "))


def test_the_table_covers_at_least_fifty_programs():
    assert len(CASES) >= 50


def test_a_huge_source_is_refused_before_parsing(monkeypatch):
    source = "x = 1\n" * 900_000  # ~5 MB: parsing it would take seconds

    def parse(*_):
        raise AssertionError("a source over the size limit must not be parsed")

    monkeypatch.setattr(screen, "_parse", parse)
    result = screen_program(source)
    assert result.outcome is FORBIDDEN and "5,400,000 characters" in result.message


def test_the_size_limit_is_configurable():
    source = prog("return bins")
    assert screen_program(source).ok
    assert screen_program(source, max_chars=10).outcome is FORBIDDEN


def test_a_source_that_is_not_text_is_refused():
    assert screen_program(b"def priority(a, b): return b").outcome is FORBIDDEN  # type: ignore[arg-type]


# --- the screen never raises ------------------------------------------------------------------------

LEGIT = [
    FUNSEARCH_OR,
    FUNSEARCH_WEIBULL,
    RICH,
    *(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.py"))),
]


def _assert_well_formed(result: ScreenResult) -> None:
    assert isinstance(result, ScreenResult)
    assert result.outcome in (Outcome.OK, Outcome.SYNTAX_ERROR, Outcome.FORBIDDEN)
    assert result.ok == (result.outcome is Outcome.OK)
    assert isinstance(result.message, str) and "\n" not in result.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text):
    _assert_well_formed(screen_program(text))


@st.composite
def mutated_programs(draw) -> str:
    """A legitimate program with a few characters or lines inserted, deleted, replaced or swapped."""
    source = draw(st.sampled_from(LEGIT))
    alphabet = st.sampled_from([*"()[]{}:.,'\"\\_ \n\t#=+-*/@ab0\0é", "__class__", "eval", "np.", "\uff45"])
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(source)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "swap_lines"]))
        if action == "insert":
            source = source[:position] + draw(alphabet) + source[position:]
        elif action == "delete":
            source = source[:position] + source[position + draw(st.integers(1, 20)) :]
        elif action == "replace":
            source = source[:position] + draw(alphabet) + source[position + 1 :]
        else:
            lines = source.splitlines(keepends=True)
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            source = "".join(lines)
    return source


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_programs())
def test_mutated_programs_never_raise(source):
    _assert_well_formed(screen_program(source))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(LEGIT), st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_appended_text_never_raises(source, tail):
    _assert_well_formed(screen_program(source + tail))


def test_the_dispatcher_list_covers_the_installed_numba():
    """Every public attribute of a numba dispatcher is refused (a numba upgrade that adds one fails this)."""
    import numba

    public = {name for name in dir(numba.njit(lambda x: x)) if not name.startswith("_")}
    assert public <= screen.NUMBA_DISPATCHER_ATTRIBUTES, sorted(public - screen.NUMBA_DISPATCHER_ATTRIBUTES)
    for name in public:
        assert not screen_program(prog(f"return bins.{name}")).ok, name
