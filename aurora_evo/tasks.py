"""What a run evolves: the contract, the training cases and the held-out validation cases.

Training data never comes from the files used to report results: bin packing trains on generated
instances of the test sets' distribution (FunSearch's protocol) and validates on other generated
ones; allocation domains split the seed scenarios into training and held-out sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aurora_evo.config import TaskConfig
from aurora_evo.contracts import Contract


@dataclass(frozen=True)
class Task:
    """The cases a run scores programs on.

    Attributes:
        kind: ``"binpacking"`` or ``"allocation"`` (how the sandbox evaluates).
        contract: the programs' calling convention.
        train: cases the score is computed on (datasets or scenarios).
        validation: held-out cases, scored for the best programs only.
        description: one line for people.
    """

    kind: str
    contract: Contract
    train: tuple
    validation: tuple
    description: str


def build_task(config: TaskConfig, seed: int) -> Task:
    """The task of a run; generated instances come from their own stream of ``seed``."""
    if config.domain == "binpacking":
        return _binpacking(config, seed)
    return _allocation(config)


def _binpacking(config: TaskConfig, seed: int) -> Task:
    from aurora_evo.domains.binpacking import Dataset, or_dataset, weibull_dataset

    # Separate streams for training and validation, independent of the run's own rng.
    train_rng, validation_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    make = weibull_dataset if config.dataset == "weibull" else or_dataset
    train = make(train_rng, config.train_instances, config.train_items, name=f"train-{config.dataset}")
    validation = make(
        validation_rng,
        config.validation_instances,
        config.validation_items,
        name=f"validation-{config.dataset}",
    )
    # Scores per case give behaviour signatures and Elo matches: one case per instance by default.
    # Split indices, not the instances: numpy would build an object array of them.
    bounds = np.array_split(np.arange(len(train.instances)), config.train_cases or len(train.instances))
    groups = [train.instances[b[0] : b[-1] + 1] for b in bounds]
    cases = tuple(
        Dataset(
            f"{train.name}/{g[0].name}" + (f"..{g[-1].name}" if len(g) > 1 else ""),
            tuple(g),
            train.source,
            config.train_score_items,
        )
        for g in groups
    )
    grouped = f", in {len(cases)} cases" if len(cases) < len(train.instances) else ""
    description = (
        f"bin packing, {config.dataset}: train on {config.train_instances} x {config.train_items} generated "
        f"items{grouped}, validate on {config.validation_instances} x {config.validation_items}"
    )
    if config.train_score_items is not None:
        description += f" (training scored at {config.train_score_items} items)"
    return Task("binpacking", Contract.BINPACKING, cases, (validation,), description)


def split_seeds(names: list[str]) -> tuple[list[str], list[str]]:
    """Every third scenario (in name order) is held out; the rest train."""
    ordered = sorted(names)
    held_out = ordered[2::3]
    return [n for n in ordered if n not in held_out], held_out


def _allocation(config: TaskConfig) -> Task:
    from aurora_evo.scenario import load_scenario
    from aurora_evo.seeds import seed_scenario_paths

    paths = {p.stem: p for level in config.levels for p in seed_scenario_paths(level, config.domain)}
    if not paths:
        from aurora_evo.config import ConfigError

        raise ConfigError(f"no seed scenarios for domain {config.domain!r} at levels {list(config.levels)}")
    train_names, held_out_names = split_seeds(list(paths))
    train = tuple(load_scenario(paths[n]) for n in train_names)
    validation = tuple(load_scenario(paths[n]) for n in held_out_names)
    description = (
        f"{config.domain} allocation: train on {len(train)} seed scenarios ({', '.join(config.levels)}), "
        f"hold out {len(validation)}"
    )
    return Task("allocation", Contract.ALLOCATION, train, validation, description)
