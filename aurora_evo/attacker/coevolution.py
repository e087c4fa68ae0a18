"""The attacker's side of co-evolution: a population of scenario genomes kept at the defender's edge.

Ask/tell, like the controller it serves (which owns the sandbox and the archive)::

    ask:  new genomes of the current level (tournament on learnability, blend crossover, Gaussian
          mutation; random ones while the population fills), each made into a scenario and passed
          through the five quality-control layers; refused ones are returned with their reasons
    (the controller scores the defender's elites on the accepted candidates)
    tell: each candidate's learnability from the elites' successes; the population keeps the most
          learnable genomes; the training set keeps the ``active`` most learnable scenarios; every
          (elite, scenario) pair is an Elo match (the scenario wins when the elite fails); when the
          elites succeed on at least ``advance_share`` of the level's active scenarios, the
          curriculum moves to the next level and the population starts afresh there

Everything random comes from the generator the controller passes in; the state is plain data
(:meth:`Attacker.state`), so a run resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from aurora_evo.archive import elo
from aurora_evo.archive.elo import INITIAL_RATING
from aurora_evo.attacker.genome import ScenarioGenome, cx_blend, mut_gaussian, sel_tournament
from aurora_evo.attacker.learnability import LearnabilityConfig, learnability, success
from aurora_evo.attacker.llm import DefenderStats
from aurora_evo.scenario.io import scenario_from_dict
from aurora_evo.scenario.levels import LEVELS, next_level
from aurora_evo.scenario.model import Domain, Scenario
from aurora_evo.scenario.quality import QualityMonitor, check_complexity, check_scenario

#: Rewards this close to best fit's count as equal to it (the simulator's float noise is far smaller).
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Candidate:
    """A scenario the attacker proposes: its genome, the scenario, and the quality report."""

    genome: ScenarioGenome
    scenario: Scenario
    report: object

    @property
    def accepted(self) -> bool:
        return bool(self.report.passed)


@dataclass
class ScoredGenome:
    """A genome of the population, with the learnability its scenario earned."""

    genome: ScenarioGenome
    fitness: float


@dataclass
class ActiveScenario:
    """A scenario in the defender's training set, with the learnability it earned and its Elo."""

    scenario: Scenario
    genome: ScenarioGenome
    learnability: float
    success_rate: float
    born: int


@dataclass(frozen=True)
class StepResult:
    """What one attacker step did (plain data, stored as an ``attacker`` event)."""

    level: str
    proposed: int
    refused: int
    refusals: dict[str, int]
    learnability: list[float]
    success_rates: list[float]
    active: list[str]
    training_changed: bool
    #: Quality control's record of each candidate (:func:`~aurora_evo.scenario.quality.check_record`).
    checks: list[dict] = field(default_factory=list)


class Attacker:
    """The scenario population of one run.

    Args:
        domain: the run's domain (genomes keep it: scenarios of one domain compare).
        start_level: the curriculum's first level.
        top_level: the curriculum's last level (mastering it moves the curriculum no further).
        population, candidates, active: genomes kept, tried per step, scenarios in the training set.
        advance_share: the elites' success share on the level's active scenarios that moves the
            curriculum on (the issue's 70 %).
        margin: an elite succeeds on a scenario when its reward is at least best fit's plus this.
        learnability_config: the SLA limit of success, and the sweet spot of the learnability curve.
        elo_k: K factor of the scenarios' Elo matches against the elites.
        writer: an :class:`~aurora_evo.attacker.llm.LLMAttacker` that adds one scenario of its own to
            each step's candidates (the model is told the defenders' recent results), or ``None``.
        redraws: draws of a genome tried for one whose complexity fits the level (see :meth:`_draw`).
    """

    def __init__(
        self,
        domain: Domain,
        start_level: str = "easy",
        *,
        top_level: str = "beyond",
        population: int = 8,
        candidates: int = 4,
        active: int = 4,
        advance_share: float = 0.7,
        margin: float = 0.0,
        learnability_config: LearnabilityConfig | None = None,
        elo_k: float = 16.0,
        writer=None,
        redraws: int = 4,
    ):
        self.domain = domain
        self.level = start_level
        self.top_level = top_level
        self.size, self.candidates, self.active_size = population, candidates, active
        self.advance_share = advance_share
        self.margin = margin
        self.config = learnability_config or LearnabilityConfig()
        self.elo_k = elo_k
        self.redraws = max(1, int(redraws))
        self.population: list[ScoredGenome] = []
        self.active: list[ActiveScenario] = []
        self.ratings: dict[str, float] = {}
        self.recent_features: list[np.ndarray] = []
        self.writer = writer
        #: Validation rate, refusal reasons and drift of the accepted scenarios' features (since this
        #: process started: a resumed run's earlier steps are in the archive's attacker events).
        self.monitor = QualityMonitor()
        #: (genes, elites' success rate, learnability) of the latest judged scenarios, for the writer.
        self.history: list[tuple[dict, float, float]] = []
        #: The hardest level the defender has mastered (see :meth:`maybe_advance`), or ``None``.
        self.mastered: str | None = None
        self._made = 0

    # --- ask ---------------------------------------------------------------------------------------------

    def _new_genome(self, rng: np.random.Generator) -> ScenarioGenome:
        if len(self.population) < 2:
            return ScenarioGenome.random(self.level, rng, domain=self.domain)
        fitness = [m.fitness for m in self.population]
        a, b = sel_tournament([m.genome for m in self.population], fitness, rng, 2)
        child, _ = cx_blend(a, b, rng)
        return mut_gaussian(child, rng, fixed=("domain",))

    def ask(self, rng: np.random.Generator) -> list[Candidate]:
        """``candidates`` new scenarios of the current level, each with its quality report (refused
        ones included, so the controller can record why)."""
        proposed = []
        for _ in range(self.candidates):
            genome = self._new_genome(rng)
            self._made += 1
            name = f"attack-{self.level}-{self.domain.value}-{self._made:04d}"
            scenario = self._draw(genome, rng, name)
            report = check_scenario(scenario, level=self.level, recent=self.recent_features[-20:])
            proposed.append(Candidate(genome, scenario, report))
        written = self._written(rng)
        return proposed + ([written] if written is not None else [])

    def _draw(self, genome: ScenarioGenome, rng: np.random.Generator, name: str) -> Scenario:
        """A scenario of ``genome`` whose realised sizes, load and deadline share fit the level.

        A genome sets targets; one draw can miss them (7 deadline tasks of 10 drawn at a share of
        0.6 is above the easy level's 0.7 cap; a few long tasks can double the load), and a miss wastes
        the candidate on the complexity check. So up to ``redraws`` draws of the same genome are made,
        keeping the first whose complexity fits (the last one otherwise, for quality control to refuse
        with its reason). The other four checks still judge the scenario kept.
        """
        for _ in range(self.redraws):
            scenario = genome.to_scenario(rng, name)
            if check_complexity(scenario, self.level).passed:
                break
        return scenario

    def _written(self, rng: np.random.Generator) -> Candidate | None:
        """The writer's scenario for this step, in the run's domain, or ``None``."""
        if self.writer is None or self.writer.exhausted_reason:
            return None
        rate = float(np.mean([h[1] for h in self.history])) if self.history else 0.5
        self._made += 1
        name = f"attack-{self.level}-{self.domain.value}-{self._made:04d}-llm"
        stats = DefenderStats(self.level, rate, list(self.history[-8:]))
        proposal = self.writer.propose(self.level, stats, rng, recent=self.recent_features[-20:], name=name)
        if proposal is None:
            return None
        genome, scenario, report = proposal.genome, proposal.scenario, proposal.report
        if genome.domain is not self.domain:  # the run compares scenarios of its own domain
            genome = genome.with_domain(self.domain)
            scenario = genome.to_scenario(rng, name)
            report = check_scenario(scenario, level=self.level, recent=self.recent_features[-20:])
        return Candidate(genome, scenario, report)

    # --- tell --------------------------------------------------------------------------------------------

    def tell(
        self,
        candidates: Sequence[Candidate],
        metrics: Mapping[str, Sequence[Mapping]],
        iteration: int,
        elites: Sequence[str] = (),
        baseline: Mapping[str, Mapping] | None = None,
    ) -> StepResult:
        """Judge the accepted candidates by the elites' results on them.

        Args:
            candidates: what :meth:`ask` returned.
            metrics: scenario name -> one metrics mapping per elite (``reward``, ``sla_violation_rate``
                ...), for every accepted candidate; a failed evaluation is an empty mapping (a failure).
            iteration: the controller's iteration (when scenarios entered the training set).
            elites: the elites' program ids, in the order of each metrics list (for Elo).
            baseline: scenario name -> best fit's metrics on it (see :meth:`succeeded`).
        """
        refusals: dict[str, int] = {}
        rates, scores, checks = [], [], []
        before = [a.scenario.name for a in self.active]
        for candidate in candidates:
            checks.append(self.monitor.record(candidate.report, candidate.report.features, iteration))
            if not candidate.accepted:
                for layer in candidate.report.refused_layers:
                    refusals[str(layer)] = refusals.get(str(layer), 0) + 1
                self.population.append(ScoredGenome(candidate.genome, 0.0))
                continue
            reference = (baseline or {}).get(candidate.scenario.name)
            outcomes = [float(self.succeeded(m, reference)) for m in metrics[candidate.scenario.name]]
            rate = float(np.mean(outcomes)) if outcomes else 0.0
            score = learnability(outcomes or [0.0], self.config.sweet_spot, self.config.width)
            rates.append(rate)
            scores.append(score)
            self.population.append(ScoredGenome(candidate.genome, score))
            self.history = [*self.history[-15:], (candidate.genome.as_dict(), rate, score)]
            self.recent_features.append(np.asarray(candidate.report.features, dtype=float))
            self._play(candidate.scenario.name, elites, outcomes)
            if score > 0.0:
                self.active.append(
                    ActiveScenario(candidate.scenario, candidate.genome, score, rate, iteration)
                )
        self.population.sort(key=lambda m: -m.fitness)
        del self.population[self.size :]
        # The most learnable scenarios train the defender; on ties the newer one stays.
        self.active.sort(key=lambda a: (-a.learnability, -a.born))
        del self.active[self.active_size :]
        after = [a.scenario.name for a in self.active]
        return StepResult(
            level=self.level,
            proposed=len(candidates),
            refused=sum(not c.accepted for c in candidates),
            refusals=refusals,
            learnability=scores,
            success_rates=rates,
            active=after,
            training_changed=sorted(after) != sorted(before),
            checks=checks,
        )

    def succeeded(self, metrics: Mapping, baseline: Mapping | None) -> bool:
        """Whether a program succeeded on a scenario: its reward is at least best fit's there plus
        ``margin`` (within the SLA limit of the learnability settings). Without best fit's result
        (it failed to run), the absolute threshold of the learnability settings decides.

        A tie with best fit is a success. On small, lightly loaded scenarios every sensible program
        places every task as best fit does; had ties been failures, no elite could ever succeed there,
        no scenario would be learnable and the curriculum would never leave the easy level."""
        if baseline is None or "reward" not in baseline:
            return success(metrics, config=self.config)
        threshold = min(1.0, float(baseline["reward"]) + self.margin) - TIE_TOLERANCE
        return success(metrics, threshold, config=self.config)

    def _play(self, scenario: str, elites: Sequence[str], outcomes: Sequence[float]) -> None:
        """Elo matches of a scenario against the elites: the scenario wins when an elite fails."""
        current = {scenario: self.ratings.get(scenario, INITIAL_RATING)}
        for elite, outcome in zip(elites, outcomes, strict=False):
            key = f"program:{elite}"
            current.setdefault(key, self.ratings.get(key, INITIAL_RATING))
            current = elo.play(current, scenario, key, [1.0 - outcome], self.elo_k)
        self.ratings.update(current)

    def maybe_advance(self, level_success: float) -> str | None:
        """Move the curriculum on when the elites succeed on ``level_success`` >= ``advance_share`` of
        the level's training scenarios; returns the new level, or ``None``. Success at that share
        masters the level (:attr:`mastered`), the last one (``top_level``) included."""
        if level_success < self.advance_share:
            return None
        if self.mastered is None or LEVELS[self.level].rank > LEVELS[self.mastered].rank:
            self.mastered = self.level
        following = next_level(self.level) if self.level != self.top_level else None
        if following is None:
            return None
        self.level = following
        self.population, self.active, self.recent_features = [], [], []
        return following

    def training_scenarios(self) -> list[Scenario]:
        return [a.scenario for a in self.active]

    # --- persistence -------------------------------------------------------------------------------------

    def state(self) -> dict:
        """Plain data to resume from. The training scenarios are named, not included: the controller
        stores each once (:meth:`~aurora_evo.archive.ledger.Ledger.add_scenario`), since a state is saved
        every iteration and an expert level's four scenarios weigh about a megabyte."""
        return {
            "level": self.level,
            "mastered": self.mastered,
            "made": self._made,
            "population": [[m.genome.level, list(m.genome.genes), m.fitness] for m in self.population],
            "active": [
                {
                    "name": a.scenario.name,
                    "level": a.genome.level,
                    "genes": list(a.genome.genes),
                    "learnability": a.learnability,
                    "success_rate": a.success_rate,
                    "born": a.born,
                }
                for a in self.active
            ],
            "ratings": self.ratings,
            "recent_features": [list(map(float, f)) for f in self.recent_features[-20:]],
            "history": [[genes, rate, score] for genes, rate, score in self.history],
            "writer": self.writer.state() if self.writer is not None else None,
        }

    def restore(self, state: Mapping, scenarios: Callable[[str], Scenario] | None = None) -> None:
        """Continue from :meth:`state`; ``scenarios`` returns a training scenario by name (from the
        archive). States saved before scenarios were stored apart hold them inline."""

        def scenario_of(saved: Mapping) -> Scenario:
            if "scenario" in saved:
                return scenario_from_dict(saved["scenario"])
            if scenarios is None:
                raise ValueError("Attacker.restore: the state names its scenarios; pass a lookup")
            return scenarios(saved["name"])

        self.level = state["level"]
        self.mastered = state.get("mastered")
        self._made = int(state["made"])
        self.population = [
            ScoredGenome(ScenarioGenome(lv, tuple(g)), float(f)) for lv, g, f in state["population"]
        ]
        self.active = [
            ActiveScenario(scenario_of(a), ScenarioGenome(a["level"], tuple(a["genes"])),
                           float(a["learnability"]), float(a["success_rate"]), int(a["born"]))
            for a in state["active"]
        ]  # fmt: skip
        self.ratings = {k: float(v) for k, v in state["ratings"].items()}
        self.recent_features = [np.asarray(f, dtype=float) for f in state["recent_features"]]
        self.history = [
            (dict(genes), float(rate), float(score)) for genes, rate, score in state.get("history", [])
        ]
        if self.writer is not None and state.get("writer"):
            self.writer.restore(state["writer"])
