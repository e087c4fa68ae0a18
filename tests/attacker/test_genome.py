"""Scenario genomes: bounds, round trips, operators, scenarios per level, generation and its CLI."""

from __future__ import annotations

import itertools
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.attacker import generate as generate_module
from aurora_evo.attacker.generate import GenerationError, generate_scenarios
from aurora_evo.attacker.genome import (
    GENE_NAMES,
    GENES,
    ScenarioGenome,
    cx_blend,
    gene_bounds,
    mut_gaussian,
    sel_tournament,
)
from aurora_evo.errors import InputError
from aurora_evo.scenario import Domain, load_scenario
from aurora_evo.scenario.generate import offered_load
from aurora_evo.scenario.levels import LEVEL_NAMES, level
from aurora_evo.scenario.params import GeneratorParams

seeds = st.integers(0, 2**32 - 1)

REPO = Path(__file__).resolve().parents[2]


def _in_bounds(genome: ScenarioGenome) -> bool:
    return all(
        low <= g <= high for g, (low, high) in zip(genome.genes, gene_bounds(genome.level), strict=True)
    )


def _whole(genome: ScenarioGenome) -> bool:
    return all(g == round(g) for gene, g in zip(GENES, genome.genes, strict=True) if gene.integer)


# --- bounds and round trips -----------------------------------------------------------------------


def test_size_genes_follow_the_level_and_the_rest_widen():
    for previous, current in itertools.pairwise(LEVEL_NAMES):
        spec = level(current)
        bounds = dict(zip(GENE_NAMES, gene_bounds(current), strict=True))
        assert bounds["n_tasks"] == spec.tasks and bounds["n_nodes"] == spec.nodes
        assert bounds["target_load"] == spec.load and bounds["deadline_share"] == spec.deadline_share
        for gene, (low, high), (low0, high0) in zip(
            GENES, gene_bounds(current), gene_bounds(previous), strict=True
        ):
            assert low <= high
            if gene.level_field is None:
                assert low <= low0 and high >= high0, gene.name


def test_unknown_level_is_one_line():
    with pytest.raises(InputError, match="no level 'nightmare'; levels are easy"):
        gene_bounds("nightmare")
    with pytest.raises(ValueError, match="no level"):
        ScenarioGenome("nightmare", (0.0,) * len(GENES))


@pytest.mark.parametrize("name", LEVEL_NAMES)
def test_params_round_trip(name):
    rng = np.random.default_rng(3)
    for _ in range(20):
        genome = ScenarioGenome.random(name, rng)
        params = genome.to_params("x")
        assert isinstance(params, GeneratorParams) and params.level == name
        back = ScenarioGenome.from_params(params)
        assert back.level == name
        np.testing.assert_allclose(back.genes, genome.genes, rtol=1e-12, atol=1e-12)
        assert back.to_params("x") == params
        assert params.domain is genome.domain
        assert params.deadline_slack[1] == pytest.approx(
            genome["deadline_slack"] * genome["deadline_slack_spread"]
        )


@pytest.mark.parametrize(
    "path", sorted((REPO / "seeds" / "scenarios").glob("*-01.json")), ids=lambda p: p.stem
)
def test_seed_scenarios_are_genomes_of_their_level(path):
    """The bounds enclose the seeds, and a seed's genome gives back its parameters (but for the clip of
    durations: the seeds clip at the trace's p99, a genome at its log-normal's p99)."""
    params = GeneratorParams.from_dict(load_scenario(path).provenance["params"])
    genome = ScenarioGenome.from_params(params)
    assert genome.level == params.level and genome.domain is params.domain
    rebuilt = genome.to_params(params.name).as_dict()
    expected = params.as_dict()
    assert rebuilt.pop("duration_max_s") == pytest.approx(expected.pop("duration_max_s"), rel=0.1)
    assert rebuilt.pop("deadline_slack") == pytest.approx(expected.pop("deadline_slack"))
    assert rebuilt.keys() == expected.keys()
    for key, value in expected.items():  # pytest.approx refuses nested containers (pytest >= 9.2)
        if isinstance(value, float):
            assert rebuilt[key] == pytest.approx(value), key
        else:
            assert rebuilt[key] == value, key


def test_from_params_clips_into_bounds():
    with pytest.raises(ValueError, match="no level"):
        ScenarioGenome.from_params(GeneratorParams(name="x"))
    genome = ScenarioGenome.from_params(GeneratorParams(name="x", n_tasks=100, size_scale=9.0), "easy")
    assert genome["n_tasks"] == 12 and genome["size_scale"] == 1.5


def test_bad_genomes_are_refused_in_one_line():
    good = ScenarioGenome.random("easy", np.random.default_rng(0))
    with pytest.raises(ValueError, match=f"has {len(GENES)} genes"):
        ScenarioGenome("easy", good.genes[:-1])
    genes = list(good.genes)
    genes[GENE_NAMES.index("n_tasks")] = 50.0
    with pytest.raises(ValueError, match=r"gene n_tasks = 50 must be a whole number in \[3, 12\] at easy"):
        ScenarioGenome("easy", tuple(genes))
    genes[GENE_NAMES.index("n_tasks")] = 4.5
    with pytest.raises(ValueError, match="whole number"):
        ScenarioGenome("easy", tuple(genes))


# --- random genomes and their scenarios -----------------------------------------------------------


@pytest.mark.parametrize("name", LEVEL_NAMES)
def test_random_genomes_make_scenarios_of_their_level(name):
    spec = level(name)
    rng = np.random.default_rng(11)
    count = 2 if name in ("expert", "beyond") else 6
    domains = set()
    for i in range(count):
        genome = ScenarioGenome.random(name, rng)
        assert _in_bounds(genome) and _whole(genome)
        scenario = genome.to_scenario(rng, f"{name}-{i}")
        domains.add(scenario.domain)
        assert scenario.name == f"{name}-{i}" and scenario.level == name and scenario.domain is genome.domain
        assert spec.tasks[0] <= len(scenario.tasks) <= spec.tasks[1]
        assert spec.nodes[0] <= len(scenario.nodes) <= spec.nodes[1]
        assert len(scenario.tasks) == genome["n_tasks"] and len(scenario.nodes) == genome["n_nodes"]
        assert spec.load[0] - 1e-6 <= offered_load(scenario) <= spec.load[1] + 1e-6
        assert scenario.provenance["genome"] == {"level": name, "genes": genome.as_dict()}
    if count > 2:
        assert len(domains) > 1


def test_random_is_reproducible_and_can_fix_the_domain():
    a = ScenarioGenome.random("medium", np.random.default_rng(5))
    b = ScenarioGenome.random("medium", np.random.default_rng(5))
    assert a == b and a != ScenarioGenome.random("medium", np.random.default_rng(6))
    s1 = a.to_scenario(np.random.default_rng(1), "s")
    s2 = b.to_scenario(np.random.default_rng(1), "s")
    np.testing.assert_array_equal(s1.tasks.arrival, s2.tasks.arrival)
    rng = np.random.default_rng(0)
    assert {ScenarioGenome.random("easy", rng, domain="edge").domain for _ in range(10)} == {Domain.EDGE}
    assert a.with_domain(Domain.NETWORK).domain is Domain.NETWORK


# --- operators ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seeds, st.sampled_from(LEVEL_NAMES), st.floats(0.0, 2.0), st.floats(0.0, 1.0))
def test_mutation_stays_in_bounds_and_is_reproducible(seed, name, sigma, indpb):
    parent = ScenarioGenome.random(name, np.random.default_rng(seed))
    child = mut_gaussian(parent, np.random.default_rng(seed), sigma, indpb)
    assert child.level == name and _in_bounds(child) and _whole(child)
    assert child == mut_gaussian(parent, np.random.default_rng(seed), sigma, indpb)


@settings(max_examples=40, deadline=None)
@given(seeds, st.sampled_from(LEVEL_NAMES), st.floats(0.0, 1.0))
def test_crossover_stays_in_bounds_and_is_reproducible(seed, name, alpha):
    rng = np.random.default_rng(seed)
    a, b = ScenarioGenome.random(name, rng), ScenarioGenome.random(name, rng)
    children = cx_blend(a, b, np.random.default_rng(seed), alpha)
    assert all(c.level == name and _in_bounds(c) and _whole(c) for c in children)
    assert children == cx_blend(a, b, np.random.default_rng(seed), alpha)


def test_mutation_moves_and_respects_fixed_genes():
    rng = np.random.default_rng(0)
    parent = ScenarioGenome.random("hard", rng)
    assert mut_gaussian(parent, rng, 0.1, 0.0) == parent
    assert mut_gaussian(parent, rng, 0.0, 1.0) == parent
    moved = [mut_gaussian(parent, rng, 0.5, 1.0, fixed=("domain", "n_nodes")) for _ in range(20)]
    assert all(m.domain is parent.domain and m["n_nodes"] == parent["n_nodes"] for m in moved)
    assert all(m.genes != parent.genes for m in moved)
    with pytest.raises(ValueError, match="unknown genes"):
        mut_gaussian(parent, rng, fixed=("colour",))


def test_crossover_of_a_genome_with_itself_and_across_levels():
    rng = np.random.default_rng(0)
    a = ScenarioGenome.random("medium", rng)
    assert cx_blend(a, a, rng) == (a, a)
    with pytest.raises(ValueError, match="different levels"):
        cx_blend(a, ScenarioGenome.random("hard", rng), rng)


def test_tournament_selection():
    rng = np.random.default_rng(0)
    population = [ScenarioGenome.random("easy", rng) for _ in range(3)]
    chosen = sel_tournament(population, [float("nan"), 1.0, 2.0], np.random.default_rng(1), k=10, size=30)
    assert chosen == [population[2]] * 10
    picks = sel_tournament(population, [0.0, 1.0, 2.0], np.random.default_rng(2), k=200, size=1)
    assert {id(p) for p in picks} == {id(p) for p in population}  # size 1: uniform
    assert picks == sel_tournament(population, [0.0, 1.0, 2.0], np.random.default_rng(2), k=200, size=1)
    with pytest.raises(ValueError, match="3 genomes but 2 fitnesses"):
        sel_tournament(population, [0.0, 1.0], rng, k=1)


# --- generation through quality control -----------------------------------------------------------


@dataclass(frozen=True)
class _FakeReport:
    passed: bool
    refused_by: str | None

    def feedback(self) -> str:
        return "" if self.passed else f"refused by {self.refused_by}"


@pytest.fixture
def fake_quality(monkeypatch):
    """A stand-in quality module: refuses every other scenario and any with the same features as a
    recent one; records its calls."""
    calls = []

    def features(scenario):
        return np.array([len(scenario.tasks), len(scenario.nodes)], dtype=float)

    def check_scenario(scenario, *, level=None, recent=(), config=None):
        calls.append((scenario.name, level, len(recent)))
        if len(calls) % 2 == 0:
            return _FakeReport(False, "coin")
        if any(np.array_equal(features(scenario), r) for r in recent):
            return _FakeReport(False, "duplicate")
        return _FakeReport(True, None)

    module = types.ModuleType("aurora_evo.scenario.quality")
    module.check_scenario, module.features, module.calls = check_scenario, features, calls
    monkeypatch.setattr(generate_module, "quality", module)
    return module


def test_generation_retries_and_passes_recent_features(fake_quality):
    out = generate_scenarios("easy", 3, np.random.default_rng(0), domain="cloud")
    assert [s.name for s, _ in out] == ["easy-cloud-gen-001", "easy-cloud-gen-002", "easy-cloud-gen-003"]
    assert all(r.passed for _, r in out)
    assert [c[1] for c in fake_quality.calls] == ["easy"] * len(fake_quality.calls)
    assert [c[2] for c in fake_quality.calls if c[0].endswith("3")][-1] == 2  # two accepted before
    fake_quality.calls.clear()  # the fake refuses every other call: start its count afresh
    again = generate_scenarios("easy", 3, np.random.default_rng(0), domain="cloud")
    assert all(
        np.array_equal(a.tasks.demand, b.tasks.demand) for (a, _), (b, _) in zip(out, again, strict=True)
    )


def test_generation_gives_up_in_one_line(fake_quality):
    with pytest.raises(
        GenerationError, match=r"only 1 of 2 easy scenarios .* in 2 attempts \(refused by: coin"
    ):
        generate_scenarios("easy", 2, np.random.default_rng(0), max_attempts=2)
    with pytest.raises(InputError, match="no level"):
        generate_scenarios("nightmare", 1, np.random.default_rng(0))
    with pytest.raises(InputError, match="no domain"):
        generate_scenarios("easy", 1, np.random.default_rng(0), domain="moon")
    with pytest.raises(InputError, match="no domain 'binpacking'"):
        generate_scenarios("easy", 1, np.random.default_rng(0), domain=Domain.BINPACKING)


@pytest.mark.parametrize("name", ["easy", "medium"])
def test_generated_scenarios_pass_real_quality_control(name):
    from aurora_evo.scenario import quality

    out = generate_scenarios(name, 4, np.random.default_rng(42))
    spec = level(name)
    assert len(out) == 4
    for scenario, report in out:
        assert report.passed
        assert scenario.level == name and spec.tasks[0] <= len(scenario.tasks) <= spec.tasks[1]
        recheck = quality.check_scenario(scenario, level=name)
        assert recheck.passed, recheck.feedback()


# --- the CLI --------------------------------------------------------------------------------------


def _run_cli(argv):
    from aurora_evo import cli

    return cli.main(["scenarios", "generate", *argv])


def _run_validate(files):
    from aurora_evo import cli

    return cli.main(["scenarios", "validate", "--level", "easy", *files])


def test_cli_writes_loadable_files(tmp_path, capsys):
    out = tmp_path / "gen"
    code = _run_cli(["--level", "easy", "-n", "3", "--out", str(out), "--seed", "7", "--domain", "edge"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    files = sorted(out.glob("*.json"))
    assert [f.name for f in files] == [f"easy-edge-gen-{i:03d}.json" for i in (1, 2, 3)]
    lines = captured.out.strip().splitlines()
    assert len(lines) == 3 and all("easy-edge-gen-" in line and "offered load" in line for line in lines)
    for file in files:
        scenario = load_scenario(file)  # validates against the JSON Schema
        assert scenario.level == "easy" and scenario.domain is Domain.EDGE
        assert scenario.name == file.stem and "genome" in scenario.provenance
    assert _run_cli(["--level", "easy", "-n", "3", "--out", str(tmp_path / "again"), "--seed", "7",
                     "--domain", "edge"]) == 0  # fmt: skip
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in sorted((tmp_path / "again").glob("*"))]
    assert _run_validate([str(f) for f in files]) == 0


def test_cli_bad_level_is_one_line(tmp_path, capsys):
    code = _run_cli(["--level", "nightmare", "-n", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no level 'nightmare'" in err
