"""The jail pool's bookkeeping, with plain forked children standing in for jails (no confinement)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from aurora_evo.sandbox.jail import JailLimits
from aurora_evo.sandbox.jails import ForkSpawner, JailPool


def _sleeper(limits, key, job_fd, result_fd):
    try:
        os.read(job_fd, 1)  # until the owner closes the pipe or kills us
    finally:
        os._exit(0)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except FileNotFoundError:
        return False


def _exists(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}")


def test_a_pool_needs_more_uids_than_spares():
    with pytest.raises(ValueError, match="2 uids for 2 spares"):
        JailPool((1, 2), ForkSpawner(_sleeper), spares=2)


def test_spares_are_kept_with_distinct_uids_and_taken_oldest_first():
    pool = JailPool((10, 11, 12), ForkSpawner(_sleeper), spares=2)
    limits = JailLimits(1 << 30, 5)
    try:
        pool.prefork(limits, "k")
        first, second = pool.spare_pids()
        taken = pool.take(limits, "k")
        assert taken.pid == first
        pool.prefork(limits, "k")
        assert pool.spare_pids()[0] == second
        uids = {taken.limits.uid, *(s.limits.uid for s in pool._spares)}
        assert len(uids) == 3, "the running jail and the two spares must not share a uid"
        # A job of another key drops every spare that does not fit.
        other = pool.take(limits, "other")
        assert other.pid not in (second, *pool.spare_pids()) and pool.spare_pids() == []
        pool.end(taken)
        pool.end(other)
    finally:
        pool.shutdown()


def test_released_jails_are_all_collected_by_a_blocking_reap():
    """Ended jails are handed back without waiting for them; a blocking reap (the sandbox's ping)
    still collects every one, leaving no zombie."""
    pool = JailPool((10, 11), ForkSpawner(_sleeper))
    limits = JailLimits(1 << 30, 5)
    jails = [pool.take(limits, "k") for _ in range(4)]
    for jail in jails:
        pool.end(jail)
    pool.reap(block=False)  # released: collected as they end, or later
    pool.reap(block=True)
    deadline = time.monotonic() + 5
    while any(_exists(j.pid) for j in jails) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not any(_exists(j.pid) or _zombie(j.pid) for j in jails)


def test_a_frame_written_out_of_turn_is_read_on_its_own():
    """Two result frames that reach the pipe together are read one at a time: how a witness's answers
    are read does not depend on how the kernel happened to batch its writes."""
    from aurora_evo.sandbox import wire
    from aurora_evo.sandbox.jails import Jail

    read_end, write_end = os.pipe()
    try:
        first = wire.encode_result(0, "first", np.array([1, 2]))
        second = wire.encode_result(0, "second", np.array([3]))
        os.write(write_end, first + second)
        jail = Jail(0, -1, read_end, JailLimits(1 << 30, 5), None)
        deadline = time.perf_counter() + 5
        assert JailPool.collect(jail, deadline, 1 << 20).data == first
        assert JailPool.collect(jail, deadline, 1 << 20).data == second
    finally:
        os.close(read_end)
        os.close(write_end)
