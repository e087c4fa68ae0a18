"""The language model's use: tokens, cost and the outcomes of its calls."""

from __future__ import annotations

from matplotlib.figure import Figure

from aurora_evo.analysis.figures.drawing import (
    iteration_bins,
    iteration_ticks,
    mark_no_data,
    new_figure,
    outcome_colours,
)
from aurora_evo.analysis.frames import RunData


def fig_llm(run: RunData) -> Figure:
    """Language-model use: prompt and completion tokens per iteration (stacked bars) with the
    cumulative cost in US dollars (line, right axis), and the outcomes of the calls."""
    fig = new_figure(12.0, 5.0)
    grid = fig.add_gridspec(1, 3)
    ax = fig.add_subplot(grid[0, :2])
    outcomes_ax = fig.add_subplot(grid[0, 2])
    title = "LLM tokens and cumulative cost"
    calls = run.llm_calls()
    if calls.empty:
        mark_no_data(ax, title, "no LLM calls in this run")
        mark_no_data(outcomes_ax, "LLM call outcomes", "no LLM calls in this run")
        return fig
    calls = calls.astype({"prompt_tokens": float, "completion_tokens": float, "cost_usd": float})
    calls = calls.fillna({"prompt_tokens": 0.0, "completion_tokens": 0.0, "cost_usd": 0.0})
    start, width = iteration_bins(calls.iteration.to_numpy())
    tokens = calls[["prompt_tokens", "completion_tokens"]].groupby(start).sum()
    centre = tokens.index + (width - 1) / 2
    ax.bar(centre, tokens.prompt_tokens, width=0.85 * width, color="tab:blue", label="prompt tokens")
    ax.bar(centre, tokens.completion_tokens, width=0.85 * width, bottom=tokens.prompt_tokens,
           color="tab:cyan", label="completion tokens")  # fmt: skip
    cost = calls.groupby("iteration").cost_usd.sum().sort_index().cumsum()
    twin = ax.twinx()
    twin.plot(cost.index, cost.to_numpy(), color="tab:red", linewidth=2, marker="o", markersize=3,
              label="cumulative cost")  # fmt: skip
    twin.set_ylabel("cumulative cost (US dollars)", color="tab:red")
    twin.tick_params(axis="y", colors="tab:red")
    twin.set_ylim(bottom=0)
    sent = int((calls.attempt > 0).sum())
    ax.set_title(f"{title}: {sent} calls sent, ${cost.iloc[-1]:.4g} spent")
    ax.set_xlabel("iteration" if width == 1 else f"iteration (bars of {width} iterations)")
    ax.set_ylabel("tokens per iteration" if width == 1 else f"tokens per {width} iterations")
    ax.xaxis.set_major_locator(iteration_ticks())
    ax.grid(axis="y", alpha=0.3)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", fontsize=8)

    counts = calls.outcome.fillna("unknown").value_counts()
    # Most frequent at the top (barh draws upwards), ties in name order.
    totals = counts[sorted(counts.index, key=lambda name: (-counts[name], name))][::-1]
    colours = outcome_colours(list(totals.index))
    outcomes_ax.barh(range(len(totals)), totals.to_numpy(), color=[colours[n] for n in totals.index])
    outcomes_ax.set_yticks(range(len(totals)), list(totals.index))
    for i, count in enumerate(totals.to_numpy()):
        outcomes_ax.text(count, i, f" {count}", va="center", fontsize=8)
    outcomes_ax.set_xlim(0, totals.max() * 1.2)
    outcomes_ax.set_title("LLM call outcomes")
    outcomes_ax.set_xlabel("calls (count; 'budget' and quota ones were not sent)")
    outcomes_ax.set_ylabel("outcome")
    return fig
