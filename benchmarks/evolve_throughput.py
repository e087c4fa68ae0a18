"""Candidates evaluated per second by ``aurora-evo evolve``, against bare sandbox evaluations.

    python benchmarks/evolve_throughput.py [--seconds 60] [--presets binpacking-weibull,cloud]
        [--modes batch,steady] [--clusters local:1,local:2,local:4] [--json]

For each preset (``islands/NAME.toml``), each evaluation mode (``batch``: an iteration's candidates
evaluated together, then told; ``steady``: evaluations kept in flight and told as they come back) and
1 and 2 workers, a fresh run evolves for ``--seconds`` seconds (after its iteration 0, which evaluates
the seeds) and the candidates it evaluated are counted.
The baseline, measured in the same run, is the rate at which one sandbox evaluates the preset's best-fit
seed on the same training cases back to back: the ceiling for one worker, since every candidate is
evaluated in the sandbox. Evolved programs may cost more (or less) to evaluate than best fit, so a
second baseline replays the very candidates the one-worker run evaluated, one after another in one
sandbox: ``evolve / replay`` below 1 is the controller's share alone (mutation, duplicate checks,
archive commits); ``2 workers / 1`` is the parallel speed-up. On a machine of ``C`` cores it is at
most ``C`` over the cores one worker's run keeps busy (``cores 1w``: besides the evaluating jail, the
controller, the witness and the next jail, forked and warmed up ahead), since with two workers every
candidate still costs as much CPU.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

from aurora_evo.config import override
from aurora_evo.config_files import load_preset, preset_path
from aurora_evo.domains import problem_of_task
from aurora_evo.evolver import build_evolver
from aurora_evo.evolver.build import sandbox_executor


def evolve_rate(
    preset: str, workers: int, seconds: float, mode: str = "batch", cluster: str | None = None
) -> tuple[float, list[str], float]:
    """Candidates evaluated per second by a fresh run of ``preset`` after its iteration 0 (on
    ``cluster`` when given, ``workers`` then 1), the sources of those candidates, and the cores the
    machine kept busy meanwhile (all processes: controller, workers, supervisors, jails, witnesses)."""
    settings = {"evaluation.workers": workers, "evaluation.mode": mode, "stop.max_seconds": seconds}
    settings["evaluation.cluster"] = cluster
    settings |= {"stop.max_iterations": None, "stop.patience": None, "stop.window": None}
    config = override(load_preset(preset_path(preset)), **settings)
    with tempfile.TemporaryDirectory() as tmp:
        evolution = build_evolver(config, Path(tmp) / "run")
        try:
            evolution.initialise()
            evaluated = []
            busy_before = _busy_core_seconds()
            evolution.started = began = time.monotonic()  # the stop rule's clock starts now
            evolution.run(lambda stats: evaluated.append(stats.evaluated))
            elapsed = time.monotonic() - began
            busy = (_busy_core_seconds() - busy_before) / elapsed
            programs = evolution.archive.programs.of_run(evolution.run_id)
            return sum(evaluated) / elapsed, [p.source for p in programs if p.iteration >= 1], busy
        finally:
            evolution.close()


def _busy_core_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (Linux's ``/proc/stat``; NaN elsewhere).
    The benchmark wants an otherwise idle machine, so the difference over a run is the run's."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(field) for field in stat.readline().split()[1:]]
    except OSError:
        return math.nan
    idle = ticks[3] + ticks[4]  # idle, iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def bare_rate(preset: str, seconds: float) -> float:
    """Sandbox evaluations per second of the best-fit seed on the preset's training cases."""
    problem, train, executor = _bare_sandbox(preset)
    best_fit = next(source for name, source in problem.baselines().items() if "best" in name.lower())
    try:
        executor.evaluate(problem, [best_fit], train)  # start-up and compilation, untimed
        count, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            executor.evaluate(problem, [best_fit], train)
            count += 1
        return count / (time.perf_counter() - began)
    finally:
        executor.close()


def replay_rate(preset: str, sources: list[str]) -> float:
    """Sandbox evaluations per second of ``sources`` (the candidates a run evaluated), one after another
    on the preset's first training cases: the run's evaluations without the run. (The cloud preset's
    attacker changes the training cases within a run; the replay keeps the first ones.)"""
    problem, train, executor = _bare_sandbox(preset)
    try:
        executor.evaluate(problem, sources[:1], train)  # start-up, untimed
        began = time.perf_counter()
        for source in sources:
            executor.evaluate(problem, [source], train)
        return len(sources) / (time.perf_counter() - began)
    finally:
        executor.close()


def _bare_sandbox(preset: str):
    """The preset's problem, its training cases and one sandbox configured as the preset's runs are."""
    config = load_preset(preset_path(preset))
    problem = problem_of_task(config.task)
    train = problem.cases(config.task, config.seed).train
    one = override(config, **{"evaluation.workers": 1, "evaluation.cluster": None})
    return problem, train, sandbox_executor(one)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring time per configuration")
    parser.add_argument("--presets", default="binpacking-weibull,binpacking-or,cloud")
    parser.add_argument("--modes", default="batch,steady", help="evaluation modes to measure")
    parser.add_argument(
        "--clusters", default="", help="instead: these --cluster values (e.g. local:1,local:2,local:4)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.clusters:
        _clusters(args)
        return
    rows = []
    for preset in args.presets.split(","):
        bare = bare_rate(preset, args.seconds / 2)
        for mode in args.modes.split(","):
            one, evaluated, busy_one = evolve_rate(preset, 1, args.seconds, mode)
            two, _, busy_two = evolve_rate(preset, 2, args.seconds, mode)
            replay = replay_rate(preset, evaluated)
            rows.append(
                {
                    "preset": preset,
                    "mode": mode,
                    "bare_sandbox_per_s": bare,
                    "replay_per_s": replay,
                    "evolve_1_worker_per_s": one,
                    "evolve_2_workers_per_s": two,
                    "evolve_over_bare": one / bare,
                    "evolve_over_replay": one / replay,
                    "two_over_one": two / one,
                    "busy_cores_1_worker": busy_one,
                    "busy_cores_2_workers": busy_two,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    header = ("preset", "mode", "bare/s", "replay/s", "1 worker/s", "2 workers/s", "evolve/bare", "/replay")
    header += ("2w/1w", "cores 1w", "cores 2w")
    print("{:<20} {:<7} {:>8} {:>9} {:>11} {:>12} {:>12} {:>8} {:>6} {:>9} {:>9}".format(*header))
    for r in rows:
        print(
            f"{r['preset']:<20} {r['mode']:<7} {r['bare_sandbox_per_s']:>8.1f} {r['replay_per_s']:>9.1f} "
            f"{r['evolve_1_worker_per_s']:>11.1f} {r['evolve_2_workers_per_s']:>12.1f} "
            f"{r['evolve_over_bare']:>12.2f} {r['evolve_over_replay']:>8.2f} {r['two_over_one']:>6.2f} "
            f"{r['busy_cores_1_worker']:>9.2f} {r['busy_cores_2_workers']:>9.2f}"
        )


def _clusters(args) -> None:
    """Candidates per second on each cluster of ``--clusters``, for each preset and mode."""
    print("{:<20} {:<7} {:<10} {:>8}".format("preset", "mode", "cluster", "per s"))
    for preset in args.presets.split(","):
        for mode in args.modes.split(","):
            for cluster in args.clusters.split(","):
                rate, _, _ = evolve_rate(preset, 1, args.seconds, mode, cluster)
                print(f"{preset:<20} {mode:<7} {cluster:<10} {rate:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
