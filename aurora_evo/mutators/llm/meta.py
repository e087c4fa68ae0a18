"""Meta-prompt evolution: the instructions in the prompt form a population of their own.

An instruction's fitness is the share of its children that improve on their parents (a child counts
once it has been judged: evaluated, or refused as unusable or as a duplicate). Each prompt samples an
instruction by Thompson sampling over Beta(improved + 1, failed + 1), so a new instruction gets tried
and a proven one is used most. Every ``interval`` judged children the population takes one step: when
it is full, the worst instruction with enough trials retires; a new one is written, by the language
model from the population's statistics (AlphaEvolve's meta-prompt), or, when that call fails, by
recombining the sentences of two good instructions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np


def instruction_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Instruction:
    """One instruction and its record.

    Attributes:
        id: a hash of its text.
        text: what the prompt tells the model to do.
        parent_ids: the instructions it was made from (empty for a seed).
        origin: ``seed``, ``llm`` (written by the model) or ``recombined``.
        born: the iteration it was made in.
        children: programs proposed under it that have been judged.
        improved: how many of them scored higher than their best parent.
        retired: it no longer takes part (kept for the record).
    """

    id: str
    text: str
    parent_ids: tuple[str, ...] = ()
    origin: str = "seed"
    born: int = 0
    children: int = 0
    improved: int = 0
    retired: bool = False

    @property
    def fitness(self) -> float | None:
        """The share of its children that improved on their parents (``None`` before any)."""
        return self.improved / self.children if self.children else None


META_SYSTEM = (
    "You improve the instructions given to a model that edits Python scheduling heuristics. Reply with "
    "one new instruction of one to three sentences between <instruction> and </instruction>, and nothing "
    "else inside the tags."
)


#: Instructions shown in a meta prompt at most (the best ones).
META_SHOWN = 12


def meta_prompt(instructions: Sequence[Instruction]) -> str:
    """The request for a new instruction: the instructions so far (retired ones included, they show
    what did not work) with their success rates, best first."""
    ranked = sorted(instructions, key=lambda i: (-(i.fitness or 0.0), -i.children, i.id))[:META_SHOWN]
    lines = [
        "Each instruction below was added to prompts asking for an improved heuristic. 'Improved' is the",
        "share of the programs written under it that scored higher than the programs they started from.",
        "",
    ]
    for item in ranked:
        rate = "not tried yet" if item.fitness is None else f"{item.improved}/{item.children} improved"
        lines.append(f"- ({rate}) {item.text}")
    lines += [
        "",
        "Write one new instruction, different from these, that you expect to lead to more improvements.",
        "It may combine what the best ones ask for, or try an approach none of them does.",
    ]
    return "\n".join(lines)


def parse_instruction(text: str) -> str | None:
    """The instruction inside ``<instruction>`` tags (or the whole reply if short), or ``None``."""
    match = re.search(r"<instruction>(.*?)(?:</instruction>|$)", text, re.S | re.I)
    body = match.group(1) if match else text
    body = " ".join(body.split())
    return body if 10 <= len(body) <= 600 else None


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


class InstructionPool:
    """The population of instructions.

    Args:
        seeds: the starting instructions (the first ``size`` are used).
        size: instructions taking part at once.
        interval: judged children between two evolution steps.
        min_trials: children an instruction needs before it may retire.
    """

    def __init__(self, seeds: Sequence[str], size: int = 6, interval: int = 24, min_trials: int = 6):
        self.size, self.interval, self.min_trials = size, interval, min_trials
        self.items: dict[str, Instruction] = {}
        for text in seeds[:size]:
            self.items.setdefault(instruction_id(text), Instruction(instruction_id(text), text))
        self.judged_since_step = 0

    @property
    def active(self) -> list[Instruction]:
        return [i for i in self.items.values() if not i.retired]

    def sample(self, rng: np.random.Generator) -> Instruction:
        """An instruction for one prompt (Thompson sampling on the improvement rate)."""
        active = self.active
        draws = [rng.beta(i.improved + 1, i.children - i.improved + 1) for i in active]
        return active[int(np.argmax(draws))]

    def record(self, instruction_id: str, improved: bool) -> None:
        """One more judged child of an instruction (unknown ids are ignored: e.g. a retired pool's)."""
        item = self.items.get(instruction_id)
        if item is None:
            return
        self.items[item.id] = replace(
            item, children=item.children + 1, improved=item.improved + int(improved)
        )
        self.judged_since_step += 1

    @property
    def due(self) -> bool:
        return self.judged_since_step >= self.interval

    def step(
        self, rng: np.random.Generator, iteration: int, write: Callable[[str], str | None]
    ) -> Instruction | None:
        """One evolution step: retire the worst tried instruction when full, add a new one.

        ``write(meta_prompt_text)`` asks the language model for an instruction (``None`` on failure);
        the fallback recombines two instructions. Returns the new instruction, if one was added.
        """
        self.judged_since_step = 0
        active = self.active
        tried = [i for i in active if i.children >= self.min_trials]
        if len(active) >= self.size:
            if len(tried) < 2:
                return None
            worst = min(tried, key=lambda i: (i.fitness, -i.children, i.id))
            self.items[worst.id] = replace(worst, retired=True)
        active = self.active
        ranked = sorted(active, key=lambda i: (-(i.fitness or 0.0), i.id))
        text = parse_instruction(write(meta_prompt(list(self.items.values()))) or "")
        origin, parents = "llm", tuple(i.id for i in ranked[:1])
        if text is None or instruction_id(text) in self.items:
            text, parents = self._recombine(ranked, rng)
            origin = "recombined"
        if text is None or instruction_id(text) in self.items:
            return None
        new = Instruction(instruction_id(text), text, parents, origin, iteration)
        self.items[new.id] = new
        return new

    def _recombine(self, ranked: Sequence[Instruction], rng: np.random.Generator) -> tuple[str | None, tuple]:
        if len(ranked) < 2:
            return None, ()
        first, second = ranked[0], ranked[1 + int(rng.integers(len(ranked) - 1))]
        a, b = _sentences(first.text), _sentences(second.text)
        cut_a, cut_b = int(rng.integers(1, len(a) + 1)), int(rng.integers(0, len(b)))
        return " ".join(a[:cut_a] + b[cut_b:]), (first.id, second.id)

    # --- persistence ---------------------------------------------------------------------------------

    def state(self) -> dict:
        return {
            "judged_since_step": self.judged_since_step,
            "items": [asdict(i) for i in self.items.values()],
        }

    def restore(self, state: dict) -> None:
        self.judged_since_step = int(state["judged_since_step"])
        self.items = {}
        for row in state["items"]:
            item = Instruction(**{**row, "parent_ids": tuple(row["parent_ids"])})
            self.items[item.id] = item
