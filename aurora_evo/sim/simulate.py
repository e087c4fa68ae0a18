"""Run one program on one scenario: array set-up, the compiled or numpy path, then the metrics."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numba
import numpy as np

from aurora_evo import features as F
from aurora_evo.contracts import Contract, OutputStatus, check_scores, choose_node, exception_status
from aurora_evo.program_loading import CompiledProgram
from aurora_evo.scenario.model import Scenario
from aurora_evo.sim import engine
from aurora_evo.sim.metrics import Metrics, Placement, compute_metrics


@dataclass(frozen=True)
class SimResult:
    """Outcome of one simulation.

    Attributes:
        status: ``OutputStatus.OK`` or why the program's output was refused (the run stops there).
        message: one line for people (empty when OK).
        metrics: the metrics when OK, else ``None``.
        placement: raw per-task outcome when OK, else ``None``.
        compiled: True when the program ran through the numba path.
        decisions: placement decisions the program made.
        seconds: wall time of the event loop (set-up and metrics excluded).
    """

    status: OutputStatus
    message: str
    metrics: Metrics | None
    placement: Placement | None
    compiled: bool
    decisions: int
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status is OutputStatus.OK


def sim_arrays(scenario: Scenario) -> tuple[engine.SimArrays, np.ndarray]:
    """The engine's arrays for ``scenario``, at its start, and ``order`` (arrival position -> scenario task
    index). A run changes them: build them anew for each."""
    tasks, nodes = scenario.tasks, scenario.nodes
    n, m = len(tasks), len(nodes)
    order = np.argsort(tasks.arrival, kind="stable")
    dem = np.ascontiguousarray(tasks.demand[order])

    task_base = F.task_rows(scenario, order)
    node_feat = F.node_rows(scenario)

    ireg = np.zeros(engine.N_IREG, dtype=np.int64)
    ireg[[engine.R_HEAD, engine.R_TAIL, engine.R_CURSOR]] = -1
    freg = np.zeros(engine.N_FREG)
    freg[engine.F_TIMEOUT] = np.inf if scenario.queue_timeout_s is None else float(scenario.queue_timeout_s)
    arrays = engine.SimArrays(
        arr=np.ascontiguousarray(tasks.arrival[order]),
        dur=np.ascontiguousarray(tasks.duration[order]),
        dem=dem,
        fits_somewhere=engine.fits_anywhere(dem, np.ascontiguousarray(nodes.capacity)),
        task_base=task_base,
        cap=np.ascontiguousarray(nodes.capacity, dtype=np.float64),
        all_nodes=np.arange(m, dtype=np.int64),
        free=np.array(nodes.capacity, dtype=np.float64),
        node_feat=node_feat,
        task_row=np.zeros(F.TASK_FEATURES),
        running=np.zeros(m, dtype=np.int64),
        busy_since=np.zeros(m),
        busy_time=np.zeros(m),
        node_of=np.full(n, -1, dtype=np.int64),
        state=np.zeros(n, dtype=np.int64),
        start=np.full(n, np.nan),
        finish=np.full(n, np.nan),
        reject_time=np.full(n, np.nan),
        heap_t=np.zeros(n),
        heap_k=np.zeros(n, dtype=np.int64),
        nxt=np.full(n, -1, dtype=np.int64),
        prv=np.full(n, -1, dtype=np.int64),
        fresh=np.zeros(n, dtype=np.bool_),
        dirty=np.zeros(m, dtype=np.int64),
        is_dirty=np.zeros(m, dtype=np.bool_),
        ireg=ireg,
        freg=freg,
    )
    return arrays, order


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _run_python(s: engine.SimArrays, fn) -> tuple[OutputStatus, int, str]:
    """The numpy path: the engine's own transitions, with the program called from Python."""
    task_view, node_view = _read_only(s.task_row), _read_only(s.node_feat)
    n_nodes = s.free.shape[0]
    while (k := engine.advance(s)) >= 0:
        # The mask is copied before the call: a program may re-enable writing on its view and scribble
        # on what it is shown, but never on which nodes the task fits.
        fits = s.node_feat[:, F.N_FITS] > 0.5
        try:
            raw = fn(task_view, node_view)
        except BaseException as exc:  # the program's own failure, reported as its outcome
            status, detail = exception_status(exc)
            return status, k, detail
        status, scores = check_scores(raw, n_nodes)
        if status is not OutputStatus.OK:
            return status, k, ""
        engine.place(s, k, choose_node(fits, scores))
    return OutputStatus.OK, -1, ""


def placement_of(s: engine.SimArrays, order: np.ndarray) -> Placement:
    """The per-task outcome of a finished run, mapped back to scenario order (``order`` from
    :func:`sim_arrays`)."""
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return Placement(
        node=s.node_of[inverse],
        start=s.start[inverse],
        finish=s.finish[inverse],
        reject_time=s.reject_time[inverse],
        busy_time=s.busy_time.copy(),
    )


def simulate(scenario: Scenario, program: CompiledProgram, *, use_jit: bool = True) -> SimResult:
    """Run ``program`` on ``scenario``; the numba path when the program compiled, else the numpy path.

    Both paths make the same decisions (they share the event kernels); ``use_jit=False`` forces the
    numpy path. A program whose scores are refused stops the run with that status.
    """
    if program.contract is not Contract.ALLOCATION:
        raise ValueError(f"simulate() needs an allocation program, got a {program.contract.value} one")
    arrays, order = sim_arrays(scenario)
    compiled = use_jit and program.jitted is not None
    began = time.perf_counter()
    detail = ""
    if compiled:
        runner = engine.compiled_runner(numba.typeof(arrays))
        try:
            code, k = runner(
                program.jitted, arrays, _read_only(arrays.task_row), _read_only(arrays.node_feat)
            )
            status = OutputStatus(int(code))
        except BaseException as exc:  # raised inside the compiled program
            (status, detail), k = exception_status(exc), -1
    else:
        status, k, detail = _run_python(arrays, program.python)
    seconds = time.perf_counter() - began
    decisions = int(np.count_nonzero(arrays.node_of >= 0))  # one decision per placed task
    if status is not OutputStatus.OK:
        where = f" (placing task {int(order[k])})" if k >= 0 else ""
        message = f"{status.describe()}{where}" + (f": {detail}" if detail else "")
        return SimResult(status, message, None, None, compiled, decisions, seconds)
    placement = placement_of(arrays, order)
    return SimResult(
        status, "", compute_metrics(scenario, placement), placement, compiled, decisions, seconds
    )


def replay(scenario: Scenario, node: np.ndarray) -> Placement | None:
    """Re-run ``scenario`` with the node of each task given (``(n_tasks,)`` int, -1 for rejected).

    Returns the placement the simulator's rules produce with those choices, or ``None`` when ``node``
    is not a placement the simulator could have made (a choice the task did not fit on, a task marked
    rejected that would have been placed, or the reverse). No program runs.
    """
    replayed = _replay(scenario, node, np.zeros(0, dtype=np.int64))
    return None if replayed is None else replayed[0]


@dataclass(frozen=True)
class DecisionStates:
    """What a program was shown at some of a placement's decisions, as :func:`decision_states` finds it.

    Attributes:
        task: ``(k,)`` int, the scenario index of the task placed at each decision.
        task_row: ``(k, TASK_FEATURES)``, the ``task`` argument at each decision.
        node_feat: ``(k, n_nodes, NODE_FEATURES)``, the ``nodes`` argument (column ``N_FITS`` marks the
            nodes the task fitted on).
    """

    task: np.ndarray
    task_row: np.ndarray
    node_feat: np.ndarray


def decision_states(scenario: Scenario, node: np.ndarray, steps: np.ndarray) -> DecisionStates | None:
    """The arguments the program was called with at the placement decisions numbered ``steps`` (sorted,
    unique, each below the number of placed tasks), by replaying ``node``; ``None`` when ``node``
    fails the replay. No program runs."""
    replayed = _replay(scenario, node, np.ascontiguousarray(steps, dtype=np.int64))
    return None if replayed is None else replayed[1]


def _replay(
    scenario: Scenario, node: np.ndarray, steps: np.ndarray
) -> tuple[Placement, DecisionStates] | None:
    node = np.asarray(node)
    if node.shape != (len(scenario.tasks),) or node.dtype.kind not in "iu":
        return None
    arrays, order = sim_arrays(scenario)
    seen = DecisionStates(
        np.full(steps.size, -1, dtype=np.int64),
        np.zeros((steps.size, F.TASK_FEATURES)),
        np.zeros((steps.size, len(scenario.nodes), F.NODE_FEATURES)),
    )
    choice = np.ascontiguousarray(node[order], dtype=np.int64)
    if engine.replay(arrays, choice, steps, seen.task, seen.task_row, seen.node_feat) >= 0:
        return None
    placement = placement_of(arrays, order)
    if not np.array_equal(placement.node, node) or np.any(seen.task < 0):
        return None
    return placement, DecisionStates(order[seen.task], seen.task_row, seen.node_feat)
