"""What the controller remembers of program text: sources by id, and every normal form seen, so that a
near-duplicate is refused before it costs an evaluation."""

from __future__ import annotations

from aurora_evo.archive import Archive, source_hash
from aurora_evo.island_model import Island, Member
from aurora_evo.program_text import code_novelty, normalise_source


class ProgramMemory:
    """Sources by program id (read from the archive once each), and the hashes of the normal forms of
    every program proposed or archived.

    Args:
        archive: where sources come from.
        duplicate_novelty: a candidate whose novelty against its island's members is below this is a
            near-duplicate (see :func:`~aurora_evo.program_text.code_novelty`).
    """

    def __init__(self, archive: Archive, duplicate_novelty: float):
        self._archive = archive
        self._duplicate_novelty = duplicate_novelty
        self._sources: dict[str, str] = {}
        self._known: set[str] = set()

    def source(self, program_id: str) -> str:
        if program_id not in self._sources:
            self._sources[program_id] = self._archive.programs.get(program_id).source
        return self._sources[program_id]

    def keep(self, program_id: str, source: str) -> None:
        """Remember an archived program's source."""
        self._sources[program_id] = source

    def remember(self, source: str) -> None:
        """Remember ``source``'s normal form: the same program again is a duplicate."""
        self._known.add(source_hash(normalise_source(source)))

    def is_new(self, source: str, island: Island) -> bool:
        """Neither seen before nor a near-duplicate of one of ``island``'s members."""
        if source_hash(normalise_source(source)) in self._known:
            return False
        others = [self.source(m.program_id) for m in island.members]
        return not others or code_novelty(source, others) >= self._duplicate_novelty

    def novelty(self, member: Member, island: Island) -> float:
        """How unlike ``island``'s other members ``member``'s program is, 0-1."""
        others = [self.source(m.program_id) for m in island.members if m.program_id != member.program_id]
        return code_novelty(self.source(member.program_id), others) if others else 1.0
