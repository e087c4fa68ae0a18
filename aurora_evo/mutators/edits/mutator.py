"""The edit mutator: constant perturbations, operator swaps and subtree crossovers of parents' sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aurora_evo.contracts import Contract
from aurora_evo.domains.binpacking.baselines import BASELINE_SOURCES, VECTOR_BASELINE_SOURCES
from aurora_evo.mutators.base import Mutator, Parent, Proposal, with_settings
from aurora_evo.mutators.edits.crossover import crossover_subtree
from aurora_evo.mutators.edits.point import perturb_constant, swap_operator
from aurora_evo.mutators.edits.syntax import choice, parse_or_none
from aurora_evo.sandbox.screen import screen_program
from aurora_evo.seeds import seed_program_paths


@dataclass(frozen=True)
class EditConfig:
    """Settings of :class:`EditMutator`.

    Attributes:
        w_constant: relative weight of constant perturbation.
        w_operator: relative weight of operator swaps.
        w_crossover: relative weight of subtree crossover (used only with two or more parents).
        sigma: log-scale standard deviation of a constant perturbation.
        max_tries: attempts per requested proposal before giving up on it.
    """

    w_constant: float = 0.4
    w_operator: float = 0.3
    w_crossover: float = 0.3
    sigma: float = 0.3
    max_tries: int = 10

    def __post_init__(self):
        weights = (self.w_constant, self.w_operator, self.w_crossover)
        if min(weights) < 0 or self.w_constant + self.w_operator <= 0:
            raise ValueError("edit weights must be >= 0, and w_constant + w_operator > 0")
        if self.max_tries < 1:
            raise ValueError("max_tries must be at least 1")


def _valid(source: str) -> bool:
    """Whether an edited program still passes the static screen and parses as a program."""
    return screen_program(source).ok and parse_or_none(source) is not None


def seed_sources(contract: Contract) -> dict[str, str]:
    """The shipped seed programs of ``contract``, by name."""
    if contract is Contract.ALLOCATION:
        return {name: path.read_text(encoding="utf-8") for name, path in seed_program_paths().items()}
    sources = VECTOR_BASELINE_SOURCES if contract is Contract.VECTOR_BINPACKING else BASELINE_SOURCES
    return dict(sources)


class EditMutator(Mutator):
    """Small edits of any program's source; works for every contract and needs no genotype.

    Args:
        contract: the programs' contract (it gives the parameters' shapes to crossover).
        config: the settings; keyword arguments (any :class:`EditConfig` field) override single fields.
    """

    name = "edit"

    def __init__(self, contract: Contract, config: EditConfig | None = None, **overrides):
        self.contract = contract
        self.config = with_settings("EditMutator", EditConfig(), config, overrides)

    def seeds(self, rng: np.random.Generator, n: int) -> list[Proposal]:
        """The shipped seed programs, in name order (at most ``n``; ``rng`` is unused)."""
        return [
            Proposal(source, (), "edit.seed", None, f"shipped seed program: {name}", {"seed": name})
            for name, source in list(seed_sources(self.contract).items())[:n]
        ]

    def propose(self, parents: Sequence[Parent], rng: np.random.Generator, n: int) -> list[Proposal]:
        """Up to ``n`` edited programs: constant perturbations, operator swaps and (with two or more
        parents) subtree crossovers, each valid and different from every parent and each other."""
        if not parents:
            return []
        cfg = self.config
        operators = ["constant", "operator", "crossover"]
        weights = np.array([cfg.w_constant, cfg.w_operator, cfg.w_crossover if len(parents) > 1 else 0.0])
        out: list[Proposal] = []
        seen = {parent.source for parent in parents}
        for _ in range(n * cfg.max_tries):
            if len(out) >= n:
                break
            operator = operators[int(rng.choice(3, p=weights / weights.sum()))]
            if operator == "crossover":
                i, j = rng.choice(len(parents), size=2, replace=False)
                used = (parents[int(i)], parents[int(j)])
                edit = crossover_subtree(used[0].source, used[1].source, rng, contract=self.contract)
            else:
                used = (choice(rng, parents),)
                if operator == "constant":
                    edit = perturb_constant(used[0].source, rng, sigma=cfg.sigma)
                else:
                    edit = swap_operator(used[0].source, rng)
            if edit is None or edit.source in seen or not _valid(edit.source):
                continue
            seen.add(edit.source)
            description = edit.description.replace("the donor", f"parent {used[-1].program_id}")
            reasoning = f"parent {used[0].program_id}: {description}"
            ids = tuple(p.program_id for p in used)
            out.append(Proposal(edit.source, ids, f"edit.{operator}", None, reasoning))
        return out
