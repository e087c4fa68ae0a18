"""The bin-packing benchmark: baselines and given programs on the FunSearch datasets, next to the
published figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from aurora_evo.contracts import Contract
from aurora_evo.domains import get_problem
from aurora_evo.domains.binpacking.baselines import baseline_programs
from aurora_evo.domains.binpacking.datasets import Dataset, builtin_datasets
from aurora_evo.domains.binpacking.evaluate import contract_of, evaluate, l1_bound
from aurora_evo.outcome import Outcome, outcome_of_status
from aurora_evo.program_loading import CompiledProgram

if TYPE_CHECKING:
    from aurora_evo.evaluation import EvalResult

__all__ = ["PUBLISHED", "PUBLISHED_SOURCE", "BenchRow", "bench_table", "bench_to_json", "run_bench"]

PUBLISHED_SOURCE = "Romera-Paredes et al., Nature 2023, Table 1"

#: Excess over the L1 bound, percent, by dataset then heuristic (``PUBLISHED_SOURCE``).
PUBLISHED = MappingProxyType(
    {
        "OR3": MappingProxyType({"First Fit": 5.74, "Best Fit": 5.37, "FunSearch": 3.11}),
        "Weibull 5k": MappingProxyType({"First Fit": 4.23, "Best Fit": 3.98, "FunSearch": 0.68}),
    }
)

_BASELINES = ("First Fit", "Best Fit")


@dataclass(frozen=True)
class BenchRow:
    """One line of the benchmark.

    Attributes:
        dataset: dataset name.
        program: heuristic name.
        excess_percent: excess of mean bins over the mean L1 bound, percent (``None`` when the program
            failed).
        mean_bins: mean bins per instance (``None`` when the program failed, and for published rows).
        l1_mean: mean L1 bound of the dataset, bins.
        status: the evaluation's outcome (``Outcome.OK``, or how the program failed).
        message: the failure, or the citation of a published row; empty otherwise.
        published: ``True`` for a figure copied from the literature rather than measured here.
    """

    dataset: str
    program: str
    excess_percent: float | None
    mean_bins: float | None
    l1_mean: float
    status: Outcome
    message: str
    published: bool


def run_bench(
    programs: dict[str, str] | None = None,
    datasets: dict[str, Dataset] | None = None,
    evaluate_source: Callable[[str, list[Dataset]], EvalResult] | None = None,
) -> list[BenchRow]:
    """Evaluate First Fit, Best Fit and ``programs`` on ``datasets`` (default: OR3 and Weibull 5k).

    ``programs`` maps a name to a program's source, evaluated by ``evaluate_source(source, [dataset])``:
    pass one that calls :meth:`aurora_evo.sandbox.Sandbox.evaluate` for programs you did not write; the
    default, the problem's :meth:`~aurora_evo.problem.Problem.evaluate`, runs them in this process. Each
    program follows the contract its dataset needs (FunSearch's one-dimensional one, or the vector one
    for ``.vbp`` data). Rows per dataset: First Fit, Best Fit (vetted, run here), each given program in
    order, then the published figures for that dataset name (none for datasets absent from
    :data:`PUBLISHED`).
    """
    datasets = builtin_datasets() if datasets is None else datasets
    evaluate_source = evaluate_source or get_problem("binpacking").evaluate
    baselines: dict[Contract, dict[str, CompiledProgram]] = {}
    rows = []
    for dataset_name, dataset in datasets.items():
        contract = contract_of(dataset)
        if contract not in baselines:
            baselines[contract] = baseline_programs(
                contract=contract, jit=contract is not Contract.VECTOR_BINPACKING
            )
        l1_mean = float(np.mean([l1_bound(instance) for instance in dataset.instances]))
        for program_name in _BASELINES:
            result = evaluate(baselines[contract][program_name], dataset)
            row = (result.excess_percent, result.mean_bins, l1_mean, outcome_of_status(result.status))
            rows.append(BenchRow(dataset_name, program_name, *row, result.message, published=False))
        for program_name, source in (programs or {}).items():
            result = evaluate_source(source, [dataset])
            case = next(iter(result.per_case.values()), None)
            excess = case["excess_percent"] if case else None
            mean_bins = float(np.mean(case["bins"])) if case else None
            row = (excess, mean_bins, l1_mean, result.outcome, result.message)
            rows.append(BenchRow(dataset_name, program_name, *row, published=False))
        for program_name, excess in PUBLISHED.get(dataset_name, {}).items():
            rows.append(
                BenchRow(
                    dataset_name, program_name, excess, None, l1_mean, Outcome.OK, PUBLISHED_SOURCE, True
                )
            )
    return rows


def bench_to_json(rows: list[BenchRow]) -> str:
    """The rows as a JSON array of objects (status as its lower-case name, e.g. ``"ok"``)."""
    records = [
        {
            "dataset": row.dataset,
            "program": row.program,
            "excess_percent": row.excess_percent,
            "mean_bins": row.mean_bins,
            "l1_mean": row.l1_mean,
            "status": row.status.value,
            "message": row.message,
            "published": row.published,
        }
        for row in rows
    ]
    return json.dumps(records, indent=2)


def bench_table(rows: list[BenchRow]) -> str:
    """The rows as a plain-text table, one line per row (published rows marked ``*``)."""
    lines = [f"{'dataset':<12} {'program':<24} {'excess %':>9} {'mean bins':>10} {'L1 mean':>9}  status"]
    for row in rows:
        excess = "-" if row.excess_percent is None else f"{row.excess_percent:.2f}"
        bins = "-" if row.mean_bins is None else f"{row.mean_bins:.2f}"
        name = f"{row.program}{' *' if row.published else ''}"
        status = row.message if row.published else row.status.value
        if not row.published and not row.status.ok:
            status = f"{status}: {row.message}"
        lines.append(f"{row.dataset:<12} {name:<24} {excess:>9} {bins:>10} {row.l1_mean:>9.2f}  {status}")
    return "\n".join(lines)
