"""Bin-packing instances and datasets, and the loaders of the three file formats.

Formats:

* OR-Library text (``binpack1..4.txt``): whitespace-separated tokens ``P``, then per problem
  ``name``, ``capacity n best`` and ``n`` items (:func:`load_orlib`);
* FunSearch JSON: ``{name: {"capacity": c, "num_items": n, "items": [...]}}`` (:func:`load_funsearch_json`);
* vector bin packing ``.vbp`` (VPSolver): ``d``, ``d`` capacities, ``m``, then ``m`` rows
  ``w_1 ... w_d q`` where ``q`` is the row's multiplicity (:func:`load_vbp`).

Every malformed file raises :class:`DatasetError` with a one-line message naming the file, the place
and the rule broken. Items keep their file order: packing is online.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import numpy as np

from aurora_evo import textfiles
from aurora_evo.errors import InputError

__all__ = [
    "Dataset",
    "DatasetError",
    "Instance",
    "VectorInstance",
    "builtin_dataset_path",
    "builtin_datasets",
    "load_dataset",
    "load_funsearch_json",
    "load_orlib",
    "load_vbp",
]

#: Shipped files, by the name :func:`builtin_dataset_path` accepts.
_BUILTIN_FILES = MappingProxyType(
    {"OR3": "or3.json", "Weibull 5k": "weibull_5k.json", "binpack3": "binpack3.txt"}
)
#: A ``.vbp`` row's multiplicity expands in memory; more items than this is taken as a corrupt file.
MAX_VBP_ITEMS = 10_000_000
_FUNSEARCH_SOURCE = "google-deepmind/funsearch@cc53f274 bin_packing.ipynb (data/{})"


class DatasetError(InputError):
    """A dataset file is missing or malformed; the message is one line naming file, place and rule."""


@dataclass(frozen=True, eq=False)
class Instance:
    """One online bin-packing instance.

    Attributes:
        name: instance name (e.g. ``u500_00``).
        capacity: capacity of every bin, > 0.
        items: item sizes, shape ``(n,)`` float64, each in ``(0, capacity]``, in arrival order;
            stored as a read-only copy.

    Raises:
        ValueError: a rule above is broken (the message names the instance and the item).
    """

    name: str
    capacity: float
    items: np.ndarray

    def __post_init__(self) -> None:
        capacity = _positive_float(self.capacity, f"instance {self.name}: capacity")
        items = _float_array(self.items, 1, f"instance {self.name}: items")
        for index, rule in _bad_items(items, np.float64(capacity)):
            raise ValueError(f"instance {self.name}: item {index} is {items[index]:g}, {rule}")
        object.__setattr__(self, "capacity", capacity)
        object.__setattr__(self, "items", items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instance):
            return NotImplemented
        return (self.name, self.capacity) == (other.name, other.capacity) and np.array_equal(
            self.items, other.items
        )

    def __hash__(self) -> int:
        return hash((self.name, self.capacity, self.items.tobytes()))


@dataclass(frozen=True, eq=False)
class VectorInstance:
    """One online vector bin-packing instance (``d`` resources per bin).

    Attributes:
        name: instance name.
        capacities: capacity of every bin per dimension, shape ``(d,)`` float64, each > 0.
        items: item demands, shape ``(m, d)`` float64 in arrival order; each demand in
            ``[0, capacities[j]]`` and every item positive in at least one dimension.

    Raises:
        ValueError: a rule above is broken.
    """

    name: str
    capacities: np.ndarray
    items: np.ndarray

    def __post_init__(self) -> None:
        capacities = _float_array(self.capacities, 1, f"instance {self.name}: capacities")
        if not (np.isfinite(capacities).all() and (capacities > 0).all()):
            raise ValueError(f"instance {self.name}: capacities must be positive finite numbers")
        items = _float_array(self.items, 2, f"instance {self.name}: items")
        if items.shape[1] != capacities.shape[0]:
            raise ValueError(
                f"instance {self.name}: items have {items.shape[1]} dimensions, "
                f"capacities {capacities.shape[0]}"
            )
        rules = (
            (~np.isfinite(items).all(axis=1), "demands must be finite"),
            ((items < 0).any(axis=1), "demands must be non-negative"),
            ((items > capacities).any(axis=1), "a demand exceeds its capacity"),
            (~(items > 0).any(axis=1), "an item needs a positive demand in some dimension"),
        )
        for broken, rule in rules:
            if broken.any():
                index = int(np.flatnonzero(broken)[0])
                raise ValueError(f"instance {self.name}: item {index} is {items[index].tolist()}, {rule}")
        object.__setattr__(self, "capacities", capacities)
        object.__setattr__(self, "items", items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VectorInstance):
            return NotImplemented
        return (
            self.name == other.name
            and np.array_equal(self.capacities, other.capacities)
            and np.array_equal(self.items, other.items)
        )

    def __hash__(self) -> int:
        return hash((self.name, self.capacities.tobytes(), self.items.tobytes()))


@dataclass(frozen=True)
class Dataset:
    """A named set of instances evaluated together (the metric averages over them).

    Attributes:
        name: dataset name (``"OR3"``, ``"Weibull 5k"``...).
        instances: at least one instance, names unique.
        source: where the data came from (a path, a repository and commit, or a generator call).
        score_items: when set, a run scores programs on this dataset by the excess expected on instances
            of this many items rather than the excess measured (see
            :func:`~aurora_evo.domains.binpacking.evaluate.extrapolated_excess`); one-dimensional
            instances only. Reports and benchmarks always give the excess measured.
    """

    name: str
    instances: tuple[Instance | VectorInstance, ...]
    source: str
    score_items: int | None = None

    def __post_init__(self) -> None:
        instances = tuple(self.instances)
        if not instances:
            raise ValueError(f"dataset {self.name}: has no instances")
        names = [instance.name for instance in instances]
        if len(set(names)) != len(names):
            duplicate = next(name for name in names if names.count(name) > 1)
            raise ValueError(f"dataset {self.name}: instance name {duplicate!r} appears twice")
        vector = isinstance(instances[0], VectorInstance)
        if self.score_items is not None and (self.score_items < 1 or vector):
            raise ValueError(f"dataset {self.name}: score_items needs one-dimensional instances and >= 1")
        object.__setattr__(self, "instances", instances)


# --- loaders -------------------------------------------------------------------------------------


def load_dataset(path: str | Path, name: str | None = None) -> Dataset:
    """Load a dataset file, choosing the format from the extension (``.json``, ``.vbp``) or content.

    Files with another extension are read as FunSearch JSON when they start with ``{``, else as
    OR-Library text. ``name`` defaults to the file's stem.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return load_funsearch_json(path, name)
    if suffix == ".vbp":
        return load_vbp(path, name)
    if _read_text(path).lstrip().startswith("{"):
        return load_funsearch_json(path, name)
    return load_orlib(path, name)


def load_funsearch_json(path: str | Path, name: str | None = None) -> Dataset:
    """Load FunSearch's JSON format ``{name: {"capacity", "num_items", "items"}}``."""
    path = Path(path)
    data = textfiles.read_json(path, DatasetError)
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: top level is {_kind(data)}, it must be an object of instances")
    if not data:
        raise DatasetError(f"{path}: has no instances")
    instances = []
    for instance_name, record in data.items():
        where = f"{path}: instance {instance_name}"
        if not isinstance(record, dict):
            raise DatasetError(f"{where}: value is {_kind(record)}, it must be an object")
        for key in ("capacity", "num_items", "items"):
            if key not in record:
                raise DatasetError(f"{where}: field {key!r} is missing")
        capacity, num_items, items = record["capacity"], record["num_items"], record["items"]
        if not _is_number(capacity):
            raise DatasetError(f"{where}: capacity is {_kind(capacity)}, it must be a number")
        if not isinstance(num_items, int) or isinstance(num_items, bool):
            raise DatasetError(f"{where}: num_items is {_kind(num_items)}, it must be an integer")
        if not isinstance(items, list):
            raise DatasetError(f"{where}: items is {_kind(items)}, it must be a list of numbers")
        for index, item in enumerate(items):
            if not _is_number(item):
                raise DatasetError(f"{where}: item {index} is {_kind(item)}, items must be numbers")
        if num_items != len(items):
            raise DatasetError(f"{where}: num_items is {num_items} but items has {len(items)} entries")
        instances.append(_instance(path, instance_name, capacity, items))
    return _dataset(path, name, instances)


def load_orlib(path: str | Path, name: str | None = None) -> Dataset:
    """Load the OR-Library text format: ``P``, then per problem ``name``, ``capacity n best``, items.

    The ``best`` field (bins in the best known solution) is checked to be an integer and not kept.
    """
    path = Path(path)
    tokens = _Tokens(path, _read_text(path))
    count = tokens.integer("the number of problems", minimum=1)
    instances = []
    for problem in range(count):
        instance_name = tokens.next(f"the name of problem {problem + 1}")[1]
        capacity = tokens.number(f"the capacity of problem {instance_name}")
        n_items = tokens.integer(f"the item count of problem {instance_name}", minimum=1)
        tokens.integer(f"the best known bin count of problem {instance_name}", minimum=0)
        items = [
            tokens.number(f"item {i} of problem {instance_name} ({n_items} announced)")
            for i in range(n_items)
        ]
        instances.append(_instance(path, instance_name, capacity, items))
    tokens.expect_end(f"after the last of the {count} announced problems")
    return _dataset(path, name, instances)


def load_vbp(path: str | Path, name: str | None = None) -> Dataset:
    """Load a vector bin-packing ``.vbp`` file as a dataset of one :class:`VectorInstance`.

    Format: ``d``; ``d`` capacities; ``m``; ``m`` rows ``w_1 ... w_d q``. Row ``i`` becomes ``q``
    consecutive items, so items keep the file's order.
    """
    path = Path(path)
    tokens = _Tokens(path, _read_text(path))
    d = tokens.integer("the number of dimensions", minimum=1)
    capacities = [tokens.number(f"capacity {j} of {d}") for j in range(d)]
    m = tokens.integer("the number of item types", minimum=1)
    rows: list[list[float]] = []
    for i in range(m):
        demand = [tokens.number(f"demand {j} of item type {i}") for j in range(d)]
        what = f"the multiplicity of item type {i}"
        rows += [demand] * tokens.integer(what, minimum=1, maximum=MAX_VBP_ITEMS - len(rows))
    tokens.expect_end(f"after the last of the {m} announced item types")
    try:
        instance = VectorInstance(path.stem, np.array(capacities), np.array(rows).reshape(-1, d))
    except ValueError as exc:
        raise DatasetError(f"{path}: {exc}") from None
    return _dataset(path, name, [instance])


# --- shipped data --------------------------------------------------------------------------------


def builtin_dataset_path(name: str) -> Path:
    """Path of a shipped data file: ``"OR3"``, ``"Weibull 5k"`` (FunSearch JSON) or ``"binpack3"``.

    Works from a source tree and from an installed wheel (not from a zipped install).
    """
    if name not in _BUILTIN_FILES:
        raise DatasetError(f"unknown built-in dataset {name!r}; choose one of {', '.join(_BUILTIN_FILES)}")
    resource = resources.files(__package__).joinpath("data", _BUILTIN_FILES[name])
    return Path(str(resource))


def builtin_datasets() -> dict[str, Dataset]:
    """FunSearch's datasets ``{"OR3": ..., "Weibull 5k": ...}`` (20 x 500 and 5 x 5000 items)."""
    datasets = {}
    for name in ("OR3", "Weibull 5k"):
        loaded = load_funsearch_json(builtin_dataset_path(name), name)
        datasets[name] = Dataset(name, loaded.instances, _FUNSEARCH_SOURCE.format(_BUILTIN_FILES[name]))
    return datasets


# --- helpers -------------------------------------------------------------------------------------


class _Tokens:
    """Whitespace tokens of a text file with their line numbers, read front to back."""

    def __init__(self, path: Path, text: str) -> None:
        self._path = path
        self._tokens: Iterator[tuple[int, str]] = (
            (lineno, token) for lineno, line in enumerate(text.splitlines(), 1) for token in line.split()
        )
        self._lineno = 0

    def next(self, what: str) -> tuple[int, str]:
        token = next(self._tokens, None)
        if token is None:
            if not self._lineno:
                raise DatasetError(f"{self._path}: file is empty, expected {what}")
            raise self._error(self._lineno, f"file ends before {what} (truncated?)")
        self._lineno = token[0]
        return token

    def number(self, what: str) -> float:
        lineno, token = self.next(what)
        try:
            value = float(token)
        except ValueError:
            raise self._error(lineno, f"{what} is {token[:30]!r}, not a number") from None
        if not math.isfinite(value):
            raise self._error(lineno, f"{what} is {token!r}, it must be finite")
        return value

    def integer(self, what: str, minimum: int, maximum: int | None = None) -> int:
        lineno, token = self.next(what)
        try:
            value = int(token)
        except ValueError:
            raise self._error(lineno, f"{what} is {token[:30]!r}, not an integer") from None
        if value < minimum:
            raise self._error(lineno, f"{what} is {value}, it must be >= {minimum}")
        if maximum is not None and value > maximum:
            raise self._error(lineno, f"{what} is {value}, more than the {maximum} allowed")
        return value

    def _error(self, lineno: int, rule: str) -> DatasetError:
        return DatasetError(f"{self._path}: line {lineno}: {rule}")

    def expect_end(self, where: str) -> None:
        token = next(self._tokens, None)
        if token is not None:
            raise self._error(token[0], f"unexpected data {token[1][:30]!r} {where}")


def _read_text(path: Path) -> str:
    return textfiles.read_text(path, DatasetError)


def _instance(path: Path, name: str, capacity: float, items: list) -> Instance:
    try:
        return Instance(name, capacity, np.array(items, dtype=np.float64))
    except ValueError as exc:
        raise DatasetError(f"{path}: {exc}") from None


def _dataset(path: Path, name: str | None, instances: list) -> Dataset:
    try:
        return Dataset(name or path.stem, tuple(instances), str(path))
    except ValueError as exc:
        raise DatasetError(f"{path}: {exc}") from None


def _positive_float(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} is {_kind(value)}, it must be a number") from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{what} is {number:g}, it must be a positive finite number")
    return number


def _float_array(values: object, ndim: int, what: str) -> np.ndarray:
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{what} must be an array of real numbers") from None
    if array.ndim != ndim or array.shape[0] == 0:
        raise ValueError(f"{what} has shape {array.shape}, it must be {ndim}-D and non-empty")
    array.setflags(write=False)
    return array


def _bad_items(items: np.ndarray, capacity: np.float64) -> Iterator[tuple[int, str]]:
    """The first broken rule among the items, as ``(index, rule)`` (nothing when all are valid)."""
    rules = (
        (~np.isfinite(items), "items must be finite"),
        (items <= 0, "items must be positive"),
        (items > capacity, f"larger than the capacity {capacity:g}"),
    )
    for broken, rule in rules:
        if broken.any():
            yield int(np.flatnonzero(broken)[0]), rule
            return


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: object) -> str:
    if isinstance(value, str):
        return repr(value[:30])
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return {dict: "an object", list: "a list"}.get(type(value), repr(value)[:30])
