"""The attacker and the curriculum over a run, or, without an attacker, the score reached on each case."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from aurora_evo.analysis.figures.drawing import iteration_ticks, mark_no_data, new_figure
from aurora_evo.analysis.frames import RunData
from aurora_evo.scenario.levels import LEVEL_NAMES


def _numeric_series(events: pd.DataFrame) -> dict[str, pd.Series]:
    """Every numeric field of the events' data, as a series over iterations."""
    series: dict[str, dict[int, float]] = {}
    for iteration, data in zip(events.iteration, events.data, strict=True):
        for key, value in (data or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                series.setdefault(key, {})[int(iteration)] = float(value)
    return {key: pd.Series(values).sort_index() for key, values in series.items()}


def _fig_coevolution(run: RunData, attacks: pd.DataFrame) -> Figure:
    """The controller's attacker steps: the curriculum's level, the defender against the attacker's
    scenarios (success means matching or beating best fit on a scenario), and the candidates quality
    control let through."""
    data = pd.DataFrame(list(attacks.data))
    data["iteration"] = attacks.iteration.to_numpy()
    settings = run.config.attacker
    fig = new_figure(9.5, 10.0)
    level_ax, success_ax, qc_ax = (fig.add_subplot(3, 1, i) for i in (1, 2, 3))

    # The level after each step: a step that advanced the curriculum ends one level up.
    advanced_at = set(run.events("curriculum").iteration)
    ranks = data.level_rank.astype(float) + [float(i in advanced_at) for i in data.iteration]
    level_ax.step(data.iteration, ranks, where="post", color="tab:purple", linewidth=2, label="level")
    for iteration in sorted(advanced_at):
        level_ax.axvline(iteration, color="0.5", linestyle=":", linewidth=1)
    level_ax.set_yticks(range(len(LEVEL_NAMES)), LEVEL_NAMES)
    level_ax.set_ylim(-0.5, len(LEVEL_NAMES) - 0.5)
    advances = len(run.events("curriculum"))
    level_ax.set_title(f"Attacker and curriculum: {advances} level advance(s), now at {data.level.iloc[-1]}")
    level_ax.set_ylabel("curriculum level")
    level_ax.legend(handles=[*level_ax.get_lines()[:1], Line2D([], [], color="0.5", linestyle=":",
                                                                 label="advance")], fontsize=8)  # fmt: skip

    for column, label, colour in (
        ("mean_success", "elites matching best fit on new scenarios (share)", "tab:blue"),
        ("level_success", "best program matching best fit on the level's scenarios (share)", "tab:green"),
        ("mean_learnability", "learnability of new scenarios (0-1)", "tab:red"),
    ):
        values = pd.to_numeric(data[column], errors="coerce")
        success_ax.plot(data.iteration, values, marker="o", markersize=3, color=colour, label=label)
    success_ax.axhline(settings.sweet_spot, color="tab:blue", linestyle="--", linewidth=1,
                       label=f"sweet spot ({settings.sweet_spot:g})")  # fmt: skip
    success_ax.axhline(settings.advance_share, color="tab:green", linestyle=":", linewidth=1,
                       label=f"level advance at ({settings.advance_share:g})")  # fmt: skip
    success_ax.set_ylim(-0.05, 1.05)
    success_ax.set_title("The defender against the attacker's scenarios")
    success_ax.set_ylabel("share / learnability (0-1)")
    success_ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)

    refused = data.refused.astype(int)
    accepted = data.proposed.astype(int) - refused
    width = max(1.0, 0.8 * settings.interval)
    qc_ax.bar(data.iteration, accepted, width=width, color="tab:green", label="accepted")
    qc_ax.bar(data.iteration, refused, width=width, bottom=accepted, color="tab:red", label="refused")
    rate = accepted.sum() / max(1, data.proposed.astype(int).sum())
    qc_ax.set_title(f"Quality control of the attacker's candidates: {rate:.0%} accepted")
    qc_ax.set_ylabel("candidates per step (count)")
    qc_ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for ax in (level_ax, success_ax, qc_ax):
        ax.set_xlabel("iteration")
        ax.xaxis.set_major_locator(iteration_ticks())
        ax.grid(alpha=0.3)
    return fig


def fig_attacker(run: RunData) -> Figure:
    """Attacker and curriculum progress from events of kind ``curriculum`` and ``attacker`` (every
    numeric field over the iterations, e.g. level and learnability). A run without them gets what it
    has about its scenarios instead: the best and mean score reached on each case."""
    attacks = run.events("attacker")
    if not attacks.empty and all("proposed" in (d or {}) for d in attacks.data):
        return _fig_coevolution(run, attacks)
    kinds = {kind: run.events(kind) for kind in ("curriculum", "attacker")}
    kinds = {kind: events for kind, events in kinds.items() if not events.empty}
    if kinds:
        fig = new_figure(9.0, 3.6 * len(kinds))
        for i, (kind, events) in enumerate(kinds.items()):
            ax = fig.add_subplot(len(kinds), 1, i + 1)
            series = _numeric_series(events)
            if not series:
                mark_no_data(ax, f"{kind} events", f"{len(events)} {kind} event(s), no numeric fields")
                continue
            for key, values in series.items():
                ax.plot(values.index, values.to_numpy(), marker="o", markersize=3, label=key)
            ax.set_title(
                f"{kind.capitalize()} progress" if i else f"Attacker and curriculum: {kind} progress"
            )
            ax.set_xlabel("iteration")
            ax.xaxis.set_major_locator(iteration_ticks())
            ax.set_ylabel("value (see legend)" if len(series) > 1 else next(iter(series)))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        return fig

    scenarios = run.scenarios()
    fig = new_figure(9.0, max(3.5, 1.2 + 0.38 * len(scenarios)))
    ax = fig.add_subplot()
    title = "Scenarios (no attacker in this run)"
    if scenarios.empty:
        mark_no_data(ax, title)
        return fig
    scenarios = scenarios.sort_values(["split", "case"]).reset_index(drop=True)  # train, then validation
    rows = np.arange(len(scenarios))[::-1]  # first case at the top
    ax.hlines(rows, scenarios.mean_score, scenarios.best_score, color="0.7", linewidth=2, zorder=1)
    ax.scatter(
        scenarios.mean_score,
        rows,
        marker="o",
        color="tab:blue",
        zorder=2,
        label="mean over the programs scored",
    )
    ax.scatter(
        scenarios.best_score,
        rows,
        marker="D",
        color="tab:orange",
        zorder=3,
        label="best score of any program",
    )
    ax.set_yticks(rows)
    ax.set_yticklabels(
        [
            f"{case}{' (held out)' if split == 'validation' else ''}, {n} program{'s' * (n != 1)}"
            for case, split, n in zip(scenarios.case, scenarios.split, scenarios.programs, strict=True)
        ],
        fontsize=8,
    )
    ax.set_title(f"{title}: score reached on each case")
    ax.set_xlabel(run.score_label)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig
