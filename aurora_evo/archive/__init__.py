"""The archive: every program a run produced, kept in one SQLite file, apart from the rules that use it.

* :mod:`~aurora_evo.archive.database`: :class:`Archive`, the file: one connection and one transaction
  shared by its parts, ``archive.runs``, ``archive.programs`` (programs, lineage, evaluations),
  ``archive.elites`` (MAP-Elites cells, Elo ratings) and ``archive.ledger`` (islands, events, resumable
  state, LLM calls, instructions, attacker scenarios, quality checks), each in its own module
  (:mod:`~aurora_evo.archive.runs`, :mod:`~aurora_evo.archive.programs`,
  :mod:`~aurora_evo.archive.elites`, :mod:`~aurora_evo.archive.ledger`) with its tables.
* :mod:`~aurora_evo.archive.records`: the row types the parts take and return, and program ids.
* :mod:`~aurora_evo.archive.map_elites`: the MAP-Elites grid rules and program descriptors (pure); code
  size, normal form and novelty are :mod:`aurora_evo.program_text`'s.
* :mod:`~aurora_evo.archive.elo`: Elo ratings from head-to-head matches (pure); use it as a module,
  ``elo.play(...)``, since its function names are generic (:func:`match_results` is re-exported).
"""

from aurora_evo.archive import elo
from aurora_evo.archive.database import SCHEMA_VERSION, Archive
from aurora_evo.archive.elites import Elites
from aurora_evo.archive.elo import INITIAL_RATING, match_results
from aurora_evo.archive.ledger import Ledger
from aurora_evo.archive.map_elites import (
    DESCRIPTORS,
    AddStatus,
    Descriptor,
    DescriptorFunction,
    behaviour_signature,
    cell_of,
    consider,
    coverage,
    default_descriptors,
    descriptor_values,
    nonlinearity,
    qd_score,
    specialisation,
)
from aurora_evo.archive.programs import ProgramStore
from aurora_evo.archive.records import (
    SPLITS,
    CellChange,
    Event,
    IslandState,
    Match,
    ProgramRecord,
    Rating,
    RunRecord,
    program_id,
    source_hash,
)
from aurora_evo.archive.runs import RunRegistry

__all__ = [
    "DESCRIPTORS",
    "INITIAL_RATING",
    "SCHEMA_VERSION",
    "SPLITS",
    "AddStatus",
    "Archive",
    "CellChange",
    "Descriptor",
    "DescriptorFunction",
    "Elites",
    "Event",
    "IslandState",
    "Ledger",
    "Match",
    "ProgramRecord",
    "ProgramStore",
    "Rating",
    "RunRecord",
    "RunRegistry",
    "behaviour_signature",
    "cell_of",
    "consider",
    "coverage",
    "default_descriptors",
    "descriptor_values",
    "elo",
    "match_results",
    "nonlinearity",
    "program_id",
    "qd_score",
    "source_hash",
    "specialisation",
]
