"""The hostile corpus: programs that loop, allocate, crash, escape, snoop or cheat, each with the exact
outcome the sandbox must report, and the same containment checks after every one of them.

Most attacks are refused by the static screen before anything runs. The screen is not the boundary,
so every dangerous attack is run twice: screened (the screen must say ``forbidden``) and *unscreened*,
straight into the jail, written with real imports (``import os``...), where the jail's own outcome is
asserted. After every case (see :func:`containment_problems`):

1. nothing outside the jail was created, changed or deleted (bait files and directories, /tmp);
2. nothing reached a TCP or UDP listener on 127.0.0.1 in the test process;
3. no secret (environment, 0600 file, test-process memory) is in the result or the supervisor's log;
4. the supervisor still runs (same pid) and a benign program scores exactly as before; the test
   process keeps its pid and process group;
5. no process is left behind (descendants of the supervisor, the jail's uid, the case marker), except
   the one confined jail the supervisor pre-forks for the next job, which nothing may have tampered
   with.

A bug found here gets a case marked ``xfail(strict=True)`` with a reason starting ``BUG:`` until it is
fixed (the first corpus found ten; all are fixed).
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import aurora_evo
from aurora_evo.domains import get_problem
from aurora_evo.domains.binpacking import Dataset, Instance, builtin_datasets
from aurora_evo.domains.binpacking.baselines import FUNSEARCH_WEIBULL_SOURCE
from aurora_evo.evaluation import EvalResult
from aurora_evo.outcome import Outcome
from aurora_evo.sandbox import Sandbox, SandboxConfig, SandboxError
from aurora_evo.sandbox.client import MAX_MESSAGE_CHARS
from aurora_evo.sandbox.layers import JAIL_IDS, WITNESS_IDS
from aurora_evo.sandbox.witness_host import SPARE_WITNESSES
from aurora_evo.seeds import seed_program_paths, seed_scenarios

OK = Outcome.OK
FORBIDDEN = Outcome.FORBIDDEN
SYNTAX = Outcome.SYNTAX_ERROR
TIMEOUT = Outcome.TIMEOUT
MEMORY = Outcome.MEMORY_LIMIT
CRASHED = Outcome.CRASHED
INVALID = Outcome.INVALID_OUTPUT
RUNTIME = Outcome.RUNTIME_ERROR
NO_RESULT = Outcome.NO_RESULT

#: What an operation the jail refuses (seccomp, uid) is reported as: the candidate sees a
#: ``PermissionError``, which the evaluator reports as ``forbidden`` wherever it is raised.
REFUSED = FORBIDDEN

#: Deadline of the cases that must time out: short, but well above a jail's start-up.
SHORT = 2.0
ALL_LAYERS = ("network_namespace", "uid_drop", "filesystem_view", "seccomp")

SEEDS = {name: path.read_text(encoding="utf-8") for name, path in seed_program_paths().items()}
BENIGN = SEEDS["round_robin"]
ALLOCATION = get_problem("allocation")
BINPACKING = get_problem("binpacking")

#: A line numba cannot compile: ``priority`` then runs on the numpy path, as plain Python, in the jail.
PYTHON_ONLY = "_ = [None, 'numba cannot type this list', 1]"


def program(body: str = "", priority: str = "return -nodes[:, N_PLACED]", header: str = "") -> str:
    """A candidate: ``header`` and ``body`` at module level, then ``priority(task, nodes)``."""
    return (
        f"import numpy as np\n{textwrap.dedent(header)}\n{textwrap.dedent(body)}\n\n"
        f"def priority(task, nodes):\n{textwrap.indent(textwrap.dedent(priority), '    ')}\n"
    )


def packer(body: str = "", priority: str = "return -(bins - item)") -> str:
    """A bin-packing candidate."""
    return (
        f"import numpy as np\n{textwrap.dedent(body)}\n\n"
        f"def priority(item, bins):\n{textwrap.indent(textwrap.dedent(priority), '    ')}\n"
    )


@dataclasses.dataclass(frozen=True)
class Case:
    """One hostile program and what the sandbox must make of it.

    Attributes:
        name: unique id (``[screen]``/``[jail]`` suffixes for the two runs of one attack).
        category: the threat category of the notes it covers.
        source: the program; ``@NAME@`` tokens are replaced by the test's paths, ports and marker.
        outcome: the outcome the sandbox must report.
        fragment: text the result's message must contain (case-insensitive).
        screened: run through the static screen (else straight to the jail).
        timeout_s: the evaluation's deadline.
        problem: the name of the registered problem its cases are of: ``allocation`` or ``binpacking``.
        cases: ``easy`` (two easy seed scenarios) or ``tight`` (a node that cannot hold every task).
        needs: confinement layers this expectation relies on; the case is skipped without them.
        same_score_as: for an OK outcome, the seed program whose sandboxed result it must equal.
        boundscheck: numba index checks for this evaluation.
        jit: the sandbox's ``jit`` setting for this evaluation (``None``: the module's; small cases
            run on the numpy path unless it is ``"always"``).
        bug: a known bug (the case is ``xfail(strict=True)`` with this reason).
        path: ``"jail"`` to have an evaluation jail run the program and a witness check it, however
            small the evaluation (``None``: the sandbox chooses; it simulates a small allocation
            evaluation itself, asking a jail for the program's scores, see ``SandboxConfig``).
    """

    name: str
    category: str
    source: str
    outcome: Outcome
    fragment: str = ""
    screened: bool = True
    timeout_s: float = 5.0
    problem: str = "allocation"
    cases: str = "easy"
    needs: tuple[str, ...] = ()
    same_score_as: str | None = None
    boundscheck: bool = True
    jit: str | None = None
    bug: str | None = None
    path: str | None = None


def both(name, category, source, jail_outcome, jail_fragment="", *, screen_fragment="", **jail) -> list[Case]:
    """An attack run twice: the screen must refuse it, and the jail must contain it without the screen."""
    jail.setdefault("needs", ALL_LAYERS)
    return [
        Case(f"{name}[screen]", category, source, FORBIDDEN, screen_fragment),
        Case(f"{name}[jail]", category, source, jail_outcome, jail_fragment, screened=False, **jail),
    ]


def jail(name, category, source, outcome, fragment="", **options) -> Case:
    """An attack run straight into the jail (the screen would refuse it)."""
    options.setdefault("needs", ALL_LAYERS)
    return Case(f"{name}[jail]", category, source, outcome, fragment, screened=False, **options)


# --- programs used by several cases -------------------------------------------------------------------

FIND_RESULT_FD = """
import os, struct, sys
frame = sys._getframe()
while "result_fd" not in frame.f_locals:
    frame = frame.f_back
fd = frame.f_locals["result_fd"]
spec = frame.f_locals.get("job") or frame.f_locals.get("spec")
n_values = 1 + sum(
    len(case.tasks) if hasattr(case, "tasks") else sum(len(i.items) for i in case.instances)
    for case in spec.cases
)

def forge(code, message=b"", values=(), text_len=None, blob_len=None):
    blob = np.asarray(values, dtype="<i8").tobytes()
    text_len = len(message) if text_len is None else text_len
    blob_len = len(blob) if blob_len is None else blob_len
    os.write(fd, struct.pack("<4siIQ", b"AEJ1", code, text_len, blob_len) + message + blob)
"""

#: In a jail answering the calls of a simulation the client runs: ``CALLS`` and the result pipe ``fd``.
CALLS_RESULT_FD = """
import os, struct, sys
frame = sys._getframe()
while frame is not None and not {"result_fd", "job"} <= set(frame.f_locals):
    frame = frame.f_back
CALLS = frame is not None and bool((frame.f_locals.get("job") or {}).get("calls"))
fd = frame.f_locals["result_fd"] if CALLS else None
"""

#: The end of the message of a result whose decisions the witness does not reproduce.
NOT_ITS_OWN = "the result is not this program's"

# First fit's decisions on the job's cases, computed in the jail (after FIND_RESULT_FD).
HONEST_DECISIONS = """
from aurora_evo.domains import get_problem
from aurora_evo.evaluation import compile_outcome
from aurora_evo.contracts import Contract
first_fit = compile_outcome("def priority(task, nodes):\\n    return -nodes[:, 0]\\n", Contract.ALLOCATION)
decisions = get_problem("allocation").run_program(first_fit, spec.cases)
"""

# The program's own decisions (lowest node index), with the first one that had a choice moved.
ONE_CHANGED_DECISION = (
    HONEST_DECISIONS.replace("-nodes[:, 0]", "-nodes[:, 0] * 0.0 - nodes[:, 0]")
    + """
from aurora_evo.sim.simulate import decision_states
for case, nodes_of in zip(spec.cases, decisions):
    placed = int((nodes_of >= 0).sum())
    states = decision_states(case, nodes_of, np.arange(placed))
    for j in range(placed):
        fits = np.flatnonzero(states.node_feat[j][:, N_FITS] > 0.5)
        if fits.size > 1:
            task = states.task[j]
            nodes_of[task] = fits[fits != nodes_of[task]][0]
            break
    else:
        continue
    break
else:
    raise RuntimeError("no decision had a choice")
forge(0, b"", np.concatenate([[0], *decisions]))
os._exit(0)
"""
)

# The witness's own result pipe (found as the evaluation jail's is found by FIND_RESULT_FD).
WITNESS_RESULT_FD = """
import os, struct, sys
frame = sys._getframe()
while "result_fd" not in frame.f_locals:
    frame = frame.f_back
fd = frame.f_locals["result_fd"]
"""

# True in a witness, whose host never held a scenario; false in the evaluation jail.
IN_WITNESS = "import gc\nIN_WITNESS = not any(type(o).__name__ == 'Scenario' for o in gc.get_objects())\n"


def in_jail_only(code: str) -> str:
    """``code`` run at module level in the evaluation jail, and not in the witness (whose module body
    then only defines ``priority``, as an honest one would)."""
    return IN_WITNESS + "if not IN_WITNESS:\n" + textwrap.indent(code, "    ")


BINPACKING_FIRST_FIT = """
from aurora_evo.domains import get_problem
first_fit = "def priority(item, bins):\\n    return -np.arange(len(bins)) * 1.0\\n"
decisions, _ = get_problem("binpacking").run(first_fit, spec.cases, jit=False, boundscheck=False)
"""

# Reads this process's anonymous memory (inherited from the supervisor) for secrets. /proc/self/maps is
# out of the jail's view, so the regions are the supervisor's, found by the test (@REGIONS@), and each
# page is copied through a pipe with write(2), which fails with EFAULT on a page that is not mapped here.
SCAN_OWN_MEMORY = """
import ctypes, os, re
libc = ctypes.CDLL(None, use_errno=True)
pattern = re.compile(rb"(?:AURORA_TEST_SECRET|OPENAI_API_KEY)=[^\\0]{1,80}")
reader, writer = os.pipe()
found, control, pages = [], 0, 0
for start, end in @REGIONS@:
    chunks = []
    for page in range(start, end, 4096):
        if libc.write(writer, ctypes.c_void_p(page), 4096) == 4096:
            chunks.append(os.read(reader, 4096))
            pages += 1
    chunk = b"".join(chunks)
    found += pattern.findall(chunk)
    control += chunk.count(b"PATH=")  # the scrubbed environment keeps PATH: the scan must see it
if not control:
    raise RuntimeError(f"the scan is blind ({pages} pages)")
raise ValueError(f"memory scan found {len(found)} {found[:2]}")
"""

# 64 MiB of System V shared memory, touched then detached, a message queue and a semaphore set: kernel
# objects that stay when their creator exits.
SYSV_IPC = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
key = int("@MARKER@"[-8:], 16) & 0x7FFFFFFF
made = []
shm = libc.shmget(key, 64 << 20, 0o1000 | 0o600)
if shm >= 0:
    address = libc.shmat(shm, None, 0)
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(address, 1, 64 << 20)
        libc.shmdt(ctypes.c_void_p(address))
    made.append(f"shm {shm}")
for name, ident in (("msg", libc.msgget(key, 0o1000 | 0o600)), ("sem", libc.semget(key, 1, 0o1000 | 0o600))):
    if ident >= 0:
        made.append(f"{name} {ident}")
raise ValueError(f"made {made}")
"""


OPENAT2 = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
class OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]
def openat2(path, flags, mode=0):
    how = OpenHow(flags, mode, 0)
    return libc.syscall(437, -100, path.encode(), ctypes.byref(how), ctypes.sizeof(how))
fds = [
    openat2("@WORLD@", os.O_WRONLY | os.O_TRUNC),
    openat2("@TMP_FILE@", os.O_WRONLY | os.O_TRUNC),
    openat2("@OPEN_DIR@/created-@MARKER@", os.O_WRONLY | os.O_CREAT, 0o666),
    openat2("/tmp/created-@MARKER@", os.O_WRONLY | os.O_CREAT, 0o666),
]
if max(fds) < 0:
    raise PermissionError(f"openat2 refused (errno {ctypes.get_errno()})")
raise ValueError(f"openat2 opened for writing: {fds}")
"""

# /proc is out of the jail's view: the test hands over the pids.
ANCESTORS = """
import os
supervisor = @SUPERVISOR_PID@
test_process = @TEST_PID@
"""

# /proc is out of the jail's view, so the attack cannot list its siblings: it tries every pid near its
# own (the waiting jail was forked just before or after it; the containment checks make sure it waits).
SIBLING_ATTACK = """
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
me = os.getpid()
targets = [pid for pid in range(max(2, me - 64), me + 64) if pid != me]

def ptrace_attach(pid):
    if libc.ptrace(16, pid, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "refused")

def ioprio_set(pid):  # IOPRIO_WHO_PROCESS, the idle class
    if os.uname().machine != "x86_64" or libc.syscall(251, 1, pid, 3 << 13) != 0:
        raise OSError(ctypes.get_errno(), "refused")

succeeded = []
for pid in targets:
    attempts = {
        "setpriority": lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),
        "sched_setaffinity": lambda: os.sched_setaffinity(pid, {0}),
        "sched_setscheduler": lambda: os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0)),
        "ioprio_set": lambda: ioprio_set(pid),
        "ptrace": lambda: ptrace_attach(pid),
        "sigstop": lambda: os.kill(pid, signal.SIGSTOP),
        "mem": lambda: open(f"/proc/{pid}/mem", "r+b"),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
            succeeded.append((name, pid))
        except OSError:
            pass
raise ValueError(f"{len(targets)} pids: " + (f"succeeded {succeeded[:5]}" if succeeded else "refused all"))
"""

EVIL_SUBCLASS = """
import os
class Evil(np.ndarray):
    def __array_finalize__(self, obj):
        try:
            open("@WORLD@", "w").write("pwned by __array_finalize__")
        except OSError:
            pass
    def __reduce__(self):
        return (os.system, ("touch @OPEN_DIR@/reduced-@MARKER@",))
    def __del__(self):
        try:
            os.remove("@KNOWN@")
        except OSError:
            pass
"""

# ~3,800 statements: under the screen's node and line limits, seconds for numba to compile.
GETUID_HEX = b"__import__('os').getuid()".hex()

# Routes numba compiles without index or read-only checks (with boundscheck=True, numba 0.68): a read
# or write past the end, a write into the read-only inputs, or a segfault. The screen refuses them.
UNCHECKED_ROUTES = [
    ("flat_read", "return nodes[:, 0] * 0.0 + nodes.flat[10**7]", "attribute 'flat'"),
    ("flat_write", "a = np.zeros(3)\na.flat[10**7] = 1.0\nreturn nodes[:, 0] * a[0]", "attribute 'flat'"),
    ("flat_write_into_task", "task.flat[1] = 0.0\nreturn nodes[:, 0]", "attribute 'flat'"),
    (
        "take_along_axis",
        "i = np.full((nodes.shape[0], 1), 10**6)\nreturn np.take_along_axis(nodes, i, 1)[:, 0]",
        "attribute 'take_along_axis'",
    ),
    (
        "bincount_negative",
        "return nodes[:, 0] * 0.0 + np.bincount(np.array([-5]))[0]",
        "attribute 'bincount'",
    ),
    (
        "nditer_write_into_task",
        "for x in np.nditer(task):\n    x[...] = 0.0\nreturn nodes[:, 0]",
        "attribute 'nditer'",
    ),
    (
        "fill_diagonal_of_nodes",
        "np.fill_diagonal(nodes, 1.0)\nreturn nodes[:, 0]",
        "attribute 'fill_diagonal'",
    ),
    (
        "ascontiguousarray_alias",
        "t = np.ascontiguousarray(task)\nt[1] = 0.0\nreturn nodes[:, 0]",
        "attribute 'ascontiguousarray'",
    ),
    (
        "asfortranarray_alias",
        "t = np.asfortranarray(nodes)\nt[0, 0] = 0.0\nreturn nodes[:, 0]",
        "attribute 'asfortranarray'",
    ),
]

# Index routes that pass the screen: compiled with index checks, each raises instead of going astray.
CHECKED_ROUTES = [
    ("index_read", "return nodes[:, 0] * 0.0 + task[10**6]", "IndexError"),
    ("negative_index_read", "return nodes[:, 0] * 0.0 + task[-10**6]", "IndexError"),
    ("row_read", "return nodes[10**6][: nodes.shape[0]]", "IndexError"),
    ("tuple_index_read", "return nodes[:, 0] * 0.0 + nodes[0, 10**6]", "IndexError"),
    ("index_write", "a = np.zeros(3)\na[10**6] = 1.0\nreturn nodes[:, 0] * a[0]", "IndexError"),
    ("fancy_read", "return nodes[:, 0] * 0.0 + task[np.array([10**6])][0]", "IndexError"),
    ("fancy_write", "a = np.zeros(3)\na[np.array([10**6])] = 1.0\nreturn nodes[:, 0] * a[0]", "IndexError"),
    (
        "two_fancy_indices",
        "return nodes[:, 0] * 0.0 + nodes[np.array([0]), np.array([10**6])][0]",
        "IndexError",
    ),
    (
        "long_boolean_mask",
        "m = np.ones(10**5, dtype=np.bool_)\nreturn nodes[:, 0] * 0.0 + task[m].sum()",
        "IndexError",
    ),
    ("take", "return nodes[:, 0] * 0.0 + np.take(task, 10**6)", "IndexError"),
    ("take_array", "return nodes[:, 0] * 0.0 + np.take(task, np.array([10**6]))[0]", "IndexError"),
    ("searchsorted_result", "return nodes[:, 0] * 0.0 + task[np.searchsorted(task, 1e300)]", "IndexError"),
    (
        "digitize_result",
        "return nodes[:, 0] * 0.0 + task[np.digitize(np.array([1e300]), np.sort(task))[0]]",
        "IndexError",
    ),
    ("nonzero_result", "return nodes[:, 0] * 0.0 + task[np.nonzero(task > 1e300)[0][0]]", "IndexError"),
    ("delete", "return nodes[:, 0] * 0.0 + np.delete(task, 10**6)[0]", "IndexError"),
    ("insert", "return nodes[:, 0] * 0.0 + np.insert(task, 10**6, 1.0)[0]", "IndexError"),
    ("partition", "return nodes[:, 0] * 0.0 + np.partition(task, 10**6)[0]", "kth out of bounds"),
    ("argpartition", "return nodes[:, 0] * 0.0 + np.argpartition(task, -10**6)[0]", "kth out of bounds"),
    ("list_index", "values = [1.0, 2.0]\nreturn nodes[:, 0] * 0.0 + values[10**6]", "IndexError"),
    (
        "tuple_index",
        "values = (1.0, 2.0)\nreturn nodes[:, 0] * 0.0 + values[int(task[0]) + 10**6]",
        "IndexError",
    ),
    ("reshape_larger", "return nodes[:, 0] * 0.0 + task.reshape(10**4)[9999]", "total size of new array"),
]

# A numba signature string that runs Python when numba evaluates it: the message would say PWNED.
NUMBA_PAYLOAD = "__import__('builtins').exec('raise ValueError(\"PWNED by numba eval\")') or float64(float64)"

COMPILE_BOMB = program(
    priority="x = task[1]\n"
    + "\n".join("; ".join(["x += 1.0001"] * 4) for _ in range(950))
    + "\nreturn nodes[:, 0] * 0.0 + x"
)

CASES: list[Case] = [
    # --- loops ----------------------------------------------------------------------------------------
    Case("python_loop_in_priority", "loops",
         program(priority="x = 0.0\nwhile x >= 0.0:\n    x += 1.0\nreturn nodes[:, 0] * x"),
         TIMEOUT, "no result within", timeout_s=SHORT),
    Case("python_loop_at_top_level", "loops", program("n = 0\nwhile True:\n    n += 1"),
         TIMEOUT, "no result within", timeout_s=SHORT),
    Case("huge_integer_power", "loops", program("X = 7 ** 7 ** 9"), TIMEOUT, timeout_s=SHORT),
    *both("regex_backtracking", "loops", program('import re\nre.match(r"(a+)+$", "a" * 64 + "!")'),
          TIMEOUT, screen_fragment="import of 're'", timeout_s=SHORT, needs=()),
    Case("slow_numpy_c_call", "loops",
         program("A = np.arange(2500.0 * 2500.0).reshape(2500, 2500) % 7.0\nE = np.linalg.eigvals(A)"),
         TIMEOUT, timeout_s=SHORT),
    # --- sleeping -------------------------------------------------------------------------------------
    *both("sleep", "sleeping", program("import time\ntime.sleep(60)"), TIMEOUT,
          screen_fragment="import of 'time'", timeout_s=SHORT, needs=()),
    jail("sleep_in_priority", "sleeping",
         program(header="import time", priority="time.sleep(60)\nreturn nodes[:, 0]"),
         TIMEOUT, timeout_s=SHORT, needs=()),
    # --- recursion ------------------------------------------------------------------------------------
    Case("plain_recursion", "recursion",
         program("def f(n):\n    return f(n + 1) + 1.0", "return nodes[:, 0] * f(0)"),
         RUNTIME, "RecursionError"),
    *both("recursion_limit_raised_to_c_stack_crash", "recursion",
          program("import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return list(map(f, [n + 1]))\nf(0)"),
          CRASHED, "SIGSEGV", screen_fragment="import of 'sys'", needs=()),
    # --- memory bombs ---------------------------------------------------------------------------------
    Case("one_huge_allocation_in_priority", "memory",
         program(priority="x = np.ones(2**27)\nreturn x[: nodes.shape[0]]"), MEMORY, "ran out of memory"),
    Case("gradual_growth_in_priority", "memory",
         program(priority="chunks = []\nwhile True:\n    chunks.append(np.ones(1 << 17))\nreturn nodes[:, 0]"),
         MEMORY, "ran out of memory"),
    Case("one_huge_allocation_at_top_level", "memory", program("X = np.ones(2**27)"), MEMORY),
    Case("gradual_growth_at_top_level", "memory",
         program("CHUNKS = []\nwhile True:\n    CHUNKS.append(bytearray(1 << 20))"), MEMORY),
    # --- fork and thread bombs, lingering threads -----------------------------------------------------
    *both("fork_bomb", "fork/threads", program("import os\nwhile True:\n    os.fork()"),
          REFUSED, "PermissionError", screen_fragment="import of 'os'"),
    *both("thread_bomb", "fork/threads",
          program("import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,)).start()"),
          RUNTIME, "can't start new thread", screen_fragment="import of 'threading'"),
    jail("lingering_thread", "fork/threads",
         program("import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=False).start()"),
         RUNTIME, "can't start new thread"),
    jail("libc_fork_via_ctypes", "fork/threads",
         program("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\npid = libc.fork()\n"
                 'raise ValueError(f"fork returned {pid}, errno {ctypes.get_errno()}")'),
         RUNTIME, "fork returned -1, errno 1"),
    # --- shell and subprocesses -----------------------------------------------------------------------
    *both("os_system", "shell/subprocess",
          program('import os\nstatus = os.system("touch @OPEN_DIR@/pwned; sleep 60 # @MARKER@")\n'
                  'raise ValueError(f"os.system returned {status}")'),
          RUNTIME, "os.system returned 32512", screen_fragment="import of 'os'"),
    *both("subprocess_popen", "shell/subprocess",
          program('import subprocess\nsubprocess.Popen(["/bin/sh", "-c", "sleep 60 # @MARKER@"])'),
          REFUSED, "PermissionError", screen_fragment="import of 'subprocess'"),
    jail("posix_spawn", "shell/subprocess",
         program('import os\nos.posix_spawn("/bin/sh", ["/bin/sh", "-c", "sleep 60 # @MARKER@"], {})'),
         REFUSED, "PermissionError"),
    jail("execv", "shell/subprocess",
         program('import os\nos.execv("/bin/sh", ["/bin/sh", "-c", "sleep 60 # @MARKER@"])'),
         REFUSED, "PermissionError"),
    # --- sockets --------------------------------------------------------------------------------------
    *both("tcp_connect_to_test_listener", "sockets",
          program('import socket\ns = socket.socket()\ns.connect(("127.0.0.1", @TCP_PORT@))\ns.sendall(b"@MARKER@")'),
          REFUSED, "PermissionError", screen_fragment="import of 'socket'"),
    jail("udp_datagram_to_test_listener", "sockets",
         program('import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto('
                 'b"@MARKER@", ("127.0.0.1", @UDP_PORT@))'),
         REFUSED, "PermissionError"),
    # --- files ----------------------------------------------------------------------------------------
    *both("write_world_writable_file", "files", program('open("@WORLD@", "w").write("pwned")'),
          REFUSED, "PermissionError", screen_fragment="name 'open'"),
    jail("append_to_file_in_tmp", "files", program('open("@TMP_FILE@", "a").write("pwned")'),
         REFUSED, "PermissionError"),
    jail("create_file_in_world_writable_dir", "files", program('open("@OPEN_DIR@/new-@MARKER@", "x")'),
         REFUSED, "PermissionError"),
    jail("create_file_in_tmp", "files", program('open("/tmp/new-@MARKER@", "w")'), REFUSED, "PermissionError"),
    jail("truncate_file", "files", program('import os\nos.truncate("@WORLD@", 0)'), REFUSED, "PermissionError"),
    jail("delete_file", "files", program('import os\nos.remove("@KNOWN@")'), REFUSED, "PermissionError"),
    jail("delete_tree", "files", program('import shutil\nshutil.rmtree("@ROOT@")'), REFUSED, "PermissionError"),
    jail("rename_file", "files", program('import os\nos.rename("@INNER@", "@ROOT@/moved")'),
         REFUSED, "PermissionError"),
    jail("chmod_file", "files", program('import os\nos.chmod("@WORLD@", 0o777)'), REFUSED, "PermissionError"),
    jail("hard_link_secret", "files", program('import os\nos.link("@SECRET_FILE@", "@OPEN_DIR@/link")'),
         REFUSED, "PermissionError"),
    jail("make_directory", "files", program('import os\nos.mkdir("@OPEN_DIR@/dir-@MARKER@")'),
         REFUSED, "PermissionError"),
    jail("openat2_bypasses_open_rules", "files", program(OPENAT2), REFUSED, "openat2 refused"),
    jail("touch_timestamps", "files", program('import os\nos.utime("@WORLD@")\nraise ValueError("utime done")'),
         REFUSED, "PermissionError"),
    jail("set_extended_attribute", "files",
         program('import os\nos.setxattr("@WORLD@", "user.pwned", b"1")\nraise ValueError("setxattr done")'),
         REFUSED, "PermissionError"),
    *both("read_secret_file", "files/secrets", program('raise ValueError(open("@SECRET_FILE@").read())'),
          REFUSED, "PermissionError", screen_fragment="name 'open'"),
    jail("sysv_ipc_outlives_the_jail", "files", program(SYSV_IPC), RUNTIME),
    jail("posix_message_queue_outlives_the_jail", "files",
         program("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                 "q = libc.mq_open(b'/@MARKER@', os.O_CREAT | os.O_RDWR, 0o666, None)\n"
                 "raise ValueError(f'mq_open returned {q}')"),
         RUNTIME),
    # --- secrets --------------------------------------------------------------------------------------
    *both("secrets_in_environment", "secrets",
          program('import os\nraise ValueError("env: " + repr({k: v for k, v in os.environ.items() '
                  'if "SECRET" in k or "KEY" in k}))'),
          RUNTIME, "env: {}", screen_fragment="import of 'os'"),
    jail("environ_of_supervisor_and_test_process", "secrets",
         program(ANCESTORS + """
found = []
for pid in (supervisor, test_process):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            found.append(f.read().replace(b"\\0", b" ").decode())
    except OSError as e:
        found.append(type(e).__name__)
raise ValueError(" | ".join(found))
"""),
         RUNTIME, "PermissionError | PermissionError"),
    jail("memory_of_supervisor_and_test_process", "secrets",
         program(ANCESTORS + """
found = []
for pid in (supervisor, test_process):
    try:
        with open(f"/proc/{pid}/maps") as maps:
            start = int(maps.readline().split("-")[0], 16)
        with open(f"/proc/{pid}/mem", "rb") as mem:
            mem.seek(start)
            found.append(repr(mem.read(64)))
    except OSError as e:
        found.append(type(e).__name__)
raise ValueError(" | ".join(found))
"""),
         RUNTIME, "PermissionError | PermissionError"),
    jail("ptrace_test_process", "secrets",
         program(ANCESTORS + "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                 "r = libc.ptrace(16, test_process, 0, 0)\n"
                 'raise ValueError(f"ptrace returned {r}, errno {ctypes.get_errno()}")'),
         RUNTIME, "ptrace returned -1, errno 1"),
    jail("secrets_in_own_memory", "secrets", program(SCAN_OWN_MEMORY), RUNTIME, "memory scan found 0 []"),
    # --- killing the supervisor and the test process --------------------------------------------------
    *both("kill_supervisor", "kill parent",
          program("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"),
          REFUSED, "PermissionError", screen_fragment="import of 'os'"),
    jail("kill_test_process", "kill parent", program(ANCESTORS + "import signal\nos.kill(test_process, signal.SIGKILL)"),
         REFUSED, "PermissionError"),
    jail("killpg_of_supervisor", "kill parent",
         program("import os, signal\nos.killpg(os.getpgid(os.getppid()), signal.SIGKILL)"),
         REFUSED, "PermissionError"),
    jail("kill_every_process", "kill parent", program("import os, signal\nos.kill(-1, signal.SIGKILL)"),
         REFUSED, "PermissionError"),
    jail("pidfd_signal_supervisor", "kill parent",
         program("import os, signal\nsignal.pidfd_send_signal(os.pidfd_open(os.getppid()), signal.SIGKILL)"),
         REFUSED, "PermissionError"),
    # With prefork, the next program's jail waits, confined and under the same uid, while this one runs.
    jail("tamper_with_waiting_jail", "other jails", program(SIBLING_ATTACK), RUNTIME, "pids: refused all"),
    # --- rlimits --------------------------------------------------------------------------------------
    *both("raise_memory_rlimit", "rlimits",
          program("import resource\nresource.setrlimit(resource.RLIMIT_AS, "
                  "(resource.RLIM_INFINITY, resource.RLIM_INFINITY))"),
          RUNTIME, "not allowed to raise", screen_fragment="import of 'resource'"),
    jail("raise_rlimit_then_allocate", "rlimits",
         program("import resource\ntry:\n    resource.setrlimit(resource.RLIMIT_AS, "
                 "(resource.RLIM_INFINITY, resource.RLIM_INFINITY))\nexcept (ValueError, OSError):\n    pass",
                 f"{PYTHON_ONLY}\nx = np.ones(2**27)\nreturn x[: nodes.shape[0]]"),
         MEMORY, "ran out of memory"),
    jail("lower_supervisor_cpu_rlimit", "rlimits",
         program("import os, resource\nresource.prlimit(os.getppid(), resource.RLIMIT_CPU, (1, 1))"),
         REFUSED, "PermissionError"),
    # --- escaping the process group -------------------------------------------------------------------
    jail("setsid", "process group", program("import os\nos.setsid()"), REFUSED, "PermissionError"),
    jail("join_supervisor_group_then_sleep", "process group",
         program("import os, time\ntry:\n    os.setpgid(0, os.getpgid(os.getppid()))\nexcept OSError:\n"
                 "    pass\ntime.sleep(60)"),
         TIMEOUT, timeout_s=SHORT),
    # --- ignoring signals, swallowing timeouts --------------------------------------------------------
    jail("ignore_signals", "signals",
         program("import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, "
                 "signal.SIGALRM, signal.SIGUSR1):\n    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass"),
         TIMEOUT, timeout_s=SHORT, needs=()),
    jail("swallow_every_exception", "signals",
         program("import signal\nsignal.signal(signal.SIGALRM, lambda *a: 1 / 0)\nwhile True:\n    try:\n"
                 "        while True:\n            pass\n    except BaseException:\n        pass"),
         TIMEOUT, timeout_s=SHORT, needs=()),
    Case("swallow_in_priority", "signals",
         program(priority="while True:\n    try:\n        x = 1 // 0\n    except Exception:\n        pass\n"
                 "return nodes[:, 0]"),
         TIMEOUT, timeout_s=SHORT),
    # --- exits ----------------------------------------------------------------------------------------
    *both("sys_exit", "exits", program("import sys\nsys.exit(0)"), RUNTIME, "SystemExit",
          screen_fragment="import of 'sys'", needs=()),
    Case("raise_system_exit[screen]", "exits", program("raise SystemExit(0)"), FORBIDDEN, "name 'SystemExit'"),
    Case("exit_builtin[screen]", "exits", program(priority="exit(0)"), FORBIDDEN, "name 'exit'"),
    jail("raise_keyboard_interrupt", "exits", program("raise KeyboardInterrupt"), RUNTIME, "KeyboardInterrupt",
         needs=()),
    *both("os_exit", "exits", program("import os\nos._exit(0)"), NO_RESULT, "without a valid result",
          screen_fragment="import of 'os'", needs=()),
    jail("os_exit_in_priority", "exits", program(header="import os", priority="os._exit(3)"),
         NO_RESULT, "without a valid result", needs=()),
    # --- atexit and __del__ traps ---------------------------------------------------------------------
    jail("atexit_trap", "traps",
         program('import atexit, os\natexit.register(lambda: open("@WORLD@", "w").write("pwned"))\n'
                 'atexit.register(os.system, "touch @OPEN_DIR@/atexit-@MARKER@")'),
         OK, same_score_as="round_robin"),
    jail("del_trap", "traps",
         program("import os\nclass Trap:\n    def __del__(self):\n        os.remove('@KNOWN@')\n"
                 "TRAPS = [Trap() for _ in range(3)]",
                 f"{PYTHON_ONLY}\nTrap()\nreturn -nodes[:, N_PLACED]"),
         OK, same_score_as="round_robin"),
    Case("del_trap[screen]", "traps", program("class Trap:\n    def __del__(self):\n        pass"),
         FORBIDDEN, "class definition"),
    # --- flooding stdout, reading stdin ---------------------------------------------------------------
    Case("print_flood", "stdout/stdin",
         program(priority='for i in range(2000):\n    print("flood flood flood flood flood flood flood")\n'
                 "return -nodes[:, N_PLACED]"),
         OK, same_score_as="round_robin"),
    jail("raw_fd_flood", "stdout/stdin",
         program("import os\nfor fd in (1, 2):\n    for _ in range(50):\n        os.write(fd, b'x' * 1_000_000)"),
         OK, same_score_as="round_robin", needs=()),
    *both("input", "stdout/stdin", program("input()"), RUNTIME, "EOFError", screen_fragment="name 'input'",
          needs=()),
    jail("read_stdin", "stdout/stdin",
         program('import sys\nraise ValueError(f"stdin gave {len(sys.stdin.read())} characters")'),
         RUNTIME, "stdin gave 0 characters", needs=()),
    # --- forging the result channel -------------------------------------------------------------------
    jail("forge_invalid_placement", "forging",
         program(in_jail_only(FIND_RESULT_FD + "forge(0, b'', [0] + [99] * (n_values - 1))\nos._exit(0)")),
         INVALID, "failed verification", needs=(), path="jail"),
    jail("forge_compiled_flag", "forging",
         program(in_jail_only(FIND_RESULT_FD + HONEST_DECISIONS + "forge(0, b'', np.concatenate([[1], *decisions]))\nos._exit(0)")),
         INVALID, "compiled flag 1", needs=(), path="jail"),
    jail("forge_wrong_count", "forging", program(in_jail_only(FIND_RESULT_FD + "forge(0, b'', [1, 0])\nos._exit(0)")),
         INVALID, "the jail returned 2 values", needs=(), path="jail"),
    # Another program's decisions in a well-formed frame, while priority() itself returns NaN: the
    # witness, asked about the reported decisions, gets NaN.
    jail("forge_first_fit_placement", "forging",
         program(in_jail_only(FIND_RESULT_FD + HONEST_DECISIONS + "forge(0, b'', np.concatenate([[0], *decisions]))\nos._exit(0)"),
                 f"{PYTHON_ONLY}\nreturn nodes[:, 0] * np.nan"),
         INVALID, NOT_ITS_OWN, needs=(), path="jail"),
    # The same with priority() a working program (round robin) whose choices differ from first fit's.
    jail("forge_another_programs_decisions", "forging",
         program(in_jail_only(FIND_RESULT_FD + HONEST_DECISIONS + "forge(0, b'', np.concatenate([[0], *decisions]))\nos._exit(0)"),
                 "return -nodes[:, N_PLACED]"),
         INVALID, NOT_ITS_OWN, needs=(), path="jail"),
    # One decision of the program's own placement changed to another node the task fits on: every
    # decision of these small cases is re-derived (witness_samples >= decisions), so it is found.
    jail("forge_one_changed_decision", "forging",
         program(in_jail_only(FIND_RESULT_FD + ONE_CHANGED_DECISION), "return -nodes[:, N_INDEX]"),
         INVALID, NOT_ITS_OWN, cases="tight", needs=(), path="jail"),
    # A program that uses the cases it finds in memory (the future tasks) chooses otherwise in the
    # witness, whose host never held one.
    jail("plan_with_the_cases_in_memory", "forging",
         program("import gc\nFOUND = any(type(o).__name__ == 'Scenario' for o in gc.get_objects())",
                 f"{PYTHON_ONLY}\nreturn nodes[:, N_INDEX] * (1.0 if FOUND else -1.0)"),
         INVALID, NOT_ITS_OWN, needs=(), path="jail"),
    jail("forge_terminal_escapes", "forging",
         program(in_jail_only(FIND_RESULT_FD + "forge(7, b'line one\\nline two \\x1b[31mred\\x1b[0m \\x00 end')\nos._exit(0)")),
         RUNTIME, "line one line two", needs=(), path="jail"),
    jail("forge_flood", "forging",
         program(in_jail_only(FIND_RESULT_FD + "forge(0, b'', [], blob_len=1 << 30)\nwhile True:\n    os.write(fd, b'\\0' * 65536)")),
         NO_RESULT, "more than", needs=(), path="jail"),
    jail("forge_too_many_values", "forging",
         program(in_jail_only(FIND_RESULT_FD + "forge(0, b'', [0] * (n_values + 1))\nimport time\ntime.sleep(60)")),
         NO_RESULT, needs=(), path="jail"),
    jail("forge_garbage", "forging",
         program(in_jail_only(FIND_RESULT_FD + "os.write(fd, b'GARBAGE!' * 8)\nimport time\ntime.sleep(60)")),
         NO_RESULT, needs=(), path="jail"),
    jail("forge_unknown_outcome_code", "forging",
         program(in_jail_only(FIND_RESULT_FD + "forge(99, b'made up')\nimport time\ntime.sleep(60)")), NO_RESULT, needs=(), path="jail"),
    jail("close_result_channel_then_sleep", "forging",
         program(in_jail_only(FIND_RESULT_FD + "os.close(fd)\nimport time\ntime.sleep(60)")), NO_RESULT, needs=(), path="jail"),
    Case("huge_exception_message", "forging", program('raise ValueError("x" * 10**7)'), RUNTIME, "ValueError"),
    Case("exception_with_terminal_escapes", "forging",
         program('raise ValueError("one\\x1b[2J\\x1b]0;title\\x07\\r two\\nthree")'), RUNTIME, "ValueError: one"),
    # --- native crashes -------------------------------------------------------------------------------
    *both("ctypes_null_read", "native crashes", program("import ctypes\nctypes.string_at(0)"),
          CRASHED, "SIGSEGV", screen_fragment="import of 'ctypes'", needs=()),
    *both("faulthandler_read_null", "native crashes", program("import faulthandler\nfaulthandler._read_null()"),
          CRASHED, "SIGSEGV", screen_fragment="import of 'faulthandler'", needs=()),
    # raise(SIGSEGV) is a tgkill, which seccomp refuses: the signal never comes and the program goes on.
    jail("faulthandler_sigsegv", "native crashes", program("import faulthandler\nfaulthandler._sigsegv()"),
         OK, same_score_as="round_robin", needs=("seccomp",)),
    jail("os_abort", "native crashes", program("import os\nos.abort()"), CRASHED, "died of", needs=()),
    # --- introspection escapes ------------------------------------------------------------------------
    *both("subclasses_walk_to_os_system", "introspection",
          program("""
for cls in ().__class__.__base__.__subclasses__():
    if cls.__name__ == "_wrap_close":
        system = cls.__init__.__globals__["system"]
        raise ValueError(f"system returned {system('touch @OPEN_DIR@/pwned # @MARKER@')}")
raise ValueError("no _wrap_close")
"""),
          RUNTIME, "system returned 32512", screen_fragment="attribute '__class__'"),
    *both("globals_walk_to_open", "introspection",
          program('def f():\n    pass\nf.__globals__["__builtins__"]["open"]("@WORLD@", "w")'),
          REFUSED, "PermissionError", screen_fragment="attribute '__globals__'"),
    *both("traceback_frame_walk", "introspection",
          program("""
try:
    1 / 0
except ZeroDivisionError as e:
    frame = e.__traceback__.tb_frame
    while frame.f_back is not None:
        frame = frame.f_back
    raise ValueError(f"outermost frame: {sorted(frame.f_globals)}")
"""),
          RUNTIME, "outermost frame", screen_fragment="attribute '__traceback__'", needs=()),
    Case("generator_frame_walk[screen]", "introspection",
         program(priority='g = (x for x in nodes)\nb = g.gi_frame.f_globals["__builtins__"]\nreturn nodes[:, 0]'),
         FORBIDDEN, "attribute 'gi_frame'"),
    # --- names built from strings ---------------------------------------------------------------------
    *both("getattr_from_string", "names from strings",
          program('getattr(np, "sa" + "ve")("@OPEN_DIR@/x.npy", np.zeros(3))'),
          REFUSED, "PermissionError", screen_fragment="name 'getattr'"),
    Case("module_dict_lookup[screen]", "names from strings",
         program('loader = np.__dict__["lo" + "ad"]'), FORBIDDEN, "attribute '__dict__'"),
    Case("builtins_lookup[screen]", "names from strings",
         program('ev = __builtins__["ev" + "al"]'), FORBIDDEN, "name '__builtins__'"),
    Case("vars_lookup[screen]", "names from strings", program('saver = vars(np)["sa" + "ve"]'),
         FORBIDDEN, "name 'vars'"),
    Case("dunder_import[screen]", "names from strings", program('os = __import__("o" + "s")'),
         FORBIDDEN, "name '__import__'"),
    # --- encoded eval ---------------------------------------------------------------------------------
    *both("hex_encoded_eval", "encoded eval",
          program(f'raise ValueError(f"uid {{eval(bytes.fromhex(\'{GETUID_HEX}\').decode())}}")'),
          RUNTIME, "uid 6553", screen_fragment="name 'eval'"),
    Case("base64_exec[screen]", "encoded eval",
         program('import base64\nexec(base64.b64decode("aW1wb3J0IG9z"))'), FORBIDDEN, "import of 'base64'"),
    Case("numba_string_signature[screen]", "encoded eval",
         program("@njit('float64(float64)')\ndef f(x):\n    return x"), FORBIDDEN, "string signature"),
    # --- Unicode look-alikes --------------------------------------------------------------------------
    *both("fullwidth_eval", "unicode",
          program("uid = \uff45\uff56\uff41\uff4c('__import__(\"os\").getuid()')\nraise ValueError(f'uid {uid}')"),
          RUNTIME, "uid 6553", screen_fragment="non-ASCII"),
    *both("cyrillic_open", "unicode", program('\u043epen("@WORLD@", "w")'), RUNTIME, "NameError",
          screen_fragment="non-ASCII", needs=()),
    # --- format-string attribute walks ----------------------------------------------------------------
    *both("format_walk_to_globals", "format strings",
          program('def f():\n    pass\nraise ValueError("{0.__globals__[np]}".format(f))'),
          RUNTIME, "module 'numpy'", screen_fragment="attribute 'format'", needs=()),
    Case("format_map_walk[screen]", "format strings",
         program(priority='s = "{x.__class__.__mro__}".format_map({"x": nodes})\nreturn nodes[:, 0]'),
         FORBIDDEN, "attribute 'format_map'"),
    Case("fstring_walk[screen]", "format strings",
         program(priority='s = f"{nodes.__class__.__mro__}"\nreturn nodes[:, 0]'), FORBIDDEN, "__class__"),
    # --- numpy file I/O and raw pointers --------------------------------------------------------------
    *both("numpy_save", "numpy I/O", program('np.save("@OPEN_DIR@/pwned.npy", np.zeros(3))'),
          REFUSED, "PermissionError", screen_fragment="attribute 'save'"),
    *both("numpy_fromfile_secret", "numpy I/O",
          program('raise ValueError(np.fromfile("@SECRET_FILE@", dtype=np.uint8).tobytes())'),
          REFUSED, "PermissionError", screen_fragment="attribute 'fromfile'"),
    jail("numpy_savetxt", "numpy I/O", program('np.savetxt("@WORLD@", np.zeros(3))'), REFUSED, "PermissionError"),
    jail("numpy_tofile", "numpy I/O", program('np.zeros(3).tofile("@TMP_FILE@")'), REFUSED, "PermissionError"),
    *both("numpy_as_strided_read", "numpy pointers",
          program("from numpy.lib.stride_tricks import as_strided\n"
                  "x = as_strided(np.zeros(1), shape=(2,), strides=(1 << 40,))[1]"),
          CRASHED, "SIGSEGV", screen_fragment="numpy.lib", needs=()),
    *both("numpy_ctypes_pointer", "numpy pointers",
          program("import ctypes\nx = np.ctypeslib.as_array(ctypes.cast(16, ctypes.POINTER(ctypes.c_double)), "
                  "shape=(4,)).sum()"),
          CRASHED, "SIGSEGV", screen_fragment="import of 'ctypes'", needs=()),
    # --- monkeypatching numpy or builtins -------------------------------------------------------------
    # The jail's check of the scores is patched away, but the witness's answers are checked outside.
    *both("patch_isfinite_to_pass_nan", "monkeypatching",
          program("np.isfinite = lambda a: np.ones(np.shape(a), dtype=bool)",
                  f"{PYTHON_ONLY}\nreturn nodes[:, 0] * np.nan"),
          INVALID, "NaN", screen_fragment="assigning to attribute 'np.isfinite'", needs=()),
    *both("patch_argmax_to_overcommit", "monkeypatching",
          program("np.argmax = lambda a, *args, **kwargs: 0", f"{PYTHON_ONLY}\nreturn -nodes[:, 0]"),
          INVALID, "failed verification", screen_fragment="assigning to attribute 'np.argmax'",
          cases="tight", needs=(), path="jail"),
    jail("patch_builtins_int", "monkeypatching",
         program("import builtins\nbuiltins.int = lambda *a, **k: 0", f"{PYTHON_ONLY}\nreturn -nodes[:, 0]"),
         INVALID, "failed verification", cases="tight", needs=(), path="jail"),
    # --- mutating inputs ------------------------------------------------------------------------------
    Case("write_to_nodes", "mutating inputs",
         program(priority="nodes[:, N_FITS] = 1.0\nreturn -nodes[:, N_INDEX]"), RUNTIME, "read-only",
         cases="tight"),
    Case("write_to_task", "mutating inputs", program(priority="task[T_CPU] = 0.0\nreturn nodes[:, 0]"),
         RUNTIME, "read-only"),
    *both("setflags_then_write_nodes", "mutating inputs",
          program(priority="nodes.setflags(write=True)\nnodes[:, N_FITS] = 1.0\nreturn -nodes[:, N_INDEX]"),
          OK, screen_fragment="attribute 'setflags'", cases="tight", same_score_as="first_fit", needs=()),
    # A write to the simulator's own arrays: the witness, shown a copy, cannot repeat it.
    *both("write_through_base_of_view", "mutating inputs",
          program(priority="nodes.base[:, N_FITS] = 1.0\nreturn -nodes[:, N_INDEX]"),
          RUNTIME, "asked again about decision", screen_fragment="attribute 'base'", cases="tight", needs=()),
    Case("binpacking_write_to_bins", "mutating inputs", packer(priority="bins[:] = 1e9\nreturn -bins"),
         OK, problem="binpacking"),
    # --- bad return values ----------------------------------------------------------------------------
    Case("return_nan", "bad returns", program(priority="return nodes[:, 0] * np.nan"), INVALID, "NaN"),
    Case("return_inf", "bad returns", program(priority="return nodes[:, 0] + np.inf"), INVALID, "infinite"),
    Case("return_wrong_length", "bad returns", program(priority="return np.zeros(nodes.shape[0] + 1)"),
         INVALID, "wrong shape"),
    Case("return_2d", "bad returns", program(priority="return nodes[:, :2] * 1.0"), INVALID, "wrong shape"),
    Case("return_empty", "bad returns", program(priority="return np.zeros(0)"), INVALID, "wrong shape"),
    Case("return_huge", "bad returns", program(priority="return np.zeros(10**7)"), INVALID, "wrong shape"),
    Case("return_strings", "bad returns", program(priority="return np.array(['a'] * nodes.shape[0])"),
         INVALID, "real numbers"),
    Case("return_complex", "bad returns", program(priority="return nodes[:, 0] * 1j"), INVALID, "real numbers"),
    Case("return_list", "bad returns", program(priority="return [0.0] * nodes.shape[0]"), INVALID,
         "real numbers"),
    Case("return_scalar", "bad returns", program(priority="return 1.0"), INVALID, "real numbers"),
    Case("return_none", "bad returns", program(priority="return None"), INVALID, "real numbers"),
    Case("return_ints", "bad returns", program(priority="return -nodes[:, N_PLACED].astype(np.int64)"), OK,
         same_score_as="round_robin"),
    Case("return_float32", "bad returns", program(priority="return -nodes[:, N_PLACED].astype(np.float32)"),
         OK, same_score_as="round_robin"),
    jail("return_hostile_ndarray_subclass", "bad returns",
         program(EVIL_SUBCLASS, f"{PYTHON_ONLY}\nreturn np.zeros(nodes.shape[0]).view(Evil)"),
         INVALID, "real numbers"),
    Case("binpacking_return_nan", "bad returns", packer(priority="return bins * np.nan"), INVALID, "NaN",
         problem="binpacking"),
    # --- syntax errors, missing function --------------------------------------------------------------
    Case("syntax_error", "syntax", "def priority(task, nodes)\n    return nodes\n", SYNTAX, "syntax error"),
    jail("syntax_error", "syntax", "def priority(task, nodes)\n    return nodes\n", SYNTAX, "syntax error",
         needs=()),
    Case("missing_function", "syntax", program().replace("def priority", "def prioritize"), SYNTAX, "priority"),
    jail("missing_function", "syntax", program().replace("def priority", "def prioritize"), SYNTAX,
         "no top-level function", needs=()),
    Case("wrong_arity", "syntax", program().replace("(task, nodes)", "(task)"), SYNTAX, "two arguments"),
    jail("priority_not_a_function", "syntax", "def priority(a, b):\n    pass\npriority = 3\n", SYNTAX,
         "not a function", needs=()),
    Case("module_body_raises", "syntax", program("X = 1 / 0"), RUNTIME, "ZeroDivisionError"),
    Case("oversized_source", "syntax", program("#" + "x" * 70_000), FORBIDDEN, "characters"),
    Case("null_byte", "syntax", program("X = 1\0"), FORBIDDEN, "null byte"),
    Case("deeply_nested", "syntax", program("X = " + "[" * 150 + "1" + "]" * 150), FORBIDDEN, "nest"),
    # --- non-determinism ------------------------------------------------------------------------------
    # Asked again, a random program chooses otherwise.
    *both("random_scores", "non-determinism",
          program("import random", f"{PYTHON_ONLY}\nreturn np.array([random.random() for _ in nodes])"),
          INVALID, NOT_ITS_OWN, screen_fragment="import of 'random'", needs=()),
    Case("state_kept_between_calls", "non-determinism",
         program("calls = [0]", "calls[0] += 1\nreturn -nodes[:, N_INDEX] * (-1.0) ** calls[0]"),
         INVALID, "keeps state between calls"),
    Case("numpy_random[screen]", "non-determinism", program(priority="return np.random.rand(nodes.shape[0])"),
         FORBIDDEN, "attribute 'random'"),
    Case("hash_scores[screen]", "non-determinism",
         program(priority="return nodes[:, 0] * hash('x')"), FORBIDDEN, "name 'hash'"),
    # --- numba hazards --------------------------------------------------------------------------------
    Case("numba_out_of_bounds_read", "numba",
         program(priority="return nodes[:, 0] * 0.0 + nodes[10**6, 0]"), RUNTIME, "IndexError", jit="always"),
    Case("numba_out_of_bounds_write", "numba",
         program(priority="a = np.zeros(3)\na[10**12] = 1.0\nreturn nodes[:, 0] * a[0]"), RUNTIME, "IndexError", jit="always"),
    Case("numba_out_of_bounds_write_unchecked", "numba",
         program(priority="a = np.zeros(3)\na[10**12] = 1.0\nreturn nodes[:, 0] * a[0]"), CRASHED, "SIGSEGV",
         boundscheck=False, jit="always"),
    Case("numba_out_of_bounds_write_in_own_njit_helper", "numba",
         program("@njit\ndef poke(a, i):\n    a[i] = 1.0\n    return a[0]",
                 "a = np.zeros(3)\nreturn nodes[:, 0] * poke(a, 10**12)", header="from numba import njit"),
         RUNTIME, "IndexError", jit="always"),
    Case("numba_compile_bomb", "numba", COMPILE_BOMB, TIMEOUT, timeout_s=SHORT, jit="always"),
    *both("numba_cache_true", "numba",
          program("@njit(cache=True)\ndef helper(x):\n    return x * 2.0", "return helper(nodes[:, 0])",
                  header="from numba import njit"),
          RUNTIME, "cannot cache", screen_fragment="numba option 'cache'", needs=(), jit="always"),
    *both("numba_parallel_threads", "numba",
          program("@njit(parallel=True)\ndef helper(x):\n    out = np.empty_like(x)\n"
                  "    for i in prange(x.shape[0]):\n        out[i] = x[i] * 2.0\n    return out",
                  "return helper(nodes[:, 0])", header="from numba import njit, prange"),
          RUNTIME, "priority() raised", screen_fragment="numba option 'parallel'", jit="always"),
    *both("numba_object_mode", "numba",
          program("@jit(forceobj=True)\ndef helper(x):\n"
                  "    return float(os.system('touch @OPEN_DIR@/objmode-@MARKER@'))",
                  "return -nodes[:, N_PLACED] + 0.0 * helper(1.0)", header="import os\nfrom numba import jit"),
          OK, screen_fragment="import of 'os'", same_score_as="round_robin", jit="always"),
    # --- index checks: what numba checks raises, what it does not check the screen refuses ------------
    *[Case(f"numba_unchecked_{name}[screen]", "index checks", program(priority=body), FORBIDDEN, fragment)
      for name, body, fragment in UNCHECKED_ROUTES],
    # (numba takes seconds to compile some of these, np.partition above all)
    *[Case(f"numba_checked_{name}", "index checks", program(priority=body), RUNTIME, fragment, jit="always",
           timeout_s=30.0) for name, body, fragment in CHECKED_ROUTES],
    # --- numba turning strings into code (numba_guard reads signatures without eval) -----------------
    *both("numba_signature_in_a_variable", "numba strings",
          program(f"SIG = {NUMBA_PAYLOAD!r}\n@njit(SIG)\ndef helper(x):\n    return x",
                  header="from numba import njit"),
          RUNTIME, "not written with numba's type names", screen_fragment="numba argument 'SIG'"),
    *both("numba_signature_built_with_chr", "numba strings",
          program(f"SIG = ''.join(map(chr, {[ord(c) for c in NUMBA_PAYLOAD]}))\nhelper = njit(SIG)(lambda x: x)",
                  header="from numba import njit"),
          RUNTIME, "not written with numba's type names", screen_fragment="numba argument 'SIG'"),
    *both("numba_signature_list_of_strings", "numba strings",
          program(f"SIGS = [{NUMBA_PAYLOAD!r}]\n@njit(SIGS)\ndef helper(x):\n    return x",
                  header="from numba import njit"),
          RUNTIME, "not written with numba's type names", screen_fragment="numba argument 'SIGS'"),
    *both("numba_compile_with_a_literal", "numba strings",
          program(f"def helper(x):\n    return x\nnjit(helper).compile({NUMBA_PAYLOAD!r})",
                  header="from numba import njit"),
          RUNTIME, "not written with numba's type names", screen_fragment="attribute 'compile'"),
    *both("numba_signature_as_a_parameter", "numba strings",
          program(f"def make(sig):\n    return njit(sig)(lambda x: x)\nhelper = make({NUMBA_PAYLOAD!r})",
                  header="from numba import njit"),
          RUNTIME, "not written with numba's type names", screen_fragment="numba argument 'sig'"),
    *both("numba_cfunc", "numba strings",
          program(f"helper = cfunc({NUMBA_PAYLOAD!r})(lambda x: x)", header="from numba import cfunc"),
          RUNTIME, "not written with numba's type names", screen_fragment="import of 'numba.cfunc'"),
    jail("numba_objmode_type_annotation", "numba strings",
         program(f"@njit\ndef helper():\n    with objmode(y={NUMBA_PAYLOAD!r}):\n        y = 1.0\n    return y\n"
                 "helper()", header="from numba import njit, objmode"),
         RUNTIME, "not written with numba's type names"),
    # --- bin packing ----------------------------------------------------------------------------------
    Case("binpacking_loop", "loops", packer(priority="x = 0.0\nwhile x >= 0.0:\n    x += 1.0\nreturn bins * x"),
         TIMEOUT, problem="binpacking", timeout_s=SHORT),
    # --- attacking the witness (it runs the same program; IN_WITNESS is true there only) --------------
    # A program that fails only when asked again gets the outcome of its failure there.
    jail("witness_loops", "witness", program(IN_WITNESS + "while IN_WITNESS:\n    pass"),
         TIMEOUT, "asked again about decision 0", needs=(), path="jail"),
    jail("witness_crashes", "witness", program(IN_WITNESS + "import ctypes\nif IN_WITNESS:\n    ctypes.string_at(0)"),
         CRASHED, "died of SIGSEGV", needs=(), path="jail"),
    jail("witness_allocates", "witness",
         program(IN_WITNESS + "X = np.ones(2**27) if IN_WITNESS else None"), MEMORY, "MemoryError", needs=(), path="jail"),
    jail("witness_writes_garbage", "witness",
         program(IN_WITNESS + WITNESS_RESULT_FD + "if IN_WITNESS:\n    os.write(fd, b'GARBAGE!' * 8)\n"
                 "    import time\n    time.sleep(60)"),
         NO_RESULT, "asked again about decision 0", needs=(), path="jail"),
    # A well-formed answer in the module body, before any state was asked about: the host takes it as
    # the first round's and finds the count wrong, or the witness's next write breaks the frame.
    jail("witness_answers_before_asked", "witness",
         program(IN_WITNESS + WITNESS_RESULT_FD + "if IN_WITNESS:\n"
                 "    os.write(fd, struct.pack('<4siIQ', b'AEJ1', 0, 0, 8 * 64) + bytes(8 * 64))\n    os._exit(0)"),
         NO_RESULT, "asked again about decision 0", needs=(), path="jail"),
    # A witness holds no request: one that could read a request's states (the last one's, or those of
    # the request it answers) would know which choice each of a case's later states reveals.
    jail("witness_holds_no_request", "witness",
         program("import gc\nLEAKED = any(type(o) is dict and o.get('op') == 'witness' for o in gc.get_objects())",
                 f"{PYTHON_ONLY}\nreturn -nodes[:, N_PLACED] * (-1.0 if LEAKED else 1.0)"),
         OK, same_score_as="round_robin", needs=(), path="jail"),
    # The jail answering a small evaluation's calls writes an answer before it is asked: the answers
    # the client reads are then out of step with its calls, and none is taken as a decision.
    jail("calls_answer_out_of_turn", "forging",
         program(CALLS_RESULT_FD + "if CALLS:\n    os.write(fd, struct.pack('<4siIQ', b'AEJ1', 0, 0, 0))"),
         INVALID, "did not return an array of real numbers", needs=()),
    jail("binpacking_forge_overfull_bin", "forging",
         packer(in_jail_only(FIND_RESULT_FD + "forge(0, b'', [0] + [0] * (n_values - 1))\nos._exit(0)")),
         INVALID, "failed verification", problem="binpacking", needs=()),
    jail("binpacking_forge_first_fit", "forging",
         packer(in_jail_only(FIND_RESULT_FD + BINPACKING_FIRST_FIT + "forge(0, b'', np.concatenate([[0], *decisions]))\nos._exit(0)"),
                "return bins * np.nan"),
         INVALID, NOT_ITS_OWN, problem="binpacking", needs=()),
    jail("binpacking_kill_supervisor", "kill parent",
         packer("import os, signal", "os.kill(os.getppid(), signal.SIGKILL)\nreturn -bins"),
         REFUSED, "PermissionError", problem="binpacking"),
]  # fmt: skip


def _params(cases: list[Case]) -> list:
    params = []
    for case in cases:
        marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def test_corpus_is_well_formed():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len(CASES) >= 40
    categories = {case.category for case in CASES}
    assert len(categories) >= 25, sorted(categories)


# --- running a case and checking containment ----------------------------------------------------------


@pytest.fixture(scope="module")
def tight_scenario(make_scenario):
    """Task 0 does not fit on node 0: placing it there is a placement the parent must refuse."""
    return make_scenario(
        capacity=[[1, 1, 0, 0], [8, 8, 0, 0]],
        demand=[[2, 2, 0, 0], [1, 1, 0, 0], [2, 2, 0, 0]],
        arrival=[0.0, 1.0, 2.0],
        duration=[10.0, 10.0, 10.0],
    )


@pytest.fixture(scope="module")
def case_inputs(tight_scenario):
    return {
        "easy": seed_scenarios("easy")[:2],
        "tight": [tight_scenario],
        "binpacking": [
            Dataset("tiny", (Instance("t0", 10.0, np.array([6.0, 5.0, 3.0, 4.0, 2.0])),), "test"),
        ],
    }


@pytest.fixture(scope="module")
def references(environment, case_inputs):
    """The sandboxed results of the seed programs on each input set (what an honest program gets)."""
    cache: dict[tuple[str, str], EvalResult] = {}

    def get(program_name: str, cases: str) -> EvalResult:
        if (program_name, cases) not in cache:
            result = environment.sandbox.evaluate(ALLOCATION, SEEDS[program_name], case_inputs[cases])
            assert result.outcome is OK, result.message
            cache[program_name, cases] = result
        return cache[program_name, cases]

    return get


def fill(source: str, env) -> str:
    """The case's source with the test's paths, ports and marker in place of its ``@NAME@`` tokens."""
    sentinel = env.sentinel
    tokens = {
        "@ROOT@": sentinel.root, "@KNOWN@": sentinel.known, "@WORLD@": sentinel.world,
        "@SECRET_FILE@": sentinel.secret, "@OPEN_DIR@": sentinel.open_dir, "@INNER@": sentinel.inner,
        "@TMP_FILE@": sentinel.tmp_file, "@TCP_PORT@": env.listener.tcp_port,
        "@UDP_PORT@": env.listener.udp_port, "@MARKER@": env.marker,
        "@SUPERVISOR_PID@": env.supervisor_pid, "@TEST_PID@": env.test_pid,
        "@REGIONS@": supervisor_regions(env.supervisor_pid) if "@REGIONS@" in source else [],
    }  # fmt: skip
    for token, value in tokens.items():
        source = source.replace(token, str(value))
    return source


def supervisor_regions(pid: int) -> list[tuple[int, int]]:
    """The supervisor's writable anonymous memory, heap and stack, as ``(start, end)`` addresses: what
    a jail forked from it inherits."""
    regions = []
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            fields = line.split()
            if fields[1].startswith("rw") and (len(fields) == 5 or fields[5] in ("[heap]", "[stack]")):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                regions.append((start, end))
    return regions


def evaluate(env, source: str, inputs, *, problem: str, screened: bool, timeout_s: float,
             boundscheck: bool = True, jit: str | None = None,
             path: str | None = None) -> tuple[EvalResult, bool, float]:  # fmt: skip
    """``(result, hung, seconds)`` of one evaluation of ``inputs``, cases of the registered ``problem``,
    guarded against a supervisor that never answers."""
    sandbox = env.sandbox
    of_problem = get_problem(problem)

    def call():
        config = sandbox.config
        changes = {"boundscheck": boundscheck} | ({"jit": jit} if jit is not None else {})
        if path == "jail":
            changes["simulate_here_max_tasks"] = 0
        sandbox.config = dataclasses.replace(config, **changes)
        try:
            if screened:
                return sandbox.evaluate(of_problem, source, inputs, timeout_s=timeout_s)
            with env.unscreened():
                return sandbox.evaluate(of_problem, source, inputs, timeout_s=timeout_s)
        finally:
            sandbox.config = config

    began = time.perf_counter()
    result, hung = env.call_guarded(call, timeout_s + env.hang_margin_s)
    return result, hung, time.perf_counter() - began


@dataclasses.dataclass
class Before:
    """What :func:`containment_problems` compares against, taken just before a case runs."""

    files: dict
    tmp: set
    ipc: set
    arrivals: int
    log_size: int


def take_before(env) -> Before:
    env.sentinel.reset()
    return Before(
        files=env.sentinel.snapshot(),
        tmp=env.jail_entries_in_tmp(),
        ipc=env.jail_ipc_objects(),
        arrivals=len(env.listener.arrivals),
        log_size=len(env.supervisor_log()),
    )


def containment_problems(env, result: EvalResult, before: Before, benign: dict,
                         path: str | None = None) -> list[str]:  # fmt: skip
    """Everything wrong after a case, as sentences (empty when the case was contained); the benign
    program that must still score as before is evaluated the way the case was (``path``)."""
    problems = []
    # 1. files
    after = env.sentinel.snapshot()
    for path in sorted(set(before.files) | set(after)):
        if before.files.get(path) != after.get(path):
            problems.append(f"{path} changed: {before.files.get(path)} -> {after.get(path)}")
    created = env.jail_entries_in_tmp() - before.tmp
    if created:
        problems.append(f"/tmp entries created by the jail: {sorted(created)}")
        env.remove_marked_tmp_entries()
    made = env.jail_ipc_objects() - before.ipc
    if made:
        problems.append(f"System V IPC objects outlive the jail: {sorted(made)}")
        env.remove_ipc_objects(made)
    if env.marked_posix_queue_exists():
        problems.append("a POSIX message queue outlives the jail")
    # 2. network
    if len(env.listener.arrivals) > before.arrivals:
        problems.append(f"the loopback listener was reached: {env.listener.arrivals[before.arrivals :]}")
    # 3. secrets
    log = env.supervisor_log()
    for where, text in (("message", result.message), ("result", json.dumps(result.as_dict())),
                        ("supervisor log", log)):  # fmt: skip
        leaked = env.secrets.found_in(text)
        if leaked:
            problems.append(f"a secret leaked into the {where}")
    if len(log) - before.log_size > 64_000:
        problems.append(f"the supervisor's log grew by {len(log) - before.log_size} characters")
    if not result.message.isprintable() or len(result.message) > MAX_MESSAGE_CHARS:
        problems.append(f"the message is not one short printable line: {result.message!r}")
    # 4. survival
    if not env.sandbox.alive or env.sandbox.supervisor_pid != env.supervisor_pid:
        problems.append("the supervisor died or was restarted")
        return problems
    if (os.getpid(), os.getpgid(0)) != (env.test_pid, env.test_pgid):
        problems.append("the test process changed pid or process group")
    before_benign = env.live_jails()
    # A waiting jail (prefork) evaluates the next program: nothing may have slowed it down.
    normal = (
        os.getpriority(os.PRIO_PROCESS, env.supervisor_pid),
        os.SCHED_OTHER,
        len(os.sched_getaffinity(0)),
    )
    for pid in before_benign:
        state = env.scheduling(pid)
        if state is not None and state != normal:
            problems.append(f"waiting jail {pid} has (nice, policy, cpus) {state}, not {normal}")
    again, hung, _ = evaluate(env, BENIGN, seed_scenarios("easy")[:2], problem="allocation", screened=True,
                              timeout_s=env.sandbox.config.timeout_s, path=path)  # fmt: skip
    if hung or again.as_dict() != benign:
        problems.append(f"a benign program no longer scores as before: {again}")
    # 5. processes: only the spares the supervisor and the host say they keep may remain
    spares = env.sandbox.ping()
    witnesses = spares & env.live_witnesses()
    if len(spares - witnesses) > 1 or len(witnesses) > SPARE_WITNESSES:
        problems.append(
            f"{len(spares - witnesses)} jails and {len(witnesses)} witnesses wait for a job; at most "
            f"1 and {SPARE_WITNESSES} are expected"
        )
    if not env.wait_for(lambda: not env.stray_processes(spares)):
        problems.append(f"processes left behind: {env.stray_processes(spares)}")
    return problems


@pytest.fixture(scope="module")
def benign_result(references) -> dict:
    return references("round_robin", "easy").as_dict()


@pytest.mark.parametrize("case", _params(CASES))
def test_hostile_program_is_contained(case: Case, environment, case_inputs, references,
                                      benign_result):  # fmt: skip
    layers = environment.sandbox.layers
    missing = [name for name in case.needs if not getattr(layers, name)]
    if missing:
        pytest.skip(f"needs the {', '.join(missing)} layer(s): {layers.describe()}")
    inputs = case_inputs["binpacking" if case.problem == "binpacking" else case.cases]
    before = take_before(environment)
    result, hung, seconds = evaluate(
        environment, fill(case.source, environment), inputs, problem=case.problem, screened=case.screened,
        timeout_s=case.timeout_s, boundscheck=case.boundscheck, jit=case.jit, path=case.path,
    )  # fmt: skip
    assert not hung, f"the evaluation did not return within {case.timeout_s + environment.hang_margin_s} s"
    problems = containment_problems(environment, result, before, benign_result, case.path)
    if result.outcome is not case.outcome:
        problems.append(f"outcome {result.outcome.value}, expected {case.outcome.value}: {result.message}")
    else:
        fragment = case.fragment or ("no result within" if case.outcome is TIMEOUT else "")
        if fragment.lower() not in result.message.lower():
            problems.append(f"message {result.message!r} lacks {fragment!r}")
    if case.outcome is TIMEOUT and seconds > case.timeout_s + 2.0:
        problems.append(f"a {case.timeout_s} s deadline took {seconds:.2f} s to enforce")
    if case.same_score_as is not None and result.outcome is OK:
        expected = references(case.same_score_as, case.cases).as_dict()
        if {**result.as_dict(), "compiled": None} != {**expected, "compiled": None}:
            problems.append(f"scored {result.score}, expected {case.same_score_as}'s {expected['score']}")
    if case.outcome is OK and result.outcome is OK and case.problem == "allocation":
        if not 0.0 <= result.score <= 1.0:
            problems.append(f"score {result.score} out of [0, 1]")
    assert not problems, "\n".join(problems)


# --- refusals -----------------------------------------------------------------------------------------


def test_refused_operation_is_reported_as_forbidden(environment, case_inputs):
    if not environment.sandbox.layers.seccomp:
        pytest.skip("needs the seccomp layer")
    result, hung, _ = evaluate(environment, program("import os\nos.fork()"), case_inputs["easy"],
                               problem="allocation", screened=False, timeout_s=5.0)  # fmt: skip
    assert not hung
    assert result.outcome is FORBIDDEN, result.message


# --- benign programs score exactly as outside the sandbox --------------------------------------------


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_program_scores_as_in_process(name: str, environment):
    scenarios = [*seed_scenarios("easy")[:1], *seed_scenarios("medium")[:1], *seed_scenarios("hard")[:1]]
    sandboxed = environment.sandbox.evaluate(ALLOCATION, SEEDS[name], scenarios)
    in_process = ALLOCATION.evaluate(SEEDS[name], scenarios)
    assert sandboxed.outcome is OK, sandboxed.message
    assert sandboxed.as_dict() == in_process.as_dict()


#: Programs whose small evaluations must come out the same by either path and in process: honest ones,
#: and every way of failing that the simulator reports.
SMALL_EVALUATION_PROGRAMS = {
    **SEEDS,
    "raises_on_a_call": program(priority="if nodes[0, N_PLACED] > 0:\n    raise ValueError('no')\n"
                                "return -nodes[:, N_PLACED]"),
    "nan": program(priority="return nodes[:, 0] * np.nan"),
    "wrong_shape": program(priority="return np.zeros(nodes.shape[0] + 1)"),
    "wrong_type": program(priority="return [0.0] * nodes.shape[0]"),
    "ints": program(priority="return -nodes[:, N_PLACED].astype(np.int64)"),
    "module_body_raises": program("X = 1 / 0"),
    "no_priority": program().replace("def priority", "def prioritize"),
}  # fmt: skip
#: Within a scenario, a reference kept from an earlier call changes as the simulator's arrays do. (One
#: kept from an earlier scenario holds that scenario's arrays as at its last call, not as the simulator
#: left them after it: such a program gets the same outcome either way, the witness refuses it, but
#: the message may name another decision.)
KEEPS_A_REFERENCE = program("SEEN = []", "SEEN.append(nodes)\nreturn SEEN[0][:, N_PLACED] * -1.0")


@pytest.mark.parametrize(
    "name, inputs",
    [*((name, inputs) for name in sorted(SMALL_EVALUATION_PROGRAMS) for inputs in ("easy", "tight")),
     ("keeps_a_reference", "tight")],
)  # fmt: skip
def test_small_evaluation_is_the_same_simulated_here_or_in_a_jail(name: str, inputs: str, environment,
                                                                  case_inputs):  # fmt: skip
    """A small evaluation is simulated by the client with a jail answering the program's calls; it must
    give what an evaluation jail gives, and what an evaluation in this process gives (the calls see the
    same arrays)."""
    source = KEEPS_A_REFERENCE if name == "keeps_a_reference" else SMALL_EVALUATION_PROGRAMS[name]
    scenarios = case_inputs[inputs]
    here, hung, _ = evaluate(
        environment, source, scenarios, problem="allocation", screened=False, timeout_s=10.0
    )
    in_jail, hung_too, _ = evaluate(environment, source, scenarios, problem="allocation", screened=False,
                                    timeout_s=10.0, path="jail")  # fmt: skip
    assert not hung and not hung_too
    assert here.as_dict() == in_jail.as_dict() == ALLOCATION.evaluate(source, scenarios).as_dict()


def test_small_evaluations_are_simulated_here(environment, case_inputs):
    """The small evaluations are the client's own simulation: no evaluation jail is forked for them."""
    before = environment.sandbox.ping() - environment.live_witnesses()
    for _ in range(3):
        assert environment.sandbox.evaluate(ALLOCATION, BENIGN, case_inputs["easy"]).outcome is OK
    assert environment.sandbox.ping() - environment.live_witnesses() == before


def test_binpacking_program_scores_as_in_process_on_or3(environment):
    or3 = builtin_datasets()["OR3"]
    source = FUNSEARCH_WEIBULL_SOURCE
    sandboxed = environment.sandbox.evaluate(BINPACKING, source, [or3], timeout_s=60)
    in_process = BINPACKING.evaluate(source, [or3])
    assert sandboxed.outcome is OK, sandboxed.message
    assert sandboxed.as_dict() == in_process.as_dict()


# --- layers -------------------------------------------------------------------------------------------


def _status_field(pid: int, name: str) -> list[str]:
    with open(f"/proc/{pid}/status") as status:
        return next(line.split()[1:] for line in status if line.startswith(f"{name}:"))


def _limits(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/limits") as limits:
        return {line[:26].strip(): "/".join(line[26:].split()[:2]) for line in limits.readlines()[1:]}


#: How each layer shows on a jail, seen from outside (the jail's own view of /proc is gone).
#: The uids of the jail that runs the program: an evaluation jail, or (a small evaluation, simulated by
#: the client) the witness that answers its calls.
PATH_IDS = {"jail": JAIL_IDS, None: WITNESS_IDS}

LAYER_SIGNS: dict[str, Callable[[int], bool]] = {
    "uid_drop": lambda pid: (
        {*_status_field(pid, "Uid"), *_status_field(pid, "Gid")} <= {str(i) for i in JAIL_IDS + WITNESS_IDS}
    ),
    "network_namespace": lambda pid: os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net"),
    "seccomp": lambda pid: _status_field(pid, "Seccomp") == ["2"],
    "rlimits": lambda pid: (
        _limits(pid)["Max file size"] == "0/0"
        and _limits(pid)["Max open files"] == "64/64"
        and "unlimited" not in _limits(pid)["Max address space"]
    ),
}
# The file-system view does not show from outside: test_jail_cannot_read_files_outside_its_view.


def test_sandbox_reports_its_layers(environment):
    layers = environment.sandbox.layers
    assert layers is not None and layers.rlimits
    if os.geteuid() != 0:
        assert not layers.uid_drop and not layers.network_namespace
        assert layers.reasons, "a missing layer must say why"
    if layers.missing():
        assert "off" in layers.describe()
    else:
        assert layers.describe().startswith("sandbox: all layers on")
        assert layers.reasons == ()


@pytest.mark.parametrize("path", ["jail", None], ids=["evaluation jail", "jail answering calls"])
@pytest.mark.parametrize("layer", sorted(LAYER_SIGNS))
def test_layer_is_in_force(layer: str, path: str | None, environment, case_inputs):
    """Seen from outside while a jail sleeps: each layer the sandbox reports is on that process."""
    if not getattr(environment.sandbox.layers, layer):
        pytest.skip(f"the {layer} layer is off here: {environment.sandbox.layers.describe()}")
    source = program(header="import time", priority="time.sleep(30)\nreturn nodes[:, 0]")
    box: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: box.update(result=evaluate(environment, source, case_inputs["easy"],
                                                  problem="allocation", screened=False, timeout_s=3.0,
                                                  path=path)),
        daemon=True,
    )  # fmt: skip
    thread.start()
    try:
        assert environment.wait_for(lambda: _sleeping_jail(environment, PATH_IDS[path]) is not None, 10.0)
        pid = _sleeping_jail(environment, PATH_IDS[path])
        assert LAYER_SIGNS[layer](pid), f"{layer} is not on jail {pid}"
    finally:
        thread.join(30)
    result, hung, _ = box["result"]
    assert not hung and result.outcome is TIMEOUT, result.message


def test_witnesses_and_jails_are_in_namespaces_apart(environment, case_inputs):
    """Evaluation jails and witnesses each join a network and IPC namespace of their own kind, apart
    from the host's and from each other's (with seccomp on they share one per kind)."""
    if not environment.sandbox.layers.network_namespace:
        pytest.skip(f"the network namespace is off here: {environment.sandbox.layers.describe()}")
    # One evaluation by each road, so that this test needs no earlier one (under pytest-xdist the test
    # before it in this process may be any): a jail answering calls, then an evaluation jail.
    for path in (None, "jail"):
        evaluate(environment, BENIGN, case_inputs["easy"], problem="allocation", screened=True, timeout_s=5.0,
                 path=path)  # fmt: skip
    # A spare of each kind now waits, confined. (The witness host asks its zygote for the next spare
    # without waiting for it: a witness still being forked has not joined its namespaces yet, and has
    # run nothing; the spares the supervisor and the host name are the ones ready for a job.)
    spares = environment.sandbox.ping()
    witnesses = spares & environment.live_witnesses()
    jails = spares & environment.live_jails() - witnesses
    assert witnesses and jails

    def namespaces(pid: int) -> tuple[str, str]:
        return tuple(os.readlink(f"/proc/{pid}/ns/{kind}") for kind in ("net", "ipc"))

    host = namespaces(os.getpid())
    # A spare confines itself after its fork and before it reads a job (jail.run_jail, witness.py): one
    # forked a moment ago may not have joined its namespaces yet, on a loaded machine.
    deadline = time.monotonic() + 10.0
    seen = {pid: namespaces(pid) for pid in witnesses | jails}
    while any(net == host[0] for net, _ in seen.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = {pid: namespaces(pid) for pid in witnesses | jails}
    kinds = [{seen[p] for p in witnesses}, {seen[p] for p in jails}]
    for kind in kinds:
        for net, ipc in kind:
            assert net != host[0] and ipc != host[1]
    assert not kinds[0] & kinds[1], "a witness shares a namespace with an evaluation jail"


def _sleeping_jail(environment, uids: tuple[int, ...] = JAIL_IDS) -> int | None:
    """The jail of one of ``uids`` that is asleep in ``time.sleep`` (the waiting spares are not)."""
    for pid in environment.live_jails():
        try:
            with open(f"/proc/{pid}/wchan") as wchan, open(f"/proc/{pid}/status") as status:
                uid = next(int(line.split()[1]) for line in status if line.startswith("Uid:"))
                if uid in uids and "nanosleep" in wchan.read():
                    return pid
        except (FileNotFoundError, ProcessLookupError):
            continue
    return None


def test_jail_cannot_read_files_outside_its_view(environment, case_inputs, tmp_path_factory):
    """A world-readable canary in a world-readable folder: the jail's uid alone could read it (shown
    in a child of the test that takes that uid), the file-system view stops it."""
    if not environment.sandbox.layers.filesystem_view:
        pytest.skip(f"the file-system view is off here: {environment.sandbox.layers.describe()}")
    folder = Path(tempfile.mkdtemp(prefix="aurora-canary-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        canary = folder / "canary.txt"
        canary.write_text(f"canary {environment.marker}")
        os.chmod(canary, 0o644)
        if os.geteuid() == 0:
            assert _readable_as(JAIL_IDS[0], canary), "the test's canary is not readable by the jail's uid"
        attempts = (
            f"open({str(canary)!r}).read()",
            f"__import__('os').listdir({str(folder)!r})",
            f"__import__('numpy').loadtxt({str(canary)!r}, dtype=str)",
            "open('/etc/passwd').read()",
            "__import__('os').listdir('/')",
            f"open({str(Path(__file__).resolve())!r}).read()",  # the repository around the package
            f"open({str(PACKAGE_DATA)!r}).read()",  # the package's data: a witness could replay it
        )
        for attempt in attempts:
            source = program(f"X = {attempt}\nraise ValueError(f'read {{X!r}}')")
            result, hung, _ = evaluate(environment, source, case_inputs["easy"], problem="allocation",
                                       screened=False, timeout_s=5.0)  # fmt: skip
            assert not hung
            assert result.outcome is FORBIDDEN and "Permission denied" in result.message, (attempt, result)
            assert environment.marker not in result.message
    finally:
        shutil.rmtree(folder)


PACKAGE_DATA = Path(aurora_evo.__file__).resolve().parent / "domains" / "binpacking" / "data" / "or3.json"


def _readable_as(uid: int, path: Path) -> bool:
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            path.read_text()
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def test_containment_checks_notice_violations(environment, benign_result):
    """The checks themselves: each kind of violation, staged by the test, is reported."""
    env = environment
    before = take_before(env)
    env.sentinel.world.write_text("changed by the test")
    (Path("/tmp") / f"canary-{env.marker}").write_text("created by the test")
    with socket.create_connection(("127.0.0.1", env.listener.tcp_port)):
        pass
    assert env.wait_for(lambda: len(env.listener.arrivals) > before.arrivals)
    leaky = EvalResult(RUNTIME, f"leaked {env.secrets.environment['OPENAI_API_KEY']}")
    marked = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", env.marker])
    try:
        problems = "\n".join(containment_problems(env, leaky, before, benign_result))
    finally:
        marked.kill()
        marked.wait()
        env.sentinel.reset()
    for expected in ("world.txt changed", "/tmp entries created", "listener was reached",
                     "secret leaked into the message", "processes left behind"):  # fmt: skip
        assert expected in problems, problems


def test_jail_dies_with_its_supervisor(environment, case_inputs):
    """A supervisor of its own (the module's must survive), killed while a jail sleeps."""
    sandbox = Sandbox(SandboxConfig(timeout_s=30, memory_mb=512, full_warm_up=False))
    sandbox.start()
    supervisor, errors, jails = sandbox.supervisor_pid, [], set()

    def evaluate_sleeper():
        try:
            sandbox.evaluate(ALLOCATION, program("import time\ntime.sleep(120)"), case_inputs["easy"])
        except SandboxError as exc:  # the supervisor is killed under it
            errors.append(exc)

    try:
        with environment.unscreened():
            thread = threading.Thread(target=evaluate_sleeper, daemon=True)
            thread.start()
            time.sleep(1.5)  # the job reaches its jail, which sleeps
            jails = environment.jails_of(supervisor)
            assert jails, "no jail is running"
            os.kill(supervisor, signal.SIGKILL)
            thread.join(10)
        environment.wait_for(lambda: not environment.still_alive(jails), 3.0)
        assert not environment.still_alive(jails), f"jails alive after their supervisor died: {jails}"
    finally:
        for pid in environment.still_alive(jails):
            os.kill(pid, signal.SIGKILL)
        sandbox.close()


TTY_CHILD = """
import json, os, select, sys, tty
from aurora_evo.domains import get_problem
from aurora_evo.outcome import Outcome
from aurora_evo.sandbox import Sandbox, SandboxConfig, ScreenResult, client
from aurora_evo.seeds import seed_scenarios

tty.setraw(0)
client.screen_program = lambda source, **kwargs: ScreenResult(True, Outcome.OK, "ok", None)
with Sandbox(SandboxConfig(timeout_s=5, memory_mb=512, full_warm_up=False)) as sandbox:
    result = sandbox.evaluate(get_problem("allocation"), sys.argv[1], seed_scenarios("easy")[:1])
typed = b""
while select.select([0], [], [], 0.5)[0]:
    chunk = os.read(0, 4096)
    if not chunk:
        break
    typed += chunk
print("RESULT " + json.dumps({"message": result.message, "typed": typed.decode("latin-1")}), flush=True)
"""

TIOCSTI_INJECTION = program("""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/dev/tty", os.O_RDONLY)
sent = sum(libc.ioctl(fd, 0x5412, ctypes.byref(ctypes.c_char(c))) == 0 for c in b"echo @MARKER@\\n")
raise ValueError(f"TIOCSTI pushed {sent} bytes")
""")


def test_jail_cannot_type_into_the_controlling_terminal(environment):
    """A client whose session has a terminal (a pty here); the jail tries to type a command into it."""
    if os.uname().machine != "x86_64":
        pytest.skip("the program uses the x86_64 value of TIOCSTI")
    source = fill(TIOCSTI_INJECTION, environment)
    pid, master = os.forkpty()
    if pid == 0:  # the child: a session leader whose controlling terminal is the pty
        os.execv(sys.executable, [sys.executable, "-c", TTY_CHILD, source])
    output, deadline = b"", time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 1.0)[0]:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(master)
    line = next((x for x in output.decode("utf-8", "replace").splitlines() if x.startswith("RESULT ")), None)
    assert line is not None, output[-2000:]
    report = json.loads(line.removeprefix("RESULT "))
    assert environment.marker not in report["typed"], (
        f"the jail typed {report['typed']!r}: {report['message']}"
    )
