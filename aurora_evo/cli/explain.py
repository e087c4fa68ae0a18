"""``aurora-evo explain``: why a vetted program made one decision, and how often its explanations hold
(see :mod:`aurora_evo.explain`)."""

from __future__ import annotations

import argparse

from aurora_evo.cli.console import make_console, print_json, titled_table
from aurora_evo.cli.evolve_settings import DEFAULT_MODELS
from aurora_evo.cli.exit_status import EXIT_OK
from aurora_evo.cli.programs import read_program
from aurora_evo.errors import InputError, one_line

#: Decisions the consistency check looks at when ``--check`` is left out.
CHECKED = 200


def add_parser(verbs) -> None:
    explain = verbs.add_parser(
        "explain",
        help="why a program made one decision, and how often such explanations hold",
        description="Explain one decision of PROGRAM.py: the nodes (or bins) that led with their scores, "
        "the value of each named term of the program on them, the term that decided, and a sentence. "
        "Then check explanations over many decisions with a counterfactual: swap the deciding term's "
        "inputs between the chosen row and the best lower one, and count how often the choice moves. "
        "The program runs in this process, outside the sandbox, as load_scheduler runs it: explain only "
        "programs you trust, such as those aurora-evo export writes.",
    )
    explain.add_argument("program", metavar="PROGRAM.py")
    cases = explain.add_argument_group("the decision (allocation: --scenario; bin packing: --dataset)")
    cases.add_argument("--scenario", metavar="FILE", help="scenario JSON file (priority(task, nodes))")
    cases.add_argument(
        "--task",
        type=int,
        metavar="I",
        help="the task whose placement to explain (default: the first placed)",
    )
    cases.add_argument(
        "--dataset", metavar="FILE",
        help="bin-packing dataset (priority(item, bins)): FunSearch .json, OR-Library .txt, or a shipped "
        "name (OR3, 'Weibull 5k')",
    )  # fmt: skip
    cases.add_argument(
        "--instance", type=int, default=0, metavar="J", help="instance of the dataset (default: 0)"
    )
    cases.add_argument(
        "--item", type=int, default=0, metavar="I", help="the item whose bin to explain (default: 0)"
    )
    explain.add_argument(
        "--check", type=int, default=CHECKED, metavar="N",
        help=f"decisions of the scenario or instance the consistency check looks at, evenly spread "
        f"(default: {CHECKED})",
    )  # fmt: skip
    explain.add_argument("--json", action="store_true", help="print one JSON object")
    llm = explain.add_argument_group("a language model's rationale beside the offline explanation (optional)")
    llm.add_argument(
        "--llm", choices=["gemini", "openai"], help="ask this backend why (its API key from the environment)"
    )
    llm.add_argument("--model", metavar="NAME", help="model name (default: the backend's default)")
    llm.add_argument("--base-url", metavar="URL", help="server URL, e.g. http://127.0.0.1:8000/v1")
    explain.set_defaults(handler=run_explain)


def run_explain(args: argparse.Namespace) -> int:
    # heavy: numpy, and numba for the simulator (`aurora-evo --help` needs neither)
    from aurora_evo.explain import TermProgram, consistency, explain
    from aurora_evo.program_text import ProgramError
    from aurora_evo.scheduler import load_scheduler

    if args.check < 0:
        raise InputError(f"--check is {args.check}; give 0 or more decisions")
    if args.llm is None and (args.model or args.base_url):
        raise InputError("--model and --base-url go with --llm gemini or --llm openai")
    connection = _connection(args) if args.llm else None  # a missing key fails before any work
    source = read_program(args.program)
    contract = load_scheduler(args.program).contract
    try:
        program = TermProgram(source, contract)
    except ProgramError as exc:
        raise InputError(f"{args.program}: {one_line(exc)}") from None
    chosen, sampled = _decisions(args, source, contract)
    try:
        explanation, _ = explain(program, chosen)
        held = consistency(program, sampled)
    except Exception as exc:  # the program raised on the arguments it was shown, or on changed ones
        raise InputError(f"{args.program}: the program failed while explained ({one_line(exc)})") from None
    model = {}
    if connection is not None:
        # heavy: the LLM client and its SDKs, for --llm only
        from aurora_evo.explain.rationale import ask_rationale

        rationale, failure = ask_rationale(connection, _model(args), source, explanation)
        model = {"rationale": rationale, "rationale_error": failure}
    if args.json:
        print_json(
            {
                "program": args.program,
                **explanation.as_dict(),
                "consistency": {**vars(held), "rate": held.rate},
                **model,
            }
        )
        return EXIT_OK
    _print(args.program, explanation, held, model)
    return EXIT_OK


def _model(args: argparse.Namespace) -> str:
    if args.model:
        return args.model
    if args.llm not in DEFAULT_MODELS:
        raise InputError(f"--llm {args.llm} needs --model NAME")
    return DEFAULT_MODELS[args.llm][0]


def _connection(args: argparse.Namespace):
    """The connection to ``--llm``'s backend; a missing API key is one line (exit status 2)."""
    # heavy: the LLM SDKs
    from aurora_evo.config import LLMConfig
    from aurora_evo.llm.connection import connect

    return connect(LLMConfig(backend=args.llm, base_url=args.base_url or "", models=(_model(args),)))


def _decisions(args: argparse.Namespace, source: str, contract):
    """The decision to explain and the decisions to check, for the program's contract."""
    # heavy: numba, for the simulator and the packer
    from aurora_evo.contracts import Contract
    from aurora_evo.explain.decisions import PackingRun, ScenarioRun, spread

    if contract is Contract.ALLOCATION:
        if args.scenario is None or args.dataset is not None:
            raise InputError(f"{args.program} places tasks on nodes: give --scenario FILE (not --dataset)")
        # heavy: the scenario model
        from aurora_evo.scenario.io import load_scenario

        run = ScenarioRun(source, load_scenario(args.scenario))
        tasks = None if args.task is None else [args.task]
        chosen = run.decisions(tasks, limit=1)
        if not chosen:
            raise InputError(f"{args.scenario}: no task was placed; nothing to explain")
        return chosen[0], run.decisions(limit=args.check)
    if args.dataset is None or args.scenario is not None:
        raise InputError(f"{args.program} packs items into bins: give --dataset (not --scenario)")
    run = PackingRun(source, _instance(args))
    return run.decisions([args.item])[0], run.decisions(spread(len(run.instance.items), args.check))


def _instance(args: argparse.Namespace):
    # heavy: numpy, and numba for the packer
    from aurora_evo.domains.binpacking.datasets import Instance
    from aurora_evo.domains.binpacking.problem import BinPackingProblem

    (dataset,) = BinPackingProblem().load_cases([args.dataset])
    if not 0 <= args.instance < len(dataset.instances):
        raise InputError(f"{args.dataset} has instances 0 to {len(dataset.instances) - 1}")
    instance = dataset.instances[args.instance]
    if not isinstance(instance, Instance):
        raise InputError(f"{args.dataset}: explain handles one-dimensional bin packing only")
    return instance


def _print(path: str, explanation, held, model: dict) -> None:
    # heavy: rich, for printing only
    from rich.markup import escape

    console = make_console()
    unit = explanation.unit
    table = titled_table(f"{path}: {explanation.label}")
    table.add_column("term")
    for row, _ in explanation.top:
        table.add_column(f"{unit} {row}", justify="right")
    table.add_column("reads")
    for term in explanation.terms:
        values = [f"{v:.4g}" for v in term.values]
        if len(values) == 1:  # the same on every row
            values *= len(explanation.top)
        mark = " *" if term.name == explanation.deciding else ""
        name = escape(term.name + mark)
        table.add_row(name, *values[: len(explanation.top)], escape(term.reads))
    console.print(table)
    console.print(escape(explanation.sentence), soft_wrap=True)
    if explanation.deciding is not None:
        console.print("(* the deciding term)")
    if model.get("rationale"):
        console.print(f"The model's rationale: {escape(model['rationale'])}", soft_wrap=True)
    elif model:
        console.print(f"The model gave no rationale ({escape(model['rationale_error'])}).", soft_wrap=True)
    rate = "n/a" if held.checked == 0 else f"{held.rate:.0%}"
    console.print(
        f"Consistency: {held.moved} of {held.checked} checked explanations held ({rate}); "
        f"{held.explained} of {held.decisions} decisions named a deciding term."
    )
