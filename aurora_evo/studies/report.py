"""Write a study into the evaluate report: ``results.json`` (everything), ``report.md`` (the study's
section: its tables) and ``<study>.png`` (its figure)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from aurora_evo.evaluate.report import finite, json_number, p_text


def _interval(interval: dict | None, digits: int = 4) -> str:
    if not interval:
        return "-"
    return f"{interval['mean']:+.{digits}f} [{interval['low']:+.{digits}f}, {interval['high']:+.{digits}f}]"


def _mean(values: list[float | None]) -> float | None:
    """The mean of the values measured (``None``: a failed run's)."""
    measured = [v for v in values if v is not None]
    return float(np.mean(measured)) if measured else None


def _optional(value: float | None, pattern: str = "{:+.4f}") -> str:
    return "-" if value is None or not np.isfinite(value) else pattern.format(value)


def _unchanged_baselines(runs: list[dict]) -> list[str]:
    """A paragraph naming the runs whose shipped program is a baseline unchanged (no candidate they made
    did better on their held-out cases); nothing when every run shipped an evolved program."""
    named = {}
    for run in runs:
        if run.get("seed_program"):
            named.setdefault((run["label"], run["seed_program"]), []).append(str(run["seed"]))
    if not named:
        return []
    parts = [f"{label} seed {', '.join(seeds)} ({name})" for (label, name), seeds in named.items()]
    return ["", "Runs that shipped a baseline unchanged (nothing they evolved did better on their held-out "
            f"cases): {'; '.join(parts)}."]  # fmt: skip


def ablation_markdown(document: dict) -> list[str]:
    """The ablation's section: each arm's test fitness per seed and over the seeds, against the full
    system's."""
    head, budget = document["run"], document["run"]["budget"]
    comparisons = {c["policy"]: c for c in document["comparisons"]}
    lines = [
        f"# Evaluation: ablation study on {head['suite']} ({head['split']} split)",
        "",
        f"Each arm: {budget['seeds']} runs of the `{head['preset']}` preset (run seeds 0-"
        f"{budget['seeds'] - 1}; {budget['iterations']} iterations, {budget['islands']} islands of "
        f"{budget['population']}, offline mutators, one evaluation worker) trained on "
        f"{head['train_scenarios']} scenario(s) of the train split, the shipped program chosen on the "
        "validation split, scored in the sandbox on "
        f"{head['scenarios']} test scenario(s) that no run saw (profile `{head['profile']}`). Fitness: "
        "against best fit, per scenario (0 is best fit, higher is better), averaged over the test "
        "scenarios; intervals: 95 % bootstrap over the seeds. Each ablation is paired with the full "
        "system seed by seed (t: paired t-test; W: Wilcoxon signed-rank; Holm-corrected over the "
        "ablations; * < 0.05).",
        "",
        "## Ablation",
        "",
        "| arm | settings | test fitness per seed | mean [95 % CI] | test reward | vs full | t p | W p "
        "| d_z |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for arm, record in document["arms"].items():
        runs = record["runs"]
        settings = ", ".join(f"`{k} = {json.dumps(v)}`" for k, v in record["settings"].items())
        per_seed = " ".join(_optional(r["mean_test_fitness"]) for r in runs)
        reward = _optional(_mean([r["mean_test_reward"] for r in runs]), "{:.4f}")
        c = comparisons.get(arm)
        versus = (
            f"{c['mean_difference']:+.4f} | {p_text(c['t_pvalue_holm'])} | "
            f"{p_text(c['wilcoxon_pvalue_holm'])} | {_optional(c['cohens_dz'], '{:+.2f}')}"
            if c
            else "reference | | |"
        )
        interval = _interval(document["intervals"].get(arm))
        lines.append(f"| {arm} | {settings} | {per_seed} | {interval} | {reward} | {versus} |")
    lines += _unchanged_baselines(
        [{**r, "label": arm} for arm, rec in document["arms"].items() for r in rec["runs"]]
    )
    lines += ["", "Baselines on the same test scenarios:", ""]
    for name, record in document["baselines"].items():
        lines.append(
            f"- {name}: fitness {record['mean_test_fitness']:+.4f}, reward {record['mean_test_reward']:.4f}"
        )
    return [*lines, "", "![ablation](ablation.png)", ""]


def scalability_markdown(document: dict) -> list[str]:
    """The scalability study's section: fitness and decision latency per policy and size, memory, and the
    simulator alone at the largest sizes."""
    head, rows = document["run"], document["rows"]
    sizes = sorted({r["tasks"] for r in rows})
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    cell = {(r["policy"], r["tasks"]): r for r in rows}
    header = "| policy | kind | " + " | ".join(f"{t:,} tasks" for t in sizes) + " |"
    rule = "|---|---|" + "---|" * len(sizes)
    lines = [
        "# Evaluation: scalability study",
        "",
        f"Generated cloud scenarios (profile `{head['profile']}`, seed {head['seed']}): "
        f"{head['sizes']['scenarios']} per size, one node per {head['tasks_per_node']} tasks (at least "
        f"two), offered load {head['load']}. DQN and PPO trained for {head['sizes']['rl_timesteps']:,} "
        f"decisions on {head['train_scenarios']} other generated scenarios of the same sizes. The programs "
        "given ran in this process. Latency: wall time per placement decision, the simulation's own "
        "work included, after a warm-up run.",
        "",
        "## Scalability",
        "",
    ]
    tables = (("Mean fitness against best fit (0 is best fit, higher is better):", "mean_fitness", "{:+.4f}"),
              ("Decision latency (ms per placement):", "decision_ms", "{:.4g}"))  # fmt: skip
    for title, key, pattern in tables:
        lines += [title, "", header, rule]
        for name in policies:
            cells = " | ".join(_failed_or(cell[name, t], key, pattern) for t in sizes)
            lines.append(f"| {name} | {cell[name, sizes[0]]['kind']} | {cells} |")
        lines.append("")
    memory = " | ".join(_optional(cell[policies[0], t]["simulator_memory_mib"], "{:.2f}") for t in sizes)
    lines += ["Peak memory of one simulation (best fit, MiB):", "", header, rule]
    lines += [f"| simulator | | {memory} |", ""]
    if document["simulator"]:
        lines += [
            "The simulator alone (best fit):",
            "",
            "| tasks | nodes | seconds | ms per placement | peak memory (MiB) |",
            "|---|---|---|---|---|",
        ]
        for r in document["simulator"]:
            lines.append(
                f"| {r['tasks']:,} | {r['nodes']:,} | {r['seconds']:.3f} | {r['decision_ms']:.4g} | "
                f"{_optional(r['memory_mib'], '{:.2f}')} |"
            )
    return [*lines, "", "![scalability](scalability.png)", ""]


def _failed_or(row: dict, key: str, pattern: str) -> str:
    return f"failed: {row['error']}" if row["error"] else _optional(row[key], pattern)


def transfer_markdown(document: dict) -> list[str]:
    """The transfer study's section: per pair, the retention and the rewards beside the baselines'."""
    head, budget = document["run"], document["run"]["budget"]
    lines = [
        "# Evaluation: zero-shot transfer study",
        "",
        f"Per domain, {budget['seeds']} runs of the `{head['preset']}` preset on its seed scenarios "
        f"({', '.join(budget['levels'])}; {budget['iterations']} iterations, {budget['islands']} islands of "
        f"{budget['population']}; profile `{head['profile']}`). Each target's test scenarios: its seed "
        f"scenarios at the levels no run trained on and {head['generated_per_level']} generated per level "
        "(medium, hard, expert). Retention: the transferred program's mean reward over the program "
        "evolved on the target with the same run seed; gain retained: their fitness against best fit, "
        "likewise (shown when the native program beats best fit). p: the transferred against the native "
        "fitness, paired over the seeds.",
        "",
        "## Transfer",
        "",
        "| source -> target | scenarios | retention [95 % CI] | gain retained per seed | transferred reward "
        "| native reward | best fit | first fit | t p | W p |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for pair in document["pairs"]:
        seeds, baselines = pair["seeds"], pair["baselines"]
        gains = " ".join(_optional(s["gain_retained"], "{:.2f}") for s in seeds)
        test = pair.get("transferred_vs_native")
        p_values = f"{p_text(test['t_pvalue'])} | {p_text(test['wilcoxon_pvalue'])}" if test else "- | -"
        retention = pair.get("retention")
        retention_text = (
            f"{retention['mean']:.4f} [{retention['low']:.4f}, {retention['high']:.4f}]" if retention else "-"
        )
        lines.append(
            f"| {pair['source']} -> {pair['target']} | {baselines['scenarios']} | {retention_text} | "
            f"{gains} | "
            f"{_optional(_mean([s['transferred_reward'] for s in seeds]), '{:.4f}')} | "
            f"{_optional(_mean([s['native_reward'] for s in seeds]), '{:.4f}')} | "
            f"{baselines['best fit']['mean_reward']:.4f} | "
            f"{baselines['first fit']['mean_reward']:.4f} | {p_values} |"
        )
    lines += _unchanged_baselines(document["runs"])
    return [*lines, "", "![transfer](transfer.png)", ""]


def _difference(record: dict) -> str:
    """A paired difference over the seeds: its mean, interval and p-values."""
    if not record:
        return "- | - | -"
    test = record["test"]
    return (
        f"{_interval(record['difference'])} | {p_text(test['t_pvalue'])} | {p_text(test['wilcoxon_pvalue'])}"
    )


def continual_markdown(document: dict) -> list[str]:
    """The continual-learning study's section: each run's fitness on both suites' test splits per seed,
    and the forgetting, the gain from carrying over and what was learned, paired over the seeds."""
    head, budget = document["run"], document["run"]["budget"]
    first, then = head["suite"], head["then"]
    lines = [
        f"# Evaluation: continual learning, {first} then {then}",
        "",
        f"Per run seed (0-{budget['seeds'] - 1}), three runs of the `{head['preset']}` preset "
        f"({budget['iterations']} iterations, {budget['islands']} islands of {budget['population']}; profile "
        f"`{head['profile']}`): `first` on {first}'s train split; `continued`, a new run on {then}'s train "
        "split starting from the first run's island programs (`islands.seed_run`); `scratch` on "
        f"{then} from the baselines alone. Each shipped program scored on both suites' test splits. "
        "Fitness against best fit (0 is best fit, higher is better). Differences paired over the seeds: "
        "mean and 95 % bootstrap interval, paired t and Wilcoxon p.",
        "",
        "## Continual learning",
        "",
        f"| seed | first on {first} | continued on {first} | scratch on {first} | first on {then} | "
        f"continued on {then} | scratch on {then} |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in document["seeds"]:
        cells = [
            row["fitness"][run][name] for name in (first, then) for run in ("first", "continued", "scratch")
        ]
        lines.append(f"| {row['seed']} | " + " | ".join(_optional(v) for v in cells) + " |")
    lines += [
        "",
        "| paired over the seeds | mean [95 % CI] | t p | W p |",
        "|---|---|---|---|",
        f"| forgetting on {first} (first - continued) | {_difference(document['forgetting_on_first'])} |",
        f"| carrying over, on {then} (continued - scratch) | {_difference(document['carried_on_then'])} |",
        f"| learned on {then} (continued - first) | {_difference(document['learned_on_then'])} |",
    ]
    lines += _unchanged_baselines(document["runs"])
    return [*lines, "", "![continual](continual.png)", ""]


MARKDOWN = {
    "ablation": ablation_markdown,
    "scalability": scalability_markdown,
    "transfer": transfer_markdown,
    "continual": continual_markdown,
}


def write_study(document: dict, out: Path) -> list[Path]:
    """``results.json``, ``report.md`` and ``<study>.png`` of a study's document in ``out``."""
    study = document["study"]
    paths = [out / "results.json", out / "report.md", out / f"{study}.png"]
    document = finite(document)
    paths[0].write_text(json.dumps(document, indent=1, allow_nan=False, default=json_number))
    paths[1].write_text("\n".join(MARKDOWN[study](document)))
    # heavy: plotting only when a report is written
    from aurora_evo.studies.figures import FIGURES

    FIGURES[study](document, paths[2])
    return paths
