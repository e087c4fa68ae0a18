"""Hard spending limits on LLM calls, shared by every LLM mutator of a run and safe across threads.

A call is started only when the budget can pay for the most it might cost (its prompt and the largest
answer allowed); that amount is held while the call is in flight and replaced by the real cost after, so
calls running at once can never together overshoot ``max_cost_usd``.
"""

from __future__ import annotations

import threading


class BudgetExhausted(Exception):
    """The run's call or cost budget does not allow another call now.

    ``final`` is false while other calls are in flight: once they end and their real (usually smaller)
    cost is known, the budget may allow another call after all.
    """

    def __init__(self, message: str, final: bool):
        super().__init__(message)
        self.final = final


class CallBudget:
    """Counts LLM calls and dollars against optional limits.

    Args:
        max_calls: calls (attempts) allowed over the run, or ``None``.
        max_cost_usd: dollars allowed over the run, or ``None``.
        calls, cost_usd: already spent (a resumed run reads them back from its archive).
    """

    def __init__(
        self,
        max_calls: int | None = None,
        max_cost_usd: float | None = None,
        *,
        calls: int = 0,
        cost_usd: float = 0.0,
    ):
        self.max_calls = max_calls
        self.max_cost_usd = max_cost_usd
        self.calls = calls
        self.cost_usd = cost_usd
        self._held_calls = 0
        self._held_usd = 0.0
        self._lock = threading.Lock()
        #: Why the budget refused a call with none in flight: it can pay for no further call.
        self.refused: str | None = None

    @property
    def exhausted(self) -> bool:
        """Whether no further call may start (counting calls in flight)."""
        with self._lock:
            return self._full(0.0)

    def _full(self, worst_usd: float) -> bool:
        if self.max_calls is not None and self.calls + self._held_calls + 1 > self.max_calls:
            return True
        return self.max_cost_usd is not None and (
            self.cost_usd + self._held_usd + worst_usd > self.max_cost_usd
            or self.cost_usd >= self.max_cost_usd
        )

    def start(self, worst_usd: float) -> None:
        """Hold one call and ``worst_usd`` dollars for a call about to start.

        Raises:
            BudgetExhausted: when the budget cannot cover it.
        """
        with self._lock:
            if self._full(worst_usd):
                final = self._held_calls == 0
                if final:
                    self.refused = self._describe()
                raise BudgetExhausted(self._describe(), final)
            self._held_calls += 1
            self._held_usd += worst_usd

    def finish(self, worst_usd: float, cost_usd: float) -> None:
        """A call that :meth:`start` held has ended, having cost ``cost_usd``."""
        with self._lock:
            self._held_calls -= 1
            self._held_usd -= worst_usd
            self.calls += 1
            self.cost_usd += cost_usd

    def release(self, worst_usd: float) -> None:
        """A call that :meth:`start` held was not made after all."""
        with self._lock:
            self._held_calls -= 1
            self._held_usd -= worst_usd

    def _describe(self) -> str:
        if self.max_calls is not None and self.calls + self._held_calls + 1 > self.max_calls:
            return f"the budget of {self.max_calls} LLM calls is used"
        return f"the ${self.max_cost_usd:g} budget cannot cover another LLM call (${self.cost_usd:.4f} spent)"
