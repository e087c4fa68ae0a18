"""Locating the shipped seeds: scenarios (``seeds/scenarios/*.json``) and programs (``seeds/programs``),
and the shipped evolved programs (``programs/``).

A wheel carries them as ``aurora_evo/_seeds`` and ``aurora_evo/_programs``; an editable install reads
the repository's ``seeds/`` and ``programs/``.
"""

from __future__ import annotations

from pathlib import Path

from aurora_evo.scenario import Scenario, load_scenario
from aurora_evo.scenario.levels import LEVEL_NAMES

#: Levels of the shipped seed scenarios, easiest first: every level but ``beyond``, which has none.
SEED_LEVELS: tuple[str, ...] = tuple(name for name in LEVEL_NAMES if name != "beyond")


def seeds_dir() -> Path:
    """The folder holding ``scenarios/`` and ``programs/``."""
    packaged = Path(__file__).parent / "_seeds"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "seeds"


def seed_scenario_paths(level: str | None = None, domain: str | None = None) -> list[Path]:
    """Seed scenario files, sorted by name, optionally only one level and/or domain.

    Names follow ``{level}-{domain}-{nn}.json``.
    """
    paths = sorted((seeds_dir() / "scenarios").glob("*.json"))
    if level is not None:
        paths = [p for p in paths if p.stem.split("-")[0] == level]
    if domain is not None:
        paths = [p for p in paths if p.stem.split("-")[1:2] == [domain]]
    return paths


def seed_scenarios(level: str | None = None, domain: str | None = None) -> list[Scenario]:
    """The seed scenarios (see :func:`seed_scenario_paths`), loaded."""
    return [load_scenario(p) for p in seed_scenario_paths(level, domain)]


def seed_program_paths() -> dict[str, Path]:
    """Seed allocation programs by name: first_fit, best_fit, worst_fit, round_robin, random_choice."""
    return {p.stem: p for p in sorted((seeds_dir() / "programs").glob("*.py"))}


def shipped_program_paths() -> dict[str, Path]:
    """The shipped evolved programs (``programs/*.py``, untrusted: run them in the sandbox) by name:
    cloud, binpack_or, binpack_weibull."""
    packaged = Path(__file__).parent / "_programs"
    folder = packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "programs"
    return {p.stem: p for p in sorted(folder.glob("*.py"))}
