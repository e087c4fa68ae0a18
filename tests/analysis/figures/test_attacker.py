"""The attacker and the curriculum, or the score reached on each case."""

from __future__ import annotations

import shutil

import pytest
from drawn import legend_texts, texts

from aurora_evo.analysis import load_run
from aurora_evo.analysis.figures.attacker import fig_attacker
from aurora_evo.analysis.figures.drawing import NO_DATA


def test_without_an_attacker_the_score_reached_on_each_case(small_run):
    with load_run(small_run) as run:
        ax = fig_attacker(run).axes[0]
        assert ax.get_title().startswith("Scenarios (no attacker in this run)")
        assert ax.get_xlabel() == run.score_label
        assert legend_texts(ax) == ["mean over the programs scored", "best score of any program"]
        assert len(ax.get_yticklabels()) == len(run.scenarios())


def test_attacker_figure_plots_curriculum_events_when_the_run_has_them(small_run, tmp_path):
    run_dir = tmp_path / "small"
    shutil.copytree(small_run, run_dir)
    with load_run(run_dir) as run:
        for iteration in range(5):
            run.archive.ledger.add_event(
                run.run_id, iteration, "curriculum", {"level": iteration // 2, "note": "x"}
            )
            run.archive.ledger.add_event(run.run_id, iteration, "attacker", {"learnability": 0.1 * iteration})
        fig = fig_attacker(run)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Attacker and curriculum: curriculum progress", "Attacker progress"]
    assert [legend_texts(ax) for ax in fig.axes] == [["level"], ["learnability"]]  # numeric fields only
    assert fig.axes[1].get_xlabel() == "iteration"


def test_a_run_with_nothing_evaluated_says_so(empty_run):
    with load_run(empty_run) as run:
        assert NO_DATA in texts(fig_attacker(run))


@pytest.mark.slow
def test_attacker_figure_of_a_coevolution_run(tmp_path):
    from aurora_evo.config import RunConfig, override
    from aurora_evo.evolver import build_evolver

    config = override(RunConfig(seed=2), **{"task.levels": ("easy",), "islands.islands": 2, "islands.population": 4,
                                            "stop.max_iterations": 6, "stop.patience": None, "stop.window": None,
                                            "evaluation.full_warm_up": False, "attacker.interval": 2})  # fmt: skip
    evolution = build_evolver(config, tmp_path / "co")
    try:
        evolution.run()
    finally:
        evolution.close()
    with load_run(tmp_path / "co") as run:
        fig = fig_attacker(run)
    level, success, quality = fig.axes
    assert (
        level.get_title().startswith("Attacker and curriculum: ") and level.get_ylabel() == "curriculum level"
    )
    assert [t.get_text() for t in level.get_yticklabels()] == ["easy", "medium", "hard", "expert", "beyond"]
    assert success.get_title() == "The defender against the attacker's scenarios"
    assert "sweet spot (0.5)" in legend_texts(success)
    assert quality.get_title().startswith("Quality control of the attacker's candidates: ")
    assert legend_texts(quality) == ["accepted", "refused"]
    assert all(ax.get_xlabel() == "iteration" for ax in fig.axes)
