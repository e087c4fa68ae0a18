"""``aurora-evo scenarios``: check scenario files against the format and the quality-control layers
(``validate``), and write fresh scenarios of a level that pass them (``generate``)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aurora_evo import textfiles
from aurora_evo.cli.console import print_json
from aurora_evo.cli.exit_status import EXIT_BAD_INPUT, EXIT_OK, EXIT_PROGRAM_FAILED, OneLineParser
from aurora_evo.cli.flags import make_folder, out_folder
from aurora_evo.cli.from_trace import add_from_trace_parser
from aurora_evo.domains import ALLOCATION_DOMAINS
from aurora_evo.errors import InputError


def add_parser(verbs) -> None:
    scenarios = verbs.add_parser(
        "scenarios", help="work with scenario files (validate, generate, from-trace)"
    )
    scenario_verbs = scenarios.add_subparsers(
        dest="scenarios_verb", metavar="ACTION", parser_class=OneLineParser
    )
    scenario_verbs.required = True
    add_validate_parser(scenario_verbs)
    add_generate_parser(scenario_verbs)
    add_from_trace_parser(scenario_verbs)
    # more `scenarios` actions: one add_..._parser(scenario_verbs) each, here


def add_validate_parser(scenario_verbs) -> None:
    validate = scenario_verbs.add_parser(
        "validate",
        help="run the five quality-control layers on scenario files",
        description="Check each scenario file, every file of the batch whatever the others hold: first "
        "its format (valid JSON, every field within the scenario format's ranges), then the "
        "quality-control layers: bounds (realistic ranges), feasibility (a clairvoyant packing meets the "
        "SLAs), realism (distributions against the shipped Google 2011 and Alibaba 2017 samples), "
        "diversity (against the files passed before it) and complexity (the difficulty level's ranges). "
        "Prints one line per layer (one 'format REFUSED' line for a file that is no valid scenario) and a "
        "summary. Exits 0 when every file passes, 1 when any is refused, 2 when a file cannot be read at "
        "all (missing, a folder, no permission: one error line each, the others still checked) or the "
        "command line is wrong.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario JSON files")
    validate.add_argument(
        "--level",
        metavar="LEVEL",
        help="check against this level (easy ... beyond) instead of each file's own",
    )
    validate.add_argument("--json", action="store_true", help="print one JSON object with every verdict")
    validate.set_defaults(handler=run_validate)


def add_generate_parser(scenario_verbs) -> None:
    generate = scenario_verbs.add_parser(
        "generate",
        help="write N fresh scenarios of a level that pass quality control",
        description="Draw random scenario genomes of a difficulty level (aurora_evo.attacker), generate a "
        "scenario from each, keep those that pass the quality-control layers (diversity against those "
        "kept before), and write N of them as DIR/LEVEL-DOMAIN-gen-NNN.json, printing one line per file. "
        "Same seed, same files.",
    )
    generate.add_argument(
        "--level", required=True, metavar="LEVEL", help="easy, medium, hard, expert or beyond"
    )
    generate.add_argument("-n", type=int, default=1, metavar="N", help="how many scenarios (default 1)")
    generate.add_argument("--out", required=True, metavar="DIR", help="folder for the files (created)")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    generate.add_argument(
        "--domain", choices=ALLOCATION_DOMAINS, help="one domain (default: drawn per scenario)"
    )
    generate.add_argument(
        "--max-attempts", type=int, metavar="M", help="scenarios to try at most (default 10 N + 10)"
    )
    generate.set_defaults(handler=run_generate)


# --- validate -------------------------------------------------------------------------------------

#: The check a file fails when it is no valid scenario (malformed JSON, a field outside the format's
#: range): reported like the quality-control layers, before them, so a batch goes on past it.
FORMAT_CHECK = "format"


@dataclasses.dataclass(frozen=True)
class FileCheck:
    """One file of ``scenarios validate``: its quality report, or why it is no scenario (``problem``,
    refused by the format check), or why it could not be read at all (``unreadable``)."""

    path: str
    report: Any = None  # QualityReport
    problem: str = ""
    unreadable: str = ""

    @property
    def refused_checks(self) -> tuple[str, ...]:
        if self.report is not None:
            return tuple(layer.value for layer in self.report.refused_layers)
        return (FORMAT_CHECK,) if self.problem else ()

    def lines(self) -> list[str]:
        if self.report is None:
            return [f"{self.path}: {FORMAT_CHECK} REFUSED: {self.problem}"]
        lines = []
        for verdict in self.report.verdicts:
            if verdict.passed:
                note = verdict.details.get("note")
                lines.append(f"{self.path}: {verdict.layer} ok" + (f" ({note})" if note else ""))
            else:
                lines.append(f"{self.path}: {verdict.layer} REFUSED: {verdict.message}")
        return lines

    def as_dict(self) -> dict:
        if self.report is not None:
            return {"file": self.path, **self.report.as_dict()}
        entry = {"file": self.path, "scenario": None, "passed": False}
        if self.unreadable:
            return entry | {"refused_by": None, "error": self.unreadable, "verdicts": []}
        verdict = {"layer": FORMAT_CHECK, "passed": False, "reason": f"{FORMAT_CHECK}: {self.problem}"}
        return entry | {"refused_by": FORMAT_CHECK, "verdicts": [verdict | {"details": {}}]}


def why_unreadable(path: str) -> str:
    """Why the file cannot be read at all (missing, a folder, no permission), or ``""``."""
    try:
        with open(path, "rb"):
            return ""
    except OSError as exc:
        return textfiles.unreadable(path, exc)


def check_scenario_files(paths: Sequence[str], level: str | None) -> list[FileCheck]:
    """Every file checked, whatever the others hold; diversity compares with the files passed before."""
    # heavy: scenarios and their quality control import numpy and the simulator
    from aurora_evo.scenario import ScenarioError, load_scenario
    from aurora_evo.scenario.quality import check_scenario

    recent: list = []
    checks = []
    for path in paths:
        unreadable = why_unreadable(path)
        if unreadable:
            checks.append(FileCheck(path, unreadable=unreadable))
            continue
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            # The loader names the file as a Path does (``./x.json`` as ``x.json``).
            checks.append(FileCheck(path, problem=str(exc).removeprefix(f"{Path(path)}: ")))
            continue
        report = check_scenario(scenario, level=level, recent=recent)
        if report.passed:
            recent.append(report.features)
        checks.append(FileCheck(path, report=report))
    return checks


def run_validate(args: argparse.Namespace) -> int:
    """Check each file: the format, then the five quality-control layers. Exit status: 2 when a file
    could not be read at all, else 1 when any file was refused by a check, else 0."""
    # heavy: scenarios and their quality control import numpy and the simulator
    from aurora_evo.scenario.levels import level
    from aurora_evo.scenario.quality import Layer

    if args.level is not None:
        level(args.level)  # an unknown level is bad input: one line, exit 2
    files = check_scenario_files(args.files, args.level)
    unreadable = [file for file in files if file.unreadable]
    checked = [file for file in files if not file.unreadable]
    refused = [file for file in checked if file.refused_checks]
    counts = Counter(check for file in refused for check in file.refused_checks)
    order = [FORMAT_CHECK, *(layer.value for layer in Layer)]
    for file in unreadable:
        sys.stderr.write(f"aurora-evo {args.verb}: error: {file.unreadable}\n")
    if args.json:
        print_json(
            {
                "files": [file.as_dict() for file in files],
                "checked": len(checked),
                "refused": len(refused),
                "unreadable": len(unreadable),
                "refused_by_layer": {check: counts.get(check, 0) for check in order},
            }
        )
    elif checked:
        for file in checked:
            sys.stdout.write("".join(f"{line}\n" for line in file.lines()))
        sys.stdout.write(validate_summary(len(checked), len(refused), counts, order, len(unreadable)) + "\n")
    if unreadable:
        return EXIT_BAD_INPUT
    return EXIT_PROGRAM_FAILED if refused else EXIT_OK


def validate_summary(checked: int, refused: int, counts, order: list[str], unreadable: int) -> str:
    if refused:
        names = sorted(counts, key=lambda check: (-counts[check], order.index(check)))
        line = f"{refused} of {checked} files refused ({', '.join(names)})"
    else:
        line = f"{checked} of {checked} files passed"
    return line + (f"; {unreadable} more could not be read" if unreadable else "")


# --- generate -------------------------------------------------------------------------------------


def run_generate(args: argparse.Namespace) -> int:
    """Draw random genomes of a level, keep the scenarios that pass quality control, write N of them."""
    # heavy: numpy
    import numpy as np

    # heavy: the attacker's generator and the scenarios import numpy and the simulator
    from aurora_evo.attacker.generate import generate_scenarios
    from aurora_evo.scenario import save_scenario
    from aurora_evo.scenario.generate import offered_load
    from aurora_evo.scenario.levels import level

    level(args.level)  # an unknown level is bad input: one line, exit 2
    if args.n < 1:
        raise InputError(f"-n must be at least 1, got {args.n}")
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}")
    out = out_folder(args.out)
    rng = np.random.default_rng(args.seed)
    accepted = generate_scenarios(args.level, args.n, rng, max_attempts=args.max_attempts, domain=args.domain)
    make_folder(out)
    for scenario, _report in accepted:
        path = save_scenario(scenario, out / f"{scenario.name}.json")
        sys.stdout.write(f"{path}: {scenario.summary()}, offered load {offered_load(scenario):.2f}\n")
    return EXIT_OK
