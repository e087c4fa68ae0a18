"""The studies' figures, one per study, from the study's document (matplotlib, written as PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot as plt


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_ablation(document: dict, path: Path) -> None:
    """Each arm's test fitness: a dot per run seed, the mean over the paired seeds with its 95 %
    interval; best fit at 0."""
    figure, axis = plt.subplots(figsize=(6.4, 3.4))
    for index, (arm, record) in enumerate(document["arms"].items()):
        values = [r["mean_test_fitness"] for r in record["runs"] if r["mean_test_fitness"] is not None]
        axis.scatter([index] * len(values), values, s=14, alpha=0.6, color="tab:blue")
        interval = document["intervals"].get(arm)
        if interval:
            low, high = interval["mean"] - interval["low"], interval["high"] - interval["mean"]
            axis.errorbar(
                index + 0.15, interval["mean"], yerr=[[low], [high]], fmt="o", color="black", capsize=3
            )
    axis.axhline(0.0, color="grey", linewidth=0.8, linestyle="--")
    axis.set_xticks(range(len(document["arms"])), list(document["arms"]), fontsize=8)
    axis.set_ylabel("test fitness (0 = best fit)")
    axis.set_title(
        f"ablation on {document['run']['suite']}: a dot per run seed, mean and 95 % interval", fontsize=9
    )
    _save(figure, path)


def plot_scalability(document: dict, path: Path) -> None:
    """Against the tasks per scenario: each policy's mean fitness, and its decision latency (log-log)
    with the simulator alone at the larger sizes."""
    figure, (quality, latency) = plt.subplots(1, 2, figsize=(10, 3.6))
    policies = list(dict.fromkeys(r["policy"] for r in document["rows"]))
    for name in policies:
        rows = [r for r in document["rows"] if r["policy"] == name and not r["error"]]
        tasks = [r["tasks"] for r in rows]
        quality.plot(tasks, [r["mean_fitness"] for r in rows], marker="o", markersize=3, label=name)
        latency.plot(tasks, [r["decision_ms"] for r in rows], marker="o", markersize=3, label=name)
    if document["simulator"]:
        simulator = document["simulator"]
        latency.plot(
            [r["tasks"] for r in simulator], [r["decision_ms"] for r in simulator], marker="s",
            linestyle=":", color="black", label="simulator alone (best fit)",
        )  # fmt: skip
    quality.axhline(0.0, color="grey", linewidth=0.8, linestyle="--")
    quality.set(xscale="log", xlabel="tasks", ylabel="mean fitness (0 = best fit)")
    latency.set(xscale="log", yscale="log", xlabel="tasks", ylabel="ms per placement")
    quality.set_title("quality as the cluster grows", fontsize=9)
    latency.set_title("decision latency", fontsize=9)
    latency.legend(fontsize=7)
    _save(figure, path)


def plot_transfer(document: dict, path: Path) -> None:
    """Per pair, mean reward on the target: transferred, native, best fit, first fit."""
    pairs = document["pairs"]
    figure, axis = plt.subplots(figsize=(7, 3.4))
    bars = {
        "transferred": lambda p: _mean(s["transferred_reward"] for s in p["seeds"]),
        "evolved on the target": lambda p: _mean(s["native_reward"] for s in p["seeds"]),
        "best fit": lambda p: p["baselines"]["best fit"]["mean_reward"],
        "first fit": lambda p: p["baselines"]["first fit"]["mean_reward"],
    }
    width = 0.8 / len(bars)
    for offset, (label, value) in enumerate(bars.items()):
        positions = [index + (offset - 1.5) * width for index in range(len(pairs))]
        axis.bar(positions, [value(p) for p in pairs], width, label=label)
    lows = [min(value(p) for value in bars.values()) for p in pairs]
    highs = [max(value(p) for value in bars.values()) for p in pairs]
    axis.set_ylim(min(lows) - 0.02, max(highs) + 0.01)
    axis.set_xticks(range(len(pairs)), [f"{p['source']} -> {p['target']}" for p in pairs], fontsize=8)
    axis.set_ylabel("mean reward on the target")
    axis.legend(fontsize=7)
    axis.set_title("zero-shot transfer", fontsize=9)
    _save(figure, path)


def _mean(values) -> float:
    measured = [v for v in values if v is not None]
    return sum(measured) / len(measured) if measured else float("nan")


def plot_continual(document: dict, path: Path) -> None:
    """Per suite's test split, each run's fitness per seed (a line per seed across the runs)."""
    first, then = document["run"]["suite"], document["run"]["then"]
    runs = ("first", "continued", "scratch")
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for axis, name in zip(axes, (first, then), strict=True):
        for row in document["seeds"]:
            values = [row["fitness"][run][name] for run in runs]
            axis.plot(
                range(len(runs)), values, marker="o", markersize=3, alpha=0.7, label=f"seed {row['seed']}"
            )
        axis.axhline(0.0, color="grey", linewidth=0.8, linestyle="--")
        axis.set_xticks(range(len(runs)), runs, fontsize=8)
        axis.set_title(f"on {name}'s test split", fontsize=9)
    axes[0].set_ylabel("fitness (0 = best fit)")
    axes[1].legend(fontsize=7)
    _save(figure, path)


FIGURES = {
    "ablation": plot_ablation,
    "scalability": plot_scalability,
    "transfer": plot_transfer,
    "continual": plot_continual,
}
