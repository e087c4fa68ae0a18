"""The language-model calls of an iteration, into the archive's ledger as soon as they are made."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from aurora_evo.archive import Archive, program_id


def store_calls(
    archive: Archive, run_id: str, iteration: int, callers: Iterable
) -> tuple[Counter, list[tuple[int, str]]]:
    """Store (and commit) the calls each of ``callers`` (mutators, the attacker's writer) made since the
    last time, so that a run killed before its iteration commits still counts them against its budgets
    and its keys' limits. Returns the counts of answers that gave no candidate (``llm.no_code``,
    ``llm.diff_not_applied``, failed calls), and (call row id, id its candidate will have) for the calls
    that gave one."""
    unusable: Counter = Counter()
    made_by: list[tuple[int, str]] = []
    for caller in callers:
        calls = caller.take_calls()
        ids = archive.ledger.add_llm_calls(run_id, iteration, [c.as_row() for c in calls])
        for call_id, call in zip(ids, calls, strict=True):
            if call.source is not None:
                made_by.append((call_id, program_id(run_id, call.source)))
            if call.purpose == "program" and call.outcome != "ok":
                unusable["llm." + call.outcome] += 1
    return unusable, made_by
