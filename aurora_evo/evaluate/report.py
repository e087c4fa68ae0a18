"""Write an evaluation: ``results.json`` (everything, per scenario), ``report.md`` (tables) and two
figures, ``objectives.png`` (each objective's mean and 95 % interval per policy) and
``learning_curves.png`` (the trained baselines' fitness during training)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

_P_STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def _number(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "" and abs(value) <= 1:
        return f"{value:.4f}"
    return f"{value:.3g}" if unit == "ms" else f"{value:.4g}"


def p_text(value: float) -> str:
    """A p-value with its stars."""
    stars = next((s for level, s in _P_STARS if value < level), "")
    return f"{value:.2g}{stars}"


def _change(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{100 * value:+.1f} %"


def report_markdown(document: dict) -> str:
    """The Markdown report of a ``results.json`` document."""
    head = document["run"]
    summary, policies = document["summary"], document["per_scenario"]["policies"]
    lines = [
        f"# Evaluation: {head['suite']} ({head['split']} split)",
        "",
        f"{head['scenarios']} scenario(s), profile `{head['profile']}`, seed {head['seed']}; the trained "
        f"baselines learned on {head['train_scenarios']} scenario(s) of the train split. Fitness: each "
        "objective's relative change against best fit on the same scenario, weighted by the scenario's "
        "objective weights (0 is best fit, higher is better). Intervals: 95 % bootstrap (BCa) of the mean "
        "over scenarios. p-values: paired over scenarios, two-sided, Holm-corrected per objective and test "
        "(t: paired t-test; W: Wilcoxon signed-rank); * < 0.05, ** < 0.01, *** < 0.001; d_z: Cohen's "
        "effect size of the paired differences. Changes are relative to the reference's mean, but for the "
        "fitness, itself relative to best fit: its difference.",
        "",
        "## Summary",
        "",
        "| policy | kind | fitness | reward | Pareto-optimal | decision (ms) | training |",
        "|---|---|---|---|---|---|---|",
    ]
    shares = summary["pareto"]["share_non_dominated"]
    for name, policy in policies.items():
        if policy["error"]:
            lines.append(f"| {name} | {policy['kind']} | failed: {policy['error']} | | | | |")
            continue
        means = {key: summary["objectives"][key]["intervals"][name] for key in ("fitness", "reward")}
        training = policy["training"]
        trained = f"{training['budget']}, {training['seconds']:.0f} s" if training else ""
        fitness, reward = means["fitness"]["mean"], means["reward"]["mean"]
        share = 100 * shares.get(name, 0)
        lines.append(
            f"| {name} | {policy['kind']} | {fitness:+.4f} | {reward:.4f} | {share:.0f} % | "
            f"{_number(policy['decision_ms'], 'ms')} | {trained} |"
        )
    lines += _training_table(policies)
    for key, objective in summary["objectives"].items():
        lines += _objective_table(key, objective)
    lines += ["", "![objectives](objectives.png)", "", "![learning curves](learning_curves.png)", ""]
    return "\n".join(lines)


def _training_table(policies: dict) -> list[str]:
    """The trained baselines: budget, time, and whether their curve still moved over the last fifth."""
    trained = {name: p["training"] for name, p in policies.items() if p["training"]}
    if not trained:
        return []
    lines = [
        "",
        "## Training",
        "",
        "The change over the last fifth of each budget, on the train split: the GA's best fitness so far; "
        "DQN's and PPO's greedy network measured on the same few train scenarios at checkpoints (paired "
        "t-test over those scenarios). Rising: more budget would likely help.",
        "",
        "| baseline | budget | seconds | fitness at the end (train) | change, last fifth | p | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, training in trained.items():
        trend = training.get("trend")
        if trend is None:
            cells = ["-", "-", "-", "too few points"]
        else:
            p = "-" if trend["pvalue"] is None else p_text(trend["pvalue"])
            cells = [f"{trend['after']:+.4f}", f"{trend['change']:+.4f}", p, trend["verdict"]]
        lines.append(
            f"| {name} | {training['budget']} | {training['seconds']:.0f} | " + " | ".join(cells) + " |"
        )
    return lines


def _objective_table(key: str, objective: dict) -> list[str]:
    unit = f" ({objective['unit']})" if objective["unit"] else ""
    direction = "higher" if objective["higher_is_better"] else "lower"
    lines = [
        "",
        f"## {objective['label']}{unit}, {direction} is better",
        "",
        "| policy | mean [95 % interval] | vs best fit | p (t / W) | d_z | vs DQN | p (t / W) |",
        "|---|---|---|---|---|---|---|",
    ]
    against = {(c["policy"], c["reference"]): c for c in objective["comparisons"]}
    for name, interval in objective["intervals"].items():
        mean, low, high = (_number(interval[k], objective["unit"]) for k in ("mean", "low", "high"))
        cells = [f"{mean} [{low}, {high}]"]
        for reference in ("best_fit", "dqn"):
            c = against.get((name, reference))
            if c is None:
                cells += ["", ""] + ([""] if reference == "best_fit" else [])
                continue
            change = f"{c['mean_difference']:+.4f}" if key == "fitness" else _change(c["relative_change"])
            cells += [change, f"{p_text(c['t_pvalue_holm'])} / {p_text(c['wilcoxon_pvalue_holm'])}"]
            if reference == "best_fit":
                dz = c["cohens_dz"]
                cells.append(f"{dz:+.2f}" if dz is not None and math.isfinite(dz) else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def plot_objectives(document: dict, path: Path) -> None:
    """Each objective's mean and 95 % interval per policy, one panel per objective."""
    import matplotlib  # heavy: plotting only when a report is written

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # heavy: as above

    objectives = document["summary"]["objectives"]
    columns = 4
    rows = math.ceil(len(objectives) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), squeeze=False)
    for axis, objective in zip(axes.flat, objectives.values(), strict=False):
        names = list(objective["intervals"])
        means = np.array([objective["intervals"][n]["mean"] for n in names])
        low = means - np.array([objective["intervals"][n]["low"] for n in names])
        high = np.array([objective["intervals"][n]["high"] for n in names]) - means
        axis.barh(names, means, xerr=[np.maximum(low, 0), np.maximum(high, 0)], color="#4c72b0", capsize=3)
        unit = f" ({objective['unit']})" if objective["unit"] else ""
        better = "higher" if objective["higher_is_better"] else "lower"
        axis.set_title(f"{objective['label']}{unit}, {better} is better", fontsize=9)
        axis.invert_yaxis()
        axis.tick_params(labelsize=8)
    for axis in list(axes.flat)[len(objectives) :]:
        axis.axis("off")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_learning_curves(document: dict, path: Path) -> None:
    """The trained baselines' fitness while training: GA per generation (best and mean), DQN and PPO per
    training episode (a moving mean of 20 episodes, exploration included) and the greedy network at each
    checkpoint, against the decisions so far."""
    import matplotlib  # heavy: plotting only when a report is written

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # heavy: as above

    policies = document["per_scenario"]["policies"]
    trained = {name: p["training"] for name, p in policies.items() if p["training"]}
    figure, axes = plt.subplots(
        1, max(len(trained), 1), figsize=(4.5 * max(len(trained), 1), 3.2), squeeze=False
    )
    for axis, (name, training) in zip(axes.flat, trained.items(), strict=False):
        curve = training["curve"]
        if name == "ga":
            axis.plot([c["generation"] for c in curve], [c["best"] for c in curve], label="best")
            axis.plot([c["generation"] for c in curve], [c["mean"] for c in curve], label="mean")
            axis.set_xlabel("generation")
            axis.legend(fontsize=8)
        else:
            steps = np.array([c["timesteps"] for c in curve])
            fitness = np.array([c["fitness"] for c in curve])
            window = min(20, max(len(fitness), 1))
            smooth = np.convolve(fitness, np.ones(window) / window, mode="valid") if len(fitness) else fitness
            axis.plot(steps[window - 1 :] if len(steps) else steps, smooth, label="episodes (mean of 20)")
            checkpoints = training.get("checkpoints", [])
            axis.plot(
                [c["timesteps"] for c in checkpoints],
                [c["fitness"] for c in checkpoints],
                marker="o",
                markersize=3,
                label="greedy, checkpoint scenarios",
            )
            axis.set_xlabel("decisions")
            axis.legend(fontsize=8)
        axis.axhline(0.0, color="grey", linewidth=0.8, linestyle="--")  # best fit
        axis.set_title(f"{name}: training fitness (0 = best fit)", fontsize=9)
        axis.set_ylabel("fitness")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(document: dict, out: Path) -> list[Path]:
    """``results.json``, ``report.md``, ``objectives.png`` and ``learning_curves.png`` in ``out``."""
    paths = [out / name for name in ("results.json", "report.md", "objectives.png", "learning_curves.png")]
    paths[0].write_text(json.dumps(finite(document), indent=1, allow_nan=False, default=json_number))
    paths[1].write_text(report_markdown(document))
    plot_objectives(document, paths[2])
    plot_learning_curves(document, paths[3])
    return paths


def finite(value):
    """``value`` with every infinite or NaN float replaced by ``None`` (JSON has neither; an effect size
    of constant differences is infinite), recursively through dicts and lists."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_number(value):
    """numpy's numbers as JSON's (``json.dumps``'s ``default``)."""
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")
