"""``aurora-evo report``: one PNG per figure of :mod:`aurora_evo.analysis.figures` and a short
``report.md`` summing the run up and linking them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from aurora_evo.analysis.figures.attacker import fig_attacker
from aurora_evo.analysis.figures.drawing import score_text
from aurora_evo.analysis.figures.elo import ELO_TOP, elo_standing, fig_elo
from aurora_evo.analysis.figures.lineage import fig_lineage
from aurora_evo.analysis.figures.llm import fig_llm
from aurora_evo.analysis.figures.map_elites import fig_map_elites, flat_axes
from aurora_evo.analysis.figures.outcomes import fig_outcomes
from aurora_evo.analysis.figures.scores_by_island import fig_scores_by_island
from aurora_evo.analysis.frames import RunData
from aurora_evo.errors import InputError

__all__ = ["FIGURES", "FigureSpec", "write_report"]

#: Resolution of the saved pictures (dots per inch).
DPI = 110


@dataclass(frozen=True)
class FigureSpec:
    """One picture of the report: its file name, what draws it, its caption."""

    file: str
    draw: Callable[[RunData], Figure]
    caption: str


#: The pictures of the report, in order; ``llm.png`` only for runs that called a language model.
FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("scores_by_island.png", fig_scores_by_island,
               "Best (solid) and median (dashed) score of each island's members per iteration."),
    FigureSpec("elo.png", fig_elo,
               f"Elo rating trajectories of the {ELO_TOP} programs rated highest now and of the run's winner "
               "(black star), over the middle 80 % of all ratings (grey)."),
    FigureSpec("map_elites.png", fig_map_elites,
               "The MAP-Elites grid: the elite's score in each descriptor cell (blank: empty); ticks are "
               "the descriptors' bin boundaries."),
    FigureSpec("lineage.png", fig_lineage,
               "Family tree of the run's winner back to its seeds (hollow: evicted ancestors)."),
    FigureSpec("outcomes.png", fig_outcomes, "How the sandbox judged the candidates, per iteration."),
    FigureSpec("attacker.png", fig_attacker,
               "Attacker and curriculum progress, or, without an attacker, the score reached on each case."),
    FigureSpec("llm.png", fig_llm, "Language-model tokens, cumulative cost and call outcomes."),
)  # fmt: skip


def _summary(run: RunData) -> list[str]:
    """The head of ``report.md``: what the run is and how far it got."""
    programs = run.programs()
    iterations = run.events("iteration")
    status = run.archive.runs.get(run.run_id).status
    lines = [
        f"# Run `{run.run_id}`",
        "",
        f"- domain: {run.config.task.domain}",
        f"- status: {'running, or interrupted' if status == 'running' else status or 'unknown'}",
        f"- iterations: {len(iterations)}"
        + (f" (0 to {int(iterations.iteration.max())}; 0 scores the seeds)" if len(iterations) else ""),
        f"- programs: {len(programs)} ({int((programs.outcome == 'ok').sum())} ran ok, "
        f"{int(programs.evicted.sum())} evicted)",
        f"- scores: {run.score_label}, higher is better",
    ]
    frame = programs.set_index("id")
    for by, name in (("score", "training"), ("validation_score", "held-out")):
        # From this one read of the programs: a run still going may add a new best meanwhile.
        scored = programs.dropna(subset=[by])
        if scored.empty:
            lines.append(f"- best {name} score: none yet")
            continue
        best = scored.sort_values([by, "iteration"], ascending=[False, True]).id.iloc[0]
        row = frame.loc[best]
        lines.append(
            f"- best {name} score: {score_text(row[by])} (program `{best}`, {row.mutator}, "
            f"iteration {int(row.iteration)}; training {score_text(row.score)}, "
            f"held-out {score_text(row.validation_score)})"
        )
    winner = run.winner()
    if winner is not None and winner in frame.index:
        lines.append(f"- the run's winner (what `aurora-evo export` ships first): `{winner}`, made by "
                     f"`{frame.mutator[winner]}`")  # fmt: skip
        lines.append(f"- Elo: {elo_standing(run).explanation()}")
    filled, total = len(run.cells()), int(np.prod(run.config.archive.bins))
    over = ", ".join(run.config.archive.descriptors)
    lines.append(f"- MAP-Elites: {filled} of {total} cells filled over {over}"
                 + "".join(f"; {sentence}" for sentence in flat_axes(run)))  # fmt: skip
    calls = run.llm_calls()
    if not calls.empty:
        sent = calls[calls.attempt > 0]
        cost = float(pd.to_numeric(sent.cost_usd, errors="coerce").fillna(0).sum())
        tokens = (
            pd.to_numeric(sent.prompt_tokens, errors="coerce").fillna(0).sum()
            + pd.to_numeric(sent.completion_tokens, errors="coerce").fillna(0).sum()
        )
        lines.append(f"- LLM calls: {len(sent)} sent ({len(calls) - len(sent)} refused), "
                     f"{int(tokens)} tokens, ${cost:.4f}")  # fmt: skip
    else:
        lines.append("- LLM calls: none (offline mutators)")
    return lines


def write_report(run_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the report of the run in ``run_dir`` into ``out_dir`` (created if needed): one PNG per
    figure of :data:`FIGURES` (``llm.png`` only when the run called a language model) and
    ``report.md`` linking them. Returns the paths written, ``report.md`` last.

    Raises:
        InputError: when ``run_dir`` is not a run folder, or ``out_dir`` cannot be a folder.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; give --out a folder")
    with RunData(run_dir) as run:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{out}: cannot create the folder ({exc.strerror})") from None
        has_llm = not run.llm_calls().empty
        written: list[Path] = []
        lines = [*_summary(run), "", "## Figures", ""]
        for spec in FIGURES:
            if spec.file == "llm.png" and not has_llm:
                continue
            figure = spec.draw(run)
            path = out / spec.file
            figure.savefig(path, dpi=DPI, bbox_inches="tight")  # no label cut off at the edges
            written.append(path)
            lines += [f"![{spec.file.removesuffix('.png')}]({spec.file})", "", spec.caption, ""]
    report = out / "report.md"
    report.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return [*written, report]
