"""``aurora-evo scenarios from-trace``: replay windows of a raw trace as scenario files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aurora_evo.cli.exit_status import EXIT_OK, EXIT_PROGRAM_FAILED
from aurora_evo.cli.flags import comma_names, make_folder, out_folder
from aurora_evo.domains import ALLOCATION_DOMAINS
from aurora_evo.errors import InputError
from aurora_evo.traces import FORMATS
from aurora_evo.traces.windows import Windows, parse_duration


def add_from_trace_parser(scenario_verbs) -> None:
    command = scenario_verbs.add_parser(
        "from-trace",
        help="replay windows of a raw cluster trace as scenario files",
        description="Read a trace in its official format, cut it into time windows and write one scenario "
        "per window as DIR/FORMAT-STARTs.json: each task's real arrival (from the window's start), duration "
        "and request, on the trace's machines (its machine table where it has one, else a published mix or "
        "a stated assumption), every transformation recorded in the scenario's provenance. The trace is "
        "streamed: memory holds the open windows, not the trace. Prints one line per file and what the "
        "reader dropped or repaired. Same input and seed, same files.",
    )
    command.add_argument("format", choices=FORMATS, metavar="FORMAT", help=", ".join(FORMATS))
    command.add_argument("paths", nargs="+", metavar="PATH", help="the trace's files (google2011: shards)")
    command.add_argument("--out", required=True, metavar="DIR", help="folder for the files (created)")
    command.add_argument("--window", default="30m", metavar="LENGTH", help="window length (default 30m)")
    command.add_argument("--count", type=int, default=1, metavar="N", help="windows, at most (default 1)")
    command.add_argument(
        "--stride",
        metavar="LENGTH",
        help="from one window's start to the next (default: the windows spread evenly over the trace, "
        "which reads it twice; an empty one gives way to one nearby)",
    )
    command.add_argument("--first", metavar="TIME", help="the first window's start, trace seconds or 2h")
    command.add_argument("--starts", metavar="LIST", help="explicit window starts, comma-separated")
    command.add_argument(
        "--nodes", type=int, metavar="N", help="nodes per scenario (default: sized to --load, else 0.8)"
    )
    command.add_argument(
        "--load",
        type=float,
        metavar="L",
        help="offered load within the window: sizes the nodes, or with --nodes thins the window's tasks "
        "down to it (a seeded random subset; time is never compressed)",
    )
    command.add_argument(
        "--max-tasks",
        type=int,
        metavar="N",
        help="at most N tasks per window, a seeded random subset, before the nodes are sized",
    )
    command.add_argument("--seed", type=int, default=0, help="the thinning's random seed (default 0)")
    command.add_argument(
        "--deadline-wait",
        default="60s",
        metavar="LENGTH",
        help="latency-sensitive tasks get a deadline of their duration plus this (default 60s)",
    )
    command.add_argument("--domain", choices=ALLOCATION_DOMAINS, default="cloud", help="default cloud")
    command.add_argument("--machines", metavar="FILE", help="alibaba2018: machine_meta for the nodes")
    command.add_argument(
        "--containers",
        metavar="FILE",
        help="alibaba2018: container_meta; each window's nodes are what the long-running containers leave "
        "of their machines at its start (their cpu_request and mem_size while started or allocated)",
    )
    command.add_argument(
        "--durations", metavar="FILE", help="azure-vm2017 derived flavour file: the aligned lifetime file"
    )
    command.add_argument(
        "--trace-end",
        metavar="TIME",
        help="alibaba-gpu2025 and an azure-vm2017 vmtable: cut instances or VMs alive at the end there "
        "(default: dropped)",
    )
    command.set_defaults(handler=run_from_trace)


def run_from_trace(args: argparse.Namespace) -> int:
    """Replay the windows, write one scenario file each, print a line per file and the reader's summary.
    Exit status 1 when no window gave a scenario."""
    # heavy: the replay imports numpy and the scenario model
    from aurora_evo.scenario import Domain, save_scenario
    from aurora_evo.traces.records import ReadSummary
    from aurora_evo.traces.replay import ReplayOptions, replay_trace
    from aurora_evo.traces.sources import TraceInputs, trace_source

    source = trace_source(args.format)
    options = ReplayOptions(
        nodes=args.nodes,
        load=args.load,
        deadline_wait_s=parse_duration(args.deadline_wait),
        domain=Domain(args.domain),
        seed=args.seed,
        max_tasks=args.max_tasks,
    )
    inputs = TraceInputs(
        machines=Path(args.machines) if args.machines else None,
        containers=Path(args.containers) if args.containers else None,
        durations=Path(args.durations) if args.durations else None,
        trace_end_s=parse_duration(args.trace_end) if args.trace_end else None,
    )
    out = out_folder(args.out)
    summary = ReadSummary()
    written = 0
    paths = [Path(p) for p in args.paths]
    windows = windows_of(args)
    for scenario in replay_trace(source, paths, inputs, windows, options, summary):
        if not written:  # made once a window gives a scenario: bad input leaves no empty folder behind
            make_folder(out)
        path = save_scenario(scenario, out / f"{scenario.name}.json")
        loads = scenario.provenance["replay"]["load_within_window"]["replayed"]
        load = max(v for v in loads if v is not None)
        sys.stdout.write(f"{path}: {scenario.summary()}, load within the window {load:.2f}\n")
        written += 1
    empty = (
        f" ({windows.count - written} window(s) left out: no task to replay, or most cut at the trace's end)"
        if written < windows.count
        else ""
    )
    sys.stdout.write(f"{args.format}: {summary.describe()}; {written} scenario(s) written to {out}{empty}\n")
    return EXIT_OK if written else EXIT_PROGRAM_FAILED


def windows_of(args: argparse.Namespace) -> Windows:
    """The :class:`~aurora_evo.traces.windows.Windows` of the command line."""
    if args.starts and (args.stride or args.first):
        raise InputError("--starts replaces --stride and --first; give one or the other")
    starts = tuple(_time(text) for text in comma_names(args.starts or ""))
    return Windows(
        length_s=parse_duration(args.window),
        count=len(starts) or args.count,
        stride_s=parse_duration(args.stride) if args.stride else None,
        first_s=_time(args.first) if args.first else None,
        starts_s=starts,
    )


def _time(text: str) -> float:
    """A trace time: 0 or a duration from the trace's origin."""
    return 0.0 if text.strip() in ("0", "0s") else parse_duration(text)
