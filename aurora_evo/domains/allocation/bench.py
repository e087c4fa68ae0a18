"""The allocation benchmark: the seed baselines and given programs on a domain's seed scenarios,
split exactly as ``aurora-evo evolve`` splits them (see
:func:`aurora_evo.domains.allocation.problem.split_seeds`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from aurora_evo.config import TaskConfig
from aurora_evo.domains.allocation.problem import AllocationProblem
from aurora_evo.evaluation import EvalResult
from aurora_evo.outcome import Outcome
from aurora_evo.scenario import Scenario
from aurora_evo.seeds import seed_program_paths

__all__ = ["BASELINES", "AllocationRow", "allocation_table", "allocation_to_json", "run_allocation_bench"]

#: Seed programs measured as baselines, in this order.
BASELINES = ("first_fit", "best_fit")


@dataclass(frozen=True)
class AllocationRow:
    """One program's mean reward (0-1, higher is better) on the training, held-out and unseen seeds.

    A run picks the programs it exports by their held-out reward, so the held-out figure of an
    exported program is an optimistic estimate; the seeds of the levels the run never used (expert,
    by default) are the untouched test.

    Attributes:
        program: the program's name.
        train: mean reward over the training scenarios (``None`` when the program failed).
        held_out: mean reward over the held-out scenarios (``None`` when the program failed).
        unseen: mean reward over the domain's seeds at the other levels (``None`` when there are none
            or the program failed).
        status: ``Outcome.OK`` or how the program failed (first failure).
        message: the failure, empty otherwise.
        baseline: a seed baseline rather than a given program.
        cases: how many (training, held-out, unseen) scenarios.
    """

    program: str
    train: float | None
    held_out: float | None
    unseen: float | None
    status: Outcome
    message: str
    baseline: bool
    cases: tuple[int, int, int]


def run_allocation_bench(
    programs: dict[str, str] | None = None,
    task: TaskConfig | None = None,
    evaluate_source: Callable[[str, Sequence[Scenario]], EvalResult] | None = None,
) -> list[AllocationRow]:
    """Score First Fit, Best Fit (vetted, run here) and ``programs`` (name -> source) on ``task``'s seeds.

    ``evaluate_source(source, scenarios)`` evaluates the given programs: pass
    one that calls :meth:`aurora_evo.sandbox.Sandbox.evaluate` for programs you did not write; the
    default runs them in this process.
    """
    task_config = task or TaskConfig()
    problem = AllocationProblem()
    split = problem.cases(task_config, seed=0)
    splits = (split.train, split.validation, problem.test_cases(task_config))
    evaluate_source = evaluate_source or problem.evaluate
    sources = {name: seed_program_paths()[name].read_text(encoding="utf-8") for name in BASELINES}
    given = [(name, source, evaluate_source, False) for name, source in (programs or {}).items()]
    return [
        _row(name, source, splits, evaluate, baseline)
        for name, source, evaluate, baseline in [
            *((name, source, problem.evaluate, True) for name, source in sources.items()),
            *given,
        ]
    ]


def _row(name, source, splits, evaluate_source, baseline: bool) -> AllocationRow:
    results = [evaluate_source(source, scenarios) if scenarios else None for scenarios in splits]
    cases = tuple(len(scenarios) for scenarios in splits)
    failed = next((r for r in results if r is not None and not r.outcome.ok), None)
    if failed is not None:
        return AllocationRow(name, None, None, None, failed.outcome, failed.message, baseline, cases)
    scores = [None if r is None else r.score for r in results]
    return AllocationRow(name, *scores, Outcome.OK, "", baseline, cases)


def allocation_to_json(rows: list[AllocationRow]) -> str:
    """The rows as a JSON array of objects with the rows' fields (status as its value, e.g. ``"ok"``)."""
    return json.dumps([{**asdict(row), "status": row.status.value} for row in rows], indent=2)


def allocation_table(rows: list[AllocationRow]) -> str:
    """The rows as a plain-text table (baselines marked ``*``)."""
    train, held_out, unseen = rows[0].cases if rows else (0, 0, 0)
    titles = [f"train ({train})", f"held out ({held_out})", f"unseen levels ({unseen})"]
    width = max([24, *(len(row.program) + 2 for row in rows)])
    lines = [f"{'program':<{width}} {titles[0]:>12} {titles[1]:>14} {titles[2]:>19}  status"]
    for row in rows:
        cells = ["-" if v is None else f"{v:.4f}" for v in (row.train, row.held_out, row.unseen)]
        status = row.status.value if row.status.ok else f"{row.status.value}: {row.message}"
        name = f"{row.program}{' *' if row.baseline else ''}"
        lines.append(f"{name:<{width}} {cells[0]:>12} {cells[1]:>14} {cells[2]:>19}  {status}")
    lines.append("mean reward (0-1, higher is better); * seed baseline")
    return "\n".join(lines)
