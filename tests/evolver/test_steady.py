"""The steady state: evaluations kept in flight and told as they come back, an iteration's worth per
transaction; an attacker step waits for every evaluation in flight."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aurora_evo.archive import Archive
from aurora_evo.config import RunConfig, override
from aurora_evo.evolver import build_evolver
from aurora_evo.evolver.steady import PER_WORKER

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evolve"))
from archive_snapshot import TINY_BINPACKING, filed_per_iteration, holds_a_batch, iteration_events

STEADY = {"evaluation.mode": "steady", "evaluation.workers": 2}


def _run(config, path, resume=False):
    evolution = build_evolver(config, path, resume=resume)
    try:
        return evolution.run(), evolution
    finally:
        evolution.close()


def test_each_iteration_tells_a_batch_worth_of_results_as_they_come_back(tmp_path):
    config = override(RunConfig(seed=3), **(TINY_BINPACKING | STEADY))
    reason, evolution = _run(config, tmp_path / "s")
    assert reason == "reached 8 iterations"
    events = iteration_events(tmp_path / "s", "s")
    assert sorted(events) == list(range(9))
    filed = filed_per_iteration(tmp_path / "s", "s")
    in_flight = PER_WORKER * config.evaluation.workers
    for iteration in range(1, 8):
        assert holds_a_batch(events[iteration], config.batch_size)  # no attacker: never drained early
    # The last tells everything in flight, and nothing is left unread.
    assert holds_a_batch(events[8], config.batch_size, in_flight)
    assert events[8]["evaluated"] > config.batch_size
    for iteration in range(1, 9):
        assert filed.get(iteration, 0) == events[iteration]["evaluated"]  # each result filed once
    best = evolution.best
    assert best is not None


def test_a_steady_run_resumes_from_its_last_iteration(tmp_path):
    config = override(RunConfig(seed=3), **(TINY_BINPACKING | STEADY))
    _run(override(config, **{"stop.max_iterations": 4}), tmp_path / "r")
    reason, _ = _run(config, tmp_path / "r", resume=True)
    assert reason == "reached 8 iterations"
    events = iteration_events(tmp_path / "r", "r")
    assert sorted(events) == list(range(9))
    last = {4, 8}  # of each invocation: what is in flight is told in it
    in_flight = PER_WORKER * config.evaluation.workers
    assert all(holds_a_batch(events[i], config.batch_size, in_flight * (i in last)) for i in range(1, 9))


@pytest.mark.slow
def test_an_attacker_step_waits_for_every_evaluation_in_flight(tmp_path):
    """With an attacker every second iteration, the iteration before each step tells everything in
    flight (more than a batch); no result on the old training cases is filed after the change."""
    config = override(
        RunConfig(seed=2),
        **{
            "task.levels": ("easy",),
            "islands.islands": 3,
            "islands.population": 5,
            "stop.max_iterations": 6,
            "stop.patience": None,
            "stop.window": None,
            "evaluation.full_warm_up": False,
            "attacker.interval": 2,
            **STEADY,
        },
    )
    _run(config, tmp_path / "a")
    events = iteration_events(tmp_path / "a", "a")
    in_flight = PER_WORKER * config.evaluation.workers
    assert in_flight > config.batch_size
    for iteration in range(1, 7):
        # Before an attacker step (iterations 2, 4, 6) everything in flight is told: more than a batch.
        expected = in_flight if iteration % 2 else config.batch_size
        assert events[iteration]["evaluated"] == expected, (iteration, events[iteration])
    with Archive(tmp_path / "a" / "archive.sqlite") as archive:
        steps = archive.ledger.events("a", "attacker")
        assert [e.iteration for e in steps] == [2, 4, 6]
