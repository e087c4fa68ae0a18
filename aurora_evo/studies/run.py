"""One study from its name: the document :mod:`aurora_evo.studies.report` writes."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aurora_evo.studies.ablation import ablation_study
from aurora_evo.studies.continual import continual_study
from aurora_evo.studies.scalability import scalability_study
from aurora_evo.studies.transfer import transfer_study


def run_study(
    study: str,
    suites: tuple[str | None, str | None],
    programs: Mapping[str, str],
    profile: str,
    seed: int,
    jobs: int,
    say: Callable[[str], None] = lambda line: None,
) -> dict:
    """``ablation`` (on the first of ``suites``), ``scalability`` (with ``programs``, name -> vetted
    source), ``transfer`` or ``continual`` (from the first of ``suites`` to the second), at ``profile``'s
    budget; ``jobs`` evolution runs at once."""
    if study == "ablation":
        return ablation_study(suites[0], profile, seed, jobs, say)
    if study == "continual":
        return continual_study(suites[0], suites[1], profile, seed, jobs, say)
    if study == "scalability":
        return scalability_study(programs, profile, seed, say)
    if study == "transfer":
        return transfer_study(profile, seed, jobs, say)
    raise ValueError(f"no study {study!r}")
