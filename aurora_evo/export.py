"""Evolved programs as standalone files.

:func:`export_run` writes ``.py`` files that need only numpy (:func:`standalone_source`): a header saying
what each is (domain, scores, run, lineage, the mutator that made it, the language model that wrote it
if one did, what it does (:func:`~aurora_evo.explain.terms.summary`: what it reads, through which named
terms), the reasoning attached to it), the feature constants it uses, and its source, simplified
where that changes no decision (:func:`~aurora_evo.mutators.simplify.simplify_source`).
:func:`aurora_evo.scheduler.load_scheduler` turns such a file into a scheduler you can call.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.domains import problem_of_task
from aurora_evo.explain.terms import summary
from aurora_evo.mutators.base import MUTATOR_FAMILIES, describe_mutator
from aurora_evo.mutators.primitives import GP_DOCSTRING
from aurora_evo.mutators.simplify import simplify_source
from aurora_evo.program_text import parse_source
from aurora_evo.run_folder import RunFolder


def constants_used(source: str) -> dict[str, float | int]:
    """The contract's named constants (``N_CPU_FREE``...) a source reads without defining them."""
    tree = parse_source(source)
    assigned = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets
                if isinstance(t, ast.Name)}  # fmt: skip
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    known = features.contract_globals()
    return {name: known[name] for name in sorted(read - assigned) if name in known}


def _comment(text: str, width: int = 96) -> list[str]:
    lines = []
    for paragraph in str(text).strip().splitlines() or [""]:
        lines += ["# " + line for line in (textwrap.wrap(paragraph, width) or [""])]
    return lines


def _field(name: str, text: str, width: int = 96) -> list[str]:
    """``# name: text`` with ``text`` wrapped to ``width`` characters, continued lines indented."""
    lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
    return [f"# {name}: {lines[0]}", *(f"#   {line}" for line in lines[1:])]


def _docstring(docstring: str | None, mutator: str) -> str | None:
    """The module docstring to export: genetic programming's own, only on a program it made."""
    family = mutator.partition(".")[0]
    if docstring != GP_DOCSTRING or not mutator or family == "gp":
        return docstring
    lines = textwrap.wrap(f"Made by {describe_mutator(mutator)} from a program evolved by "
                          f"{MUTATOR_FAMILIES['gp']}.", 100)  # fmt: skip
    return "\n".join(lines)


def standalone_source(
    source: str,
    *,
    domain: str,
    contract: Contract,
    scores: dict[str, float | None],
    run: str,
    program: str,
    lineage: list[str],
    reasoning: str = "",
    author: str = "",
    mutator: str = "",
    simplify: bool = True,
) -> str:
    """The text of an exported program file (see the module docstring).

    ``mutator`` is the name of what made the program (``gp.crossover``, ``edit.operator``,
    ``llm.diff``...; see :func:`~aurora_evo.mutators.base.describe_mutator`); a program another mutator
    made from a genetic-programming one loses the docstring that says "Evolved by genetic programming".
    ``simplify`` folds constants and drops identities (the same decisions, see
    :func:`~aurora_evo.mutators.simplify.simplify_source`).
    """
    signature = "priority(item, bins)" if contract is not Contract.ALLOCATION else "priority(task, nodes)"
    header = [
        "# aurora-evo evolved program",
        f"# domain: {domain} (contract: {signature}; the highest score is chosen)",
        f"# run: {run}",
        f"# program: {program}",
        *_field("lineage", " <- ".join(lineage or [program])),
        *_field("scores", ", ".join(f"{k} {v:.6g}" for k, v in scores.items() if v is not None)),
    ]
    if mutator:
        header += _field("made by", f"{describe_mutator(mutator)} [{mutator}]")
    if author:
        header.append(f"# written by: {author}")
    if simplify:
        simpler = simplify_source(source)
        if simpler != source:
            header += _field("simplified", "constants folded and identities removed, same decisions "
                                           "(the archive keeps the source as evaluated)")  # fmt: skip
            source = simpler
    header += _field("what it does", summary(source))
    if reasoning.strip():
        header += ["# reasoning:", *_comment(reasoning)]
    constants = constants_used(source)
    tree = parse_source(source)
    docstring = _docstring(ast.get_docstring(tree, clean=False), mutator)
    if docstring is not None:  # the module docstring stays first, above the imports
        first = tree.body[0]
        lines = source.splitlines()
        source = "\n".join(lines[: first.lineno - 1] + lines[first.end_lineno :])
    code = "\n".join(line for line in source.splitlines() if line.strip() != "import numpy as np").strip()
    # A program such as best fit's ``-(bins - item)`` needs no numpy, and an unused import fails lint.
    uses_numpy = any(isinstance(node, ast.Name) and node.id == "np" for node in ast.walk(parse_source(code)))
    body = [*header, *([f'"""{docstring}"""'] if docstring is not None else [])]
    body += ["", "import numpy as np"] if uses_numpy else []
    if constants:
        body += ["", "# Feature columns of the allocation contract (aurora_evo/features.py).", *[
            f"{name} = {value!r}" for name, value in constants.items()
        ]]  # fmt: skip
    # As ruff formats a module: two blank lines before a definition, one before other statements.
    gap = "\n\n\n" if re.match(r"(def|class|async def|@)\b|@", code) else "\n\n"
    return re.sub(r"\n{4,}", "\n\n\n", "\n".join(body) + gap + code + "\n")


def selection_pool(config) -> tuple[int, int] | None:
    """``(training cases, held-out cases)`` of a run whose problem chooses by both (see
    :meth:`~aurora_evo.problem.Problem.pooled_selection`), for :func:`top_programs`; ``None`` when the
    held-out score decides alone."""
    problem = problem_of_task(config.task)
    if not problem.pooled_selection(config.task):
        return None  # (it would build the cases only to count them)
    cases = problem.cases(config.task, config.seed)
    return len(cases.train), len(cases.validation)


#: How :func:`top_programs` ranks: by the held-out cases (see there), or by Elo rating.
RANKINGS = ("held-out", "elo")


def top_programs(
    archive, run_id: str, k: int, pooled: tuple[int, int] | None = None, rank: str = "held-out"
) -> list:
    """The ``k`` best programs of a run that ran.

    Programs scored on the held-out cases come first (the run's best, as it went), then the others
    by training score. Among the validated ones the held-out score decides, or, with ``pooled =
    (training cases, held-out cases)``, the mean over every case they were scored on: the allocation
    domains hold out only a few seed scenarios, too few to choose by alone (a program can be lucky on
    four), while bin packing validates on many generated instances of the test sets' size.

    ``rank="elo"`` ranks by Elo rating instead (the policy database's judgement: case-by-case matches
    against other rated programs), the unrated last by training score.
    """
    if rank not in RANKINGS:
        raise ValueError(f"rank is {rank!r}; use one of {', '.join(RANKINGS)}")

    def selection_score(p) -> float:
        if pooled is None:
            return p.validation_score
        n_train, n_held_out = pooled
        return (n_train * p.score + n_held_out * p.validation_score) / (n_train + n_held_out)

    ratings = None
    if rank == "elo":
        ratings = {pid: rating.rating for pid, rating in archive.elites.ratings(run_id).items()}

    def order(p) -> tuple:
        if ratings is not None:
            lead = (p.id not in ratings, -ratings.get(p.id, 0.0))
        else:
            lead = (
                p.validation_score is None,
                -(selection_score(p) if p.validation_score is not None else 0.0),
            )
        return (*lead, -p.score, p.id)

    ok = [p for p in archive.programs.of_run(run_id) if p.outcome == "ok" and p.score is not None]
    return sorted(ok, key=order)[:k]


def _author(archive, program_id: str) -> str:
    """The language model that wrote a program and how it was prompted, or ``""``."""
    call = archive.ledger.llm_call_of(program_id)
    return f"{call['model']} (prompt mode: {call['mode']})" if call else ""


def export_run(run_dir: Path, top: int, out_dir: Path, rank: str = "held-out") -> list[Path]:
    """Write the ``top`` best programs of the run in ``run_dir`` to ``out_dir``, ranked by ``rank`` (see
    :func:`top_programs`); the paths written."""
    folder, out_dir = RunFolder(run_dir), Path(out_dir)
    config = folder.read_config()
    problem = problem_of_task(config.task)
    contract = problem.contract
    pooled = selection_pool(config)
    domain = problem.run_label(config.task)
    unit = problem.score_unit
    at = problem.training_note(config.task)
    written = []
    with folder.open_archive() as archive:
        run_id = folder.run_id(archive)
        for place, record in enumerate(top_programs(archive, run_id, top, pooled, rank), start=1):
            lineage = [p.id for p in archive.programs.ancestry(record.id)]
            text = standalone_source(
                record.source,
                domain=domain,
                contract=contract,
                scores={f"train ({unit}{at})": record.score, f"validation ({unit})": record.validation_score},
                run=run_id,
                program=record.id,
                lineage=[record.id, *[p for p in lineage if p != record.id]],
                reasoning=record.reasoning,
                author=_author(archive, record.id),
                mutator=record.mutator,
            )
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / f"{run_id}-{place}-{record.id}.py"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
