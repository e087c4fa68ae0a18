"""The confinement layers applied to a jailed evaluation process, each one optional where unavailable.

Applied in the forked child, in this order, before any candidate code runs:

1. own process group (so the supervisor can kill everything the child is);
2. resource limits: address space, cpu seconds, no file growth, few file descriptors, no core dumps,
   no new processes (``RLIMIT_NPROC``, effective once the uid is dropped);
3. new network and IPC namespaces (root only): no interface but a loopback that is down, and no
   shared-memory segment, queue or semaphore that outlives the jail;
4. an unprivileged uid and gid (root only), alternating between consecutive jails: the candidate
   cannot write, delete or signal anything the supervisor or the other jail owns, nor read 0600
   files; it dies with the supervisor;
5. a file-system view (Landlock, :mod:`aurora_evo.sandbox.landlock`): only the Python installation
   and the package can be read, whatever other files' permissions, and nothing can be written;
6. a seccomp filter (needs libseccomp): no fork, clone, exec, sockets, ptrace, signals, new sessions
   or process groups, rlimit or priority changes, IPC objects, terminal input injection, or file
   creation, writing, renaming, deleting or re-stamping.

Before all of them the jail leaves its client's session (``setsid``): it has no controlling terminal.

:func:`probe_layers` runs once in the supervisor and says which layers this machine supports; the
:class:`Confinement` it returns holds what each jail applies.
"""

from __future__ import annotations

import ctypes
import dataclasses
import errno
import os
import resource
import tempfile
from dataclasses import dataclass

from aurora_evo.sandbox import landlock

#: uids and gids of jailed processes when the supervisor runs as root; consecutive jails (the running
#: one and the spare forked beside it) take turns, so that neither can act on the other as its owner.
JAIL_IDS = (65534, 65533)
#: uids and gids of witness jails (:mod:`aurora_evo.sandbox.witness`), apart from the evaluation jails'
#: so that neither kind can act on the other as its owner; three, for the running witness and the two
#: spares the witness host keeps.
WITNESS_IDS = (65532, 65531, 65530)
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
TIOCSTI = 0x5412
TIOCLINUX = 0x541C


@dataclass(frozen=True)
class Layers:
    """Which layers are in force; ``reasons`` says why each missing one is off."""

    rlimits: bool
    network_namespace: bool
    uid_drop: bool
    filesystem_view: bool
    seccomp: bool
    reasons: tuple[str, ...] = ()

    def missing(self) -> list[str]:
        return [label for field, label in _OPTIONAL_LAYERS.items() if not getattr(self, field)]

    def describe(self) -> str:
        """One line for the user, e.g. ``sandbox layers off: seccomp (libseccomp not found)``."""
        if not self.missing():
            return f"sandbox: all layers on (rlimits, {', '.join(_OPTIONAL_LAYERS.values())})"
        return f"sandbox layers off: {'; '.join(self.reasons)}"

    def as_dict(self) -> dict:
        return {
            "rlimits": self.rlimits,
            **{field: getattr(self, field) for field in _OPTIONAL_LAYERS},
            "reasons": list(self.reasons),
        }


_OPTIONAL_LAYERS = {
    "network_namespace": "network namespace",
    "uid_drop": "uid drop",
    "filesystem_view": "file-system view",
    "seccomp": "seccomp",
}


@dataclass(frozen=True)
class Confinement:
    """What every jail applies to itself, prepared once by the supervisor (:func:`probe_layers`).

    Attributes:
        layers: which layers are in force.
        seccomp_program: the compiled BPF filter (``None`` when the seccomp layer is off).
        ruleset_fd: the Landlock rule set a jail restricts itself to (``None`` when the file-system
            view is off); inherited by every jail forked from the supervisor.
        namespaces: the network and IPC namespaces jails join (``None``: each makes its own).
    """

    layers: Layers
    seccomp_program: bytes | None = None
    ruleset_fd: int | None = None
    namespaces: tuple[int, int] | None = None

    def with_shared_namespaces(self) -> Confinement:
        """The same, with a new empty network and IPC namespace for all the jails it confines to share
        (see :func:`enter_namespaces`), when the seccomp layer makes sharing them safe."""
        if not (self.layers.network_namespace and self.layers.seccomp):
            return self
        return dataclasses.replace(self, namespaces=empty_namespaces())

    def kept_fds(self) -> tuple[int, ...]:
        """The descriptors a jail needs until it has confined itself."""
        return (*((self.ruleset_fd,) if self.ruleset_fd is not None else ()), *(self.namespaces or ()))


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


def enter_namespaces(shared: tuple[int, int] | None = None) -> None:
    """Detach from every network (a new namespace holds only a loopback interface, and it is down) and
    from the machine's System V IPC (segments, queues and semaphores made here die with the jail).

    ``shared`` (file descriptors of a network and an IPC namespace, from :func:`empty_namespaces`)
    joins those instead of making new ones: ten times cheaper, and as isolated from the host. Only
    with the seccomp layer, which refuses the sockets and IPC objects jails could meet through them.
    """
    libc = _libc()
    if shared is not None:
        for fd, kind in zip(shared, (CLONE_NEWNET, CLONE_NEWIPC), strict=True):
            if libc.setns(fd, kind) != 0:
                code = ctypes.get_errno()
                raise OSError(code, f"setns: {os.strerror(code)}")
        return
    if libc.unshare(CLONE_NEWNET | CLONE_NEWIPC) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"unshare(CLONE_NEWNET | CLONE_NEWIPC): {os.strerror(code)}")


def empty_namespaces() -> tuple[int, int]:
    """A new network namespace and a new IPC namespace, empty, as file descriptors (kept alive by them)
    for jails to join (:func:`enter_namespaces`)."""
    ready_read, ready_write = os.pipe()
    done_read, done_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # made here, and held while the parent opens them
        try:
            enter_namespaces()
            os.write(ready_write, b"1")
            os.read(done_read, 1)
        finally:
            os._exit(0)
    try:
        if os.read(ready_read, 1) != b"1":
            raise OSError("could not make the namespaces")
        return tuple(os.open(f"/proc/{pid}/ns/{kind}", os.O_RDONLY) for kind in ("net", "ipc"))
    finally:
        os.write(done_write, b"1")
        for fd in (ready_read, ready_write, done_read, done_write):
            os.close(fd)
        os.waitpid(pid, 0)


def drop_privileges(uid: int = JAIL_IDS[0]) -> None:
    """Become ``uid`` (and the same gid), with no supplementary groups."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def die_with_parent(parent_pid: int) -> None:
    """Be killed when the supervisor dies; set after the uid change, which clears it."""
    libc = _libc()
    libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # SIGKILL
    if os.getppid() != parent_pid:  # the supervisor died before the line above
        os._exit(0)


def build_seccomp_program() -> bytes:
    """The seccomp filter, compiled to classic BPF once (in the supervisor): what a priority function
    never needs is refused with EPERM.

    EPERM rather than killing: the candidate sees a ``PermissionError`` and the jail reports a
    forbidden action instead of an unexplained death. Compiling the rules costs ~8 ms, loading the
    compiled program one system call, so each jail only loads it (:func:`load_seccomp`).
    """
    import pyseccomp as seccomp

    deny = seccomp.ERRNO(errno.EPERM)
    filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)

    def refuse(names, action=deny, *args) -> None:
        for name in names:
            try:
                filt.add_rule(action, name, *args)
            except (ValueError, RuntimeError, OSError):  # a syscall this kernel/arch does not have
                continue

    refuse((
        # processes, programs, other processes' memory
        "fork", "vfork", "clone", "clone3", "execve", "execveat", "ptrace", "process_vm_readv",
        "process_vm_writev", "setsid", "setpgid", "unshare", "setns", "personality",
        # signals, to anyone: the supervisor, the spare jail, itself (abort() then dies of SIGSEGV)
        "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal",
        # the network
        "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
        # limits, identity, scheduling of itself and of the spare jail (which shares its uid)
        "setrlimit", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
        "setpriority", "sched_setscheduler", "sched_setparam", "sched_setaffinity", "sched_setattr",
        "ioprio_set",
        # the file system: names, contents, metadata
        "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link",
        "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown",
        "fchownat", "truncate", "ftruncate", "mknod", "mknodat", "mount", "umount2", "pivot_root",
        "chroot", "creat", "memfd_create", "utime", "utimes", "utimensat", "futimesat", "setxattr",
        "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
        # objects that outlive the process: System V and POSIX IPC
        "shmget", "msgget", "semget", "mq_open",
        # kernel interfaces a priority function never needs
        "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup",
    ))  # fmt: skip
    # openat2 hides its flags from the filter: refuse it as unknown, so callers fall back to openat.
    refuse(("openat2",), seccomp.ERRNO(errno.ENOSYS))
    # Reading limits stays allowed (glibc's getrlimit is prlimit64 with no new limit); changing them not.
    refuse(("prlimit64",), deny, seccomp.Arg(2, seccomp.NE, 0))
    # Keystrokes pushed into a terminal would be typed into the user's shell.
    for request in (TIOCSTI, TIOCLINUX):
        refuse(("ioctl",), deny, seccomp.Arg(1, seccomp.EQ, request))
    # The parent-death signal stays as the jail set it.
    refuse(("prctl",), deny, seccomp.Arg(0, seccomp.EQ, PR_SET_PDEATHSIG))
    # Opening for writing, creating or truncating is refused; opening to read is allowed.
    for flag in (os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC, os.O_APPEND):
        filt.add_rule(deny, "open", seccomp.Arg(1, seccomp.MASKED_EQ, flag, flag))
        filt.add_rule(deny, "openat", seccomp.Arg(2, seccomp.MASKED_EQ, flag, flag))
    with tempfile.TemporaryFile() as out:
        filt.export_bpf(out)
        out.seek(0)
        return out.read()


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load_seccomp(program: bytes) -> None:
    """Install a BPF program from :func:`build_seccomp_program` on this process (irreversibly)."""
    libc = _libc()
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"prctl(PR_SET_SECCOMP): {os.strerror(code)}")


def probe_layers() -> Confinement:
    """Try each layer in a throw-away child; which ones work here, the compiled seccomp filter and the
    Landlock rule set."""
    reasons = []
    root = os.geteuid() == 0
    seccomp_program, seccomp_reason = _probe_seccomp()
    ruleset_fd, landlock_reason = _probe_landlock()
    netns_ok = root and _probe_in_child(enter_namespaces)
    uid_ok = root and _probe_in_child(drop_privileges)
    if not root:
        reasons.append("network namespace and uid drop (the supervisor does not run as root)")
    else:
        if not netns_ok:
            reasons.append("network and IPC namespaces (unshare failed)")
        if not uid_ok:
            reasons.append(f"uid drop (cannot switch to uid {JAIL_IDS[0]})")
    if ruleset_fd is None:
        reasons.append(f"file-system view ({landlock_reason}; 0600 files stay out by the uid drop alone)")
    if seccomp_program is None:
        reasons.append(f"seccomp ({seccomp_reason})")
    layers = Layers(
        True, netns_ok, uid_ok, ruleset_fd is not None, seccomp_program is not None, tuple(reasons)
    )
    return Confinement(layers, seccomp_program, ruleset_fd)


def _probe_landlock() -> tuple[int | None, str]:
    try:
        ruleset = landlock.build_ruleset(landlock.readable_rules())
    except OSError as exc:
        return None, f"Landlock unavailable: {exc.strerror or exc}"

    def restrict():
        landlock.restrict_self(ruleset)
        try:
            os.open("/", os.O_RDONLY | os.O_DIRECTORY)
        except PermissionError:
            return
        raise RuntimeError("the rule set was applied but did not refuse a read")

    if _probe_in_child(restrict):
        return ruleset, ""
    os.close(ruleset)
    return None, "applying the Landlock rule set failed"


def _probe_seccomp() -> tuple[bytes | None, str]:
    try:
        program = build_seccomp_program()
    except (ImportError, RuntimeError, OSError, ValueError) as exc:
        return None, f"pyseccomp or libseccomp unavailable: {exc}"

    def load():
        load_seccomp(program)
        try:
            os.open("/dev/null", os.O_WRONLY)
        except PermissionError:
            return
        raise RuntimeError("filter loaded but did not refuse a write")

    return (program, "") if _probe_in_child(load) else (None, "loading the filter failed")


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
