"""``aurora-evo suites``: list the named scenario suites, and build one from its trace files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aurora_evo.cli.exit_status import EXIT_OK, OneLineParser
from aurora_evo.cli.flags import make_folder, out_folder
from aurora_evo.errors import InputError


def add_parser(verbs) -> None:
    suites = verbs.add_parser(
        "suites", help="named scenario suites split train / validation / test (list, build)"
    )
    actions = suites.add_subparsers(dest="suites_verb", metavar="ACTION", parser_class=OneLineParser)
    actions.required = True
    listing = actions.add_parser(
        "list",
        help="the suites, where each is and whether it is built",
        description="One line per suite: its name, what it replays, its scenarios per split and where "
        "its file is (shipped in the package, built into the cache, or not built yet).",
    )
    listing.set_defaults(handler=run_list)
    build = actions.add_parser(
        "build",
        help="build a suite from its trace files (or the generators) and check it",
        description="Replay the suite's windows from its trace files under --data (the synthetic suite "
        "draws from the generators and needs none), check every scenario with the quality-control "
        "layers, and write NAME.suite.json.gz with its manifest (source files and their sha256, windows, "
        "seed, verdicts, content hash) into --out (default: the cache, $AURORA_EVO_SUITES or "
        "~/.cache/aurora-evo/suites). Same data, same bytes.",
    )
    build.add_argument("name", metavar="NAME", help="the suite (see `aurora-evo suites list`)")
    build.add_argument(
        "--data", metavar="DIR", help="the folder holding the trace files (e.g. ../shared/data)"
    )
    build.add_argument("--out", metavar="DIR", help="where to write the suite file (default: the cache)")
    build.set_defaults(handler=run_build)


def run_list(args: argparse.Namespace) -> int:
    # heavy: the suites' store imports the scenario model (numpy)
    from aurora_evo.suites import SUITE_NAMES
    from aurora_evo.suites.specs import SPLITS, SUITES
    from aurora_evo.suites.store import shipped_folder, suite_path

    for name in SUITE_NAMES:
        spec = SUITES[name]
        path = suite_path(name)
        where = "not built" if path is None else ("shipped" if path.parent == shipped_folder() else str(path))
        counts = [spec.counts[split] for split in SPLITS]
        sys.stdout.write(f"{name:<14} {'/'.join(map(str, counts))} windows  {where:<10} {spec.description}\n")
    return EXIT_OK


def run_build(args: argparse.Namespace) -> int:
    """Build the suite, check its scenarios, write its file; one line per split and one for the file."""
    # heavy: building replays traces and runs quality control (numpy, scipy, numba)
    from aurora_evo.suites import SUITE_NAMES
    from aurora_evo.suites.build import build_synthetic_suite, build_trace_suite, quality_record
    from aurora_evo.suites.specs import SPLITS, SUITES, TraceSuiteSpec
    from aurora_evo.suites.store import SUFFIX, cache_folder, read_suite, write_suite

    if args.name not in SUITES:
        raise InputError(f"unknown suite {args.name!r}; known: {', '.join(SUITE_NAMES)}")
    spec = SUITES[args.name]
    out = out_folder(args.out) if args.out else cache_folder()  # a bad --out is told before the build
    if isinstance(spec, TraceSuiteSpec):
        if not args.data:
            raise InputError(
                f"suite {args.name} replays trace files: give the folder holding them with --data DIR"
            )
        manifest, scenarios = build_trace_suite(spec, Path(args.data), _print_line)
    else:
        manifest, scenarios = build_synthetic_suite(spec, _print_line)
    manifest["quality"] = quality_record(scenarios)
    path = write_suite(manifest, scenarios, make_folder(out) / f"{args.name}{SUFFIX}")
    written = read_suite(path)  # the file reads back, its hash checked
    quality = written.manifest["quality"]
    total = sum(len(written.split(split)) for split in SPLITS)
    refusals = ", ".join(f"{n} by {layer}" for layer, n in quality["refused_by_layer"].items())
    sys.stdout.write(
        f"{path}: {total} scenarios, {quality['passed']} pass quality control"
        + (f" ({refusals})" if refusals else "")
        + f"; content sha256 {written.manifest['content_sha256'][:16]}\n"
    )
    return EXIT_OK


def _print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
