"""The confinement layers applied to a jailed evaluation process, each one optional where unavailable.

Applied in the forked child, in this order, before any candidate code runs:

1. own process group (so the supervisor can kill everything the child is);
2. resource limits: address space, cpu seconds, no file growth, few file descriptors, no core dumps,
   no new processes (``RLIMIT_NPROC``, effective once the uid is dropped);
3. a new, empty network namespace (root only): no interface but a loopback that is down;
4. an unprivileged uid and gid (root only): the candidate cannot write, delete or signal anything the
   supervisor owns, nor read 0600 files;
5. a seccomp filter (needs libseccomp): no fork, clone, exec, sockets, ptrace, signals to others,
   rlimit changes, or file creation, writing, renaming and deleting.

:func:`probe_layers` runs once in the supervisor and says which layers this machine supports.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
from dataclasses import dataclass

#: uid and gid of the jailed process when the supervisor runs as root ("nobody" on Debian).
JAIL_UID = 65534
JAIL_GID = 65534
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38


@dataclass(frozen=True)
class Layers:
    """Which layers are in force; ``reasons`` says why each missing one is off."""

    rlimits: bool
    network_namespace: bool
    uid_drop: bool
    seccomp: bool
    reasons: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        names = {"network_namespace": "network namespace", "uid_drop": "uid drop", "seccomp": "seccomp"}
        return [label for field, label in names.items() if not getattr(self, field)]

    def describe(self) -> str:
        """One line for the user, e.g. ``sandbox layers off: seccomp (libseccomp not found)``."""
        if not self.missing():
            return "sandbox: all layers on (rlimits, network namespace, uid drop, seccomp)"
        return f"sandbox layers off: {'; '.join(self.reasons)}"

    def as_dict(self) -> dict:
        return {
            "rlimits": self.rlimits,
            "network_namespace": self.network_namespace,
            "uid_drop": self.uid_drop,
            "seccomp": self.seccomp,
            "reasons": list(self.reasons),
        }


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def set_limits(memory_bytes: int, cpu_seconds: int, max_files: int = 64) -> None:
    """Resource limits of the jailed process; hard limits too, so that they cannot be raised.

    The cpu limit's hard value is one second above the soft one: SIGXCPU first (reported as a
    timeout), SIGKILL if the process ignores it.
    """
    limits = {
        resource.RLIMIT_AS: (memory_bytes, memory_bytes),
        resource.RLIMIT_CPU: (cpu_seconds, cpu_seconds + 1),
        resource.RLIMIT_FSIZE: (0, 0),
        resource.RLIMIT_NOFILE: (max_files, max_files),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_NPROC: (0, 0),
    }
    for kind, (soft, hard) in limits.items():
        resource.setrlimit(kind, (soft, hard))


def enter_network_namespace() -> None:
    """Detach from every network: a new namespace holds only a loopback interface, and it is down."""
    libc = _libc()
    if libc.unshare(CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"unshare(CLONE_NEWNET): {os.strerror(code)}")


def drop_privileges(uid: int = JAIL_UID, gid: int = JAIL_GID) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def build_seccomp_filter(own_pid: int):
    """A seccomp filter (not yet loaded) denying what a priority function never needs, with EPERM.

    EPERM rather than killing: the candidate sees a ``PermissionError`` and the jail reports a
    forbidden action instead of an unexplained death.
    """
    import pyseccomp as seccomp

    deny = seccomp.ERRNO(errno.EPERM)
    filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in (
        "fork", "vfork", "clone", "clone3", "execve", "execveat", "ptrace", "process_vm_readv",
        "process_vm_writev", "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
        "setrlimit", "prlimit64", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir",
        "mkdirat", "rmdir", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat",
        "chown", "fchown", "lchown", "fchownat", "truncate", "ftruncate", "mknod", "mknodat", "mount",
        "umount2", "pivot_root", "chroot", "setuid", "setgid", "setreuid", "setregid", "setresuid",
        "setresgid", "setgroups", "unshare", "setns", "personality", "keyctl", "add_key", "bpf",
        "perf_event_open", "userfaultfd", "io_uring_setup", "memfd_create", "creat",
    ):  # fmt: skip
        try:
            filt.add_rule(deny, name)
        except (ValueError, RuntimeError, OSError):  # a syscall this kernel/arch does not have
            continue
    # Signals only to itself: kill/tgkill/tkill aimed at another process are refused.
    for name in ("kill", "tkill"):
        filt.add_rule(deny, name, seccomp.Arg(0, seccomp.NE, own_pid))
    filt.add_rule(deny, "tgkill", seccomp.Arg(0, seccomp.NE, own_pid))
    # Opening for writing, creating or truncating is refused; opening to read is allowed.
    for flag in (os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC, os.O_APPEND):
        filt.add_rule(deny, "open", seccomp.Arg(1, seccomp.MASKED_EQ, flag, flag))
        filt.add_rule(deny, "openat", seccomp.Arg(2, seccomp.MASKED_EQ, flag, flag))
    return filt


def load_seccomp(filt) -> None:
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    filt.load()


def probe_layers() -> Layers:
    """Try each layer in a throw-away child and report which ones work on this machine."""
    reasons = []
    root = os.geteuid() == 0
    seccomp_ok, seccomp_reason = _probe_seccomp()
    netns_ok = root and _probe_in_child(enter_network_namespace)
    uid_ok = root and _probe_in_child(drop_privileges)
    if not root:
        reasons.append("network namespace and uid drop (the supervisor does not run as root)")
    else:
        if not netns_ok:
            reasons.append("network namespace (unshare(CLONE_NEWNET) failed)")
        if not uid_ok:
            reasons.append(f"uid drop (cannot switch to uid {JAIL_UID})")
    if not seccomp_ok:
        reasons.append(f"seccomp ({seccomp_reason})")
    return Layers(True, netns_ok, uid_ok, seccomp_ok, tuple(reasons))


def _probe_seccomp() -> tuple[bool, str]:
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, RuntimeError, OSError) as exc:
        return False, f"pyseccomp or libseccomp unavailable: {exc}"

    def load():
        load_seccomp(build_seccomp_filter(os.getpid()))
        try:
            os.open("/dev/null", os.O_WRONLY)
        except PermissionError:
            return
        raise RuntimeError("filter loaded but did not refuse a write")

    return (True, "") if _probe_in_child(load) else (False, "loading the filter failed")


def _probe_in_child(action) -> bool:
    pid = os.fork()
    if pid == 0:
        try:
            action()
            code = 0
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0
