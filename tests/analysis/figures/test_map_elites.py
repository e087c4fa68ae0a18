"""The MAP-Elites grid, and the note on a descriptor that hardly varies."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing

from drawn import texts

from aurora_evo.analysis import load_run
from aurora_evo.analysis.figures.drawing import NO_DATA
from aurora_evo.analysis.figures.map_elites import fig_map_elites, flat_axes
from aurora_evo.analysis.report import write_report
from aurora_evo.run_folder import ARCHIVE_FILE


def test_each_cell_coloured_by_its_elite_with_the_bin_boundaries_as_ticks(small_run):
    with load_run(small_run) as run:
        fig = fig_map_elites(run)
        filled = len(run.cells())
        score_label = run.score_label
    ax = fig.axes[0]
    assert 0 < filled < 100
    assert ax.get_title() == f"MAP-Elites: {filled} of 100 cells filled ({filled}%)"
    assert ax.get_xlabel() == "complexity (syntax-tree nodes, log bins)"
    assert ax.get_ylabel() == "specialisation (std / |mean| of per-case scores, log bins)"
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["20", "32", "50"]  # bin boundaries
    assert fig.axes[2].get_ylabel() == f"elite's {score_label}"  # the colour bar (after the note)
    grid = ax.images[0].get_array()
    assert grid.shape == (10, 10) and int((~grid.mask).sum()) == filled  # empty cells are masked


def test_map_figure_says_which_descriptor_hardly_varies(small_run, tmp_path):
    run_dir = tmp_path / "small"
    shutil.copytree(small_run, run_dir)
    # Issue 18: in a cloud run every program's specialisation was 0.05-0.09, one bin of ten.
    with closing(sqlite3.connect(run_dir / ARCHIVE_FILE)) as database, database:
        database.execute(
            "UPDATE programs SET descriptor_json = json_set(descriptor_json, '$.specialisation', "
            "0.05 + 0.03 * (abs(random()) % 100) / 100.0) WHERE descriptor_json IS NOT NULL"
        )
    with load_run(run_dir) as run:
        assert flat_axes(run)[0].startswith("specialisation hardly varies: the ")
        fig = fig_map_elites(run)
        written = write_report(run_dir, tmp_path / "report")
    note = " ".join(" ".join(texts(fig)).split())
    assert "specialisation hardly varies" in note and "bin 4 of 10 (axis 0.001 to 10, log)" in note
    assert "the descriptor nonlinearity spreads programs instead" in note
    assert "complexity hardly varies" not in note
    assert "specialisation hardly varies" in written[-1].read_text()


def test_a_run_with_nothing_evaluated_says_so(empty_run):
    with load_run(empty_run) as run:
        assert NO_DATA in texts(fig_map_elites(run))
