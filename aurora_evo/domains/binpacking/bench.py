"""The bin-packing benchmark: baselines and given programs on the FunSearch datasets, next to the
published figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from aurora_evo.domains.binpacking.baselines import baseline_programs
from aurora_evo.domains.binpacking.datasets import Dataset, builtin_datasets
from aurora_evo.domains.binpacking.evaluate import contract_of, evaluate, l1_bound
from aurora_evo.policy import CompiledProgram, Contract, OutputStatus, ProgramError, compile_program

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
        status: OK, or how the program failed.
        message: the failure, or the citation of a published row; empty otherwise.
        published: ``True`` for a figure copied from the literature rather than measured here.
    """

    dataset: str
    program: str
    excess_percent: float | None
    mean_bins: float | None
    l1_mean: float
    status: OutputStatus
    message: str
    published: bool


def run_bench(
    programs: dict[str, str] | None = None,
    datasets: dict[str, Dataset] | None = None,
) -> list[BenchRow]:
    """Evaluate First Fit, Best Fit and ``programs`` on ``datasets`` (default: OR3 and Weibull 5k).

    ``programs`` maps a name to a program's source; each is compiled for the contract the dataset needs
    (FunSearch's one-dimensional one, or the vector one for ``.vbp`` data). A source that does not
    compile gives failed rows. Rows per dataset: First Fit, Best Fit, each given program in order, then
    the published figures for that dataset name (none for datasets absent from :data:`PUBLISHED`).
    """
    datasets = builtin_datasets() if datasets is None else datasets
    compiled: dict[Contract, dict[str, CompiledProgram | str]] = {}
    rows = []
    for dataset_name, dataset in datasets.items():
        contract = contract_of(dataset)
        if contract not in compiled:
            baselines = baseline_programs(contract=contract, jit=contract is not Contract.VECTOR_BINPACKING)
            compiled[contract] = {name: baselines[name] for name in _BASELINES}
            compiled[contract] |= {
                name: _compile(source, contract) for name, source in (programs or {}).items()
            }
        l1_mean = float(np.mean([l1_bound(instance) for instance in dataset.instances]))
        for program_name, program in compiled[contract].items():
            if isinstance(program, str):  # the compile error
                rows.append(
                    BenchRow(
                        dataset_name, program_name, None, None, l1_mean, OutputStatus.RAISED, program, False
                    )
                )
                continue
            result = evaluate(program, dataset)
            rows.append(
                BenchRow(
                    dataset_name,
                    program_name,
                    result.excess_percent,
                    result.mean_bins,
                    result.l1_mean,
                    result.status,
                    result.message,
                    published=False,
                )
            )
        for program_name, excess in PUBLISHED.get(dataset_name, {}).items():
            rows.append(
                BenchRow(
                    dataset_name, program_name, excess, None, l1_mean, OutputStatus.OK, PUBLISHED_SOURCE, True
                )
            )
    return rows


def _compile(source: str, contract: Contract) -> CompiledProgram | str:
    try:
        return compile_program(source, contract, jit=contract is not Contract.VECTOR_BINPACKING)
    except ProgramError as exc:
        return str(exc)


def bench_to_json(rows: list[BenchRow]) -> str:
    """The rows as a JSON array of objects (status as its lower-case name, e.g. ``"ok"``)."""
    records = [
        {
            "dataset": row.dataset,
            "program": row.program,
            "excess_percent": row.excess_percent,
            "mean_bins": row.mean_bins,
            "l1_mean": row.l1_mean,
            "status": row.status.name.lower(),
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
        status = row.message if row.published else row.status.name.lower()
        if not row.published and row.status is not OutputStatus.OK:
            status = f"{status}: {row.message}"
        lines.append(f"{row.dataset:<12} {name:<24} {excess:>9} {bins:>10} {row.l1_mean:>9.2f}  {status}")
    return "\n".join(lines)
