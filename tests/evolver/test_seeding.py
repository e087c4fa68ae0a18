"""Iteration 0's candidates: the baselines, the mutators' own seeds, and the programs a new run carries
over from an earlier run's islands (``islands.seed_run``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_run import run as run_cli
from test_evolver import SMALL, ScoredByLength

from aurora_evo.cli.exit_status import EXIT_BAD_INPUT
from aurora_evo.config import RunConfig, override
from aurora_evo.domains import get_problem
from aurora_evo.errors import InputError
from aurora_evo.evolver import Evolver
from aurora_evo.evolver.seeding import carried_proposals
from aurora_evo.mutators import EditMutator
from aurora_evo.run_folder import RunFolder


def _evolver(folder: Path, **settings) -> Evolver:
    config = override(RunConfig(seed=4), **(SMALL | settings))
    run_folder = RunFolder(folder)
    run_folder.create(config)
    problem = get_problem("allocation")
    mutators = {"mine": EditMutator(problem.contract)}
    return Evolver(
        problem,
        mutators,
        ScoredByLength(),
        run_folder.open_archive(),
        run_folder,
        config,
        weights={"mine": 1.0},
    )


def test_a_run_carries_the_earlier_runs_island_programs_over_each_to_its_island(tmp_path):
    with _evolver(tmp_path / "first", **{"islands.islands": 3}) as first:
        first.run()
        islands = {
            i: [first.archive.programs.get(m[0]).source for m in state.members]
            for i, state in first.archive.ledger.latest_islands(first.run_id).items()
        }
    with _evolver(tmp_path / "second", **{"islands.seed_run": str(tmp_path / "first")}) as second:
        second.initialise()
        records = second.archive.programs.of_run(second.run_id)
    baselines = set(get_problem("allocation").baselines().values())
    expected = {s: i % 2 for i, sources in sorted(islands.items()) for s in sources if s not in baselines}
    carried = {r.source: r for r in records if r.reasoning.startswith("carried over from run")}
    assert expected and set(carried) == set(expected)
    for source, record in carried.items():
        assert record.iteration == 0 and record.mutator == "edit.seed"
        assert record.island in (None, expected[source])  # None: it did not stay on its island
    assert any(record.island is not None for record in carried.values())


def test_no_seed_run_carries_nothing_and_a_folder_without_a_run_is_one_line(tmp_path):
    assert carried_proposals(None, 2, []) == []
    with pytest.raises(InputError, match="not a run folder"):
        carried_proposals(str(tmp_path), 2, [])


def test_evolve_names_a_seed_run_that_is_no_run(capsys, tmp_path):
    code, _, err = run_cli(
        capsys, "evolve", "--seed-run", tmp_path / "nothing", "--run-dir", tmp_path / "run", "--no-progress"
    )
    assert code == EXIT_BAD_INPUT and "not a run folder" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
