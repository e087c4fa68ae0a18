"""Resource allocation as a :class:`~aurora_evo.problem.Problem`: tasks arrive over time on a cluster
of nodes, ``priority(task, nodes)`` scores the nodes for each task and the simulator
(:mod:`aurora_evo.sim`) places it on the highest-scoring node it fits on.

Cases are scenarios (:mod:`aurora_evo.scenario`); a run trains on two thirds of a domain's seed
scenarios at the chosen levels and holds out the rest, or, given a suite (:mod:`aurora_evo.suites`),
trains on its train split and holds out its validation split; an attacker may co-evolve more.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence

import numpy as np

from aurora_evo.config import ConfigError, RunConfig, TaskConfig
from aurora_evo.contracts import Contract
from aurora_evo.evaluation import EvalResult, compile_outcome
from aurora_evo.features import N_FITS
from aurora_evo.outcome import Outcome, outcome_of_status
from aurora_evo.problem import Cases, Decisions, Problem, ResultTable, mean_score, unique_names
from aurora_evo.program_loading import CompiledProgram
from aurora_evo.sandbox.verify import Query, pick
from aurora_evo.scenario import Domain, Scenario, load_scenario, scenario_from_dict, scenario_to_dict
from aurora_evo.seeds import SEED_LEVELS, seed_program_paths, seed_scenario_paths
from aurora_evo.sim import Metrics, compute_metrics, simulate
from aurora_evo.sim.fitness import best_fit_metrics, relative_fitness
from aurora_evo.sim.simulate import decision_states, replay

#: Below this many placement decisions the numpy path finishes before numba would have compiled the
#: program (~0.1 s against ~30,000 decisions a second), so ``jit="auto"`` does not compile.
JIT_MIN_DECISIONS = 5_000


#: The metrics a table of a few scenarios shows, one row each: label, metric, format.
METRIC_ROWS = (
    ("reward (0-1)", "reward", "{:.4f}"),
    ("tasks placed", "n_placed", "{:d}"),
    ("tasks rejected", "n_rejected", "{:d}"),
    ("mean latency (s)", "mean_latency_s", "{:.4g}"),
    ("p95 latency (s)", "p95_latency_s", "{:.4g}"),
    ("p99 latency (s)", "p99_latency_s", "{:.4g}"),
    ("mean wait (s)", "mean_wait_s", "{:.4g}"),
    ("cpu utilisation", "cpu_utilization", "{:.1%}"),
    ("memory utilisation", "memory_utilization", "{:.1%}"),
    ("cost ($)", "cost_usd", "{:.4g}"),
    ("energy (kWh)", "energy_kwh", "{:.4g}"),
    ("SLA violations", "sla_violation_rate", "{:.1%}"),
    ("rejected (failure rate)", "failure_rate", "{:.1%}"),
    ("makespan (s)", "makespan_s", "{:.4g}"),
    ("fairness (Gini, 0 = fair)", "fairness_gini", "{:.3f}"),
)

#: The headline metrics a table of many scenarios shows, one column each: heading, metric, format.
SCENARIO_ROW_COLUMNS = (
    ("reward", "reward", "{:.4f}"),
    ("p99 latency (s)", "p99_latency_s", "{:.4g}"),
    ("cpu util", "cpu_utilization", "{:.1%}"),
    ("cost ($)", "cost_usd", "{:.4g}"),
    ("energy (kWh)", "energy_kwh", "{:.4g}"),
    ("rejected", "failure_rate", "{:.1%}"),
)

#: Up to this many scenarios, a result table has a column per scenario; beyond, a row per scenario.
MAX_SCENARIO_COLUMNS = 4


def _suite_split(task: TaskConfig, split: str) -> tuple[Scenario, ...]:
    """The scenarios of ``task.suite``'s ``split``, cut to ``task.suite_scenarios``."""
    return tuple(load_suite_once(task.suite).split(split))[: task.suite_scenarios]


@functools.lru_cache(maxsize=1)
def load_suite_once(name: str):
    """The suite called ``name`` (:func:`aurora_evo.suites.load_suite`; one-line InputError if unknown or
    not built), read once per process: a run on a suite asks for it when the command checks it, when the
    run is built and when its end reports on the test split. A suite rebuilt while the process runs is
    not read again."""
    # The sandbox's supervisor imports this module and forks every jail from itself.
    # heavy: the suites' package (with its builder's trace readers) stays out of the supervisor
    from aurora_evo.suites import load_suite

    return load_suite(name)


def split_seeds(names: list[str]) -> tuple[list[str], list[str]]:
    """Every third scenario (in name order) is held out; the rest train."""
    ordered = sorted(names)
    held_out = ordered[2::3]
    return [n for n in ordered if n not in held_out], held_out


class AllocationProblem(Problem):
    """Place every task of a scenario on a node; the score is the mean reward over scenarios (0-1)."""

    name = "allocation"
    contract = Contract.ALLOCATION
    decision_noun = "node"
    score_unit = "mean reward"
    score_label = "mean reward"
    jit_min_decisions = JIT_MIN_DECISIONS
    trivial_program = "def priority(task, nodes):\n    return nodes[:, 1] * 1.0\n"
    calls_here = True
    case_file_kind = "scenario"

    def cases(self, task: TaskConfig, seed: int) -> Cases:
        """Two thirds of ``task.domain``'s seed scenarios at ``task.levels`` train, the rest are held
        out (:func:`split_seeds`); with ``task.suite``, the suite's train and validation splits.
        ``seed`` is unused (nothing is generated)."""
        if task.suite is not None:
            name = load_suite_once(task.suite).name
            train, validation = _suite_split(task, "train"), _suite_split(task, "validation")
            cut = "" if task.suite_scenarios is None else f" (the first {task.suite_scenarios} of each split)"
            description = (
                f"{task.domain} allocation on suite {name}{cut}: train on its {len(train)} train "
                f"scenarios, hold out its {len(validation)} validation ones"
            )
            return Cases(train, validation, description)
        paths = {p.stem: p for level in task.levels for p in seed_scenario_paths(level, task.domain)}
        if not paths:
            raise ConfigError(f"no seed scenarios for domain {task.domain!r} at levels {list(task.levels)}")
        train_names, held_out_names = split_seeds(list(paths))
        train = tuple(load_scenario(paths[n]) for n in train_names)
        validation = tuple(load_scenario(paths[n]) for n in held_out_names)
        description = (
            f"{task.domain} allocation: train on {len(train)} seed scenarios ({', '.join(task.levels)}), "
            f"hold out {len(validation)}"
        )
        return Cases(train, validation, description)

    def load_cases(self, specs: Sequence[str]) -> list[Scenario]:
        """The scenario files at ``specs``, in order."""
        return [load_scenario(path) for path in specs]

    def result_table(self, result: EvalResult) -> ResultTable:
        """Metrics down the side, one column per scenario, for a few scenarios; for many, a row each with
        the headline metrics. The summary is the mean reward."""
        cases = result.per_case
        summary = (f"mean reward over {len(cases)} scenario(s)", f"{result.score:.4f}")
        if len(cases) <= MAX_SCENARIO_COLUMNS:
            rows = tuple(
                (label, *(fmt.format(m[key]) for m in cases.values())) for label, key, fmt in METRIC_ROWS
            )
            return ResultTable(("metric", *cases), rows, summary)
        columns = ("scenario", *(label for label, _, _ in SCENARIO_ROW_COLUMNS))
        rows = tuple(
            (name, *(fmt.format(m[key]) for _, key, fmt in SCENARIO_ROW_COLUMNS)) for name, m in cases.items()
        )
        return ResultTable(columns, rows, summary)

    def test_cases(self, task: TaskConfig) -> tuple:
        """The domain's seed scenarios at the levels the run does not use (expert, by default); with
        ``task.suite``, the suite's test split."""
        if task.suite is not None:
            return _suite_split(task, "test")
        unseen = [level for level in SEED_LEVELS if level not in task.levels]
        return tuple(load_scenario(p) for level in unseen for p in seed_scenario_paths(level, task.domain))

    def pooled_selection(self, task: TaskConfig) -> bool:
        """On the seeds, two thirds train and only a few are held out: too few to choose by alone (a
        program can be lucky on four). A suite's validation split is made to choose by."""
        return task.suite is None

    def axis_label(self, task: TaskConfig) -> str:
        return "score (mean reward, 0-1)"

    def decision_counts(self, case: Scenario) -> list[int]:
        return [len(case.tasks)]

    def case_to_document(self, case: Scenario) -> dict:
        return scenario_to_dict(case)

    def case_from_document(self, document: dict) -> Scenario:
        return scenario_from_dict(document, source="<sandbox>")

    def run(self, source: str, cases: Sequence[Scenario], *, jit: bool, boundscheck: bool):
        program = compile_outcome(source, Contract.ALLOCATION, jit=jit, boundscheck=boundscheck)
        if isinstance(program, EvalResult):
            return program
        ran = self.run_program(program, cases)
        return ran if isinstance(ran, EvalResult) else (ran, program.compiled)

    def run_program(self, program: CompiledProgram, cases: Sequence[Scenario]) -> EvalResult | Decisions:
        """Simulate the program on every scenario: the node of each task per scenario, or the failure."""
        nodes = []
        for scenario in cases:
            result = simulate(scenario, program)
            if not result.ok:
                return EvalResult(
                    outcome_of_status(result.status),
                    f"{scenario.name}: {result.message}",
                    compiled=result.compiled,
                )
            nodes.append(result.placement.node)
        return nodes

    def score(self, cases: Sequence[Scenario], decisions: Decisions, compiled: bool) -> EvalResult:
        """Metrics of the placements, after replaying them through the simulator to check them."""
        per_case: dict[str, dict] = {}
        for key, scenario, node in zip(unique_names([s.name for s in cases]), cases, decisions, strict=True):
            placement = replay(scenario, node)
            if placement is None:
                return EvalResult(
                    Outcome.INVALID_OUTPUT, f"{scenario.name}: the placement failed verification"
                )
            per_case[key] = self.case_metrics(scenario, compute_metrics(scenario, placement))
        scores = [self.case_score(case) for case in per_case.values()]
        return EvalResult(Outcome.OK, "", mean_score(scores), per_case, compiled)

    def case_metrics(self, scenario: Scenario, metrics: Metrics) -> dict:
        """What a scenario's evaluation records: its metrics as plain numbers."""
        return metrics.as_dict()

    def case_score(self, metrics: Mapping) -> float:
        return float(metrics["reward"])

    def queries(
        self, cases: Sequence[Scenario], decisions: Decisions, samples: int, rng: np.random.Generator
    ) -> list[Query] | None:
        """Queries for ``samples`` placement decisions (tasks placed, not rejected) drawn from
        ``decisions``; ``None`` if a placement fails the replay."""
        queries = []
        steps = pick([int(np.count_nonzero(node >= 0)) for node in decisions], samples, rng)
        for case, (scenario, node, picked) in enumerate(zip(cases, decisions, steps, strict=True)):
            if not picked.size:
                continue
            states = decision_states(scenario, node, picked)
            if states is None:
                return None
            candidates = np.arange(len(scenario.nodes))
            for j, step in enumerate(picked):
                row, feats = states.task_row[j], states.node_feat[j]
                queries.append(
                    Query(case, int(step), scenario.name, Contract.ALLOCATION, row, feats, candidates,
                          feats[:, N_FITS] > 0.5, int(node[states.task[j]]))
                )  # fmt: skip
        return queries

    def baselines(self) -> dict[str, str]:
        """The shipped seed programs (``seeds/programs``), by name."""
        return {name: path.read_text(encoding="utf-8") for name, path in seed_program_paths().items()}

    def make_attacker(self, config: RunConfig, writer=None):
        """The scenario attacker (``None`` with ``attacker.enabled`` off); ``writer`` (a function that
        makes one) has it ask a language model for scenarios too."""
        settings = config.attacker
        if not settings.enabled:
            return None
        # The sandbox's supervisor imports this module to run programs, and forks every jail from itself.
        # heavy: the attacker brings the archive (sqlite-utils, pandas) and the LLM client into it
        from aurora_evo.attacker.coevolution import Attacker
        from aurora_evo.attacker.learnability import LearnabilityConfig

        return Attacker(
            Domain(config.task.domain),
            settings.start_level,
            top_level=settings.top_level,
            population=settings.population,
            candidates=settings.candidates,
            active=settings.active,
            advance_share=settings.advance_share,
            margin=settings.margin,
            learnability_config=LearnabilityConfig(
                max_sla_violation_rate=settings.max_sla_violation_rate,
                sweet_spot=settings.sweet_spot,
                width=settings.width,
            ),
            elo_k=config.archive.elo_k,
            writer=writer() if writer is not None else None,
        )


class AllocationFitnessProblem(AllocationProblem):
    """Allocation scored by the fitness against best fit (``task.score = "fitness"``): each scenario's
    relative change against best fit's figures there, weighted by its objective weights
    (:func:`~aurora_evo.sim.fitness.relative_fitness`; 0 is best fit, higher is better), the figure
    ``aurora-evo evaluate`` judges programs by. Each scenario's metrics gain ``fitness``.

    Why: the reward scores each objective against a fixed yardstick, so sensible policies sit within
    tenths of a per cent of each other and the queueing a policy causes on a few scenarios hardly moves
    it; a run trained and chosen by it optimises something other than what ``evaluate`` reports.

    Best fit (a vetted seed program) runs in this process once per scenario object; the sandbox's jail
    runs only the candidate, as for :class:`AllocationProblem`.
    """

    score_unit = "fitness against best fit"
    score_label = "fitness against best fit"

    def case_metrics(self, scenario: Scenario, metrics: Metrics) -> dict:
        """The metrics and ``fitness``, against best fit's on ``scenario``."""
        fitness = relative_fitness(scenario, metrics, _BEST_FIT.metrics(scenario))
        return {**metrics.as_dict(), "fitness": fitness}

    def case_score(self, metrics: Mapping) -> float:
        return float(metrics["fitness"])

    def format_score(self, value: float) -> str:
        return f"{value:+.4f}"

    def axis_label(self, task: TaskConfig) -> str:
        return "score (fitness against best fit, 0 = best fit)"


class _BestFitReferences:
    """Best fit's metrics per scenario object, each computed once (a run scores thousands of programs
    on the same few scenarios). Keyed by ``id`` with the scenario kept, so that an id is not reused by
    another scenario while its entry lives; the oldest entries go beyond :attr:`MAX_ENTRIES` (the
    attacker keeps making scenarios)."""

    MAX_ENTRIES = 4096

    def __init__(self):
        self._known: dict[int, tuple[Scenario, Metrics]] = {}
        self._lock = threading.Lock()

    def metrics(self, scenario: Scenario) -> Metrics:
        with self._lock:
            known = self._known.get(id(scenario))
        if known is not None and known[0] is scenario:
            return known[1]
        reference = best_fit_metrics(scenario)
        with self._lock:
            self._known[id(scenario)] = (scenario, reference)
            while len(self._known) > self.MAX_ENTRIES:
                del self._known[next(iter(self._known))]
        return reference


_BEST_FIT = _BestFitReferences()
