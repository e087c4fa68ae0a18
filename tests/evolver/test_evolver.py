"""The controller handed its parts: ask and tell in their turn, and parts of one's own (an executor that
runs nothing stands in for the sandbox here: the controller's rules need no program to run)."""

from __future__ import annotations

import pytest

from aurora_evo.config import RunConfig, override
from aurora_evo.domains import get_problem
from aurora_evo.evaluation import EvalResult
from aurora_evo.evolver import Evolver, OrderError
from aurora_evo.mutators import EditMutator
from aurora_evo.outcome import Outcome
from aurora_evo.run_folder import RunFolder

SMALL = {"islands.islands": 2, "islands.population": 4, "stop.max_iterations": 4, "task.levels": ("easy",)}


class ScoredByLength:
    """Scores a program by how short it is, on every case, without running it."""

    def __init__(self):
        self.calls = 0

    def evaluate(self, problem, sources, cases):
        self.calls += 1
        return [
            EvalResult(Outcome.OK, "", -len(s) / 1000, {c.name: {"reward": -len(s) / 1000} for c in cases})
            for s in sources
        ]

    def close(self):
        pass


def evolver(tmp_path, name="run", **weights) -> Evolver:
    config = override(RunConfig(seed=4), **SMALL)
    folder = RunFolder(tmp_path / name)
    folder.create(config)
    problem = get_problem("allocation")
    mutators = {"mine": EditMutator(problem.contract)}
    return Evolver(
        problem, mutators, ScoredByLength(), folder.open_archive(), folder, config, weights={"mine": 1.0}
    )


def test_ask_and_tell_go_in_turn(tmp_path):
    run = evolver(tmp_path)
    try:
        run.initialise()
        batch = run.ask()
        with pytest.raises(OrderError, match="ask\\(\\) again before tell\\(\\) of iteration 1"):
            run.ask()
        stale = batch
        run.tell(batch, run.evaluate(batch.sources))
        with pytest.raises(OrderError, match="the batch of the last ask"):
            run.tell(stale, run.evaluate(stale.sources))
        with pytest.raises(OrderError):
            run.tell(run.ask().__class__(99, (), 0), [])
    finally:
        run.close()


def test_ask_evaluate_tell_is_a_step(tmp_path):
    """The same seed gives the same programs whether the iterations are steps or asks and tells."""
    stepped, split = evolver(tmp_path, "stepped"), evolver(tmp_path, "split")
    try:
        for run in (stepped, split):
            run.initialise()
        for _ in range(3):
            stepped.step()
            batch = split.ask()
            split.tell(batch, split.evaluate(batch.sources))
        programs = [[(p.source, p.score, p.island) for p in run.archive.programs.of_run(run.run_id)]
                    for run in (stepped, split)]  # fmt: skip
        assert programs[0] == programs[1] and len(programs[0]) > 4
        assert stepped.best[1] == split.best[1]
    finally:
        stepped.close()
        split.close()


def test_a_run_of_its_own_parts_stops_by_the_rules(tmp_path):
    run = evolver(tmp_path)
    try:
        assert run.run() == "reached 4 iterations"
        assert run.executor.calls >= 5  # the seeds, then every iteration (and new bests' validation)
        # The shortest program is the best one: the executor's rule, applied through the whole loop.
        sources = [p.source for p in run.archive.programs.of_run(run.run_id) if p.score is not None]
        assert run.best[1] == pytest.approx(-min(len(s) for s in sources) / 1000)
    finally:
        run.close()
