"""numba_guard: signature strings read as numba's type names, never evaluated, in every process where
it is installed (the supervisor, hence every jail). The jail-side cases are in test_corpus.py
("numba strings")."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from numba.core import types

from aurora_evo.sandbox import numba_guard
from aurora_evo.sandbox.numba_guard import SignatureError, parse_signature

VALID = [
    "float64",
    "float64(float64)",
    "float64[:](float64, float64[:])",
    "float64[:, ::1](float64[:, :], int64)",
    "void(float64[::1])",
    "boolean(intp, uint8, complex128)",
    "(float64, int64[:])",
    "  int64( int64 )  ",
]

REFUSED = [
    ("__import__('os').system('id')", "not written with numba's type names"),
    ("print('x') or float64(float64)", "BoolOp is not allowed"),
    ("float64.key", "Attribute is not allowed"),
    ("float64[1:]", "Subscript is not allowed"),
    ("float64[::2]", "Subscript is not allowed"),
    ("float64[:](*args)", "Call is not allowed"),
    ("float64(x=float64)", "Call is not allowed"),
    ("Array(float64, 1, 'C')", "'Array' is not a numba type name"),
    ("no_such_type(float64)", "'no_such_type' is not a numba type name"),
    ("[float64]", "List is not allowed"),
    ("f'{float64}'", "JoinedStr is not allowed"),
    ("lambda: 1", "Lambda is not allowed"),
    ("float64(", "does not parse"),
    ("float64(" * 30 + ")" * 30, "nested too deeply"),
    ("x" * 2000, "2,000 characters is refused"),
]


@pytest.mark.parametrize("text", VALID)
def test_valid_signatures_read_as_numba_reads_them(text):
    assert parse_signature(text) == eval(text.strip(), {}, types.__dict__)


@pytest.mark.parametrize(("text", "fragment"), REFUSED)
def test_anything_else_is_refused_without_running(text, fragment):
    with pytest.raises(SignatureError) as info:
        parse_signature(text)
    assert fragment in str(info.value)


def test_a_signature_that_is_not_a_string_is_refused():
    with pytest.raises(SignatureError, match="must be a str"):
        parse_signature(b"float64")


def test_installed_numba_refuses_to_evaluate_strings():
    """Every numba entry point that takes a signature string goes through the guard."""
    import numba

    numba_guard.install()
    assert numba_guard.installed()
    payload = "__import__('builtins').exec('raise ValueError(\"PWNED\")') or float64(float64)"
    attempts = [
        lambda: numba.njit(payload)(lambda x: x),
        lambda: numba.njit([payload])(lambda x: x),
        lambda: numba.njit(lambda x: x).compile(payload),
        lambda: numba.cfunc(payload)(lambda x: x),
    ]
    for attempt in attempts:
        with pytest.raises(SignatureError):
            attempt()
    assert numba.njit("float64(float64)")(lambda x: x + 1.0)(1.0) == 2.0


def test_installed_before_numba_is_imported_patches_it_on_import():
    """The supervisor installs the guard before its first numba import; so does this fresh process."""
    script = textwrap.dedent(
        """
        import sys
        from aurora_evo.sandbox import numba_guard
        numba_guard.install()
        assert "numba" not in sys.modules
        assert numba_guard.installed()
        import numba
        from numba.core import sigutils
        assert sigutils._parse_signature_string is numba_guard.parse_signature
        try:
            numba.njit("__import__('os').getpid() or float64(float64)")(lambda x: x)
        except numba_guard.SignatureError:
            print("refused")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused"
