"""``aurora-evo report``: every figure is drawn and readable, report.md links them, the CLI verb."""

from __future__ import annotations

import contextlib
import re
import shutil
import sqlite3

import numpy as np
import pytest
from matplotlib.image import imread

from aurora_evo.analysis import load_run
from aurora_evo.analysis.report import (
    NO_DATA,
    EloStanding,
    elo_standing,
    fig_attacker,
    fig_elo,
    fig_lineage,
    fig_llm,
    fig_map_elites,
    fig_outcomes,
    fig_scores_by_island,
    flat_axes,
    write_report,
)
from aurora_evo.cli import EXIT_BAD_INPUT, EXIT_OK, main
from aurora_evo.errors import InputError
from aurora_evo.run_folder import ARCHIVE_FILE

PICTURES = [
    "scores_by_island.png",
    "elo.png",
    "map_elites.png",
    "lineage.png",
    "outcomes.png",
    "attacker.png",
]


def _assert_readable_png(path):
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] >= 300 and image.shape[1] >= 500, image.shape
    pixels = image.reshape(-1, image.shape[2])
    assert not np.all(pixels == pixels[0]), f"{path.name} is one colour"


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _fake_llm_calls(run_dir) -> None:
    """Three LLM calls per iteration, and one refused by the budget, written to the run's archive."""
    with load_run(run_dir) as run:
        for iteration in range(1, 11):
            rows = [
                {"backend": "gemini", "model": "gemini-2.5-flash", "purpose": "program", "mode": "diff",
                 "instruction_id": "i1", "attempt": 1, "key_index": 0, "prompt_tokens": 1000 + iteration,
                 "completion_tokens": 300, "latency_s": 1.5, "cost_usd": 0.001,
                 "outcome": "ok" if k else "no_code", "error": "", "program_id": None, "when": 1000.0 + k}
                for k in range(3)
            ]  # fmt: skip
            refused = {**rows[0], "attempt": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0}
            run.archive.ledger.add_llm_calls(run.run_id, iteration, [*rows, {**refused, "outcome": "budget"}])


def test_write_report_writes_every_picture_and_links_them(small_run, tmp_path):
    written = write_report(small_run, tmp_path / "report")
    assert [p.name for p in written] == [*PICTURES, "report.md"]  # no llm.png: an offline run
    for path in written[:-1]:
        _assert_readable_png(path)
    markdown = written[-1].read_text()
    assert markdown.startswith("# Run `small`")
    for picture in PICTURES:
        assert f"]({picture})" in markdown  # relative links
    for line in ("- domain: binpacking", "- iterations: 21", "- best training score:", "- best held-out score:",
                 "- the run's winner (what `aurora-evo export` ships first):", "- LLM calls: none"):  # fmt: skip
        assert line in markdown


def test_figures_have_titles_axis_labels_and_legends(small_run):
    with load_run(small_run) as run:
        fig = fig_scores_by_island(run)
        ax = fig.axes[0]
        assert ax.get_title() == "Score of each island over the iterations"
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("iteration", run.score_label)
        legend = _legend_texts(ax)
        assert {"island 0", "island 1", "island 2", "best (solid)", "median (dashed)"} <= set(legend)
        assert "island reset" in legend  # resets every 5 iterations
        assert len(ax.lines) >= 2 * 3

        fig = fig_elo(run)
        ax = fig.axes[0]
        assert ax.get_title() == "Elo ratings: the top 5 programs by current rating, and the run's winner"
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("iteration", "Elo rating")
        top = run.ratings().program_id.head(5)
        legend = _legend_texts(ax)
        ids = [text.split()[1][:8] for text in legend if text.startswith(("#", "winner, "))]
        assert ids[:5] == [pid[:8] for pid in top]
        assert legend[-3].startswith("middle 80 % of the ")

        fig = fig_map_elites(run)
        ax = fig.axes[0]
        filled = len(run.cells())
        assert 0 < filled < 100
        assert ax.get_title() == f"MAP-Elites: {filled} of 100 cells filled ({filled}%)"
        assert ax.get_xlabel() == "complexity (syntax-tree nodes, log bins)"
        assert ax.get_ylabel() == "specialisation (std / |mean| of per-case scores, log bins)"
        assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["20", "32", "50"]  # bin boundaries
        assert fig.axes[2].get_ylabel() == f"elite's {run.score_label}"  # the colour bar (after the note)
        grid = ax.images[0].get_array()
        assert grid.shape == (10, 10) and int((~grid.mask).sum()) == filled  # empty cells are masked

        fig = fig_outcomes(run)
        ax = fig.axes[0]
        assert ax.get_title().startswith("Sandbox outcomes of the candidates: ")
        assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "candidates (count)"
        assert _legend_texts(ax)[0].startswith("ok (")

        fig = fig_attacker(run)
        ax = fig.axes[0]
        assert ax.get_title().startswith("Scenarios (no attacker in this run)")
        assert ax.get_xlabel() == run.score_label
        assert _legend_texts(ax) == ["mean over the programs scored", "best score of any program"]
        assert len(ax.get_yticklabels()) == len(run.scenarios())


def _elo_lines(ax) -> list:
    """The trajectories of the Elo figure (drawn with ``step``), without the band's median."""
    return [line for line in ax.lines if line.get_drawstyle() == "steps-post" and line.get_linestyle() == "-"]


def test_elo_figure_marks_the_winner_in_its_own_colour_among_distinct_ones(small_run):
    with load_run(small_run) as run:
        standing = elo_standing(run)
        fig = fig_elo(run)
    ax = fig.axes[0]
    legend = _legend_texts(ax)
    winner = [text for text in legend if text.startswith("winner, ")]
    assert len(winner) == 1 and winner[0].split()[1] == standing.winner[:8]
    assert all(re.search(r": \d+ \(\d+ matches, score ", text) for text in legend[:5])  # rating, matches
    colours = [tuple(line.get_color()) if not isinstance(line.get_color(), str) else line.get_color()
               for line in _elo_lines(ax)]  # fmt: skip
    assert len(colours) == len(set(colours)) == (5 if standing.in_top else 6)
    assert "black" in colours  # the winner
    assert any(line.get_marker() == "*" for line in ax.lines)
    assert standing.explanation() in " ".join(" ".join(_texts(fig)).split())


def test_elo_figure_says_why_the_winner_is_not_among_the_top(small_run, tmp_path):
    run_dir = tmp_path / "small"
    shutil.copytree(small_run, run_dir)
    with load_run(run_dir) as run:
        winner = run.winner()
        run.archive.elites.set_rating(winner, 1000.0, 3, 20)  # far below every other program
        standing = elo_standing(run)
        assert not standing.in_top and standing.rank == standing.rated
        fig = fig_elo(run)
        written = write_report(run_dir, tmp_path / "report")
    note = " ".join(" ".join(_texts(fig)).split())
    assert f"is rated #{standing.rank} of {standing.rated} (1000, 3 matches)" in note
    assert "Elo counts wins in pairwise matches on one case at a time" in note
    assert "chosen by its mean score" in note
    assert len(_elo_lines(fig.axes[0])) == 6  # the top five and the winner
    assert f"- Elo: {standing.explanation()}" in written[-1].read_text()


def test_elo_standing_of_a_winner_in_the_top_needs_no_excuse():
    standing = EloStanding("abcdef0123", 2, 40, 1612.4, 30, 28.0, 5)
    assert standing.in_top
    assert (
        standing.explanation()
        == "The run's winner abcdef01 (the program export ships first) is rated #2 of 40 (1612, 30 matches)."
    )
    assert "no Elo rating" in EloStanding("abcdef0123", None, 40, float("nan"), 0, 28.0, 5).explanation()


def test_map_figure_says_which_descriptor_hardly_varies(small_run, tmp_path):
    run_dir = tmp_path / "small"
    shutil.copytree(small_run, run_dir)
    # Issue 18: in a cloud run every program's specialisation was 0.05-0.09, one bin of ten.
    with contextlib.closing(sqlite3.connect(run_dir / ARCHIVE_FILE)) as db, db:
        db.execute(
            "UPDATE programs SET descriptor_json = json_set(descriptor_json, '$.specialisation', "
            "0.05 + 0.03 * (abs(random()) % 100) / 100.0) WHERE descriptor_json IS NOT NULL"
        )
    with load_run(run_dir) as run:
        assert flat_axes(run)[0].startswith("specialisation hardly varies: the ")
        fig = fig_map_elites(run)
        written = write_report(run_dir, tmp_path / "report")
    note = " ".join(" ".join(_texts(fig)).split())
    assert "specialisation hardly varies" in note and "bin 4 of 10 (axis 0.001 to 10, log)" in note
    assert "the descriptor nonlinearity spreads programs instead" in note
    assert "complexity hardly varies" not in note
    assert "specialisation hardly varies" in written[-1].read_text()


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
    assert [_legend_texts(ax) for ax in fig.axes] == [["level"], ["learnability"]]  # numeric fields only
    assert fig.axes[1].get_xlabel() == "iteration"


def test_lineage_draws_evicted_ancestors_hollow(small_run):
    with load_run(small_run) as run:
        programs = run.programs()
        evicted = set(programs.id[programs.evicted])
        lineage = run.lineage()
        children = lineage[lineage.parent_id.isin(evicted)].child_id
        assert not children.empty, "the run should hold a child of an evicted program"
        program_id = str(children.iloc[-1])
        tree = run.ancestry(program_id)
        ancestors = set(tree.id[tree.evicted]) - {program_id}
        assert ancestors

        fig = fig_lineage(run, program_id)
        ax = fig.axes[0]
        nodes = {c.get_gid(): c for c in ax.collections if c.get_gid()}
        assert set(nodes) == set(tree.id)
        for node in ancestors:
            assert tuple(nodes[node].get_facecolor()[0]) == (1.0, 1.0, 1.0, 1.0)  # hollow
        assert ax.get_title().startswith(f"Lineage of {program_id[:8]}: ")
        assert f"{len(ancestors)} evicted" in ax.get_title()  # ancestors only, not the program itself
        # One arrow per lineage edge of the tree, each from the parent (left) to the child (right).
        edges = run.lineage()
        edges = edges[edges.child_id.isin(tree.id) & edges.parent_id.isin(tree.id)]
        arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
        assert len(arrows) == len(edges)
        centre = {gid: tuple(c.get_offsets()[0]) for gid, c in nodes.items()}
        drawn = {(a.xyann, a.xy) for a in arrows}
        assert drawn == {(centre[p], centre[c]) for p, c in zip(edges.parent_id, edges.child_id, strict=True)}
        assert all(parent[0] < child[0] for parent, child in drawn)
        labels = " ".join(_texts(fig))
        assert all(node[:8] in labels for node in tree.id)  # a small tree: every node labelled
        assert "(evicted)" in labels
        assert fig.axes[1].get_ylabel() == f"training {run.score_label}"

        best = fig_lineage(run)  # by default the run's winner, the program export ships first
        assert run.winner()[:8] in best.axes[0].get_title()
        assert "the run's winner" in best.axes[0].get_title()


def test_llm_figure_from_the_archived_calls(small_run, tmp_path):
    run_dir = tmp_path / "small"
    shutil.copytree(small_run, run_dir)
    _fake_llm_calls(run_dir)
    with load_run(run_dir) as run:
        fig = fig_llm(run)
    tokens, outcomes, cost = fig.axes  # the twin axis comes last
    assert tokens.get_title() == "LLM tokens and cumulative cost: 30 calls sent, $0.03 spent"
    assert (tokens.get_xlabel(), tokens.get_ylabel()) == ("iteration", "tokens per iteration")
    assert cost.get_ylabel() == "cumulative cost (US dollars)"
    assert _legend_texts(tokens) == ["prompt tokens", "completion tokens", "cumulative cost"]
    assert cost.lines[0].get_ydata()[-1] == pytest.approx(0.03)
    assert outcomes.get_title() == "LLM call outcomes"
    assert [t.get_text() for t in outcomes.get_yticklabels()] == ["no_code", "budget", "ok"]  # upwards

    written = write_report(run_dir, tmp_path / "report")
    assert written[-2].name == "llm.png"
    _assert_readable_png(written[-2])
    markdown = written[-1].read_text()
    assert "](llm.png)" in markdown and "- LLM calls: 30 sent (10 refused)" in markdown


def test_a_run_with_nothing_evaluated_says_so(tmp_path):
    from aurora_evo.config import RunConfig, override
    from aurora_evo.evolve import Evolution

    config = override(RunConfig(seed=1), **{"task.domain": "binpacking", "task.train_instances": 1,
                                            "task.train_items": 50, "task.validation_instances": 1,
                                            "task.validation_items": 50, "evaluation.full_warm_up": False})  # fmt: skip
    Evolution(config, tmp_path / "empty").close()
    written = write_report(tmp_path / "empty", tmp_path / "report")
    assert [p.name for p in written] == [*PICTURES, "report.md"]
    for path in written[:-1]:
        _assert_readable_png(path)
    with load_run(tmp_path / "empty") as run:
        for draw in (fig_scores_by_island, fig_elo, fig_map_elites, fig_lineage, fig_outcomes, fig_attacker):
            assert NO_DATA in _texts(draw(run)), draw.__name__
        assert "no LLM calls in this run" in _texts(fig_llm(run))
    assert "- best training score: none yet" in written[-1].read_text()


def test_bad_input_is_an_input_error(small_run, tmp_path):
    with pytest.raises(InputError, match="not a run folder"):
        write_report(tmp_path, tmp_path / "report")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        write_report(small_run, tmp_path / "file")


def test_cli_report_prints_the_written_paths(small_run, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["report", str(small_run), "--out", str(out)]) == EXIT_OK
    printed, err = capsys.readouterr()
    assert err == ""
    paths = printed.splitlines()
    assert [p.rsplit("/", 1)[-1] for p in paths] == [*PICTURES, "report.md"]
    assert all((out / name).is_file() for name in [*PICTURES, "report.md"])


def test_cli_report_on_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == EXIT_BAD_INPUT
    printed, err = capsys.readouterr()
    assert printed == "" and len(err.splitlines()) == 1
    assert re.match(r"aurora-evo report: error: .*not a run folder", err)
    assert not (tmp_path / "report").exists()


@pytest.mark.slow
def test_attacker_figure_of_a_coevolution_run(tmp_path):
    from aurora_evo.config import RunConfig, override
    from aurora_evo.evolve import Evolution

    config = override(RunConfig(seed=2), **{"task.levels": ("easy",), "islands.islands": 2, "islands.population": 4,
                                            "stop.max_iterations": 6, "stop.patience": None, "stop.window": None,
                                            "evaluation.full_warm_up": False, "attacker.interval": 2})  # fmt: skip
    evolution = Evolution(config, tmp_path / "co")
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
    assert "sweet spot (0.5)" in _legend_texts(success)
    assert quality.get_title().startswith("Quality control of the attacker's candidates: ")
    assert _legend_texts(quality) == ["accepted", "refused"]
    assert all(ax.get_xlabel() == "iteration" for ax in fig.axes)
