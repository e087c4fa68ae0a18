"""MAP-Elites rules and program descriptors: pure functions, no I/O.

A MAP-Elites archive is a grid over behaviour descriptors; each cell keeps its best program (its elite).
The grid itself is stored by :class:`~aurora_evo.archive.elites.Elites` as ``{cell index: (program id,
score)}``; this module decides which cell a program falls in (:func:`cell_of`), whether it takes the cell
(:func:`consider`), and summarises a grid (:func:`coverage`, :func:`qd_score`).

It also measures programs: descriptor values (:data:`DESCRIPTORS`) and FunSearch's behaviour signature
(programs with the same score vector form one cluster); code size and novelty are
:mod:`aurora_evo.program_text`'s.

Pseudocode of one insertion::

    values = descriptor_values(names, source, per_case_scores)
    cell = cell_of(values, descriptors)
    status = consider(cells.get(cell), score)
    if status.added: archive.elites.set_cell(run_id, cell, program_id, score, iteration)

(:meth:`~aurora_evo.archive.elites.Elites.offer` does the last two lines.)
"""

from __future__ import annotations

import ast
import enum
import math
import types
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from aurora_evo.program_text import code_complexity, parse_source

# --- the grid ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Descriptor:
    """One axis of the grid: values from ``low`` to ``high`` cut into ``bins`` equal bins (equal in
    log space with ``log``); values outside the range go to the first or last bin.

    Attributes:
        name: what it measures, e.g. ``"complexity"``.
        low, high: the range covered, in the descriptor's own unit; ``low < high`` (``0 < low`` with
            ``log``).
        bins: number of bins, at least 1.
        log: space the bins geometrically, for measures spanning orders of magnitude.
        unit: the unit of its values, for people (e.g. ``"syntax-tree nodes"``).
    """

    name: str
    low: float
    high: float
    bins: int
    log: bool = False
    unit: str = ""

    def __post_init__(self):
        if not self.bins >= 1:
            raise ValueError(f"descriptor {self.name!r}: bins={self.bins}; use at least 1")
        if not self.low < self.high:
            raise ValueError(f"descriptor {self.name!r}: low={self.low} is not below high={self.high}")
        if self.log and not self.low > 0:
            raise ValueError(f"descriptor {self.name!r}: log bins need low > 0, got {self.low}")

    def bin_of(self, value: float) -> int:
        """The bin (0 to ``bins - 1``) of a value, clipped into the range. Raises ``ValueError`` on NaN."""
        if math.isnan(value):
            raise ValueError(f"descriptor {self.name!r}: value is NaN")
        if value <= self.low:
            return 0
        if value >= self.high:
            return self.bins - 1
        if self.log:
            value, low, high = math.log(value), math.log(self.low), math.log(self.high)
        else:
            low, high = self.low, self.high
        return min(int((value - low) / (high - low) * self.bins), self.bins - 1)

    def edges(self) -> list[float]:
        """The ``bins + 1`` bin boundaries, from ``low`` to ``high`` (geometric with ``log``)."""
        if self.log:
            ratio = self.high / self.low
            return [self.low * ratio ** (i / self.bins) for i in range(self.bins + 1)]
        return [self.low + (self.high - self.low) * i / self.bins for i in range(self.bins + 1)]


def cell_of(values: Sequence[float], descriptors: Sequence[Descriptor]) -> tuple[int, ...]:
    """The grid cell of descriptor values, one bin index per descriptor (same order)."""
    if len(values) != len(descriptors):
        raise ValueError(f"{len(values)} descriptor values for {len(descriptors)} descriptors")
    return tuple(d.bin_of(float(v)) for v, d in zip(values, descriptors, strict=True))


class AddStatus(enum.Enum):
    """What :func:`consider` decided for a candidate (after pyribs' ``AddStatus``)."""

    NOT_ADDED = "not_added"  #: the cell's elite is at least as good, or the candidate has no score
    IMPROVE = "improve"  #: the candidate beats the cell's elite and replaces it
    NEW = "new"  #: the cell was empty

    @property
    def added(self) -> bool:
        return self is not AddStatus.NOT_ADDED


def consider(current: tuple[str, float] | None, candidate_score: float | None) -> AddStatus:
    """Whether a candidate with ``candidate_score`` (higher is better) takes a cell whose elite is
    ``current`` = (program id, score), or ``None`` when the cell is empty. Ties keep the elite, so the
    grid does not churn between equal programs; a missing or NaN score never enters."""
    if candidate_score is None or math.isnan(candidate_score):
        return AddStatus.NOT_ADDED
    if current is None:
        return AddStatus.NEW
    return AddStatus.IMPROVE if candidate_score > current[1] else AddStatus.NOT_ADDED


def coverage(cells: Mapping[tuple[int, ...], object], descriptors: Sequence[Descriptor]) -> float:
    """Share of the grid's cells holding an elite, in [0, 1]."""
    return len(cells) / math.prod(d.bins for d in descriptors)


def qd_score(cells: Mapping[tuple[int, ...], tuple[str, float]], offset: float = 0.0) -> float:
    """Sum over filled cells of (elite score - ``offset``); pick ``offset`` at or below the worst
    possible score, so that filling a cell never lowers the sum."""
    return math.fsum(score - offset for _, score in cells.values())


# --- descriptor values -------------------------------------------------------------------------------


def specialisation(per_case_scores: Mapping[str, float]) -> float:
    """Coefficient of variation of the per-case scores, std / (|mean| + 1e-9), unitless, >= 0: 0 for a
    program equally good everywhere, large for one that excels on some cases only. 0 with fewer than
    two cases.

    Within one run it mostly measures how the cases differ in difficulty, which is the same for every
    program: in a default cloud run (rewards of 0.67-0.90 over ten seed scenarios) every program has
    0.05-0.09, one bin of its default axis. :func:`nonlinearity` spreads programs instead."""
    scores = [float(s) for s in per_case_scores.values() if s is not None]
    if len(scores) < 2:
        return 0.0
    mean = math.fsum(scores) / len(scores)
    std = math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / len(scores))
    return std / (abs(mean) + 1e-9)


#: Calls whose value is piecewise (``maximum``, ``where``, ``sign``...) or curved (``exp``, ``log1p``...).
_NONLINEAR_CALLS = frozenset(
    {"abs", "absolute", "fabs", "sign", "maximum", "minimum", "fmax", "fmin", "max", "min", "amax", "amin",
     "clip", "where", "select", "piecewise", "heaviside", "floor", "ceil", "round", "rint", "trunc",
     "argmax", "argmin", "argsort", "sort", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10",
     "sqrt", "cbrt", "square", "power", "tanh", "sinh", "cosh", "sin", "cos", "tan", "arctan",
     "arctan2", "reciprocal", "isclose", "logical_and", "logical_or", "logical_not"}
)  # fmt: skip
#: Calls that build or measure arrays rather than transform values: not counted as operations.
_NEUTRAL_CALLS = frozenset(
    {"float", "int", "len", "copy", "zeros", "ones", "full", "zeros_like", "ones_like", "full_like",
     "empty", "empty_like", "asarray", "array", "astype", "ascontiguousarray", "arange", "range"}
)  # fmt: skip
#: Largest constant ``c`` in ``np.maximum(x, c)`` read as a guard against dividing by zero.
_GUARD_EPS = 1e-6


def _call_name(node: ast.AST) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _tiny_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
        and 0 < abs(node.value) <= _GUARD_EPS
    )


def _division_guards(tree: ast.AST) -> set[int]:
    """``id()`` of the calls that only keep a division finite: ``np.maximum(x, eps)`` with a tiny
    constant, the ``np.abs`` inside it and, in genetic programming's ``a * np.sign(b) /
    np.maximum(np.abs(b), eps)``, the ``np.sign``."""
    guards: set[int] = set()
    for node in ast.walk(tree):
        if _call_name(node) == "maximum" and len(node.args) == 2 and any(map(_tiny_constant, node.args)):
            guards.add(id(node))
            guarded = next(a for a in node.args if not _tiny_constant(a))
            if _call_name(guarded) in ("abs", "absolute"):
                guards.add(id(guarded))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Div)
            and id(node.right) in guards
            and isinstance(node.left, ast.BinOp)
            and isinstance(node.left.op, ast.Mult)
            and _call_name(node.left.right) == "sign"
        ):
            guards.add(id(node.left.right))
    return guards


def _operation(node: ast.AST, guards: set[int]) -> str | None:
    """``"nonlinear"``, ``"linear"`` or ``None`` (not an operation) for one AST node."""
    if isinstance(node, ast.Compare | ast.IfExp | ast.If | ast.BoolOp):
        return "nonlinear"
    if isinstance(node, ast.BinOp):
        return "nonlinear" if isinstance(node.op, ast.Pow | ast.Mod | ast.FloorDiv) else "linear"
    if isinstance(node, ast.UnaryOp):
        return "linear"
    name = _call_name(node)
    if name is None or id(node) in guards or name in _NEUTRAL_CALLS:
        return None
    return "nonlinear" if name in _NONLINEAR_CALLS else "linear"


def nonlinearity(source: str) -> float:
    """Share of the operations in a program's functions that are not plain arithmetic, in [0, 1]
    (unitless): comparisons, conditionals (``if``, ``x if c else y``, ``np.where``), piecewise calls
    (``np.maximum``, ``abs``, ``np.sign``...), curved ones (``np.exp``, ``np.log1p``, ``np.sqrt``,
    powers), against those plus ``+ - * /``, unary minus and other calls.

    A guard against division by zero (``np.maximum(x, 1e-9)``, and genetic programming's ``a *
    np.sign(b) / np.maximum(np.abs(b), 1e-9)``) counts as the division alone; building arrays
    (``np.zeros``, ``float``, ``.copy()``...) counts as nothing. 0 for a weighting of features such as
    best fit (and for a program with no operation, such as first fit), 1 for a program made only of
    rules; it does not grow with size, so it spreads programs of every complexity. Module-level
    code (feature constants) is not counted. Raises :class:`~aurora_evo.program_text.ProgramError` on
    source that does not parse."""
    tree = parse_source(source)
    guards = _division_guards(tree)
    counts = Counter()
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
        for node in ast.walk(function):
            kind = _operation(node, guards)
            if kind is not None:
                counts[kind] += 1
    total = counts["linear"] + counts["nonlinear"]
    return counts["nonlinear"] / total if total else 0.0


@dataclass(frozen=True)
class DescriptorFunction:
    """A named descriptor a config can ask for: ``value(source, per_case_scores)`` computes it, and
    ``default`` is its default axis."""

    value: Callable[[str, Mapping[str, float]], float]
    default: Descriptor


#: Built-in descriptors by name (read-only).
DESCRIPTORS: Mapping[str, DescriptorFunction] = types.MappingProxyType(
    {
        # Seeds have ~30-150 AST nodes; evolved programs rarely pass a few thousand.
        "complexity": DescriptorFunction(
            lambda source, _scores: code_complexity(source),
            Descriptor("complexity", 20.0, 2000.0, 10, log=True, unit="syntax-tree nodes"),
        ),
        "specialisation": DescriptorFunction(
            lambda _source, scores: specialisation(scores),
            Descriptor("specialisation", 1e-3, 10.0, 10, log=True, unit="std / |mean| of per-case scores"),
        ),
        "nonlinearity": DescriptorFunction(
            lambda source, _scores: nonlinearity(source),
            Descriptor("nonlinearity", 0.0, 1.0, 10, unit="share of operations"),
        ),
    }
)


def _lookup(name: str) -> DescriptorFunction:
    try:
        return DESCRIPTORS[name]
    except KeyError:
        raise KeyError(f"unknown descriptor {name!r}; use one of {', '.join(sorted(DESCRIPTORS))}") from None


def default_descriptors(names: Sequence[str], bins: Sequence[int] | None = None) -> tuple[Descriptor, ...]:
    """The default axes of the named built-in descriptors, with their default number of bins or the
    given ones (one per name)."""
    axes = tuple(_lookup(name).default for name in names)
    if bins is None:
        return axes
    if len(bins) != len(axes):
        raise ValueError(f"{len(bins)} bin counts for {len(axes)} descriptors; give one per descriptor")
    return tuple(replace(axis, bins=int(n)) for axis, n in zip(axes, bins, strict=True))


def descriptor_values(
    names: Sequence[str], source: str, per_case_scores: Mapping[str, float]
) -> tuple[float, ...]:
    """The values of the named built-in descriptors for one program."""
    return tuple(_lookup(name).value(source, per_case_scores) for name in names)


def behaviour_signature(per_case_scores: Mapping[str, float], decimals: int = 6) -> tuple:
    """A hashable signature of a program's behaviour: its scores rounded to ``decimals``, in case-name
    order (FunSearch clusters programs by this). Missing or NaN scores become ``None``."""
    return tuple(
        None if s is None or math.isnan(s) else round(float(s), decimals) + 0.0
        for _, s in sorted(per_case_scores.items())
    )
