"""The committed seed scenarios: loadable, sized per level, spread over domains, reproducible, non-trivial."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from aurora_evo.contracts import Contract
from aurora_evo.program_loading import load_program_file
from aurora_evo.scenario import load_scenario, scenario_to_dict
from aurora_evo.scenario.generate import generate_scenario
from aurora_evo.scenario.params import GeneratorParams
from aurora_evo.sim import simulate
from aurora_evo.sim.engine import fits_anywhere

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds" / "scenarios"
FILES = sorted(SEEDS.glob("*.json"))
COUNTS = {"easy": 10, "medium": 15, "hard": 15, "expert": 10}
DOMAINS = ("cloud", "edge", "network")


@cache
def _scenarios():
    return {path.stem: load_scenario(path) for path in FILES}


@cache
def _program(name: str):
    # The numpy path: no numba compile, and fast enough on these sizes.
    return load_program_file(REPO / "seeds" / "programs" / f"{name}.py", Contract.ALLOCATION, jit=False)


@cache
def _make_seeds_module():
    spec = importlib.util.spec_from_file_location("make_seeds_script", REPO / "scripts" / "make_seeds.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


def test_every_seed_loads_and_is_named_after_its_file():
    assert len(FILES) == 50
    scenarios = _scenarios()
    assert all(s.name == stem for stem, s in scenarios.items())
    assert len({s.name for s in scenarios.values()}) == 50
    for stem, s in scenarios.items():
        level, domain, number = stem.split("-")
        assert (level, domain) == (s.level, s.domain.value) and number.isdigit()


def test_levels_have_their_counts_and_sizes():
    scenarios = list(_scenarios().values())
    assert Counter(s.level for s in scenarios) == COUNTS
    for s in scenarios:
        n, m = len(s.tasks), len(s.nodes)
        if s.level == "easy":
            assert (n, m) == (5, 3)
        elif s.level == "medium":
            assert (n, m) == (20, 10)
        elif s.level == "hard":
            assert n >= 50 and m >= 25
        else:
            assert (n, m) == (1000, 100)


def test_domains_are_spread_within_each_level():
    for level, count in COUNTS.items():
        domains = Counter(s.domain.value for s in _scenarios().values() if s.level == level)
        assert set(domains) == set(DOMAINS)
        assert min(domains.values()) >= count // 3


def test_bounds_hold_and_every_task_fits():
    for s in _scenarios().values():  # load_scenario already checked the JSON Schema
        assert fits_anywhere(s.tasks.demand, s.nodes.capacity).all(), s.name
        assert np.all(s.tasks.demand[:, 0] >= 0.1) and np.all(s.tasks.demand[:, 0] <= 32)
        assert np.all(s.tasks.duration > 0)


def test_provenance_names_the_generator_seed_and_stats():
    master = str(_make_seeds_module().MASTER_SEED)
    for s in _scenarios().values():
        prov = s.provenance
        assert prov["generator"].endswith("generate_scenario")
        assert prov["rng"]["seed"] == master and prov["params"]["name"] == s.name
        assert prov["stats"]["file"].endswith("trace_stats.json")


def test_readme_lists_every_seed():
    readme = (SEEDS / "README.md").read_text("utf-8")
    for path in FILES:
        assert f"| {path.stem} |" in readme


def test_make_seeds_reproduces_the_committed_files(tmp_path):
    _make_seeds_module().main(["--out", str(tmp_path)])
    for path in [*FILES, SEEDS / "README.md"]:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize("name", ["easy-cloud-01", "medium-edge-02", "hard-network-03"])
def test_each_seed_replays_from_its_provenance(name):
    path = SEEDS / f"{name}.json"
    prov = _scenarios()[name].provenance
    seq = np.random.SeedSequence(int(prov["rng"]["seed"]), spawn_key=tuple(prov["rng"]["spawn_key"]))
    params = GeneratorParams.from_dict(prov["params"])
    again = scenario_to_dict(generate_scenario(np.random.default_rng(seq), params))
    assert json.loads(json.dumps(again)) == json.loads(path.read_text("utf-8"))


def test_medium_and_harder_seeds_separate_the_fit_heuristics():
    for s in _scenarios().values():
        if s.level == "easy":
            continue
        rewards = {
            name: simulate(s, _program(name), use_jit=False).metrics.reward
            for name in ("first_fit", "best_fit", "worst_fit")
        }
        assert len({round(r, 12) for r in rewards.values()}) > 1, (s.name, rewards)


@pytest.mark.parametrize("level", ["hard", "expert"])
def test_hard_and_expert_seeds_have_contention(level):
    waited = []
    for s in _scenarios().values():
        if s.level != level:
            continue
        result = simulate(s, _program("first_fit"), use_jit=False)
        placed = result.placement.node >= 0
        waited.append(np.mean(result.placement.start[placed] > s.tasks.arrival[placed] + 1e-9))
    assert np.mean(waited) > 0.15  # on average a sizeable share of tasks queue
    assert np.mean(np.array(waited) > 0.02) >= 0.9  # and almost every scenario queues some
