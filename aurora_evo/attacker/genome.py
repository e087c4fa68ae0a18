"""Scenario genomes: the generator knobs an attacker may turn, with DEAP-style operators.

A :class:`ScenarioGenome` is a difficulty level and one value per gene of :data:`GENES`, in the gene's
own units (tasks, a load, a log-mean...). Each gene maps to one field of
:class:`~aurora_evo.scenario.params.GeneratorParams` (the deadline slack takes two: its low end and
the high / low spread); every other field is the domain's default from
:func:`~aurora_evo.scenario.params.domain_params` or derived from the genes, as ``scripts/make_seeds.py``
derives it (owners from the task count, durations clipped at their p99, queue timeouts from hard on).

Bounds depend on the level: task count, node count, offered load and deadline share are the level's
ranges (:mod:`aurora_evo.scenario.levels`); the other genes widen linearly from easy to beyond (see
:data:`GENES`). Integer genes (counts, node types, the domain index) always hold whole numbers.

Operators follow DEAP's naming (``mut_*``, ``cx_*``, ``sel_*``), take an explicit
``numpy.random.Generator`` and return new genomes (genomes are frozen). Mutation and crossover work in
normalised gene space, where every gene spans [0, 1] (an integer gene spans ``[low - 0.5, high + 0.5]``
so each whole value gets the same share), and clip to the bounds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from aurora_evo.scenario.generate import generate_scenario
from aurora_evo.scenario.levels import LEVEL_NAMES, level
from aurora_evo.scenario.model import Domain, Scenario
from aurora_evo.scenario.params import DURATION_MAX_S, GeneratorParams, domain_params

#: Domains a genome can choose, in the order of the ``domain`` gene's index.
DOMAINS: tuple[Domain, ...] = (Domain.CLOUD, Domain.EDGE, Domain.NETWORK)

#: z of the normal's 99th percentile: durations are clipped at their log-normal's p99 (times the
#: domain's duration scale), as the seed scenarios are, so that a few tail tasks do not carry the load.
_Z99 = 2.3263478740408408

#: Queue timeout, in median task durations, per level (the seeds' hard and expert settings).
_TIMEOUT_MEDIANS: Mapping[str, float] = {"hard": 20.0, "expert": 10.0, "beyond": 10.0}


@dataclass(frozen=True)
class Gene:
    """One knob: its name, whether it is whole, and its bounds at easy and at beyond.

    Attributes:
        name: the gene (mostly a :class:`GeneratorParams` field of the same name).
        integer: whole values only.
        easy, beyond: (low, high) at the easiest and hardest level; the levels between interpolate
            linearly by rank. ``None``: the bounds come from the level itself (``level_field``).
        level_field: the :class:`~aurora_evo.scenario.levels.Level` range that bounds this gene.
        doc: what the gene does.
    """

    name: str
    integer: bool = False
    easy: tuple[float, float] | None = None
    beyond: tuple[float, float] | None = None
    level_field: str | None = None
    doc: str = ""


#: The genes, in genome order. The bounds of every level enclose its seed scenarios and the trace
#: defaults: cpu_log_mu -2.71, cpu_log_sigma 0.79, mem_log_mu -3.16, mem_log_sigma 0.93, cpu_mem_corr
#: 0.54, duration_log_mu 3.58 (36 s), duration_log_sigma 1.82, batch_mean 6.2, interarrival_cv 1.89,
#: diurnal_amplitude 0.54.
#:
#: What moves best fit's reward most on random genomes (a regression over 300 per level): the node
#: count (more nodes, easier), the task count, node heterogeneity (``node_types``), ``size_scale`` and
#: ``batch_mean`` (bigger tasks and batches, harder), and the domain (edge scores highest, cloud lowest,
#: as each domain weighs the objectives differently); at expert the deadline genes join them. Offered
#: load matters less within a level's narrow range.
GENES: tuple[Gene, ...] = (
    Gene("domain", True, (0, 2), (0, 2), doc="index into DOMAINS: cloud, edge, network"),
    Gene("n_tasks", True, level_field="tasks", doc="number of tasks"),
    Gene("n_nodes", True, level_field="nodes", doc="number of nodes"),
    Gene("node_types", True, (1, 2), (1, 6), doc="distinct machine shapes (1: homogeneous)"),
    Gene("target_load", level_field="load", doc="offered load of the bottleneck resource"),
    Gene("deadline_share", level_field="deadline_share", doc="share of tasks with an SLA deadline"),
    Gene("deadline_slack", False, (1.2, 3.0), (1.05, 3.0), doc="low end of the deadline slack"),
    Gene("deadline_slack_spread", False, (1.5, 3.0), (1.0, 3.0), doc="high / low end of the slack"),
    Gene("size_scale", False, (0.8, 1.5), (0.8, 6.5), doc="multiplies every cpu, memory, network request"),
    Gene("cpu_log_mu", False, (-3.2, -2.2), (-3.7, -1.7), doc="log-mean cpu, share of largest node"),
    Gene("cpu_log_sigma", False, (0.5, 1.0), (0.3, 1.5), doc="log-sd of cpu requests"),
    Gene("mem_log_mu", False, (-3.7, -2.7), (-4.2, -2.2), doc="log-mean memory, share of largest node"),
    Gene("mem_log_sigma", False, (0.6, 1.1), (0.4, 1.6), doc="log-sd of memory requests"),
    Gene("cpu_mem_corr", False, (0.2, 0.8), (-0.5, 0.95), doc="correlation of log cpu and log memory"),
    Gene("duration_log_mu", False, (3.0, 4.2), (2.0, 5.5), doc="log-mean duration (s, x domain scale)"),
    Gene("duration_log_sigma", False, (0.8, 2.0), (0.5, 2.5), doc="log-sd of durations"),
    Gene("batch_mean", False, (1.0, 2.0), (1.0, 10.0), doc="mean tasks per job (same shape, same time)"),
    Gene("interarrival_cv", False, (1.0, 2.0), (1.0, 4.0), doc="burstiness: CV of job gaps (1 = Poisson)"),
    Gene("burst_share", False, (0.1, 0.3), (0.05, 0.4), doc="share of time in the burst state"),
    Gene("diurnal_amplitude", False, (0.0, 0.6), (0.0, 0.9), doc="amplitude of the daily rate cycle"),
)

GENE_NAMES: tuple[str, ...] = tuple(gene.name for gene in GENES)
_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(GENE_NAMES)}
_INTEGER = np.array([gene.integer for gene in GENES])


@cache
def gene_bounds(level_name: str) -> tuple[tuple[float, float], ...]:
    """(low, high) of every gene at ``level_name``, in genome order (closed intervals).

    Raises:
        InputError: one line naming the levels, for an unknown level.
    """
    spec = level(level_name)
    t = spec.rank / (len(LEVEL_NAMES) - 1)
    out = []
    for gene in GENES:
        if gene.level_field is not None:
            low, high = getattr(spec, gene.level_field)
        else:
            (e_low, e_high), (b_low, b_high) = gene.easy, gene.beyond
            low = round(e_low + t * (b_low - e_low), 6)
            high = round(e_high + t * (b_high - e_high), 6)
        if gene.integer:
            low, high = math.ceil(low), math.floor(high)
        out.append((float(low), float(high)))
    return tuple(out)


def _bounds_array(level_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of the lows and highs of the normalised span (integers widened by half a step)."""
    bounds = np.array(gene_bounds(level_name))
    pad = np.where(_INTEGER, 0.5, 0.0)
    return bounds[:, 0] - pad, bounds[:, 1] + pad


def _normalise(level_name: str, genes: Sequence[float]) -> np.ndarray:
    low, high = _bounds_array(level_name)
    span = np.where(high > low, high - low, 1.0)
    return (np.asarray(genes, dtype=np.float64) - low) / span


def _from_unit(level_name: str, unit: np.ndarray) -> tuple[float, ...]:
    """Genes from normalised values: clipped to [0, 1], mapped back, integer genes snapped."""
    low, high = _bounds_array(level_name)
    values = low + np.clip(unit, 0.0, 1.0) * (high - low)
    return _snap(level_name, values)


def _snap(level_name: str, values: np.ndarray) -> tuple[float, ...]:
    """Clip ``values`` to the bounds and round the integer genes."""
    bounds = np.array(gene_bounds(level_name))
    values = np.where(_INTEGER, np.floor(values + 0.5), values)
    values = np.clip(values, bounds[:, 0], bounds[:, 1])
    return tuple(float(v) for v in values)


@dataclass(frozen=True)
class ScenarioGenome:
    """A difficulty level and one value per gene of :data:`GENES` (in genome order, gene units).

    Raises ``ValueError`` (one line) when the level is unknown, the gene count is wrong, or a gene
    lies outside its level's bounds or is not whole where it must be.
    """

    level: str
    genes: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.level not in LEVEL_NAMES:
            raise ValueError(f"no level {self.level!r}; levels are {', '.join(LEVEL_NAMES)}")
        genes = tuple(float(g) for g in self.genes)
        object.__setattr__(self, "genes", genes)
        if len(genes) != len(GENES):
            names = ", ".join(GENE_NAMES)
            raise ValueError(f"a scenario genome has {len(GENES)} genes ({names}), got {len(genes)}")
        for gene, value, (low, high) in zip(GENES, genes, gene_bounds(self.level), strict=True):
            if not low - 1e-9 <= value <= high + 1e-9 or (gene.integer and value != round(value)):
                whole = "a whole number " if gene.integer else ""
                raise ValueError(
                    f"gene {gene.name} = {value:g} must be {whole}in [{low:g}, {high:g}] at {self.level}"
                )

    # --- access ---------------------------------------------------------------------------------

    def __getitem__(self, name: str) -> float:
        """The value of the gene called ``name``."""
        return self.genes[_INDEX[name]]

    def as_dict(self) -> dict[str, float]:
        """``{gene name: value}`` in genome order."""
        return dict(zip(GENE_NAMES, self.genes, strict=True))

    @property
    def domain(self) -> Domain:
        return DOMAINS[int(self["domain"])]

    def normalised(self) -> np.ndarray:
        """The genes in normalised space, each in [0, 1]."""
        return _normalise(self.level, self.genes)

    # --- construction ---------------------------------------------------------------------------

    @classmethod
    def random(
        cls, level_name: str, rng: np.random.Generator, *, domain: Domain | str | None = None
    ) -> ScenarioGenome:
        """A genome drawn uniformly within the level's bounds (integers uniform over their values).

        ``domain`` fixes the domain gene instead of drawing it.
        """
        low, high = _bounds_array(level_name)
        genome = cls(level_name, _snap(level_name, rng.uniform(low, high)))
        return genome if domain is None else genome.with_domain(domain)

    @classmethod
    def from_params(cls, params: GeneratorParams, level_name: str | None = None) -> ScenarioGenome:
        """The genome of ``params`` (its gene fields, clipped to the bounds of the level).

        ``level_name`` defaults to ``params.level``. Fields that are not genes are dropped:
        :meth:`to_params` rebuilds them from the domain's defaults.
        """
        name = level_name or params.level
        if name is None:
            raise ValueError(f"GeneratorParams {params.name!r} has no level; pass level_name")
        low, high = params.deadline_slack
        values = {
            "domain": float(DOMAINS.index(params.domain)),
            "deadline_slack": low,
            "deadline_slack_spread": high / low,
        }
        genes = [values[g] if g in values else float(getattr(params, g)) for g in GENE_NAMES]
        return cls(name, _snap(name, np.array(genes)))

    def with_domain(self, domain: Domain | str) -> ScenarioGenome:
        """A copy with the domain gene set to ``domain`` (a :class:`Domain` or its value)."""
        try:
            index = DOMAINS.index(Domain(domain))
        except ValueError:
            names = ", ".join(d.value for d in DOMAINS)
            raise ValueError(f"a scenario genome's domain is one of {names}, not {domain!r}") from None
        genes = list(self.genes)
        genes[_INDEX["domain"]] = float(index)
        return dataclasses.replace(self, genes=tuple(genes))

    # --- expression -----------------------------------------------------------------------------

    def to_params(self, name: str = "genome") -> GeneratorParams:
        """The generator parameters: the domain's defaults, then the genes, then derived fields."""
        g = self.as_dict()
        domain = self.domain
        base = domain_params(name, domain)
        n_tasks = int(g["n_tasks"])
        slack_low = g["deadline_slack"]
        # Durations clipped at the log-normal's p99, as the seeds clip at the trace's p99.
        p99 = math.exp(g["duration_log_mu"] + _Z99 * g["duration_log_sigma"]) * base.duration_scale
        duration_max = float(min(max(round(p99, 3), base.duration_min_s), DURATION_MAX_S))
        timeout = None
        if self.level in _TIMEOUT_MEDIANS:
            median = math.exp(g["duration_log_mu"]) * base.duration_scale
            timeout = float(min(round(_TIMEOUT_MEDIANS[self.level] * median, 3), DURATION_MAX_S))
        return domain_params(
            name,
            domain,
            level=self.level,
            n_tasks=n_tasks,
            n_nodes=int(g["n_nodes"]),
            node_types=int(g["node_types"]),
            target_load=g["target_load"],
            deadline_share=g["deadline_share"],
            deadline_slack=(slack_low, slack_low * g["deadline_slack_spread"]),
            size_scale=g["size_scale"],
            cpu_log_mu=g["cpu_log_mu"],
            cpu_log_sigma=g["cpu_log_sigma"],
            mem_log_mu=g["mem_log_mu"],
            mem_log_sigma=g["mem_log_sigma"],
            cpu_mem_corr=g["cpu_mem_corr"],
            duration_log_mu=g["duration_log_mu"],
            duration_log_sigma=g["duration_log_sigma"],
            duration_max_s=duration_max,
            batch_mean=g["batch_mean"],
            interarrival_cv=g["interarrival_cv"],
            burst_share=g["burst_share"],
            diurnal_amplitude=g["diurnal_amplitude"],
            n_owners=int(min(2 + n_tasks // 50, 12)),
            queue_timeout_s=timeout,
        )

    def to_scenario(self, rng: np.random.Generator, name: str) -> Scenario:
        """Draw a scenario from the genome; its ``level`` is the genome's and its provenance records
        the genome under ``"genome"`` (``{"level": ..., "genes": {name: value}}``)."""
        scenario = generate_scenario(rng, self.to_params(name))
        provenance = dict(scenario.provenance)
        provenance["genome"] = {"level": self.level, "genes": self.as_dict()}
        return dataclasses.replace(scenario, level=self.level, provenance=provenance)


# --- operators ------------------------------------------------------------------------------------


def mut_gaussian(
    genome: ScenarioGenome,
    rng: np.random.Generator,
    sigma: float = 0.1,
    indpb: float = 0.3,
    *,
    fixed: Collection[str] = (),
) -> ScenarioGenome:
    """Add N(0, sigma) noise to each gene with probability ``indpb``, in normalised space, clipped.

    Genes named in ``fixed`` (e.g. ``("domain",)``) never change. Returns a new genome (DEAP's
    ``mutGaussian`` returns a tuple; genomes are frozen, so this returns the one genome).
    """
    if sigma < 0 or not 0 <= indpb <= 1:
        raise ValueError(f"need sigma >= 0 and indpb in [0, 1] (got {sigma}, {indpb})")
    unknown = set(fixed) - set(GENE_NAMES)
    if unknown:
        raise ValueError(f"unknown genes {sorted(unknown)}; genes are {', '.join(GENE_NAMES)}")
    unit = genome.normalised()
    hit = rng.random(unit.size) < indpb
    noise = rng.normal(0.0, sigma, unit.size)
    for name in fixed:
        hit[_INDEX[name]] = False
    return ScenarioGenome(genome.level, _from_unit(genome.level, np.where(hit, unit + noise, unit)))


def cx_blend(
    a: ScenarioGenome, b: ScenarioGenome, rng: np.random.Generator, alpha: float = 0.5
) -> tuple[ScenarioGenome, ScenarioGenome]:
    """BLX-alpha crossover (DEAP's ``cxBlend``) in normalised space: two children, clipped.

    For each gene, ``gamma = (1 + 2 alpha) u - alpha`` with u ~ U(0, 1), child one takes
    ``(1 - gamma) a + gamma b`` and child two ``gamma a + (1 - gamma) b``. Both parents must share a level.
    """
    if a.level != b.level:
        raise ValueError(f"cannot cross genomes of different levels ({a.level}, {b.level})")
    x, y = a.normalised(), b.normalised()
    gamma = (1.0 + 2.0 * alpha) * rng.random(x.size) - alpha
    first = (1.0 - gamma) * x + gamma * y
    second = gamma * x + (1.0 - gamma) * y
    return (
        ScenarioGenome(a.level, _from_unit(a.level, first)),
        ScenarioGenome(a.level, _from_unit(a.level, second)),
    )


def sel_tournament(
    population: Sequence[ScenarioGenome],
    fitnesses: Sequence[float],
    rng: np.random.Generator,
    k: int,
    size: int = 3,
) -> list[ScenarioGenome]:
    """``k`` winners of tournaments of ``size`` aspirants drawn with replacement (DEAP's
    ``selTournament``); higher fitness wins, NaN loses, ties go to the earlier aspirant."""
    if len(population) != len(fitnesses):
        raise ValueError(f"{len(population)} genomes but {len(fitnesses)} fitnesses")
    if not population and k > 0:
        raise ValueError("cannot select from an empty population")
    if size < 1 or k < 0:
        raise ValueError(f"need size >= 1 and k >= 0 (got {size}, {k})")
    fit = np.asarray(fitnesses, dtype=np.float64)
    fit = np.where(np.isnan(fit), -np.inf, fit)
    chosen = []
    for _ in range(k):
        aspirants = rng.integers(len(population), size=size)
        chosen.append(population[int(aspirants[np.argmax(fit[aspirants])])])
    return chosen
