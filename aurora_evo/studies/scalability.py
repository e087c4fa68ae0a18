"""``aurora-evo evaluate --study scalability``: how the policies' quality, decision latency and memory
change with the cluster's size.

Scenarios are generated (synthetic cloud workloads from the traces' published statistics,
:func:`~aurora_evo.scenario.generate.generate_scenario`) at each size of :data:`Sizes.tasks`, with one
node per ten tasks (at least two) and an offered load of 0.8, several per size from one seeded
generator. On them: the seed baselines, the programs given, and DQN and PPO trained on other generated
scenarios of the same sizes (a second generator; their networks take the largest size's nodes).
Per size and policy: the mean fitness against best fit and the mean reward, and the decision latency
(wall time per placement, the simulation's own work included, after a warm-up run). The simulator alone
(best fit) also runs at the sizes of :data:`Sizes.simulator` (10,000 and 100,000 tasks in the full
profile), where no trained policy would finish in a study's time.

Peak memory is the most memory the simulation of one scenario of the size with best fit allocates at
once (:func:`peak_memory_mib`, traced by :mod:`tracemalloc` in a run of its own): its own arrays, not
the scenario's or the interpreter's.

The programs given run in this process, as :func:`~aurora_evo.scheduler.load_scheduler` runs them (a
sandbox would time its own work with theirs): give vetted programs, such as the shipped ones.
"""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from aurora_evo.contracts import Contract
from aurora_evo.evaluate.run import Profile, measure_in_process, train_baseline
from aurora_evo.scenario import Domain, Scenario, benchmark_scenario, generate_scenario
from aurora_evo.scenario.params import domain_params
from aurora_evo.scheduler import Scheduler, load_scheduler
from aurora_evo.seeds import seed_program_paths
from aurora_evo.sim.fitness import best_fit_metrics

#: Seed baselines measured at every size.
SEED_POLICIES = ("random_choice", "round_robin", "first_fit", "best_fit")
#: Trained baselines measured at every size.
TRAINED_POLICIES = ("dqn", "ppo")
#: Tasks per node in the generated scenarios.
TASKS_PER_NODE = 10
#: Offered load of the generated scenarios.
LOAD = 0.8
#: The simulator alone runs on at most this many nodes (100,000 tasks: the throughput benchmark's shape).
MAX_SIMULATOR_NODES = 1_000
#: Separates the training scenarios' generator from the measured ones'.
TRAINING_STREAM = 1


@dataclass(frozen=True)
class Sizes:
    """What one profile measures.

    Attributes:
        tasks: scenario sizes (tasks) every policy is measured at.
        scenarios: scenarios per size.
        simulator: sizes the simulator alone (best fit) runs at.
        rl_timesteps: decisions DQN and PPO train for.
    """

    tasks: tuple[int, ...]
    scenarios: int
    simulator: tuple[int, ...]
    rl_timesteps: int


PROFILES = {
    "quick": Sizes(tasks=(10, 50), scenarios=2, simulator=(2_000,), rl_timesteps=600),
    "full": Sizes(
        tasks=(10, 50, 100, 500, 1000), scenarios=5, simulator=(10_000, 100_000), rl_timesteps=50_000
    ),
}


def nodes_for(tasks: int) -> int:
    """Nodes of a scenario of ``tasks`` tasks."""
    return max(2, tasks // TASKS_PER_NODE)


def sized_scenarios(
    tasks: int, count: int, rng: np.random.Generator, prefix: str = "scale"
) -> list[Scenario]:
    """``count`` generated cloud scenarios of ``tasks`` tasks on :func:`nodes_for` nodes."""
    return [
        generate_scenario(
            rng,
            domain_params(
                f"{prefix}-{tasks}-{index:02d}",
                Domain.CLOUD,
                n_tasks=tasks,
                n_nodes=nodes_for(tasks),
                node_types=3,
                target_load=LOAD,
            ),
        )
        for index in range(count)
    ]


def peak_memory_mib(scheduler: Scheduler, scenario: Scenario) -> float:
    """The most memory allocated at once while ``scheduler`` simulates ``scenario``, MiB, beyond what was
    allocated before: numpy's arrays and numba's (its runtime allocates through Python's raw allocator,
    which :mod:`tracemalloc` traces), whatever the process held before."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    scheduler.run(scenario)
    _, peak = tracemalloc.get_traced_memory()
    if not tracing:
        tracemalloc.stop()
    return (peak - before) / 2**20


def simulate_alone(scenario: Scenario) -> dict:
    """Best fit on ``scenario``: simulation seconds and placements of one run, and the peak memory of
    another (traced allocations slow a run down, so the timed run traces none)."""
    best_fit = load_scheduler(seed_program_paths()["best_fit"])
    ran = best_fit.run(scenario)
    return {
        "memory_mib": peak_memory_mib(best_fit, scenario),
        "seconds": ran.seconds,
        "decisions": ran.decisions,
    }


def _policies(programs: Mapping[str, str], train: list[Scenario], sizes: Sizes, seed: int, say) -> dict:
    """Every policy measured, by name: (kind, scheduler, training record)."""
    seeds = seed_program_paths()
    policies = {name: ("baseline", load_scheduler(seeds[name]), {}) for name in SEED_POLICIES}
    profile = Profile("scalability", None, None, sizes.rl_timesteps, 0, 0)
    references = [best_fit_metrics(s) for s in train]
    max_nodes = nodes_for(max(sizes.tasks))
    for name in TRAINED_POLICIES:
        scheduler, record = train_baseline(name, train, references, max_nodes, profile, seed, say)
        policies[name] = ("trained", scheduler, record)
    for name, source in programs.items():
        policies[name] = ("given", Scheduler(source, Contract.ALLOCATION, name), {})
    return policies


def scalability_study(
    programs: Mapping[str, str], profile: str, seed: int, say: Callable[[str], None] = lambda line: None
) -> dict:
    """The study's JSON-ready document for ``programs`` (name -> vetted source) under ``PROFILES[profile]``;
    ``seed`` seeds the scenarios and the training."""
    sizes = PROFILES[profile]
    rng, training_rng = (np.random.default_rng([seed, stream]) for stream in (0, TRAINING_STREAM))
    train = [s for tasks in sizes.tasks for s in sized_scenarios(tasks, 2, training_rng, "scale-train")]
    policies = _policies(programs, train, sizes, seed, say)
    rows = []
    for tasks in sizes.tasks:
        scenarios = sized_scenarios(tasks, sizes.scenarios, rng)
        references = [best_fit_metrics(s) for s in scenarios]
        memory = peak_memory_mib(policies["best_fit"][1], scenarios[0])
        for name, (kind, scheduler, _) in policies.items():
            scheduler.run(scenarios[0])  # warm-up: compilation stays out of the latency
            result = measure_in_process(name, kind, scheduler, scenarios, references)
            rows.append(
                {
                    "tasks": tasks,
                    "nodes": nodes_for(tasks),
                    "policy": name,
                    "kind": kind,
                    "error": result.error,
                    "mean_fitness": None if result.error else float(np.mean(result.fitness)),
                    "mean_reward": None
                    if result.error
                    else float(np.mean([m.reward for m in result.metrics])),
                    "decision_ms": result.decision_ms,
                    "simulator_memory_mib": memory,
                }
            )
        say(f"scalability: {tasks} tasks on {nodes_for(tasks)} nodes, {len(policies)} policies measured")
    simulator = []
    for tasks in sizes.simulator:
        nodes = min(nodes_for(tasks), MAX_SIMULATOR_NODES)
        scenario = benchmark_scenario(np.random.default_rng([seed, tasks]), n_tasks=tasks, n_nodes=nodes)
        alone = simulate_alone(scenario)
        simulator.append({"tasks": tasks, "nodes": nodes, **alone,
                          "decision_ms": 1000.0 * alone["seconds"] / max(alone["decisions"], 1)})  # fmt: skip
        say(f"scalability: the simulator alone, {tasks:,} tasks on {nodes:,} nodes: {alone['seconds']:.2f} s")
    return {
        "study": "scalability",
        "run": {
            "profile": profile,
            "sizes": dataclasses.asdict(sizes),
            "seed": seed,
            "load": LOAD,
            "tasks_per_node": TASKS_PER_NODE,
            "train_scenarios": len(train),
        },
        "rows": rows,
        "simulator": simulator,
        "training": {name: record for name, (_, _, record) in policies.items() if record},
    }
