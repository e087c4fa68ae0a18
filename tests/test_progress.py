"""What ``aurora-evo evolve`` prints while it runs, on small real runs."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from aurora_evo.config import RunConfig, override
from aurora_evo.evolver import build_evolver
from aurora_evo.progress import ProgressDisplay, announce_run

SMALL_CLOUD = {
    "task.levels": ("easy",),
    "islands.islands": 2,
    "islands.population": 4,
    "stop.max_iterations": 6,
    "stop.patience": None,
    "stop.window": None,
    "evaluation.full_warm_up": False,
    "attacker.interval": 2,
}


def run_with_display(config, path, *, resume=False) -> tuple[str, ProgressDisplay]:
    stream = io.StringIO()
    evolution = build_evolver(config, path, resume=resume)
    try:
        display = ProgressDisplay(evolution, stream=stream)
        with display:
            evolution.run(on_iteration=display.update)
    finally:
        evolution.close()
    return stream.getvalue(), display


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("progress") / "run"
    output, display = run_with_display(override(RunConfig(seed=2), **SMALL_CLOUD), path)
    return path, output, display


def test_the_first_line_names_the_run_folder_and_how_to_resume(tmp_path):
    stream = io.StringIO()
    announce_run(tmp_path / "runs" / "cloud-1", resumed=False, stream=stream)
    line = stream.getvalue()
    assert line.count("\n") == 1
    assert f"run folder: {tmp_path / 'runs' / 'cloud-1'}" in line
    assert f"aurora-evo evolve --resume {tmp_path / 'runs' / 'cloud-1'}" in line


def test_a_change_of_the_training_set_is_said_with_the_best_before_and_after(small_run):
    _, output, _ = small_run
    changes = [line for line in output.splitlines() if "changed the training set" in line]
    assert changes, output
    assert "scores are over the new set" in changes[0]
    assert "over the old one" in changes[0]
    assert "curriculum at" in changes[0]


def test_the_count_of_evaluations_goes_on_across_a_resume(tmp_path):
    config = override(RunConfig(seed=2), **SMALL_CLOUD)
    path = tmp_path / "run"
    _, first = run_with_display(override(config, **{"stop.max_iterations": 3}), path)
    assert first.evaluated > 0
    _, second = run_with_display(config, path, resume=True)
    evolution = build_evolver(config, path, resume=True)
    try:
        assert second.evaluated == evolution.evaluations_so_far() > first.evaluated
    finally:
        evolution.close()


def test_an_interrupt_says_how_to_resume(tmp_path):
    stream = io.StringIO()
    evolution = build_evolver(override(RunConfig(seed=2), **SMALL_CLOUD), tmp_path / "run")
    try:
        with pytest.raises(KeyboardInterrupt), ProgressDisplay(evolution, stream=stream):
            raise KeyboardInterrupt
    finally:
        evolution.close()
    assert f"continue with: aurora-evo evolve --resume {tmp_path / 'run'}" in stream.getvalue()


@pytest.mark.parametrize("width", [80, 120, 160])
def test_the_live_display_fills_the_terminal_width_and_never_more(small_run, width):
    _, _, display = small_run
    buffer = io.StringIO()
    Console(file=buffer, width=width).print(display._render())
    lines = buffer.getvalue().splitlines()
    assert max(len(line) for line in lines) <= width
    # The status lines run to the terminal's width, not the table's (a caption wrapped at ~34 columns).
    status = [line for line in lines if line.startswith("iteration ")]
    assert status and len(status[0]) > 60


def test_the_command_names_its_folder_first_and_an_interrupt_prints_the_resume_command(tmp_path):
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-m", "aurora_evo", "evolve", "--islands", "2", "--run-dir", "runs/x"]
    # SIGINT as a terminal's foreground command has it: a test run started in the background of a
    # script (as `.ci/run &` is) ignores SIGINT, the command inherits that, and Python then keeps it so.
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    try:
        read = [process.stderr.readline()]
        assert read[0].startswith("run folder: runs/x ")
        for line in process.stderr:  # the first iteration is under way once iteration 0 is printed
            read.append(line)
            if line.startswith("iteration 0:"):
                break
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    said = "".join(read) + err
    assert process.returncode == 130, said
    assert "continue with: aurora-evo evolve --resume runs/x" in err and "Traceback" not in err, said
