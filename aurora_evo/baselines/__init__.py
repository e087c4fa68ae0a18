"""Baselines that learn a scheduling policy without evolving programs, each exported as a program file.

* :class:`GeneticAlgorithm` (:mod:`aurora_evo.baselines.ga`): DEAP's genetic algorithm tunes the weights
  of a linear scoring policy (:mod:`aurora_evo.baselines.linear_policy`) on training scenarios.
"""

from aurora_evo.baselines.ga import GAConfig, GeneticAlgorithm, MeanScore, reward_score
from aurora_evo.baselines.linear_policy import TERM_NAMES, TERMS, Term, linear_program_source, linear_terms
from aurora_evo.baselines.linear_sim import simulate_linear

__all__ = [
    "TERMS",
    "TERM_NAMES",
    "GAConfig",
    "GeneticAlgorithm",
    "MeanScore",
    "Term",
    "linear_program_source",
    "linear_terms",
    "reward_score",
    "simulate_linear",
]
