"""The prompts of the language-model mutator, in three modes.

* :attr:`PromptMode.BEST_SHOT` (FunSearch): ``k`` parents, worst to best, shown as one module whose
  ``priority`` functions are renamed ``priority_v0 .. priority_v{k-1}``; the model completes the header
  of ``priority_v{k}``;
* :attr:`PromptMode.DIFF` (AlphaEvolve): one parent in full; the model answers with SEARCH/REPLACE blocks;
* :attr:`PromptMode.REWRITE` (AlphaEvolve): one parent in full; the model answers with a whole program.

Every prompt gives the contract (signature, shapes, units, feature columns generated from
:mod:`aurora_evo.features`), how programs are scored, the instruction (one member of an evolving
population of instructions), each parent's evaluation feedback (score, metrics, sandbox message) and
the recent failed attempts. The model is always asked to explain its idea before the code: that text
is stored with the program. The text is deterministic: the same arguments give the same prompt.
"""

from __future__ import annotations

import ast
import enum
import inspect
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.mutators.base import Parent
from aurora_evo.program_text import ProgramError, SourceText, is_docstring, parse_source
from aurora_evo.scenario.model import DEFAULT_WEIGHTS

__all__ = [
    "DEFAULT_INSTRUCTIONS",
    "Prompt",
    "PromptMode",
    "build_prompt",
    "contract_description",
    "format_metrics",
    "format_score",
    "rename_names",
    "score_description",
]


class PromptMode(enum.StrEnum):
    """How the parents are shown and what form of answer is asked for."""

    BEST_SHOT = "best_shot"  #: FunSearch: parents as priority_v0..v{k-1}; complete priority_v{k}
    DIFF = "diff"  #: AlphaEvolve: one parent in full; SEARCH/REPLACE blocks
    REWRITE = "rewrite"  #: AlphaEvolve: one parent in full; a complete new program


@dataclass(frozen=True)
class Prompt:
    """A prompt ready to send.

    Attributes:
        system: the system message: role, rules for programs, the form of the answer.
        user: the user message: problem, scoring, instruction, parents with feedback, failures, request.
        mode: the mode it was built for.
        version: for :attr:`PromptMode.BEST_SHOT`, the ``k`` of the ``priority_v{k}`` asked for (pass it
            to :func:`~aurora_evo.mutators.llm.parse.parse_response`); ``None`` otherwise.
        parent_source: the code to hand to ``parse_response`` as ``parent_source``: the first parent's
            source for DIFF and REWRITE; for BEST_SHOT the module of renamed versions shown to the model
            (so that helpers and constants the answer uses from it can be filled in); ``None`` without
            parents.
    """

    system: str
    user: str
    mode: PromptMode
    version: int | None
    parent_source: str | None = None


#: Seed instructions of the evolving instruction population; each one stands alone.
DEFAULT_INSTRUCTIONS: tuple[str, ...] = (
    "Make one small, targeted improvement. Use the evaluation feedback to find the weakest part of the "
    "program's logic and fix it, keeping everything that already works.",
    "Try a structurally different idea instead of refining the current one. Combine other signals or "
    "change the overall rule, so that the search explores new ground even if the first version is rough.",
    "Simplify the program while keeping what makes it score well. Remove terms and branches that do not "
    "pay for themselves, merge duplicated computations and keep the remaining logic clear.",
    "Tune the constants and thresholds. Pick the numbers that matter most for the score, choose better "
    "values, and explain why each change should help.",
)

_SIGNATURES = {
    Contract.ALLOCATION: ("task", "nodes", "task: np.ndarray, nodes: np.ndarray"),
    Contract.BINPACKING: ("item", "bins", "item: float, bins: np.ndarray"),
    Contract.VECTOR_BINPACKING: ("item", "bins", "item: np.ndarray, bins: np.ndarray"),
}
_UNIT = {Contract.ALLOCATION: "node", Contract.BINPACKING: "bin", Contract.VECTOR_BINPACKING: "bin"}
_CALLED_FOR = {Contract.ALLOCATION: "task", Contract.BINPACKING: "item", Contract.VECTOR_BINPACKING: "item"}


# --- contract and scoring ----------------------------------------------------------------------


def _feature_rows(prefix: str) -> list[tuple[str, int, str]]:
    """``(name, column, comment)`` of the ``T_*`` or ``N_*`` columns, read from the features module so
    that the prompt follows it (the comment is the ``#:`` one on the constant's line)."""
    try:
        text = inspect.getsource(features)
    except (OSError, TypeError):  # no source shipped: names only
        text = ""
    pattern = re.compile(rf"^({prefix}_[A-Z0-9_]+) = (\d+)\s+#:\s*(.*?)\s*$", re.MULTILINE)
    rows = [(name, int(column), comment) for name, column, comment in pattern.findall(text)]
    if not rows:
        names = features.TASK_FEATURE_NAMES if prefix == "T" else features.NODE_FEATURE_NAMES
        constants = {v: k for k, v in vars(features).items() if k.startswith(prefix + "_") and k.isupper()}
        rows = [(constants.get(i, f"{prefix}_{n.upper()}"), i, n) for i, n in enumerate(names)]
    return rows


def _feature_table(prefix: str) -> str:
    rows = _feature_rows(prefix)
    width = max(len(f"{name} = {column}") for name, column, _ in rows)
    return "\n".join(f"    {f'{name} = {column}':<{width}}  # {comment}" for name, column, comment in rows)


def _units() -> str:
    match = re.search(r"^Units:(.*?)(?:\n\s*\n|\Z)", features.__doc__ or "", re.MULTILINE | re.DOTALL)
    return "Units: " + " ".join(match.group(1).split()) if match else ""


def contract_description(contract: Contract) -> str:
    """What a program of ``contract`` is given, what it returns and what is done with its scores."""
    if contract is Contract.ALLOCATION:
        return _allocation_description()
    if contract is Contract.VECTOR_BINPACKING:
        return _VECTOR_BINPACKING_DESCRIPTION
    return _BINPACKING_DESCRIPTION


_BINPACKING_DESCRIPTION = """\
Online one-dimensional bin packing, as in FunSearch. Items arrive one at a time and each one must be put \
into a bin at once, without knowing the items still to come. All bins have the same capacity. The goal \
is to use as few bins as possible.

    def priority(item: float, bins: np.ndarray) -> np.ndarray

- `item`: the size of the item to place (a positive float, in the same unit as the capacity).
- `bins`: 1-D float64 array of shape (k,): the remaining capacity of every bin the item fits in (every \
entry is >= item), in bin order. Unused bins are offered too, each with the full capacity, so opening a \
new bin is one of the choices and the largest entry is always the capacity.
- returns: a 1-D array of shape (k,), one finite score per entry of `bins`.

The item goes into the bin with the highest score (the first one on ties), whose remaining capacity then \
drops by `item`. For example, `return -(bins - item)` is best fit and `return np.zeros_like(bins)` is \
first fit. Instances of a dataset share their capacity and draw their item sizes from one distribution, \
so a heuristic may exploit regularities in the sizes. `np` and `math` are predefined when the program \
runs; importing them is fine too."""

_VECTOR_BINPACKING_DESCRIPTION = """\
Online vector bin packing. Each item has a size in each of d dimensions (for example cpu and memory) and \
fits in a bin when it fits in every dimension. Items arrive one at a time and each one must be put into \
a bin at once, without knowing the items still to come. All bins have the same capacities. The goal is \
to use as few bins as possible.

    def priority(item: np.ndarray, bins: np.ndarray) -> np.ndarray

- `item`: 1-D float64 array of shape (d,): the item's size in each dimension.
- `bins`: 2-D float64 array of shape (k, d): the remaining capacities of every bin the item fits in (in \
all dimensions), in bin order. Unused bins are offered too, each row holding the full capacities, so \
opening a new bin is one of the choices and the column maxima are the capacities.
- returns: a 1-D array of shape (k,), one finite score per row of `bins`.

The item goes into the bin with the highest score (the first one on ties), whose remaining capacities \
then drop by `item`. For example, `return np.zeros(bins.shape[0])` is first fit. `np` and `math` are \
predefined when the program runs; importing them is fine too."""


def _allocation_description() -> str:
    task, node = features.TASK_FEATURES, features.NODE_FEATURES
    parts = [
        "Online resource allocation in a simulated cluster: choose the node each arriving task runs on.",
        "    def priority(task: np.ndarray, nodes: np.ndarray) -> np.ndarray",
        f"- `task`: 1-D float64 array of {task} features of the task to place, indexed by the T_* "
        "constants below.\n"
        f"- `nodes`: 2-D float64 array of shape (n_nodes, {node}), one row per node of the cluster (every "
        "node, always in the same order), columns indexed by the N_* constants below. Both arrays are "
        "read-only.\n"
        "- returns: a 1-D float64 array of shape (n_nodes,), one finite score per node.",
        "Tasks arrive over time and wait in a queue in arrival order. Whenever a queued task fits on at "
        "least one node, `priority(task, nodes)` is called with every node; the scores of nodes the task "
        "does not fit on (N_FITS == 0) are ignored, and the task is placed on the feasible node with the "
        "highest score (the lowest index on ties, so a constant score is first fit). The program cannot "
        "hold back a task that fits; it only chooses where it goes. The task then uses its demands on the "
        "node for its duration. Queued tasks are retried whenever resources free up (a later task may go "
        "ahead of an earlier one that still does not fit), and a task queued longer than the scenario's "
        "timeout is rejected. Where idle nodes sleep, an empty node costs nothing and draws no power until "
        "a task is placed on it.",
        _units(),
        f"Task features, `task[T_...]`:\n{_feature_table('T')}",
        f"Node features, `nodes[:, N_...]`:\n{_feature_table('N')}",
        f"A task without an SLA has deadline NO_DEADLINE = {features.NO_DEADLINE:g}. These constants, `np` "
        "and `math` are predefined when the program runs; a program may also define the constants it uses "
        "itself.",
    ]
    return "\n\n".join(part for part in parts if part)


def score_description(contract: Contract) -> str:
    """How a program of ``contract`` is scored (higher is better) and what its metrics mean."""
    if contract is Contract.ALLOCATION:
        return _allocation_scoring()
    bound = "ceil(sum(items) / capacity)"
    if contract is Contract.VECTOR_BINPACKING:
        bound = "the largest over the dimensions of ceil(sum(items) / capacity)"
    return (
        "Each program packs every instance of the training datasets. Its score is minus the excess, in "
        f"percent, of the bins it uses over the L1 lower bound {bound}: 100 * (mean bins used - mean "
        "bound) / mean bound over a dataset's instances, averaged over the datasets (FunSearch's measure). "
        "Higher is better: 0 would match the lower bound, which no packing can beat, and a score of -3.5 "
        "means 3.5% more bins than the bound. The metric `excess_percent` is the same number with the "
        "sign flipped."
    )


def _allocation_scoring() -> str:
    weights = []
    for domain, terms in DEFAULT_WEIGHTS.items():
        used = sorted(((w, t) for t, w in terms.items() if w > 0), key=lambda wt: (-wt[0], wt[1]))
        weights.append(f"- {domain.value}: " + ", ".join(f"{t} {w:g}" for w, t in used))
    return "\n".join(
        [
            "Each program is simulated on every training scenario. Its score is the mean over the scenarios "
            "of the scenario's reward, in [0, 1]; higher is better. The reward is a weighted mean of eight "
            "terms, each in [0, 1] with 1 best:",
            "- latency: mean of duration / latency over placed tasks, where latency = wait in the queue + "
            "duration + the node's network latency;",
            "- utilization: mean cpu and memory utilisation of the nodes while they are on;",
            "- cost: the share of cost saved against every node on for the whole run (a node costs its "
            "price while on);",
            "- energy: the share of energy saved against every node on, at peak power, for the whole run;",
            "- sla: one minus the share of tasks with a deadline that were rejected or finished late;",
            "- failure: one minus the share of tasks rejected (timed out in the queue, or larger than every "
            "node);",
            "- makespan: its lower bound (the latest arrival + duration) over its value;",
            "- fairness: one minus the Gini coefficient of the owners' mean slowdown (latency / duration).",
            "",
            "Each scenario carries its weights; the defaults per domain are:",
            *weights,
            "",
            "The metrics shown with a program are averaged over the training scenarios: `reward` is its "
            "score, and the others are the raw measures behind the terms (e.g. `sla_violation_rate`, "
            "`cpu_utilization`, `cost_usd`, `mean_latency_s`).",
        ]
    )


# --- parents and their feedback ----------------------------------------------------------------


def format_score(score: float | None) -> str:
    """``-3.9812`` (four decimals), or a word when there is none."""
    if score is None:
        return "none (not evaluated)"
    try:
        return f"{float(score):.4f}"
    except (TypeError, ValueError):
        return str(score)


def format_metrics(metrics: Mapping[str, float]) -> str:
    """``name=value`` by sorted name, four significant digits; empty when there are none."""
    items = []
    for name in sorted(metrics, key=str):
        value = metrics[name]
        try:
            text = f"{float(value):.4g}"
        except (TypeError, ValueError):
            text = " ".join(str(value).split())
        items.append(f"{name}={text}")
    return ", ".join(items)


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _feedback(parent: Parent) -> list[str]:
    lines = [f"Score: {format_score(parent.score)}"]
    if parent.metrics:
        lines.append(f"Metrics: {format_metrics(parent.metrics)}")
    if parent.message.strip():
        lines.append(f"Sandbox: {_one_line(parent.message)}")
    return lines


def _fence(code: str) -> str:
    ticks = "```"
    while ticks in code:
        ticks += "`"
    return f"{ticks}python\n{code.rstrip()}\n{ticks}"


def _sort_key(parent: Parent) -> float:
    try:
        score = float(parent.score) if parent.score is not None else -math.inf
    except (TypeError, ValueError):
        return -math.inf
    return score if not math.isnan(score) else -math.inf


# --- renaming and merging sources (shared with the parser) -------------------------------------


_DEF_NAME = re.compile(rb"(?:async\s+)?def\s+")


def rename_names(source: str, mapping: Mapping[str, str]) -> str:
    """``source`` with every use of each name in ``mapping`` renamed (a consistent renaming of the whole
    module: definitions, assignments, parameters and loads; attributes, keywords and strings are left).

    Positions come from the syntax tree, so a name inside a string or comment is untouched. ``source``
    is returned unchanged when it does not parse.
    """
    if not mapping:
        return source
    try:
        tree = parse_source(source)
    except ProgramError:
        return source
    text = SourceText(source)
    spans: dict[int, tuple[int, str]] = {}  # byte offset -> (length, new name)

    def mark(at: int, old: str) -> None:
        if text.data[at : at + len(old.encode())] == old.encode():
            spans[at] = (len(old.encode()), mapping[old])

    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            mark(text.start(node), node.id)
        elif isinstance(node, ast.arg) and node.arg in mapping:
            mark(text.start(node), node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in mapping:
            found = _DEF_NAME.match(text.data, text.start(node))
            if found:
                mark(found.end(), node.name)
    edits, last = [], 0
    for at in sorted(spans):
        if at < last:
            continue
        length, new = spans[at]
        edits.append((at, at + length, new))
        last = at + length
    return text.splice(edits)


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    end = node.end_lineno or node.lineno
    # Comment lines right above the statement belong to it.
    while first > 1 and lines[first - 2].startswith("#"):
        first -= 1
    return "\n".join(lines[first - 1 : end]).rstrip()


def _bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the module."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            break
    return names


@dataclass
class _Version:
    source: str  # renamed so that its priority is priority_v{i}
    docstring: str  # the module docstring, if any
    statements: list[tuple[str, set[str]]]  # helper statements: (text, names bound)
    function: str  # the text of priority_v{i}
    parsed: bool
    imports: tuple[str, ...] = ()


def _split(source: str, name: str) -> _Version:
    """Split a parent (already renamed) into imports, helper statements and the function ``name``."""
    try:
        tree = parse_source(source)
    except ProgramError:
        return _Version(source, "", [], source.strip(), False)
    lines = source.splitlines()
    docstring, statements, function, imports = "", [], "", []
    for index, node in enumerate(tree.body):
        if index == 0 and is_docstring(node):
            docstring = inspect.cleandoc(node.value.value)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(ast.unparse(node))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name and not function:
            function = _segment(lines, node)
        else:
            statements.append((_segment(lines, node), _bound_names(node)))
    return _Version(source, docstring, statements, function, True, tuple(imports))


def _merge_versions(parents: Sequence[Parent], function_name: str = "priority") -> tuple[str, list[str]]:
    """The module shown in a BEST_SHOT prompt, without its final header, and the function names used.

    Imports are taken once (their union); helper statements shared by several parents appear once; a
    helper name that two parents define differently is renamed ``{name}_v{i}`` in the later one.
    """
    imports: list[str] = ["import numpy as np"]
    shared: list[str] = []
    owner: dict[str, str] = {}
    blocks: list[str] = []
    names: list[str] = []
    for i, parent in enumerate(parents):
        name = f"{function_name}_v{i}"
        names.append(name)
        mapping = {function_name: name}
        while True:  # rename until no helper clashes with a different one of an earlier parent
            version = _split(rename_names(parent.source, mapping), name)
            clashes = {
                bound
                for text, bound_names in version.statements
                for bound in bound_names
                if bound in owner and owner[bound] != text and bound not in mapping
            }
            if not clashes:
                break
            mapping.update({bound: f"{bound}_v{i}" for bound in clashes})
        if not version.parsed:
            fallback = re.sub(rf"\bdef\s+{re.escape(function_name)}\s*\(", f"def {name}(", parent.source)
            blocks.append(f"# {name}: score {format_score(parent.score)}\n{fallback.strip()}")
            continue
        imports += [text for text in version.imports if text not in imports]
        for text, bound_names in version.statements:
            if text not in shared:
                shared.append(text)
                for bound in bound_names:
                    owner.setdefault(bound, text)
        comment = [f"# {name}: score {format_score(parent.score)}"]
        if version.docstring:
            comment += [f"# {line}".rstrip() for line in version.docstring.splitlines()]
        blocks.append("\n".join(comment) + "\n" + (version.function or f"def {name}(*args):\n    pass"))
    parts = ["\n".join(imports)] + ([_join_statements(shared)] if shared else []) + blocks
    return "\n\n\n".join(parts) + "\n", names


def _join_statements(texts: Sequence[str]) -> str:
    """Top-level statements as a module: two blank lines around functions and other multi-line
    statements, none between one-line statements."""
    out: list[str] = []
    previous_block = False
    for text in texts:
        block = "\n" in text or text.startswith(("def ", "async ", "@", "class ", "#"))
        if out:
            out.append("\n\n\n" if block or previous_block else "\n")
        out.append(text)
        previous_block = block
    return "".join(out)


# --- the prompt --------------------------------------------------------------------------------

_RULES = """\
You are an expert in algorithm design and numerical Python, taking part in an automated evolutionary \
search for better heuristics. Every program you write is run in a sandbox and scored; the best ones are \
shown again, with their scores, as starting points for further improvement.

Rules for every program:
- It defines a top-level function `priority({a}, {b})` that returns a 1-D numpy array with one finite \
float score per {unit} (a NaN or infinite score fails the evaluation).
- It uses only numpy (`import numpy as np`) and the math module: no other imports.
- No file, network or console I/O, no randomness (numpy.random is not available) and no state kept \
between calls: the same inputs always give the same scores.
- It does not modify its input arrays.
- It is called once per {called}, many thousands of times per evaluation under a time limit, so keep it \
fast: {fast}.
- The sandbox refuses classes, `global`, generators (`yield`), `async`, `with` blocks other than \
`with np.errstate(...)`, bare `except:`, `eval`, `exec`, `open`, `hash`, `id`, names starting with `__` \
and attributes starting with `_`.

How to answer: first explain your idea in a few sentences of plain text: what you change and why you \
expect it to score better. This explanation is stored with the program. Then give the code: """

_NUMBA = "vectorised numpy, or simple loops over arrays (numba compiles such code when it can)"
_FAST = {
    Contract.ALLOCATION: _NUMBA,
    Contract.BINPACKING: _NUMBA,
    Contract.VECTOR_BINPACKING: "vectorised numpy rather than Python loops",
}

_DIFF_FORMAT = """\
one or more SEARCH/REPLACE blocks that edit the current program, each in exactly this format:

<<<<<<< SEARCH
(lines copied exactly from the current program)
=======
(the lines to put in their place)
>>>>>>> REPLACE

- The SEARCH part must match whole lines of the current program exactly, indentation and comments \
included. Keep it short, but long enough to be unique: only its first match is replaced.
- Blocks are applied in order, each to the program as changed by the blocks before it.
- To insert code, copy a neighbouring line into SEARCH and repeat it in REPLACE with the new lines; to \
delete code, leave REPLACE empty.
- Do not repeat the whole program."""

_REWRITE_FORMAT = """\
the complete program in one ```python fence: the imports, any constants and helper functions, and \
`def priority({a}, {b})`. Give only one code block."""

_BEST_SHOT_FORMAT = """\
the function `priority_v{k}` in one ```python fence, together with any new helper functions or constants \
it uses (those shown above may be used as they are). Give only one code block."""


def build_prompt(
    mode: PromptMode,
    contract: Contract,
    parents: Sequence[Parent],
    instruction: str,
    *,
    failures: Sequence[str] = (),
) -> Prompt:
    """The prompt asking for a new program of ``contract`` from ``parents``.

    Args:
        mode: how to show the parents and what to ask for (see :class:`PromptMode`).
        contract: the programs' contract.
        parents: the programs to build on. DIFF and REWRITE edit ``parents[0]`` and show the others for
            inspiration; BEST_SHOT shows them all, sorted by score (worst first, no score lowest). Empty:
            the model is asked for a fresh program.
        instruction: what to aim for (one of :data:`DEFAULT_INSTRUCTIONS` or an evolved one).
        failures: one-line messages of recent failed attempts, shown so the model avoids them.
    """
    mode = PromptMode(mode)
    a, b, typed = _SIGNATURES[contract]
    unit, called = _UNIT[contract], _CALLED_FOR[contract]
    instruction = instruction.strip() or "Improve the program."
    sections = [
        ("The problem", contract_description(contract)),
        ("Scoring", score_description(contract)),
        ("Instruction", instruction),
    ]
    version: int | None = None
    parent_source: str | None = parents[0].source if parents else None
    if mode is PromptMode.BEST_SHOT:
        ordered = sorted(parents, key=_sort_key)
        version = len(ordered)
        code, names = _merge_versions(ordered) if ordered else ("import numpy as np\n", [])
        parent_source = code if ordered else None
        doc = f"Improved version of priority_v{version - 1}." if version else "A first heuristic."
        header = f'def priority_v{version}({typed}) -> np.ndarray:\n    """{doc}"""\n'
        if ordered:
            listing = ["The versions so far, from the worst score to the best, with their evaluation:"]
            for name, parent in zip(names, ordered, strict=True):
                listing.append(
                    f"- {name}: " + "; ".join(line[0].lower() + line[1:] for line in _feedback(parent))
                )
            text = "\n".join(listing) + "\n\n" + _fence(code + "\n\n" + header)
            sections.append(("Previous versions", text))
            request = (
                f"Write `priority_v{version}`, an improved version of priority_v{version - 1}, following "
                "the instruction. First explain your idea in a few sentences, then give the function in one "
                f"```python fence, starting with `def priority_v{version}({a}, {b}):`."
            )
        else:
            sections.append(("Code so far", _fence(code + "\n\n" + header)))
            request = (
                "Write `priority_v0`, a first heuristic for this problem, following the instruction. First "
                "explain your idea in a few sentences, then give the function in one ```python fence, "
                f"starting with `def priority_v0({a}, {b}):`."
            )
        answer_format = _BEST_SHOT_FORMAT.format(k=version)
    elif parents:
        current = parents[0]
        text = "\n".join(_feedback(current)) + "\n\n" + _fence(current.source)
        sections.append(("Current program", text))
        if len(parents) > 1:
            note = "Shown for ideas only"
            if mode is PromptMode.DIFF:
                note += "; your SEARCH blocks must match the current program above, not these"
            others = [note + "."]
            for index, other in enumerate(parents[1:], start=2):
                others.append(
                    f"### Program {index}\n\n" + "\n".join(_feedback(other)) + "\n\n" + _fence(other.source)
                )
            sections.append(("Other programs, for inspiration", "\n\n".join(others)))
        if mode is PromptMode.DIFF:
            answer_format = _DIFF_FORMAT
            request = (
                "Improve the current program by following the instruction. First explain your idea in a few "
                "sentences, then give SEARCH/REPLACE blocks that edit the current program."
            )
        else:
            answer_format = _REWRITE_FORMAT.format(a=a, b=b)
            request = (
                "Write an improved version of the current program by following the instruction. First "
                "explain your idea in a few sentences, then give the complete program in one ```python fence."
            )
    else:  # DIFF or REWRITE without a parent: ask for a fresh program
        answer_format = _REWRITE_FORMAT.format(a=a, b=b)
        request = (
            "There is no program yet: write a first one by following the instruction. First explain your "
            "idea in a few sentences, then give the complete program in one ```python fence."
        )
    lines = [_one_line(f) for f in failures if str(f).strip()]
    if lines:
        text = "These recent attempts failed; do not repeat their mistakes:\n" + "\n".join(
            f"- {f}" for f in lines
        )
        sections.append(("Recent failures", text))
    sections.append(("Your answer", request))
    system = _RULES.format(a=a, b=b, unit=unit, called=called, fast=_FAST[contract]) + answer_format
    user = "\n\n".join(f"## {title}\n\n{body}" for title, body in sections) + "\n"
    return Prompt(system + "\n", user, mode, version, parent_source)
