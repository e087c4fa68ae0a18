"""The attacker: scenario genomes, their operators, the learnability reward, and scenario generation."""

from aurora_evo.attacker.generate import GenerationError, generate_scenarios, scenario_name
from aurora_evo.attacker.genome import (
    DOMAINS,
    GENE_NAMES,
    GENES,
    Gene,
    ScenarioGenome,
    cx_blend,
    gene_bounds,
    mut_gaussian,
    sel_tournament,
)
from aurora_evo.attacker.learnability import (
    LearnabilityConfig,
    learnability,
    scenario_learnability,
    success,
    success_rate,
)

__all__ = [
    "DOMAINS",
    "GENES",
    "GENE_NAMES",
    "Gene",
    "GenerationError",
    "LearnabilityConfig",
    "ScenarioGenome",
    "cx_blend",
    "gene_bounds",
    "generate_scenarios",
    "learnability",
    "mut_gaussian",
    "scenario_learnability",
    "scenario_name",
    "sel_tournament",
    "success",
    "success_rate",
]
