"""Windows of a task stream: the same tasks as a brute-force selection, read once and no further."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_evo.errors import InputError
from aurora_evo.traces.records import TraceTask
from aurora_evo.traces.windows import Windows, cut_windows, parse_duration


def task(arrival: float, index: int = 0) -> TraceTask:
    return TraceTask(arrival_s=arrival, duration_s=1.0, cpu=0.1, memory=0.1, index=index)


def brute_force(arrivals: list[float], windows: Windows) -> list[tuple[float, list[int]]]:
    starts = list(
        itertools.islice(windows.starts(arrivals[0]), windows.count if not windows.starts_s else None)
    )
    chosen = [(s, [i for i, a in enumerate(arrivals) if s <= a < s + windows.length_s]) for s in starts]
    return [(s, members) for s, members in chosen if members]


@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=60).map(sorted),
    st.floats(1, 300),
    st.integers(1, 8),
    st.one_of(st.none(), st.floats(1, 400)),
)
def test_each_window_holds_the_tasks_that_arrive_in_it(arrivals, length, count, stride):
    windows = Windows(length, count, stride)
    cut = [(start, [t.index for t in members])
           for start, members in cut_windows([task(a, i) for i, a in enumerate(arrivals)], windows)]  # fmt: skip
    assert cut == brute_force(arrivals, windows)


def test_explicit_starts_and_a_first_start():
    arrivals = [0.0, 5.0, 12.0, 30.0, 31.0]
    tasks = [task(a, i) for i, a in enumerate(arrivals)]
    picked = Windows(10.0, starts_s=(4.0, 30.0))
    assert [(s, [t.index for t in m]) for s, m in cut_windows(tasks, picked)] == [
        (4.0, [1, 2]),
        (30.0, [3, 4]),
    ]
    later = Windows(10.0, count=2, first_s=10.0)
    assert [(s, [t.index for t in m]) for s, m in cut_windows(tasks, later)] == [(10.0, [2])]


def test_the_stream_is_read_no_further_than_the_last_window():
    read = []

    def endless():
        for k in itertools.count():
            read.append(k)
            yield task(float(k))

    assert [len(m) for _, m in cut_windows(endless(), Windows(10.0, count=3))] == [10, 10, 10]
    assert max(read) <= 31


def test_a_task_out_of_order_is_a_one_line_error():
    with pytest.raises(InputError, match="out of arrival order"):
        list(cut_windows([task(5.0), task(4.0)], Windows(10.0)))


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800.0), ("2h", 7200.0), ("90s", 90.0), ("1d", 86400.0), ("45", 45.0)]
)
def test_durations_read_as_people_write_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "-5m", "0", "1e999h", "ten minutes", "nan"])
def test_a_bad_duration_is_a_one_line_error(text):
    with pytest.raises(InputError):
        parse_duration(text)


def test_bad_window_settings_are_one_line_errors():
    for settings in ({"length_s": 0.0}, {"length_s": 10.0, "count": 0}, {"length_s": 10.0, "stride_s": -1.0},
                     {"length_s": 10.0, "starts_s": (5.0, 5.0)}):  # fmt: skip
        with pytest.raises(InputError):
            Windows(**settings)
