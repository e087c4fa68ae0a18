"""The jail's view of the file system: Landlock (Linux 5.13 and later), read-only, a few folders.

A jail reads what an evaluation needs (the Python installation and its packages, for modules imported
late, such as ``numpy.fft`` or numba's compiler passes, and the package's own Python files) and nothing
else of the host: not the user's home, the repository around the package, the package's data, other
runs' archives or data sets, ``/proc`` or ``/tmp``, whatever their permissions. Nothing at all can be
written, created or removed.

The supervisor builds the rule set once (:func:`build_ruleset`, which opens each folder while it still
can) and every jail applies it to itself with one system call (:func:`restrict_self`); a Landlock
domain cannot be widened afterwards. Where the ABI has them, TCP bind/connect and signals and abstract
Unix sockets leaving the jail are refused too. Landlock does not cover ``stat``: a jail can still learn
whether a path exists and its size, not what it holds.
"""

from __future__ import annotations

import ctypes
import os
import site
import sys
from pathlib import Path

# System call numbers are the same on every architecture (the generic table).
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

# Access rights to the file system, by the ABI version that introduced them.
_FS_RIGHTS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
_READ_FILE, _READ_DIR = 1 << 2, 1 << 3
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The Landlock ABI this kernel offers; 0 when it has none (or it is disabled)."""
    version = _libc().syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


def readable_rules() -> list[tuple[Path, int]]:
    """What a jail may read, as ``(path, access)`` rules: the Python installation (prefixes and every
    site-packages folder) and the aurora_evo package's Python files, and nothing around them: not an
    editable install's repository, nor the package's data (bin-packing sets, seed scenarios), which an
    evaluation receives in memory and a candidate could otherwise replay in its witness."""
    package = Path(__file__).resolve().parents[1]  # this module is aurora_evo/sandbox/landlock.py
    roots: list[Path] = []
    for candidate in (
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        *site.getsitepackages(),
        site.getusersitepackages(),
    ):
        path = Path(candidate).resolve()
        if path.is_dir() and not any(path.is_relative_to(root) for root in roots):
            roots = [root for root in roots if not root.is_relative_to(path)] + [path]
    rules: list[tuple[Path, int]] = []
    for root in roots:
        _grant_around(root, package, rules)
    rules.append((package, _READ_DIR))
    # Python files, their bytecode and numba's cache of the package's kernels: no data.
    code = (".py", ".pyc", ".nbi", ".nbc")
    rules += [(path, _READ_FILE) for path in sorted(package.rglob("*")) if path.suffix in code]
    return rules


def _grant_around(folder: Path, excluded: Path, rules: list[tuple[Path, int]]) -> None:
    """Grant reading everything beneath ``folder`` except beneath ``excluded`` (Landlock only adds
    rights: the folders on the way down to ``excluded`` are granted entry by entry)."""
    if not excluded.is_relative_to(folder):
        rules.append((folder, _READ_FILE | _READ_DIR if folder.is_dir() else _READ_FILE))
        return
    if folder == excluded:
        return
    rules.append((folder, _READ_DIR))
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() or entry.is_file():
            _grant_around(entry.resolve() if entry.is_symlink() else entry, excluded, rules)


def build_ruleset(rules: list[tuple[Path, int]]) -> int:
    """A Landlock rule set allowing only the reads ``rules`` grant (from :func:`readable_rules`).

    Returns the rule set's file descriptor (inheritable, for the jails the caller forks).

    Raises:
        OSError: the kernel has no Landlock, or a system call failed.
    """
    abi = abi_version()
    if abi < 1:
        raise OSError("this kernel has no Landlock (Linux 5.13 or later, with landlock in the LSM list)")
    attr = _RulesetAttr(handled_access_fs=_FS_RIGHTS_BY_ABI[max(v for v in _FS_RIGHTS_BY_ABI if v <= abi)])
    size = 8
    if abi >= 4:
        attr.handled_access_net, size = _NET_BIND_TCP | _NET_CONNECT_TCP, 16
    if abi >= 6:
        attr.scoped, size = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL, 24
    libc = _libc()
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise _error("landlock_create_ruleset")
    try:
        for path, access in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(access, fd)
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                    raise _error(f"landlock_add_rule({path})")
            finally:
                os.close(fd)
    except BaseException:
        os.close(ruleset)
        raise
    os.set_inheritable(ruleset, True)
    return ruleset


def restrict_self(ruleset: int) -> None:
    """Confine this process (and anything it could start) to the rule set, for good, and close it."""
    libc = _libc()
    try:
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise _error("prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise _error("landlock_restrict_self")
    finally:
        os.close(ruleset)


def _error(call: str) -> OSError:
    code = ctypes.get_errno()
    return OSError(code, f"{call}: {os.strerror(code)}")
