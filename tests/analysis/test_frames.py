"""The archive as DataFrames: every frame agrees with the archive it was read from."""

from __future__ import annotations

import pytest

from aurora_evo.analysis import load_run
from aurora_evo.archive import Archive
from aurora_evo.errors import InputError
from aurora_evo.run_folder import ARCHIVE_FILE


@pytest.fixture(scope="module")
def run(small_run):
    with load_run(small_run) as data:
        yield data


def test_programs_match_the_archive(run, small_run):
    programs = run.programs()
    with Archive(small_run / ARCHIVE_FILE) as archive:
        records = archive.programs.of_run(run.run_id)
    assert list(programs.id) == [r.id for r in records]
    assert set(programs.operator) <= {"gp", "edit"} and programs.evicted.dtype == bool
    ok = programs[programs.outcome == "ok"]
    assert ok.score.notna().all() and programs.validation_score.notna().any()


def test_every_lineage_edge_joins_two_programs_of_the_run(run):
    ids = set(run.programs().id)
    lineage = run.lineage()
    assert not lineage.empty and set(lineage.child_id) <= ids and set(lineage.parent_id) <= ids


def test_ancestry_reaches_a_seed_and_orders_by_depth(run):
    best = run.best_program()
    ancestry = run.ancestry(best)
    assert ancestry.id.iloc[0] == best and ancestry.depth.iloc[0] == 0
    assert list(ancestry.depth) == sorted(ancestry.depth)
    seeds = ancestry[ancestry.parent_id.isna()]
    assert not seeds.empty and set(seeds.mutator.str.split(".").str[0]) <= {"gp", "edit"}
    assert ancestry.id.is_unique


def test_islands_give_best_and_median_per_iteration(run):
    islands = run.islands()
    config = run.config
    assert set(islands.island) == set(range(config.islands.islands))
    assert islands.iteration.max() == config.stop.max_iterations
    # Recomputed from the members' own training scores, for every island at every iteration.
    score = run.programs().set_index("id").score
    for row in islands.itertuples():
        members = score[row.members]
        assert row.size == len(members)
        assert row.best_score == pytest.approx(members.max()) and row.median_score == pytest.approx(
            members.median()
        )


def test_the_winner_is_what_export_ships(run, small_run, tmp_path):
    from aurora_evo.export import export_run

    (path,) = export_run(small_run, 1, tmp_path)
    assert path.stem.endswith(run.winner())


def test_how_the_winner_is_chosen_is_said_as_export_chooses(run, tmp_path):
    from aurora_evo.config import RunConfig, override
    from aurora_evo.evolver import build_evolver

    assert run.winner_chosen_by() == "its score on the held-out cases alone"  # bin packing
    settings = {"task.levels": ("easy",), "islands.islands": 1, "evaluation.full_warm_up": False}
    build_evolver(override(RunConfig(seed=1), **settings), tmp_path / "cloud").close()
    with load_run(tmp_path / "cloud") as cloud:  # a few held-out seed scenarios: pooled with training
        assert cloud.winner_chosen_by() == "its mean score over every case (training and held-out)"


def test_evaluations_spread_metrics_into_columns(run):
    train = run.evaluations("train")
    assert {"program_id", "split", "case", "score", "excess_percent"} <= set(train.columns)
    assert (train.score == -train.excess_percent).all()
    scenarios = run.scenarios()
    assert set(scenarios.split) == {"train", "validation"}
    assert (scenarios.best_score >= scenarios.mean_score).all()


def test_elo_cells_outcomes_and_coverage(run):
    assert not run.elo_history().empty and run.ratings().rating.is_monotonic_decreasing
    cells = run.cells()
    assert list(cells.columns) == [*run.config.archive.descriptors, "program_id", "score"]
    coverage = run.coverage_history()
    assert coverage.filled.is_monotonic_increasing and coverage.filled.iloc[-1] == len(cells)
    outcomes = run.outcomes()
    assert "ok" in outcomes.columns and len(outcomes) == run.config.stop.max_iterations + 1


def test_descriptor_values_put_every_program_that_ran_in_its_cell(run):
    from aurora_evo.archive.map_elites import cell_of, default_descriptors

    names = list(run.config.archive.descriptors)
    values = run.descriptors()
    assert list(values.columns) == ["program_id", *names]
    programs = run.programs()
    assert set(values.program_id) == set(programs.id[programs.outcome == "ok"])
    axes = default_descriptors(names, list(run.config.archive.bins))
    by_id = values.set_index("program_id")
    for row in run.cells().itertuples(index=False):
        elite = by_id.loc[row.program_id, names].to_numpy(dtype=float)
        assert cell_of(elite, axes) == tuple(int(getattr(row, name)) for name in names)


def test_offline_runs_have_empty_llm_frames(run):
    assert run.llm_calls().empty and run.instructions().empty
    assert "cost_usd" in run.llm_calls().columns


def test_a_folder_that_is_not_a_run_is_one_line(tmp_path):
    with pytest.raises(InputError, match="not a run folder"):
        load_run(tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "empty file, not an archive"), (b"garbage" * 100, "not a readable archive")],
)
def test_a_broken_archive_is_one_line(small_run, tmp_path, content, expected):
    import shutil

    run_dir = tmp_path / "broken"
    run_dir.mkdir()
    shutil.copy(small_run / "config.json", run_dir)
    (run_dir / ARCHIVE_FILE).write_bytes(content)
    with pytest.raises(InputError, match=expected):
        load_run(run_dir)
    assert (run_dir / ARCHIVE_FILE).read_bytes() == content  # left as it was


def test_a_run_never_registered_is_one_line(small_run, tmp_path):
    import shutil

    run_dir = tmp_path / "unregistered"
    run_dir.mkdir()
    shutil.copy(small_run / "config.json", run_dir)
    Archive(run_dir / ARCHIVE_FILE).close()  # killed between the archive's creation and the run's
    with pytest.raises(InputError, match="never registered"):
        load_run(run_dir)
