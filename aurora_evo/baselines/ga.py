"""A genetic-algorithm baseline: DEAP's (mu + lambda) algorithm tunes the weights of the linear policy.

An individual is a weight vector in [-1, 1], one weight per term of the policy
(:mod:`aurora_evo.baselines.linear_policy`); its fitness is its mean score over the training scenarios,
each simulated in this process by :func:`~aurora_evo.baselines.linear_sim.simulate_linear` (the weights
are ours, not untrusted code, and one compiled kernel serves every candidate: 0.9 ms per evaluation of
a 250-task scenario, see that module). :class:`GeneticAlgorithm` is used as an
estimator is::

    ga = GeneticAlgorithm(GAConfig(population=32, generations=20, seed=1)).fit(suite.train)
    ga.weights_, ga.history_          # the best weights, and the learning curve
    Path("ga.py").write_text(ga.program_source())   # a program file, run like any evolved program
    ga.save("ga.json"); GeneticAlgorithm.load("ga.json")

Each generation is one call of :func:`deap.algorithms.eaMuPlusLambda` (``ngen=1``; the same draws as
one call for every generation, since the state between generations is the population and the hall of
fame), with DEAP's operators: :func:`~deap.tools.cxBlend`, :func:`~deap.tools.mutGaussian`, both
followed by clipping to [-1, 1], and :func:`~deap.tools.selTournament`.

Randomness: the initial weights come from ``numpy.random.default_rng(seed)``. DEAP's algorithm and
operators draw from the module ``random`` they import; rather than reseeding Python's global
generator (which would change other code's draws, and theirs ours), the modules of the DEAP functions
used see a private ``random.Random``, seeded from the same numpy generator, for the duration of the
fit (:func:`_deap_drawing_from`). DEAP's own code runs unchanged, the caller's global ``random``
state is untouched, and the same seed and scenarios give the same weights. A lock keeps two fits in
threads of one process from sharing the private stream (other code calling those DEAP functions in
another thread during a fit would draw from it too; aurora-evo's genetic programming does not, it has
its own operators, see :mod:`aurora_evo.mutators.gp`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import random
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from deap import algorithms, base, tools

import aurora_evo
from aurora_evo.baselines.linear_policy import TERM_NAMES, linear_program_source, term_indices
from aurora_evo.baselines.linear_sim import simulate_linear
from aurora_evo.errors import InputError, one_line
from aurora_evo.problem import mean_score
from aurora_evo.scenario.model import Scenario
from aurora_evo.sim.metrics import Metrics

#: What a saved file says it is, and the version of its layout.
FILE_FORMAT = "aurora-evo genetic algorithm"
FILE_VERSION = 1

#: A scenario's score from its metrics, higher is better.
ScoreFunction = Callable[[Scenario, Metrics], float]


def reward_score(scenario: Scenario, metrics: Metrics) -> float:
    """The default score: the scenario's reward (its weighted mean of the metric scores, in [0, 1])."""
    return metrics.reward


@dataclass(frozen=True)
class GAConfig:
    """Settings of a genetic-algorithm run.

    Attributes:
        population: individuals kept each generation (mu), and offspring made from them (lambda).
        generations: generations after the initial population (0: the best of random weights).
        crossover: probability that an offspring is a blend of two parents (``cxBlend``).
        mutation: probability that an offspring is a Gaussian mutation of one parent; with
            ``crossover``, at most 1 (the rest are copies of a parent).
        sigma: standard deviation of a mutated weight's change (weights are in [-1, 1]).
        gene_mutation: probability that a mutation changes each weight.
        blend_alpha: how far past its parents a blended weight may fall (``cxBlend``'s alpha).
        tournament: individuals per selection tournament.
        seed: seed of every random draw of the run.
        n_jobs: processes evaluating candidates (joblib's convention: -1 is every cpu). Worth it only
            for long evaluations (scenarios of thousands of tasks): on three 250-task scenarios, the
            default run took 4.0 s in 2 processes against 1.8 s in this one alone.
        terms: the policy's terms the weights are for (names of
            :data:`~aurora_evo.baselines.linear_policy.TERMS`).
    """

    population: int = 32
    generations: int = 20
    crossover: float = 0.5
    mutation: float = 0.4
    sigma: float = 0.2
    gene_mutation: float = 0.3
    blend_alpha: float = 0.3
    tournament: int = 3
    seed: int = 0
    n_jobs: int = 1
    terms: tuple[str, ...] = TERM_NAMES

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(self.terms))
        for name, low in (("population", 2), ("generations", 0), ("tournament", 1), ("seed", 0)):
            value = getattr(self, name)
            if not _is_int(value) or value < low:
                raise InputError(
                    f"genetic algorithm: {name} must be an integer of at least {low}, got {value!r}"
                )
        for name in ("crossover", "mutation", "gene_mutation"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                raise InputError(f"genetic algorithm: {name} is a probability, in [0, 1]; got {value!r}")
        if self.crossover + self.mutation > 1.0:
            raise InputError(
                f"genetic algorithm: crossover + mutation must be at most 1, got "
                f"{self.crossover} + {self.mutation}"
            )
        for name in ("sigma", "blend_alpha"):
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 < value < math.inf:
                raise InputError(f"genetic algorithm: {name} must be a positive number, got {value!r}")
        if not _is_int(self.n_jobs) or self.n_jobs == 0:
            raise InputError(f"genetic algorithm: n_jobs must be a nonzero integer, got {self.n_jobs!r}")
        term_indices(self.terms)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- DEAP's individuals and randomness --------------------------------------------------------------


class _Fitness(base.Fitness):
    weights = (1.0,)  # one objective, maximised


class _Individual(list):
    """A weight vector (plain floats, so DEAP's hall of fame can compare two with ``==``)."""

    def __init__(self, values):
        super().__init__(values)
        self.fitness = _Fitness()


_DEAP_LOCK = threading.Lock()


@contextlib.contextmanager
def _deap_drawing_from(stream: random.Random) -> Iterator[None]:
    """Have :func:`deap.algorithms.eaMuPlusLambda` and the operators used draw from ``stream``.

    Each of their modules imports ``random`` and calls ``random.random()``, ``random.gauss()``...;
    for the duration, that name in those modules is ``stream``, which has the same methods.
    """
    used = (algorithms.eaMuPlusLambda, tools.cxBlend, tools.mutGaussian, tools.selTournament)
    modules = {sys.modules[function.__module__] for function in used}
    with _DEAP_LOCK:
        saved = {module: module.random for module in modules}
        try:
            for module in modules:
                module.random = stream
            yield
        finally:
            for module, original in saved.items():
                module.random = original


def _clipped(operator: Callable) -> Callable:
    """``operator``, its offspring's weights then clipped to [-1, 1] in place."""

    def clip(*args, **kwargs):
        offspring = operator(*args, **kwargs)
        for individual in offspring:
            individual[:] = [min(1.0, max(-1.0, weight)) for weight in individual]
        return offspring

    return clip


# --- fitness ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeanScore:
    """The fitness of a weight vector: its mean ``score`` over ``scenarios`` (a 1-tuple, as DEAP wants).

    ``terms`` are the positions in :data:`~aurora_evo.baselines.linear_policy.TERMS` of the weights;
    the other terms weigh 0. Picklable, so that joblib's worker processes can run it.
    """

    scenarios: tuple[Scenario, ...]
    score: ScoreFunction
    terms: tuple[int, ...]

    def __call__(self, weights: Sequence[float]) -> tuple[float]:
        full = np.zeros(len(TERM_NAMES))
        full[list(self.terms)] = weights
        values = []
        for scenario in self.scenarios:
            value = float(self.score(scenario, simulate_linear(scenario, full)))
            if not math.isfinite(value):
                raise InputError(f"the score of {scenario.name} is {value}; a score must be a finite number")
            values.append(value)
        return (mean_score(values),)


def _evaluate_chunk(fitness: Callable, chunk: list[list[float]]) -> list[tuple[float]]:
    return [fitness(weights) for weights in chunk]


@dataclass(frozen=True)
class _ParallelMap:
    """``map(fitness, individuals)`` for DEAP's toolbox, over ``n_jobs`` joblib processes: one chunk of
    the individuals each, so the scenarios travel once per process and generation."""

    n_jobs: int

    def __call__(self, fitness: Callable, individuals: Sequence) -> list[tuple[float]]:
        rows = [list(individual) for individual in individuals]
        if self.n_jobs == 1 or len(rows) < 2:
            return _evaluate_chunk(fitness, rows)
        from joblib import Parallel, delayed, effective_n_jobs  # heavy: only with several processes

        chunks = [
            c.tolist() for c in np.array_split(np.array(rows), min(effective_n_jobs(self.n_jobs), len(rows)))
        ]
        done = Parallel(n_jobs=self.n_jobs)(delayed(_evaluate_chunk)(fitness, chunk) for chunk in chunks)
        return [value for chunk in done for value in chunk]


# --- the estimator ----------------------------------------------------------------------------------


class GeneticAlgorithm:
    """A genetic algorithm over the weights of the linear policy (see the module docstring).

    ``GeneticAlgorithm(config)``, or settings by name (``GeneticAlgorithm(population=8, seed=3)``),
    which replace those of ``config`` (default :class:`GAConfig`).

    Attributes, after :meth:`fit` (or :meth:`load`):
        weights_: ``(len(config.terms),)`` float64 in [-1, 1], the best weights found, in the order of
            ``config.terms``.
        score_: their fitness: mean score over the training scenarios.
        history_: one dict per generation, the initial population's first (the learning curve):
            ``generation``; ``best`` and ``mean`` fitness of the population; ``best_so_far``, the best
            of every generation up to this one; ``evaluations``, candidates evaluated in this generation,
            and ``total_evaluations`` up to it.
        scenario_names_: the names of the training scenarios.
    """

    def __init__(self, config: GAConfig | None = None, **settings):
        try:
            self.config = dataclasses.replace(config or GAConfig(), **settings)
        except TypeError as exc:
            raise InputError(f"genetic algorithm: {one_line(exc)}") from None
        self.weights_: np.ndarray | None = None
        self.score_: float | None = None
        self.history_: list[dict] = []
        self.scenario_names_: list[str] = []

    def __repr__(self) -> str:
        state = "not fitted" if self.weights_ is None else f"fitted, score {self.score_:.4f}"
        return f"{type(self).__name__}({self.config!r}, {state})"

    def fit(
        self,
        scenarios: Sequence[Scenario],
        score: ScoreFunction | None = None,
        progress: Callable[[dict], None] | None = None,
    ) -> GeneticAlgorithm:
        """Evolve weights on ``scenarios`` (e.g. a suite's train split); returns ``self``.

        ``score(scenario, metrics)`` is a scenario's score, higher is better (default: its reward);
        a candidate's fitness is the mean over the scenarios. ``progress``, if given, gets each
        generation's entry of :attr:`history_` as soon as it is made.

        Raises:
            InputError: no scenarios, something else than a scenario, or a score that is not finite.
        """
        scenarios = tuple(scenarios)
        if not scenarios:
            raise InputError("genetic algorithm: no training scenarios")
        odd = next((s for s in scenarios if not isinstance(s, Scenario)), None)
        if odd is not None:
            raise InputError(f"genetic algorithm: trains on scenarios, got a {type(odd).__name__}")
        cfg = self.config
        fitness = MeanScore(scenarios, score or reward_score, term_indices(cfg.terms))
        rng = np.random.default_rng(cfg.seed)
        population = [_Individual(row) for row in rng.uniform(-1.0, 1.0, (cfg.population, len(cfg.terms)))]
        stream = random.Random(int(rng.integers(2**63)))
        toolbox, stats, best = self._toolbox(fitness), self._statistics(), tools.HallOfFame(1)
        self.history_ = []
        with _deap_drawing_from(stream):
            for generation in range(cfg.generations + 1):
                # ngen=0 evaluates the initial population; ngen=1 then makes one generation from it.
                population, logbook = algorithms.eaMuPlusLambda(
                    population, toolbox, mu=cfg.population, lambda_=cfg.population, cxpb=cfg.crossover,
                    mutpb=cfg.mutation, ngen=min(generation, 1), stats=stats, halloffame=best, verbose=False,
                )  # fmt: skip
                self._record(generation, logbook[-1], best[0].fitness.values[0], progress)
        self.weights_ = np.array(best[0], dtype=np.float64)
        self.score_ = float(best[0].fitness.values[0])
        self.scenario_names_ = [s.name for s in scenarios]
        return self

    def _toolbox(self, fitness: MeanScore) -> base.Toolbox:
        cfg = self.config
        toolbox = base.Toolbox()
        toolbox.register("evaluate", fitness)
        toolbox.register("map", _ParallelMap(cfg.n_jobs))
        toolbox.register("mate", _clipped(tools.cxBlend), alpha=cfg.blend_alpha)
        toolbox.register(
            "mutate", _clipped(tools.mutGaussian), mu=0.0, sigma=cfg.sigma, indpb=cfg.gene_mutation
        )
        toolbox.register("select", tools.selTournament, tournsize=cfg.tournament)
        return toolbox

    @staticmethod
    def _statistics() -> tools.Statistics:
        stats = tools.Statistics(key=lambda individual: individual.fitness.values[0])
        stats.register("best", np.max)
        stats.register("mean", np.mean)
        return stats

    def _record(self, generation: int, record: dict, best_so_far: float, progress) -> None:
        done = self.history_[-1]["total_evaluations"] if self.history_ else 0
        entry = {
            "generation": generation,
            "best": float(record["best"]),
            "mean": float(record["mean"]),
            "best_so_far": float(best_so_far),
            "evaluations": int(record["nevals"]),
            "total_evaluations": done + int(record["nevals"]),
        }
        self.history_.append(entry)
        if progress is not None:
            progress(entry)

    # --- results ------------------------------------------------------------------------------------

    def _fitted(self) -> np.ndarray:
        if self.weights_ is None:
            raise InputError("the genetic algorithm is not fitted: call fit() or load() first")
        return self.weights_

    def program_source(self) -> str:
        """The best weights as a program file: the policy's program
        (:func:`~aurora_evo.baselines.linear_policy.linear_program_source`) under a header saying how it
        was trained."""
        weights, cfg = self._fitted(), self.config
        trained = f"{len(self.scenario_names_)} scenario(s): {', '.join(self.scenario_names_)}"
        header = [
            "# aurora-evo baseline: a genetic algorithm (DEAP) tuned the weights of a linear policy",
            "# domain: allocation (contract: priority(task, nodes); the highest score is chosen)",
            *textwrap.wrap(f"trained on: {trained}", 98, initial_indent="# ", subsequent_indent="#   "),
            f"# fitness: {self.score_:.6g} (mean score over the training scenarios)",
            f"# settings: population {cfg.population}, generations {cfg.generations}, seed {cfg.seed}",
        ]
        return "\n".join(header) + "\n" + linear_program_source(weights, cfg.terms)

    def save(self, path: str | Path) -> None:
        """Write the fitted model to ``path`` as JSON: settings, term names, weights, fitness, history,
        training scenarios, and the file's format and version."""
        weights = self._fitted()
        document = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "aurora_evo": aurora_evo.__version__,
            "config": dataclasses.asdict(self.config),
            "terms": list(self.config.terms),
            "weights": weights.tolist(),
            "score": self.score_,
            "history": self.history_,
            "scenarios": self.scenario_names_,
        }
        Path(path).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> GeneticAlgorithm:
        """A fitted model from a file :meth:`save` wrote.

        Raises:
            InputError: the file cannot be read, is not such a file, or breaks a rule of its fields.
        """
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{path}: cannot read a genetic algorithm ({one_line(exc)})") from None
        if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
            raise InputError(f"{path}: not a genetic algorithm file (no 'format': {FILE_FORMAT!r})")
        if document.get("version") != FILE_VERSION:
            raise InputError(
                f"{path}: version {document.get('version')!r}; this aurora-evo reads {FILE_VERSION}"
            )
        try:
            config = GAConfig(**document["config"])
            if list(config.terms) != document["terms"]:
                raise InputError(f"terms {document['terms']} differ from the settings' {list(config.terms)}")
            model = cls(config)
            model.weights_ = np.array(document["weights"], dtype=np.float64)
            model.score_ = float(document["score"])
            model.history_ = list(document["history"])
            model.scenario_names_ = [str(name) for name in document["scenarios"]]
            linear_program_source(model.weights_, config.terms)  # checks the weights against the terms
            if np.any(np.abs(model.weights_) > 1.0):
                raise InputError(f"weights {model.weights_.tolist()} are outside [-1, 1]")
        except (InputError, KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: {exc if isinstance(exc, InputError) else one_line(exc)}") from None
        return model
