"""Elo ratings of programs from head-to-head matches on shared cases: pure functions, no I/O.

A match is one case both programs were scored on: the higher score wins (scores are maximised). The
ratings, matches and their history are stored by :class:`~aurora_evo.archive.elites.Elites`.

Pseudocode of a round::

    results = match_results(archive.programs.case_scores(a), archive.programs.case_scores(b))
    ratings = play(ratings, a, b, results, k)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping

#: The rating of a program that has played no match.
INITIAL_RATING = 1500.0

#: Rating points per factor of 10 in the odds of winning (the usual Elo scale).
SCALE = 400.0


def expected(ra: float, rb: float) -> float:
    """Expected result of a against b: the probability that a wins plus half the probability of a draw.
    Strictly inside (0, 1) for ratings less than ~6,000 apart (beyond, floating point rounds to 0 or 1);
    never overflows."""
    return 1.0 / (1.0 + 10.0 ** min((rb - ra) / SCALE, 300.0))


def _check_result(result: float) -> None:
    if not 0.0 <= result <= 1.0:
        raise ValueError(f"match result {result}; use 1 (a won), 0.5 (draw) or 0 (b won)")


def update(ra: float, rb: float, result: float, k: float = 16.0) -> tuple[float, float]:
    """Ratings of a and b after one match; ``result`` is 1 when a won, 0.5 a draw, 0 when b won.
    Zero-sum: a gains exactly what b loses, ``k`` times the surprise of the result."""
    _check_result(result)
    delta = k * (result - expected(ra, rb))
    return ra + delta, rb - delta


def match_results(
    scores_a: Mapping[str, float | None], scores_b: Mapping[str, float | None], tol: float = 1e-9
) -> list[tuple[str, float]]:
    """One match per case both programs were scored on, in case-name order: (case, 1.0) when a scored
    more than ``tol`` above b, (case, 0.0) when b did, else a draw (case, 0.5). Cases where either score
    is missing or NaN are not played."""
    results = []
    for case in sorted(scores_a.keys() & scores_b.keys()):
        a, b = scores_a[case], scores_b[case]
        if a is None or b is None or math.isnan(a) or math.isnan(b):
            continue
        results.append((case, 1.0 if a > b + tol else 0.0 if b > a + tol else 0.5))
    return results


def play(
    ratings: Mapping[Hashable, float],
    a: Hashable,
    b: Hashable,
    results: Iterable[tuple[str, float] | float],
    k: float = 16.0,
) -> dict:
    """New ratings after a and b play the given matches one after the other; ``results`` are a's
    results, as (case, result) pairs from :func:`match_results` or bare numbers. A program missing
    from ``ratings`` starts at :data:`INITIAL_RATING`; the input is not changed."""
    if a == b:
        raise ValueError(f"program {a!r} cannot play itself")
    new = dict(ratings)
    ra, rb = new.get(a, INITIAL_RATING), new.get(b, INITIAL_RATING)
    for result in results:
        ra, rb = update(ra, rb, result[1] if isinstance(result, tuple) else result, k)
    new[a], new[b] = ra, rb
    return new
