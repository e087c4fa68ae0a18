"""The analysis notebooks run top to bottom: no cell fails and every plotting cell draws a figure.

Each notebook is executed in memory (the file in the repository, which holds no outputs, is never
written) in a fresh ``python3`` kernel whose working directory is the repository root, cut down by the
notebooks' own parameters: an 8-iteration offline run for the lineage notebook, ``AURORA_QUICK=1`` (first
instance of each test set) for the shipped programs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[2]
ANALYSIS = REPO / "analysis"
NOTEBOOKS = ["lineage.ipynb", "shipped_programs.ipynb"]
CELL_TIMEOUT_S = 300


def _execute(name: str, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    # The kernel inherits this process's environment: the notebooks read their parameters from it.
    monkeypatch.setenv("AURORA_ITERATIONS", "8")
    monkeypatch.setenv("AURORA_QUICK", "1")
    monkeypatch.delenv("AURORA_RUN_DIR", raising=False)
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(ANALYSIS / name, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(REPO)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    return notebook


def _code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _errors(cell) -> list[str]:
    return [f"{out.ename}: {out.evalue}" for out in cell.outputs if out.output_type == "error"]


def _has_figure(cell) -> bool:
    return any("image/png" in out.get("data", {}) for out in cell.outputs)


def _text(cell) -> str:
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        parts.extend(str(out.get("data", {}).get(kind, "")) for kind in ("text/plain", "text/markdown"))
    return "\n".join(parts)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name):
    notebook = nbformat.read(ANALYSIS / name, as_version=4)
    nbformat.validate(notebook)
    for cell in _code_cells(notebook):
        assert cell.outputs == [], f"{name}: cell {cell.id} is committed with outputs"
        assert cell.execution_count is None, f"{name}: cell {cell.id} has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_draws_every_figure(name, monkeypatch):
    notebook = _execute(name, monkeypatch)
    cells = _code_cells(notebook)
    for cell in cells:
        assert not _errors(cell), f"{name}: cell {cell.id} failed: {_errors(cell)}"
        assert cell.execution_count is not None, f"{name}: cell {cell.id} did not run"
    plotting = [cell for cell in cells if "plt.show()" in cell.source]
    assert plotting, f"{name}: no plotting cell found"
    for cell in plotting:
        assert _has_figure(cell), f"{name}: plotting cell {cell.id} produced no figure"
    # The notebook file on disk is untouched.
    assert all(not cell.outputs for cell in _code_cells(nbformat.read(ANALYSIS / name, as_version=4)))

    by_id = {cell.id: cell for cell in cells}
    if name == "lineage.ipynb":
        assert "made an offline run of 8 iterations" in _text(by_id["run"])
        assert "ancestors" in _text(by_id["winners"]) or "made from scratch" in _text(by_id["winners"])
        assert "mean_improvement" in _text(by_id["payoff"])
        assert "no language model" in _text(by_id["llm"])
    else:
        assert "QUICK mode" in _text(by_id["binpacking"])
        summary = _text(by_id["binpacking-table"])
        assert "Weibull 5k" in summary and "OR3" in summary and "FunSearch (published)" in summary
        assert "cloud.py (evolved)" in _text(by_id["cloud"])
