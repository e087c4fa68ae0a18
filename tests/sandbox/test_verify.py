"""Re-deriving decisions (aurora_evo.sandbox.verify and the witness's side of it), without a sandbox:
the rebuilt states are exactly what priority() was shown, the encoding reaches the witness bit for bit,
the rounds never show a witness a later state of a case first, and a wrong decision is found. The
witness jails themselves are exercised in test_corpus.py ("forging", "witness")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.contracts import Contract
from aurora_evo.domains import get_problem
from aurora_evo.domains.binpacking import builtin_datasets, pack
from aurora_evo.domains.binpacking.evaluate import decision_states as packing_states
from aurora_evo.features import N_FITS
from aurora_evo.program_loading import compile_program
from aurora_evo.sandbox import SandboxConfig, verify
from aurora_evo.sandbox.witness import Answerer
from aurora_evo.seeds import seed_program_paths, seed_scenarios
from aurora_evo.sim import simulate
from aurora_evo.sim.simulate import decision_states

SEEDS = {name: path.read_text(encoding="utf-8") for name, path in seed_program_paths().items()}
PROGRAMS = {
    "binpack_or": "programs/binpack_or.py",
    "binpack_weibull": "programs/binpack_weibull.py",
}


def _choice(program, first, second, allowed, use_jit: bool) -> int:
    function = program.jitted if use_jit else program.python
    scores = np.asarray(function(first, second), dtype=np.float64)
    return int(np.argmax(np.where(allowed, scores, -np.inf)))


@pytest.mark.parametrize("name", sorted(SEEDS))
@pytest.mark.parametrize("use_jit", [False, True], ids=["numpy", "numba"])
def test_allocation_states_are_what_the_program_saw(name, use_jit):
    """Every decision of a run, rebuilt by the replay: the program's choice there is the decision made."""
    program = compile_program(SEEDS[name], Contract.ALLOCATION)
    for scenario in [*seed_scenarios("medium")[:2], *seed_scenarios("hard")[:1]]:
        node = simulate(scenario, program, use_jit=use_jit).placement.node
        steps = np.arange(int(np.count_nonzero(node >= 0)))
        states = decision_states(scenario, node, steps)
        for j in range(steps.size):
            row, feats = states.task_row[j].copy(), states.node_feat[j].copy()
            row.flags.writeable = feats.flags.writeable = False
            picked = _choice(program, row, feats, feats[:, N_FITS] > 0.5, use_jit)
            assert picked == node[states.task[j]], (scenario.name, j)


def test_a_placement_that_fails_the_replay_has_no_states():
    scenario = seed_scenarios("medium")[0]
    program = compile_program(SEEDS["first_fit"], Contract.ALLOCATION)
    node = simulate(scenario, program).placement.node.copy()
    node[node >= 0] = 10_000  # no such node
    assert decision_states(scenario, node, np.array([0])) is None


@pytest.mark.parametrize("path", sorted(PROGRAMS.values()))
@pytest.mark.parametrize("use_jit", [False, True], ids=["numpy", "numba"])
def test_packing_states_are_what_the_program_saw(path, use_jit):
    program = compile_program(open(path, encoding="utf-8").read(), Contract.BINPACKING)
    instance = builtin_datasets()["OR3"].instances[0]
    assignment = pack(program, instance, backend="numba" if use_jit else "numpy").assignment
    for state in packing_states(instance, assignment, np.arange(len(instance.items))):
        picked = _choice(program, state.item, state.bins, np.ones(state.bins.size, bool), use_jit)
        assert state.valid[picked] == assignment[state.step], state.step


def test_vector_packing_states_are_what_the_program_saw():
    from aurora_evo.domains.binpacking import VectorInstance
    from aurora_evo.domains.binpacking.baselines import VECTOR_BASELINE_SOURCES

    rng = np.random.default_rng(3)
    instance = VectorInstance("v", np.array([10.0, 8.0]), rng.uniform(0.5, 4.0, size=(60, 2)))
    program = compile_program(next(iter(VECTOR_BASELINE_SOURCES.values())), Contract.VECTOR_BINPACKING)
    assignment = pack(program, instance).assignment
    for state in packing_states(instance, assignment, np.arange(60)):
        scores = program.python(state.item, state.bins)
        assert state.valid[np.argmax(scores)] == assignment[state.step]


ITEM = np.float64(1.5)


def _query(case, step, second, contract=Contract.BINPACKING, first=ITEM):
    candidates = np.arange(len(second))
    return verify.Query(case, step, f"case {case}", contract, first, second, candidates,
                        np.ones(len(second), bool), 0)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    head=st.lists(st.floats(allow_nan=False, width=64), max_size=6),
    tail=st.integers(0, 50),
    fill=st.sampled_from([100.0, 0.0, -0.0, 1e-300, 7.25]),
)
def test_encoding_reaches_the_witness_bit_for_bit(head, tail, fill):
    second = np.array([*head, *([fill] * tail)], dtype=np.float64)
    if second.size == 0:
        second = np.array([fill])
    query = _query(0, 0, second)
    shapes, blob = verify.encode([[query]])
    seen = {}

    class Recorder(Answerer):
        def choose(self, contract, first, second):
            seen["args"] = (first, second)
            return 0

    Recorder("", jit=False, boundscheck=True).answer(shapes[0], blob)
    first, rebuilt = seen["args"]
    assert first == query.first and isinstance(first, np.float64)
    assert rebuilt.view(np.uint64).tolist() == second.view(np.uint64).tolist()


def test_encoding_compresses_the_empty_bins_and_keeps_2d_states():
    bins = np.concatenate([np.array([3.0, 5.0]), np.full(4_000, 100.0)])
    nodes = np.arange(24.0).reshape(2, 12)
    queries = [[_query(0, 0, bins), _query(1, 0, nodes, Contract.ALLOCATION, np.arange(5.0))]]
    shapes, blob = verify.encode(queries)
    # The last row counts in the tail it starts: a state without repeats sends it once all the same.
    assert shapes == [[["binpacking", [], [2], 4_000], ["allocation", [5], [1, 12], 1]]]
    assert len(blob) == 8 * (1 + 2 + 1 + 5 + 12 + 12)
    size = sum(math.prod(f) + math.prod(h) + (t > 0) * math.prod(h[1:]) for _, f, h, t in shapes[0])
    assert size * 8 == len(blob)  # what the witness host reads per round


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=6), st.integers(1, 60), st.integers(0, 2**32))
def test_samples_are_distinct_decisions_of_each_case(decisions, samples, seed):
    picked = verify.pick(decisions, samples, np.random.default_rng(seed))
    assert sum(p.size for p in picked) == min(samples, sum(decisions))
    for steps, count in zip(picked, decisions, strict=True):
        assert np.all(np.diff(steps) > 0) and np.all((steps >= 0) & (steps < count))


def test_rounds_show_a_case_in_order_one_state_at_a_time():
    queries = [
        _query(case, step, np.ones(2)) for case, step in [(1, 9), (0, 4), (1, 2), (0, 1), (2, 0), (1, 5)]
    ]
    rounds = verify.rounds(queries)
    assert [[(q.case, q.step) for q in r] for r in rounds] == [
        [(0, 1), (1, 2), (2, 0)],
        [(0, 4), (1, 5)],
        [(1, 9)],
    ]


def test_first_mismatch_finds_another_choice_and_a_refused_one():
    a, b = _query(0, 0, np.ones(3)), _query(0, 1, np.ones(3))
    allocation = verify.Query(1, 0, "s", Contract.ALLOCATION, np.zeros(3), np.zeros((3, 24)), np.arange(3),
                              np.array([False, True, True]), 1)  # fmt: skip
    assert verify.first_mismatch([[a], [b], [allocation]], np.array([0, 0, 1])) is None
    assert verify.first_mismatch([[a], [b]], np.array([0, 2])) == (b, 2)
    assert verify.first_mismatch([[allocation]], np.array([0])) == (allocation, None)  # node 0 does not fit
    assert verify.first_mismatch([[a]], np.array([7])) == (a, None)
    assert "reported as bin 0" in verify.describe_mismatch(b, 2, get_problem("binpacking").decision_noun)


def test_at_least_one_decision_is_re_derived():
    with pytest.raises(ValueError, match="witness_samples"):
        SandboxConfig(witness_samples=0)


def test_a_jail_that_stops_reading_cannot_block_its_owner():
    """The witness host writes rounds to a jail that may have stopped reading: the write gives up at its
    deadline instead of blocking the host (and the client behind it)."""
    import os
    import time

    from aurora_evo.sandbox.jail import JailLimits
    from aurora_evo.sandbox.jails import Jail, JailPool

    job_read, job_write = os.pipe()
    result_read, result_write = os.pipe()
    os.set_blocking(job_write, False)
    jail = Jail(0, job_write, result_read, JailLimits(0, 0), None)
    try:
        began = time.perf_counter()
        assert not JailPool.send(jail, {"states": []}, bytes(1 << 20), began + 0.3)  # nobody reads
        assert 0.3 <= time.perf_counter() - began < 2.0
        assert JailPool.send(jail, {"states": []}, b"", time.perf_counter() - 1.0) is False  # too late
    finally:
        for fd in (job_read, job_write, result_read, result_write):
            os.close(fd)
