"""The training set of a run: the problem's training cases, and the attacker's scenarios once it has
put some in; and a program's training score over it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from aurora_evo.problem import Cases


class TrainingSet:
    """The cases a program's training score is over.

    Args:
        cases: the problem's cases (train and validation).
        attack_weight: the share of a training score that the attacker's scenarios carry once there are
            some (``attacker.weight``).
    """

    def __init__(self, cases: Cases, attack_weight: float):
        self.base = tuple(cases.train)
        self.cases = cases
        self.attack_weight = attack_weight
        self.attack_names: frozenset[str] = frozenset()

    @property
    def train(self) -> tuple:
        return self.cases.train

    @property
    def validation(self) -> tuple:
        return self.cases.validation

    def train_on(self, attack_scenarios: Sequence) -> None:
        """Train on the problem's cases and ``attack_scenarios`` from now on."""
        self.cases = replace(self.cases, train=self.base + tuple(attack_scenarios))
        self.attack_names = frozenset(case.name for case in attack_scenarios)

    def score(self, scores: Mapping[str, float], plain: float) -> float:
        """A program's training score from its per-case ``scores``: ``plain`` (the mean over every
        case) unless the attacker has scenarios in the training set; then the problem's cases' mean
        carries ``1 - attack_weight`` of it and the attacker scenarios' mean ``attack_weight``.

        Why not the plain mean: the attacker keeps the scenarios on which the elites split against
        best fit, where programs differ most, so at their plain share (4 of 14 cases) they decided
        the ranking, and the defender got worse on held-out scenarios (BENCHMARKS.md, ablation).
        """
        attack = [v for name, v in scores.items() if name in self.attack_names]
        seeds = [v for name, v in scores.items() if name not in self.attack_names]
        if not attack or not seeds:
            return plain
        weight = self.attack_weight
        return (1.0 - weight) * float(np.mean(seeds)) + weight * float(np.mean(attack))
