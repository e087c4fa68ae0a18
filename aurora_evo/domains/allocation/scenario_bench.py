"""The allocation benchmark on a set of scenarios (a folder of scenario files, or a split of a named suite):
every objective of :class:`~aurora_evo.sim.metrics.Metrics`, averaged over the scenarios, for the seed
baselines, the shipped evolved program and the programs given.

The seed baselines are vetted and run in this process; the shipped evolved program and the given
programs are untrusted and run through the ``evaluate_untrusted`` the caller hands in (the sandbox's
:meth:`~aurora_evo.sandbox.Sandbox.evaluate`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from aurora_evo.domains.allocation.problem import METRIC_ROWS, AllocationProblem
from aurora_evo.evaluation import EvalResult
from aurora_evo.outcome import Outcome
from aurora_evo.scenario import Scenario
from aurora_evo.seeds import seed_program_paths, shipped_program_paths

__all__ = [
    "OBJECTIVE_COLUMNS",
    "SCENARIO_BASELINES",
    "SHIPPED_PROGRAMS",
    "ObjectiveRow",
    "ScenarioBench",
    "run_scenario_bench",
    "scenario_bench_table",
    "scenario_bench_to_json",
]

#: Seed programs measured as baselines (vetted, run in this process), in this order.
SCENARIO_BASELINES = ("random_choice", "round_robin", "first_fit", "best_fit")

#: Shipped evolved programs (``programs/``) measured beside them (untrusted, run in the sandbox).
SHIPPED_PROGRAMS = ("cloud",)

#: The objectives, one column each: heading, metric of :class:`~aurora_evo.sim.metrics.Metrics`. A cell
#: is the mean over the scenarios of the per-scenario figure, formatted as ``METRIC_ROWS`` formats it.
OBJECTIVE_COLUMNS = (
    ("reward", "reward"),
    ("mean lat s", "mean_latency_s"),
    ("p99 lat s", "p99_latency_s"),
    ("SLA viol", "sla_violation_rate"),
    ("cpu util", "cpu_utilization"),
    ("mem util", "memory_utilization"),
    ("cost $", "cost_usd"),
    ("energy kWh", "energy_kwh"),
    ("rejected", "failure_rate"),
    ("Gini", "fairness_gini"),
)

_FORMATS = {key: fmt for _, key, fmt in METRIC_ROWS}

#: What each kind of row is, for the table's key and the JSON's ``kind``.
KINDS = {"baseline": "*", "shipped": "+", "given": ""}


@dataclass(frozen=True)
class ObjectiveRow:
    """One program's objectives over the scenarios.

    Attributes:
        program: the program's name (its file's stem).
        kind: ``baseline`` (a seed program, run here), ``shipped`` (a shipped evolved program, run in the
            sandbox) or ``given`` (named on the command line, run in the sandbox).
        means: metric name (``reward``, ``p99_latency_s``, ...; see :data:`OBJECTIVE_COLUMNS`) -> its mean
            over the scenarios, in the metric's unit; ``None`` when the program failed.
        status: ``Outcome.OK`` or how the program failed (on the first scenario it failed on).
        message: the failure, empty otherwise.
    """

    program: str
    kind: str
    means: dict[str, float] | None
    status: Outcome
    message: str


@dataclass(frozen=True)
class ScenarioBench:
    """The benchmark of one set of scenarios.

    Attributes:
        label: what the scenarios are, e.g. ``"suite google-2011, split test"`` or ``"folder traces/"``.
        scenarios: how many scenarios.
        rows: one per program: the baselines, the shipped programs, then the given ones.
    """

    label: str
    scenarios: int
    rows: tuple[ObjectiveRow, ...]

    @property
    def ok(self) -> bool:
        """Every program ran on every scenario."""
        return all(row.status.ok for row in self.rows)


def run_scenario_bench(
    label: str,
    scenarios: Sequence[Scenario],
    evaluate_untrusted: Callable[[str, Sequence[Scenario]], EvalResult],
    programs: Mapping[str, str] | None = None,
) -> ScenarioBench:
    """Score the seed baselines (here), the shipped evolved programs and ``programs`` (name -> source;
    both through ``evaluate_untrusted(source, scenarios)``) on ``scenarios`` (at least one)."""
    if not scenarios:
        raise ValueError("a benchmark needs at least one scenario")
    problem = AllocationProblem()
    seeds, shipped = seed_program_paths(), shipped_program_paths()
    rows = [
        objective_row(name, "baseline", problem.evaluate(_read(seeds[name]), scenarios))
        for name in SCENARIO_BASELINES
    ]
    untrusted = [(name, "shipped", _read(shipped[name])) for name in SHIPPED_PROGRAMS]
    untrusted += [(name, "given", source) for name, source in (programs or {}).items()]
    rows += [
        objective_row(name, kind, evaluate_untrusted(source, scenarios)) for name, kind, source in untrusted
    ]
    return ScenarioBench(label, len(scenarios), tuple(rows))


def _read(path) -> str:
    return path.read_text(encoding="utf-8")


def objective_row(program: str, kind: str, result: EvalResult) -> ObjectiveRow:
    """The row of an evaluation: each objective's mean over its scenarios, or how it failed."""
    if not result.outcome.ok:
        return ObjectiveRow(program, kind, None, result.outcome, result.message)
    cases = list(result.per_case.values())
    means = {key: math.fsum(case[key] for case in cases) / len(cases) for _, key in OBJECTIVE_COLUMNS}
    return ObjectiveRow(program, kind, means, Outcome.OK, "")


def scenario_bench_to_json(bench: ScenarioBench) -> str:
    """The benchmark as one JSON object: ``scenarios`` (label, count), ``objectives`` (the metrics, in
    column order) and ``rows`` (program, kind, status, message, means)."""
    rows = [
        {
            "program": r.program,
            "kind": r.kind,
            "status": r.status.value,
            "message": r.message,
            "means": r.means,
        }
        for r in bench.rows
    ]
    document = {
        "scenarios": {"label": bench.label, "count": bench.scenarios},
        "objectives": [key for _, key in OBJECTIVE_COLUMNS],
        "rows": rows,
    }
    return json.dumps(document, indent=2)


def scenario_bench_table(bench: ScenarioBench) -> str:
    """The benchmark as a plain-text table, a row per program (a failed one says why), under a heading
    naming the scenarios and over a key to the columns."""
    names = [f"{row.program}{' ' + KINDS[row.kind] if KINDS[row.kind] else ''}" for row in bench.rows]
    width = max([16, *(len(name) + 1 for name in names)])
    widths = [max(8, len(heading)) for heading, _ in OBJECTIVE_COLUMNS]
    head = " ".join(f"{heading:>{w}}" for (heading, _), w in zip(OBJECTIVE_COLUMNS, widths, strict=True))
    lines = [
        f"{bench.label}: {bench.scenarios} scenario(s); each cell a mean over them",
        f"{'program':<{width}}{head}",
    ]
    for name, row in zip(names, bench.rows, strict=True):
        if row.means is None:
            lines.append(f"{name:<{width}}{row.status.value}: {row.message}")
            continue
        cells = [_FORMATS[key].format(row.means[key]) for _, key in OBJECTIVE_COLUMNS]
        lines.append(f"{name:<{width}}" + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))
    lines += [
        "higher is better: reward (0-1), cpu and memory utilisation; lower is better: latency (s), SLA",
        "violations, cost ($), energy (kWh), rejected tasks, Gini (of the owners' mean slowdown, 0 = fair)",
        "* seed baseline (run here); + shipped evolved program (programs/); unmarked: given (both sandboxed)",
    ]
    return "\n".join(lines)
