"""Online bin packing, FunSearch's benchmark, as a :class:`~aurora_evo.problem.Problem`.

Cases are datasets of instances (:mod:`aurora_evo.domains.binpacking.datasets`); a run trains on
generated instances of the test sets' distribution and validates on other generated ones (FunSearch's
protocol), so that the released test sets are only ever used to report. A program is scored by minus
its excess over the L1 bound, in percent (higher is better).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from aurora_evo.config import TaskConfig
from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.baselines import BASELINE_SOURCES
from aurora_evo.domains.binpacking.datasets import (
    Dataset,
    Instance,
    VectorInstance,
    builtin_datasets,
    load_dataset,
)
from aurora_evo.domains.binpacking.evaluate import (
    contract_of,
    decision_states,
    excess_percent,
    extrapolated_excess,
    l1_bound,
    pack,
    settled_bins,
)
from aurora_evo.domains.binpacking.generators import or_dataset, weibull_dataset
from aurora_evo.evaluation import EvalResult, compile_outcome
from aurora_evo.outcome import Outcome, outcome_of_status
from aurora_evo.problem import Cases, Decisions, Problem, ResultTable, mean_score, unique_names
from aurora_evo.program_loading import CompiledProgram
from aurora_evo.sandbox.verify import Query, pick

#: The same as allocation's threshold, in items: the numpy path packs an item of a 120-item OR
#: instance in ~16 us and numba in ~1 us after compiling for ~0.2 s, so compiling pays from ~15,000
#: items (``benchmarks/jit_threshold.py``; larger instances have more bins per item and favour numba
#: sooner).
JIT_MIN_ITEMS = 20_000

#: Items of the instance a jail packs while it waits for its job, to touch the memory the job will.
_TOUCH_ITEMS = 50


def case_excess(metrics: Mapping) -> float:
    """The excess (percent) a bin-packing case scores a program by: the one expected at the case's
    ``score_items`` when it has them, else the one measured."""
    return float(metrics.get("scored_excess_percent", metrics["excess_percent"]))


def _bins_used(instance, assignment: np.ndarray) -> int | None:
    """Bins of a packing after checking it: every item in a bin, no bin over capacity."""
    n = len(instance.items)
    if assignment.shape != (n,) or (n and (assignment.min() < 0 or assignment.max() >= n)):
        return None
    if isinstance(instance, VectorInstance):
        loads = np.zeros((n, instance.items.shape[1]))
        np.add.at(loads, assignment, instance.items)
        fits = np.all(loads <= instance.capacities + 1e-9)
    else:
        fits = np.all(
            np.bincount(assignment, weights=instance.items, minlength=n) <= instance.capacity + 1e-9
        )
    return int(np.unique(assignment).size) if fits else None


class BinPackingProblem(Problem):
    """Pack every item of every instance online; the score is minus the mean excess over L1 (%)."""

    name = "binpacking"
    contract = Contract.BINPACKING
    decision_noun = "bin"
    score_unit = "minus % excess over L1"
    score_label = "excess bins over L1"
    jit_min_decisions = JIT_MIN_ITEMS
    trivial_program = "def priority(item, bins):\n    return bins - item\n"
    case_file_kind = "dataset"
    case_file_hint = "FILE (or a shipped name: OR3, 'Weibull 5k')"

    def cases(self, task: TaskConfig, seed: int) -> Cases:
        """Generated training instances dealt into ``task.train_cases`` cases, and one validation
        dataset, each from its own stream of ``seed`` (independent of the run's generator)."""
        train_rng, validation_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        make = weibull_dataset if task.dataset == "weibull" else or_dataset
        train = make(train_rng, task.train_instances, task.train_items, name=f"train-{task.dataset}")
        validation = make(
            validation_rng,
            task.validation_instances,
            task.validation_items,
            name=f"validation-{task.dataset}",
        )
        # Scores per case give behaviour signatures and Elo matches: one case per instance by default.
        # Split indices, not the instances: numpy would build an object array of them.
        bounds = np.array_split(np.arange(len(train.instances)), task.train_cases or len(train.instances))
        groups = [train.instances[b[0] : b[-1] + 1] for b in bounds]
        cases = tuple(
            Dataset(
                f"{train.name}/{g[0].name}" + (f"..{g[-1].name}" if len(g) > 1 else ""),
                tuple(g),
                train.source,
                task.train_score_items,
            )
            for g in groups
        )
        grouped = f", in {len(cases)} cases" if len(cases) < len(train.instances) else ""
        description = (
            f"bin packing, {task.dataset}: train on {task.train_instances} x {task.train_items} generated "
            f"items{grouped}, validate on {task.validation_instances} x {task.validation_items}"
        )
        if task.train_score_items is not None:
            description += f" (training scored at {task.train_score_items} items)"
        return Cases(cases, (validation,), description)

    def load_cases(self, specs: Sequence[str]) -> list[Dataset]:
        """Datasets named by path (FunSearch .json, OR-Library .txt, .vbp), or by a shipped name such
        as ``OR3`` or ``"Weibull 5k"``."""
        builtin = builtin_datasets()
        return [builtin[spec] if spec in builtin else load_dataset(spec) for spec in specs]

    def test_cases(self, task: TaskConfig) -> tuple:
        """FunSearch's released test set of the run's distribution: OR3 (``or``) or Weibull 5k."""
        return (builtin_datasets()["OR3" if task.dataset == "or" else "Weibull 5k"],)

    def decision_counts(self, case: Dataset) -> list[int]:
        return [len(instance.items) for instance in case.instances]

    def case_to_document(self, case: Dataset) -> dict:
        # Without score_items: the jail only runs the program, and the client scores with its own cases.
        instances = []
        for instance in case.instances:
            if isinstance(instance, VectorInstance):
                shape = {"capacities": instance.capacities.tolist()}
            else:
                shape = {"capacity": float(instance.capacity)}
            instances.append({"name": instance.name, **shape, "items": instance.items.tolist()})
        return {"name": case.name, "source": case.source, "instances": instances}

    def case_from_document(self, document: dict) -> Dataset:
        instances = tuple(
            VectorInstance(i["name"], np.array(i["capacities"]), np.array(i["items"]))
            if "capacities" in i
            else Instance(i["name"], float(i["capacity"]), np.array(i["items"], dtype=np.float64))
            for i in document["instances"]
        )
        return Dataset(document["name"], instances, document["source"])

    def touch_case(self, case: Dataset) -> Dataset:
        """One instance, cut short: a jail waiting for its job warms the kernel up, not the data."""
        instance = case.instances[0]
        shape = (instance.capacities,) if isinstance(instance, VectorInstance) else (instance.capacity,)
        return Dataset(
            "touch", (type(instance)(instance.name, *shape, instance.items[:_TOUCH_ITEMS]),), "touch"
        )

    def run(self, source: str, cases: Sequence[Dataset], *, jit: bool, boundscheck: bool):
        """Pack every instance online: the bin of each item per instance and whether numba compiled the
        program, or the failure. The program follows FunSearch's contract, or the vector one for
        datasets of vector instances (those run on the numpy path, so numba is not asked to compile
        them)."""
        programs: dict[Contract, CompiledProgram] = {}
        assignments = []
        compiled = True
        for dataset in cases:
            contract = contract_of(dataset)
            if contract not in programs:
                vector = contract is Contract.VECTOR_BINPACKING
                program = compile_outcome(source, contract, jit=jit and not vector, boundscheck=boundscheck)
                if isinstance(program, EvalResult):
                    return program
                programs[contract] = program
            program = programs[contract]
            compiled = compiled and program.compiled
            for instance in dataset.instances:
                result = pack(program, instance)
                outcome = outcome_of_status(result.status)
                if not outcome.ok:
                    return EvalResult(outcome, f"{dataset.name}: {result.message}", compiled=program.compiled)
                assignments.append(result.assignment)
        return assignments, compiled

    def score(self, cases: Sequence[Dataset], decisions: Decisions, compiled: bool) -> EvalResult:
        """Excess over L1 of the packings, after checking each one; the score is minus its mean over the
        datasets (each dataset's excess extrapolated to its ``score_items`` when it has them)."""
        instances = [(d, i) for d in cases for i in d.instances]
        if len(decisions) != len(instances):
            return EvalResult(
                Outcome.INVALID_OUTPUT, f"{len(decisions)} packings for {len(instances)} instances"
            )
        # Per dataset name, per instance: bins used and, for datasets scored at a length, settled bins.
        packed: dict[str, list[tuple[int, tuple[int, float] | None]]] = {}
        for (dataset, instance), assignment in zip(instances, decisions, strict=True):
            used = _bins_used(instance, assignment)
            if used is None:
                return EvalResult(
                    Outcome.INVALID_OUTPUT, f"{dataset.name}: packing of {instance.name} failed verification"
                )
            settled = settled_bins(instance, assignment) if dataset.score_items is not None else None
            packed.setdefault(dataset.name, []).append((used, settled))
        per_case: dict[str, dict] = {}
        for key, dataset in zip(unique_names([d.name for d in cases]), cases, strict=True):
            mine = packed[dataset.name][: len(dataset.instances)]
            del packed[dataset.name][: len(dataset.instances)]
            per_case[key] = self._dataset_metrics(dataset, mine)
        excess = [case_excess(case) for case in per_case.values()]
        return EvalResult(Outcome.OK, "", -mean_score(excess), per_case, compiled)

    @staticmethod
    def _dataset_metrics(dataset: Dataset, packed: list[tuple[int, tuple[int, float] | None]]) -> dict:
        """One dataset's metrics from its instances' ``(bins used, settled bins)``."""
        used = [bins for bins, _ in packed]
        l1 = [l1_bound(instance) for instance in dataset.instances]
        metrics = {"excess_percent": excess_percent(used, l1), "bins": used, "l1": l1}
        if dataset.score_items is not None:
            settled = (sum(s[0] for _, s in packed), sum(s[1] for _, s in packed))
            metrics["score_items"] = dataset.score_items
            metrics["scored_excess_percent"] = extrapolated_excess(
                metrics["excess_percent"],
                settled,
                np.mean([len(instance.items) for instance in dataset.instances]),
                dataset.score_items,
            )
        return metrics

    def case_score(self, metrics: Mapping) -> float:
        return -case_excess(metrics)

    def queries(
        self, cases: Sequence[Dataset], decisions: Decisions, samples: int, rng: np.random.Generator
    ) -> list[Query] | None:
        """Queries for ``samples`` items drawn from ``decisions`` (one assignment per instance of every
        dataset, in order); ``None`` if an assignment names a bin that does not exist (the capacities
        are checked by the scoring)."""
        instances = [(d, i) for d in cases for i in d.instances]
        for (_, instance), assignment in zip(instances, decisions, strict=True):
            n = len(instance.items)
            if assignment.shape != (n,) or (n and (assignment.min() < 0 or assignment.max() >= n)):
                return None
        steps = pick([len(i.items) for _, i in instances], samples, rng)
        queries = []
        for case, ((dataset, instance), assignment, picked) in enumerate(
            zip(instances, decisions, steps, strict=True)
        ):
            label = f"{dataset.name}, instance {instance.name}"
            for state in decision_states(instance, assignment, picked):
                allowed = np.ones(state.valid.size, dtype=bool)
                queries.append(
                    Query(case, state.step, label, contract_of(dataset), state.item, state.bins, state.valid,
                          allowed, int(assignment[state.step]))
                )  # fmt: skip
        return queries

    def result_table(self, result: EvalResult) -> ResultTable:
        """A row per dataset: its instances, the mean bins used and the mean L1 bound per instance, and
        the excess over L1 (%)."""
        columns = ("dataset", "instances", "mean bins", "mean L1 bound", "excess over L1")
        rows = []
        for name, case in result.per_case.items():
            n = len(case["bins"])
            rows.append((name, str(n), f"{sum(case['bins']) / n:.2f}", f"{sum(case['l1']) / n:.2f}",
                         f"{case['excess_percent']:.2f} %"))  # fmt: skip
        return ResultTable(columns, tuple(rows))

    def format_score(self, value: float) -> str:
        return f"{-value:.2f}%"

    def run_label(self, task: TaskConfig) -> str:
        return f"{task.domain} ({task.dataset})"

    def axis_label(self, task: TaskConfig) -> str:
        at = task.train_score_items
        return (
            f"score (minus % excess bins over L1{f'; training is at {at} items' if at is not None else ''})"
        )

    def training_note(self, task: TaskConfig) -> str:
        at = task.train_score_items
        return f", extrapolated to {at} items" if at is not None else ""

    def baselines(self) -> dict[str, str]:
        """First, best and worst fit, by display name."""
        return dict(BASELINE_SOURCES)
