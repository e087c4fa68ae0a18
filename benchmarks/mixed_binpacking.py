"""Bin packing on both of FunSearch's distributions at once, with the capacity hidden: the problem of
``benchmarks/binpacking_mixed.py`` (a module of its own, as the sandbox imports a problem by its module).

FunSearch's harness shows a program the bins' remaining capacities, and an empty bin is always offered,
so ``max(bins)`` is the capacity: 100 on Weibull, 150 on OR. One program could then run the Weibull
program below 120 and the OR program above, and match both exactly. Here every instance is scaled to a
capacity of 300 (Weibull's sizes x3, OR's x2: whole units stay whole, so exact fits stay exact and every
packing's excess over L1 is that of the unscaled instance), and only the item sizes tell the two apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from aurora_evo.config import TaskConfig
from aurora_evo.domains.binpacking import Dataset, Instance
from aurora_evo.domains.binpacking.generators import or_dataset, weibull_dataset
from aurora_evo.domains.binpacking.problem import BinPackingProblem, case_excess
from aurora_evo.evaluation import EvalResult
from aurora_evo.problem import Cases

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
CAPACITY = 300.0
#: Per distribution: the scale to :data:`CAPACITY` and its shipped (specialised) program.
FAMILIES = {"weibull": (3.0, "binpack_weibull.py"), "or": (2.0, "binpack_or.py")}
#: Training and validation shapes, the presets' (``islands/binpacking-weibull.toml``, ``-or.toml``):
#: (instances, items, cases, items scored at) and (instances, items).
TRAIN = {"weibull": (10, 1000, 10, 5000), "or": (600, 120, 30, 500)}
VALIDATION = {"weibull": (3, 5000), "or": (100, 500)}
#: Packs the unscaled cases with the shipped programs (the plain problem: its score is the excess).
SPECIALISED = BinPackingProblem()


def scaled(dataset: Dataset, factor: float, name: str | None = None, *, undo: bool = False) -> Dataset:
    """``dataset`` with every size times ``factor`` (divided by it with ``undo``: exactly, where
    multiplying by ``1 / factor`` is not); its name unless ``name``."""
    scale = (lambda x: x / factor) if undo else (lambda x: x * factor)
    instances = tuple(Instance(i.name, scale(i.capacity), scale(i.items)) for i in dataset.instances)
    source = f"{dataset.source}, sizes {'/' if undo else 'x'}{factor:g}"
    return Dataset(name or dataset.name, instances, source, dataset.score_items)


def family_of(case_name: str) -> str:
    return case_name.split("/")[0]


class MixedBinPacking(BinPackingProblem):
    """Weibull and OR instances, all at capacity 300. A program's score is minus the mean over the two
    distributions of its excess over L1 on their cases (as the presets score it: extrapolated for
    training) divided by that of the distribution's shipped program on the same cases, unscaled: -1 is
    as good as both specialised programs. Per-case scores (behaviour signatures, Elo) stay minus the
    excess."""

    name = "binpacking-mixed"

    def __init__(self):
        self._references: dict[str, float] = {}

    def cases(self, task: TaskConfig, seed: int) -> Cases:
        """The presets' training and validation shapes of both distributions, each from its own stream of
        ``seed``; ``task`` is not read."""
        streams = iter(np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4))
        train, validation = [], []
        for family, (factor, _) in FAMILIES.items():
            make = weibull_dataset if family == "weibull" else or_dataset
            n, items, n_cases, score_items = TRAIN[family]
            data = make(next(streams), n, items)
            for k, chunk in enumerate(np.array_split(np.arange(n), n_cases)):
                part = data.instances[chunk[0] : chunk[-1] + 1]
                train.append(scaled(Dataset(f"{family}/train-{k}", part, data.source, score_items), factor))
            held_out = make(next(streams), *VALIDATION[family])
            validation.append(scaled(dataclasses.replace(held_out, name=f"{family}/validation"), factor))
        description = f"bin packing, Weibull and OR at capacity {CAPACITY:g}: " + ", ".join(
            f"{family} {TRAIN[family][0]} x {TRAIN[family][1]}" for family in FAMILIES
        )
        return Cases(tuple(train), tuple(validation), description)

    def test_cases(self, task: TaskConfig) -> tuple:
        """Weibull 5k and OR3, scaled."""
        tests = []
        for family, (factor, _) in FAMILIES.items():
            (released,) = super().test_cases(dataclasses.replace(task, dataset=family))
            tests.append(scaled(released, factor, f"{family}/{released.name}"))
        return tuple(tests)

    def reference(self, case: Dataset) -> float:
        """The excess (as ``case`` scores it) of its distribution's shipped program on ``case`` unscaled;
        the shipped programs are vetted and run in this process, once per case."""
        if case.name not in self._references:
            factor, program = FAMILIES[family_of(case.name)]
            native = scaled(case, factor, undo=True)
            result = SPECIALISED.evaluate((PROGRAMS / program).read_text(), [native])
            self._references[case.name] = case_excess(next(iter(result.per_case.values())))
        return self._references[case.name]

    def score(self, cases: Sequence[Dataset], decisions, compiled: bool) -> EvalResult:
        result = super().score(cases, decisions, compiled)
        if not result.outcome.ok:
            return result
        references = {case.name: self.reference(case) for case in cases}
        relative = relative_excess(result.per_case, references)
        return dataclasses.replace(result, score=-float(np.mean(list(relative.values()))))


def family_excess(per_case: Mapping[str, Mapping]) -> dict[str, float]:
    """Per distribution present in ``per_case`` (metrics by case name), its cases' mean excess (%)."""
    by_family: dict[str, list[float]] = {}
    for name, metrics in per_case.items():
        by_family.setdefault(family_of(name), []).append(case_excess(metrics))
    return {family: float(np.mean(excess)) for family, excess in by_family.items()}


def relative_excess(per_case: Mapping[str, Mapping], references: Mapping[str, float]) -> dict[str, float]:
    """Per distribution, its cases' summed excess over their summed ``references``."""
    reference = family_excess({name: {"excess_percent": value} for name, value in references.items()})
    return {family: excess / reference[family] for family, excess in family_excess(per_case).items()}
