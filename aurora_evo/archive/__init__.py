"""The archive: every program a run produced, kept in one SQLite file, apart from the rules that use it.

* :mod:`~aurora_evo.archive.store`: :class:`Archive`, the storage (programs, lineage, evaluations,
  MAP-Elites cells, Elo ratings, island states, events, resumable state) and its record types.
* :mod:`~aurora_evo.archive.map_elites`: the MAP-Elites grid rules and program descriptors (pure); code
  size, normal form and novelty are :mod:`aurora_evo.program_text`'s.
* :mod:`~aurora_evo.archive.elo`: Elo ratings from head-to-head matches (pure); use it as a module,
  ``elo.play(...)``, since its function names are generic (:func:`match_results` is re-exported).
"""

from aurora_evo.archive import elo
from aurora_evo.archive.elo import INITIAL_RATING, match_results
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
from aurora_evo.archive.store import (
    SCHEMA_VERSION,
    SPLITS,
    Archive,
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
    "Event",
    "IslandState",
    "Match",
    "ProgramRecord",
    "Rating",
    "RunRecord",
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
