"""Fresh scenarios of a level: random genomes, kept when they pass quality control.

:func:`generate_scenarios` draws genomes uniformly within a level's bounds
(:meth:`~aurora_evo.attacker.genome.ScenarioGenome.random`), turns each into a scenario and passes it
through :func:`aurora_evo.scenario.quality.check_scenario` with the level and the features of the
scenarios accepted so far (so near-duplicates are refused), until ``n`` pass.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from aurora_evo.attacker.genome import DOMAINS, ScenarioGenome
from aurora_evo.errors import InputError
from aurora_evo.scenario import quality
from aurora_evo.scenario.levels import level as level_spec
from aurora_evo.scenario.model import Domain, Scenario


class GenerationError(InputError):
    """Not enough scenarios passed quality control within the allowed attempts (one line)."""


def scenario_name(level: str, domain: Domain, index: int) -> str:
    """``{level}-{domain}-gen-{index:03d}``: the name (and file stem) of a generated scenario."""
    return f"{level}-{domain.value}-gen-{index:03d}"


def generate_scenarios(
    level: str,
    n: int,
    rng: np.random.Generator,
    *,
    max_attempts: int | None = None,
    domain: Domain | str | None = None,
    quality_config: Any = None,
) -> list[tuple[Scenario, Any]]:
    """``n`` scenarios of ``level`` that pass quality control, with their quality reports.

    Each attempt draws a random genome of the level (its domain gene set to ``domain`` when given)
    and a scenario from it, named :func:`scenario_name` with index 1, 2, ... in order of acceptance,
    and checks it with ``check_scenario(scenario, level=level, recent=<features of those accepted>)``
    (and ``config=quality_config`` when given). Every random draw comes from ``rng``.

    Args:
        max_attempts: scenarios to try at most (default ``10 n + 10``).

    Returns:
        ``[(scenario, report), ...]`` of length ``n``, in order of acceptance.

    Raises:
        InputError: unknown level or domain, or ``n < 0``.
        GenerationError: fewer than ``n`` passed within ``max_attempts`` (names the commonest refusals).
    """
    level_spec(level)  # one-line InputError for an unknown level
    if domain is not None:
        known = {d.value: d for d in DOMAINS}
        key = domain.value if isinstance(domain, Domain) else domain
        if key not in known:
            raise InputError(f"no domain {key!r} for generated scenarios; domains are {', '.join(known)}")
        domain = known[key]
    if n < 0:
        raise InputError(f"the number of scenarios must be >= 0, got {n}")
    attempts = 10 * n + 10 if max_attempts is None else max_attempts
    if attempts < n:
        raise InputError(f"max_attempts ({attempts}) must be at least the number of scenarios ({n})")
    options = {} if quality_config is None else {"config": quality_config}

    accepted: list[tuple[Scenario, Any]] = []
    recent: list[np.ndarray] = []
    refusals: Counter[str] = Counter()
    for _ in range(attempts):
        if len(accepted) == n:
            break
        genome = ScenarioGenome.random(level, rng, domain=domain)
        scenario = genome.to_scenario(rng, scenario_name(level, genome.domain, len(accepted) + 1))
        report = quality.check_scenario(scenario, level=level, recent=tuple(recent), **options)
        if report.passed:
            accepted.append((scenario, report))
            found = getattr(report, "features", None)  # as the diversity layer computed them
            recent.append(np.asarray(quality.features(scenario, **options) if found is None else found))
        else:
            refusals[str(report.refused_by)] += 1
    if len(accepted) < n:
        common = ", ".join(f"{name} ({count})" for name, count in refusals.most_common(3))
        raise GenerationError(
            f"only {len(accepted)} of {n} {level} scenarios passed quality control in {attempts} attempts "
            f"(refused by: {common or 'nothing'}); allow more attempts or ask for fewer"
        )
    return accepted
