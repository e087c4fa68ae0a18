"""Fixtures of the sandbox tests: one supervisor per module, a way past the static screen, and the
bait and tripwires every hostile case is checked against (files, IPC objects, a listener, secrets,
processes).

The static screen is only a first rejection; the jail is the boundary. To test the jail, a case can be
run *unscreened*: :func:`unscreened` swaps the screen the client calls for one that passes everything,
for the length of a ``with`` block, so the program reaches the jail exactly as a screened one would.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import hashlib
import os
import shutil
import signal
import socket
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aurora_evo.outcome import Outcome
from aurora_evo.sandbox import Sandbox, SandboxConfig
from aurora_evo.sandbox import client as sandbox_client
from aurora_evo.sandbox.layers import JAIL_IDS, WITNESS_IDS
from aurora_evo.sandbox.screen import ScreenResult

#: Environment variables holding a secret while a sandbox module runs (an API key above all).
SECRET_VARIABLES = ("AURORA_TEST_SECRET", "OPENAI_API_KEY")
#: uids of confined processes: evaluation jails and witnesses.
CONFINED_IDS = JAIL_IDS + WITNESS_IDS
#: Case timeouts are small; a case still running this long after its own deadline has hung the client.
HANG_MARGIN_S = 20.0


# --- past the screen --------------------------------------------------------------------------------


def _pass_everything(source, **kwargs) -> ScreenResult:
    return ScreenResult(True, Outcome.OK, "ok", None)


@contextlib.contextmanager
def unscreened() -> Iterator[None]:
    """Evaluations in this block skip the static screen: the program goes straight to the jail."""
    original = sandbox_client.screen_program
    sandbox_client.screen_program = _pass_everything
    try:
        yield
    finally:
        sandbox_client.screen_program = original


# --- secrets ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Secrets:
    """Secrets a jailed program must never see: in the test process's environment, in a 0600 file the
    jail's uid cannot read, and in a variable of the test process."""

    environment: dict[str, str]
    file: Path
    file_secret: str
    memory_secret: str

    def all(self) -> list[str]:
        return [*self.environment.values(), self.file_secret, self.memory_secret]

    def found_in(self, text: str) -> list[str]:
        return [secret for secret in self.all() if secret in text]


# --- files ------------------------------------------------------------------------------------------


class Sentinel:
    """Files and directories outside the jail that hostile programs try to write, truncate, delete and
    read; :meth:`snapshot` records everything about them that a write could change.

    Layout (the directories are world-writable, so only seccomp stops the jail's uid creating files
    there; ``world.txt`` is world-writable, so only seccomp stops it being written or truncated)::

        /tmp/aurora-sentinel-<id>/            0777
            known.txt                         0644  known content
            world.txt                         0666  known content
            secret.txt                        0600  the file secret
            open/                             0777
                inner.txt                     0644  known content
        /tmp/aurora-sentinel-<id>.txt         0666  known content (a file directly in /tmp)
    """

    def __init__(self, file_secret: str):
        tag = uuid.uuid4().hex[:12]
        self.root = Path(f"/tmp/aurora-sentinel-{tag}")
        self.known = self.root / "known.txt"
        self.world = self.root / "world.txt"
        self.secret = self.root / "secret.txt"
        self.open_dir = self.root / "open"
        self.inner = self.open_dir / "inner.txt"
        self.tmp_file = Path(f"/tmp/aurora-sentinel-{tag}.txt")
        self._contents = {
            self.known: (b"known content\n", 0o644),
            self.world: (b"world-writable content\n", 0o666),
            self.secret: (file_secret.encode(), 0o600),
            self.inner: (b"inner content\n", 0o644),
            self.tmp_file: (b"a file in /tmp\n", 0o666),
        }
        self._time_ns = 1_600_000_000_000_000_000
        self.reset()

    def reset(self) -> None:
        """Put everything back as it was created (an earlier case may have broken it)."""
        for directory in (self.root, self.open_dir):
            directory.mkdir(exist_ok=True)
            os.chmod(directory, 0o777)
        for directory in (self.root, self.open_dir):
            expected = {p.name for p in self._contents if p.parent == directory}
            expected |= {self.open_dir.name} if directory == self.root else set()
            for entry in os.listdir(directory):
                if entry not in expected:
                    _remove(directory / entry)
        for path, (content, mode) in self._contents.items():
            path.write_bytes(content)
            for name in os.listxattr(path):
                os.removexattr(path, name)
            if os.geteuid() == 0:
                os.chown(path, 0, 0)
            os.chmod(path, mode)
            os.utime(path, ns=(self._time_ns, self._time_ns))

    def snapshot(self) -> dict[str, tuple]:
        """Every entry's type, mode, owner, size, mtime, content hash and extended attributes."""
        state = {}
        paths = [self.root, self.tmp_file]
        paths += [Path(d) / n for d, dirs, files in os.walk(self.root) for n in dirs + files]
        for path in paths:
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                state[str(path)] = ("missing",)
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(info.st_mode) else ""
            mtime = info.st_mtime_ns if stat.S_ISREG(info.st_mode) else 0  # a directory's changes show
            xattrs = tuple(sorted((name, os.getxattr(path, name, follow_symlinks=False))
                                  for name in os.listxattr(path, follow_symlinks=False)))  # fmt: skip
            state[str(path)] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid,
                                info.st_gid, info.st_size, mtime, digest, xattrs)  # fmt: skip
        return state

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.tmp_file.unlink(missing_ok=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def jail_entries_in_tmp(markers: tuple[str, ...]) -> set[str]:
    """Entries of /tmp a jail could have made: owned by the jail's uid, or named with a case marker.

    /tmp is shared with other processes on this machine, so its whole listing is not compared; what a
    jailed program creates is owned by its uid (or by root and named after the marker if the uid drop
    is off).
    """
    found = set()
    for entry in os.scandir("/tmp"):
        try:
            owner = entry.stat(follow_symlinks=False).st_uid
        except FileNotFoundError:
            continue
        ours = any(marker in entry.name for marker in markers)
        someone_elses = not ours and "aurora-marker-" in entry.name  # another module's (xdist)
        if ours or (owner in CONFINED_IDS and not someone_elses):
            found.add(entry.name)
    return found


# --- kernel objects that outlive a process ---------------------------------------------------------

_SYSV_TABLES = {"shm": "/proc/sysvipc/shm", "msg": "/proc/sysvipc/msg", "sem": "/proc/sysvipc/sem"}


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def jail_ipc_objects() -> set[tuple[str, int]]:
    """System V shared memory segments, message queues and semaphores created by the jail's uid, as
    ``(kind, id)``: they outlive the process that made them."""
    found = set()
    for kind, path in _SYSV_TABLES.items():
        try:
            header, *rows = Path(path).read_text().splitlines()
        except OSError:
            continue
        columns = header.split()
        for row in rows:
            fields = dict(zip(columns, row.split(), strict=False))
            if int(fields["cuid"]) in CONFINED_IDS:
                found.add((kind, int(row.split()[1])))
    return found


def remove_ipc_objects(objects: set[tuple[str, int]]) -> None:
    libc = _libc()
    for kind, ident in objects:
        remove = {"shm": libc.shmctl, "msg": libc.msgctl, "sem": lambda i, _, __: libc.semctl(i, 0, 0)}[kind]
        remove(ident, 0, None)  # IPC_RMID


def posix_queue_exists(name: str) -> bool:
    """Whether a POSIX message queue ``name`` (``/...``) exists; it is removed if it does."""
    libc = _libc()
    queue = libc.mq_open(name.encode(), os.O_RDONLY)
    if queue < 0:
        return False
    libc.mq_close(queue)
    libc.mq_unlink(name.encode())
    return True


# --- network ----------------------------------------------------------------------------------------


class Listener:
    """A TCP listener and a UDP socket on 127.0.0.1 in the test process, recording whatever arrives."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        self.tcp_port = self.tcp.getsockname()[1]
        self.udp_port = self.udp.getsockname()[1]
        self.arrivals: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._accept, daemon=True),
            threading.Thread(target=self._receive, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, peer = self.tcp.accept()
            except (TimeoutError, OSError):
                continue
            self.arrivals.append(f"tcp connection from {peer}")
            connection.close()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.udp.recvfrom(65536)
            except (TimeoutError, OSError):
                continue
            self.arrivals.append(f"udp datagram of {len(data)} bytes from {peer}")

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self.tcp.close()
        self.udp.close()


# --- processes --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    sid: int
    uid: int
    state: str
    cmdline: str

    @property
    def zombie(self) -> bool:
        return self.state in ("Z", "X")


def process_table() -> dict[int, Proc]:
    """Every process visible in /proc (those that vanish while being read are skipped)."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            uid = os.stat(f"/proc/{name}").st_uid
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        table[int(name)] = Proc(int(name), int(fields[1]), int(fields[3]), uid, fields[0].decode(), cmdline)
    return table


def descendants(table: dict[int, Proc], ancestor: int) -> list[Proc]:
    children: dict[int, list[Proc]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc)
    found, stack = [], [ancestor]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child.pid)
    return found


def scheduling(pid: int) -> tuple[int, int, int] | None:
    """``(nice, policy, allowed cpus)`` of a process, ``None`` once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[16]), int(fields[38]), len(os.sched_getaffinity(pid))
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


_SUPERVISOR_MAIN = "from aurora_evo.sandbox.supervisor import main"


def live_jails(supervisor_pid: int, trusted: frozenset[int] = frozenset()) -> set[int]:
    """Pids of the supervisor's descendants that are not zombies (evaluation jails and witnesses),
    the ``trusted`` ones (the witness host and its zygote, alive as long as the supervisor) aside."""
    return {p.pid for p in descendants(process_table(), supervisor_pid) if not p.zombie} - trusted


def witnesses_of(zygote_pid: int) -> set[int]:
    """Pids of the witness zygote's children that are not zombies."""
    return {p.pid for p in descendants(process_table(), zygote_pid) if not p.zombie}


def still_alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` that still run (zombies excluded)."""
    table = process_table()
    return {pid for pid in pids if pid in table and not table[pid].zombie}


def stray_processes(
    supervisor_pid: int, markers: tuple[str, ...], spares: set[int], trusted: frozenset[int] = frozenset()
) -> list[Proc]:
    """Processes a jail left behind.

    * any descendant of the supervisor that is still alive, except ``spares`` and the ``trusted``
      witness host and zygote:
      with ``prefork`` the supervisor keeps one confined jail waiting for the next job, and the host
      one witness; the caller passes the pids that were forked during the last evaluation (a jail
      from any earlier evaluation must be gone); zombies are dead and reaped lazily, so they are not
      counted;
    * any process of the jail's uid in this session or below this process (other sessions on this
      machine may run sandboxes of their own), except ``spares``;
    * any process whose command line holds one of the case markers.
    """
    table = process_table()
    me, session = os.getpid(), os.getsid(0)
    mine = {p.pid for p in descendants(table, me)}
    # Jails of other sandboxes in this session (pytest-xdist workers) are theirs, not strays.
    others = {p.pid for p in table.values() if _SUPERVISOR_MAIN in p.cmdline and p.pid != supervisor_pid}
    theirs = {d.pid for other in others for d in descendants(table, other)}
    stray = {
        p.pid: p
        for p in descendants(table, supervisor_pid)
        if not p.zombie and p.pid not in spares and p.pid not in trusted
    }
    for proc in table.values():
        if proc.uid in CONFINED_IDS and (proc.sid == session or proc.pid in mine) and not proc.zombie:
            if proc.pid not in spares and proc.pid not in theirs:
                stray[proc.pid] = proc
        if any(marker in proc.cmdline for marker in markers) and proc.pid != me:
            stray[proc.pid] = proc
    return list(stray.values())


def kill_jails(supervisor_pid: int, trusted: frozenset[int] = frozenset()) -> list[int]:
    """SIGKILL every descendant of the supervisor but the ``trusted`` witness host and zygote, by pid
    (only to unblock a hung evaluation)."""
    killed = []
    for proc in descendants(process_table(), supervisor_pid):
        if proc.pid in trusted:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, signal.SIGKILL)
            killed.append(proc.pid)
    return killed


def call_with_hang_guard(
    call: Callable[[], object], limit_s: float, supervisor_pid: int, trusted: frozenset[int] = frozenset()
):
    """``(value, hung)``: run ``call`` in a thread; if it has not returned after ``limit_s`` (the
    supervisor failed to end a jail), kill the supervisor's children so that it returns anyway."""
    box: dict[str, object] = {}

    def target():
        try:
            box["value"] = call()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit_s)
    hung = thread.is_alive()
    if hung:
        kill_jails(supervisor_pid, trusted)
        thread.join(30)
    if "error" in box:
        raise box["error"]
    return box.get("value"), hung


# --- the module's sandbox and bait ------------------------------------------------------------------


@dataclasses.dataclass
class Environment:
    """Everything one sandbox test module shares."""

    sandbox: Sandbox
    secrets: Secrets
    sentinel: Sentinel
    listener: Listener
    marker: str
    test_pid: int
    test_pgid: int
    supervisor_pid: int
    host_pid: int
    zygote_pid: int

    hang_margin_s: float = HANG_MARGIN_S

    # The helpers below are methods so that test modules need not import this conftest.
    unscreened = staticmethod(unscreened)
    scheduling = staticmethod(scheduling)
    jails_of = staticmethod(live_jails)
    still_alive = staticmethod(still_alive)
    jail_ipc_objects = staticmethod(jail_ipc_objects)
    remove_ipc_objects = staticmethod(remove_ipc_objects)
    wait_for = staticmethod(lambda predicate, timeout_s=2.0: wait_for(predicate, timeout_s))

    def call_guarded(self, call: Callable[[], object], limit_s: float):
        """``(value, hung)`` of ``call``; see :func:`call_with_hang_guard`."""
        return call_with_hang_guard(call, limit_s, self.supervisor_pid, self.trusted)

    @property
    def trusted(self) -> frozenset[int]:
        """The supervisor's trusted descendants: the witness host and its zygote."""
        return frozenset({self.host_pid, self.zygote_pid})

    def live_jails(self) -> set[int]:
        """Evaluation jails and witnesses."""
        return live_jails(self.supervisor_pid, self.trusted)

    def live_witnesses(self) -> set[int]:
        return witnesses_of(self.zygote_pid)

    def stray_processes(self, spares: set[int]) -> list[Proc]:
        return stray_processes(self.supervisor_pid, (self.marker,), spares, self.trusted)

    def jail_entries_in_tmp(self) -> set[str]:
        return jail_entries_in_tmp((self.marker,))

    def marked_posix_queue_exists(self) -> bool:
        """Whether the POSIX message queue named after the marker exists (removing it if so)."""
        return posix_queue_exists(f"/{self.marker}")

    def remove_marked_tmp_entries(self) -> None:
        """Delete what a case managed to create in /tmp under this module's marker (a known bug may)."""
        for name in os.listdir("/tmp"):
            if self.marker in name:
                _remove(Path("/tmp") / name)

    def supervisor_log(self) -> str:
        """The supervisor's whole stderr so far."""
        log = self.sandbox._log  # the client keeps it private; tests read it to look for secrets
        if log is None or log.closed:
            return ""
        log.seek(0)
        return log.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def environment() -> Iterator[Environment]:
    """A started sandbox, with secrets in the environment it was started from, bait files and a
    loopback listener; all removed afterwards."""
    saved = {name: os.environ.get(name) for name in SECRET_VARIABLES}
    variables = {name: f"secret-{name.lower()}-{uuid.uuid4()}" for name in SECRET_VARIABLES}
    file_secret, memory_secret = f"secret-file-{uuid.uuid4()}", f"secret-memory-{uuid.uuid4()}"
    sentinel = Sentinel(file_secret)
    secrets = Secrets(variables, sentinel.secret, file_secret, memory_secret)
    listener = Listener()
    os.environ.update(variables)
    sandbox = Sandbox(SandboxConfig(timeout_s=5, memory_mb=512, full_warm_up=False))
    env = None
    try:
        sandbox.start()
        env = Environment(
            sandbox=sandbox,
            secrets=secrets,
            sentinel=sentinel,
            listener=listener,
            marker=f"aurora-marker-{uuid.uuid4().hex[:16]}",
            test_pid=os.getpid(),
            test_pgid=os.getpgid(0),
            supervisor_pid=sandbox.supervisor_pid,
            host_pid=sandbox.witness_host_pid,
            zygote_pid=sandbox.witness_zygote_pid,
        )
        yield env
    finally:
        sandbox.close()
        listener.close()
        if env is not None:
            env.remove_marked_tmp_entries()
        sentinel.remove()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def wait_for(predicate: Callable[[], bool], timeout_s: float = 2.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout_s`` passes (processes take a moment to vanish)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
