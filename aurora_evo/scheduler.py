"""A vetted program as a scheduler you can call: :func:`load_scheduler` and :class:`Scheduler`.

:func:`aurora_evo.features.task_vector` and :func:`~aurora_evo.features.node_matrix` build the arguments
of one decision from a scenario. Loading a scheduler needs none of the mutators (nor DEAP).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aurora_evo import features
from aurora_evo.contracts import Contract
from aurora_evo.errors import InputError, one_line
from aurora_evo.program_loading import CompiledProgram, compile_program
from aurora_evo.program_text import ProgramError, find_function, parse_source


@dataclass
class Scheduler:
    """A vetted program as a plain scheduler.

    It runs the program **in this process** (numba-compiled when possible): load only programs you
    trust, such as those this project exports after evaluating them in the sandbox. The object holds
    only the source, so it pickles small; the compiled function (``program_``) is rebuilt on demand.

    One decision of an allocation program, on a scenario's first task with every node empty::

        task = features.task_vector(scenario, 0)
        node = scheduler.place(task, features.node_matrix(scenario, task))

    Attributes:
        source: the program text.
        contract: its calling convention.
        name: a label, e.g. the file name.
        origin: where the source came from (the path given to :func:`load_scheduler`), or ``""``.
    """

    source: str
    contract: Contract
    name: str = "program"
    origin: str = ""
    program_: CompiledProgram | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        """``Scheduler('programs/cloud.py', allocation)``: where it came from, never the whole source."""
        return f"{type(self).__name__}({self.origin or self.name!r}, {self.contract.value})"

    def __getstate__(self) -> dict:
        return {"source": self.source, "contract": self.contract, "name": self.name, "origin": self.origin,
                "program_": None}  # fmt: skip

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update({"origin": "", **state})  # pickles made before ``origin`` existed

    @property
    def compiled(self) -> CompiledProgram:
        if self.program_ is None:
            self.program_ = compile_program(self.source, self.contract)
        return self.program_

    def scores(self, first, second) -> np.ndarray:
        """The program's raw scores: ``(task, nodes)`` or ``(item, bins)``."""
        return np.asarray(self.compiled.python(first, second), dtype=np.float64)

    def place(self, task: np.ndarray, nodes: np.ndarray) -> int:
        """The node a task goes to: the highest score among nodes it fits on (``N_FITS``); -1 if none.

        ``task``: ``(TASK_FEATURES,)`` and ``nodes``: ``(n_nodes, NODE_FEATURES)`` float arrays, as
        :func:`aurora_evo.features.task_vector` and :func:`~aurora_evo.features.node_matrix` build them.
        Ties go to the lowest index, as in the simulator."""
        fitting = np.flatnonzero(np.asarray(nodes)[:, features.N_FITS] > 0.5)
        if fitting.size == 0:
            return -1
        return int(fitting[np.argmax(self.scores(task, nodes)[fitting])])

    def run(self, scenario):
        """Simulate a scenario (allocation programs); returns :class:`aurora_evo.sim.SimResult`."""
        from aurora_evo.sim import simulate  # heavy: numba, for allocation programs only

        return simulate(scenario, self.compiled)

    def pack(self, items, capacity: float):
        """Pack items online (bin-packing programs); a :class:`~aurora_evo.domains.binpacking.PackResult`."""
        from aurora_evo.domains.binpacking import Instance, pack  # heavy: numba, for bin packing only

        return pack(self.compiled, Instance(self.name, float(capacity), np.asarray(items, dtype=np.float64)))


def load_scheduler(path: str | Path, contract: Contract | None = None) -> Scheduler:
    """A :class:`Scheduler` from a program file; the contract is read from the ``priority`` arguments
    when not given (``item, bins``: bin packing; otherwise allocation).

    The program runs in this process: load only vetted programs. A file that cannot be read, does not
    parse or has no ``priority(a, b)`` raises :class:`aurora_evo.errors.InputError` (one line).
    """
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
        tree = parse_source(source)
    except ProgramError as exc:
        raise InputError(f"{path}: cannot load a program ({one_line(exc.parser_error)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot load a program ({one_line(exc)})") from None
    function = find_function(tree)
    if function is None or len(function.args.args) != 2:
        raise InputError(f"{path}: no function priority(task, nodes) or priority(item, bins)")
    if contract is None:
        first = function.args.args[0].arg
        contract = Contract.BINPACKING if first == "item" else Contract.ALLOCATION
    return Scheduler(source, contract, path.stem, origin=str(path))
