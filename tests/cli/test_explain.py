"""``aurora-evo explain``: every shipped program explained offline, with its consistency rate; bad input
in one line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cli_run import run

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "seeds" / "scenarios" / "hard-cloud-01.json"
SHIPPED = sorted((REPO / "programs").glob("*.py"))


@pytest.mark.parametrize("program", SHIPPED, ids=lambda path: path.stem)
def test_every_shipped_program_is_explained_with_its_consistency_rate(capsys, program):
    where = (
        ["--dataset", "OR3", "--item", "40"]
        if "binpack" in program.stem
        else ["--scenario", SCENARIO, "--task", "30"]
    )
    code, out, err = run(capsys, "explain", program, *where, "--check", "60", "--json")
    assert code == 0, err
    explained = json.loads(out)
    assert explained["label"].startswith("item 40" if "binpack" in program.stem else "task 30")
    assert explained["top"][0][0] == explained["chosen"]
    assert [term["name"] for term in explained["terms"]][-1] == "score"
    held = explained["consistency"]
    assert held["decisions"] == 60 and held["checked"] > 0 and 0.0 <= held["rate"] <= 1.0

    code, out, err = run(capsys, "explain", program, *where, "--check", "20")
    assert code == 0, err
    assert explained["sentence"].split(" (")[0] in " ".join(out.split())
    assert "Consistency:" in out


def test_a_program_that_raises_when_a_term_is_changed_is_one_line(capsys, tmp_path):
    """It runs through the simulator, then raises when its term is given another node's value."""
    program = tmp_path / "fragile.py"
    program.write_text(
        "import numpy as np\n\n\ndef priority(task, nodes):\n"
        "    free = nodes[:, N_CPU_FREE]\n"
        "    if np.any(free != nodes[:, N_CPU_FREE]):\n"
        "        raise ValueError('free is not what the nodes say')\n"
        "    return free\n"
    )
    code, _, err = run(capsys, "explain", program, "--scenario", SCENARIO, "--task", "40")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "the program failed while explained (ValueError: free is not what the nodes say)" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["programs/cloud.py", "--dataset", "OR3"], "give --scenario FILE"),
        (["programs/binpack_or.py", "--scenario", SCENARIO], "give --dataset"),
        (["programs/cloud.py", "--scenario", SCENARIO, "--task", "99999"], "never placed"),
        (["programs/cloud.py", "--scenario", "nowhere.json"], "nowhere.json"),
        (["nowhere.py", "--scenario", SCENARIO], "no such program file"),
        (["programs/binpack_or.py", "--dataset", "OR3", "--instance", "20"], "has instances 0 to 19"),
        (["programs/cloud.py", "--scenario", SCENARIO, "--check", "-1"], "--check is -1"),
    ],
)
def test_bad_input_is_one_line(capsys, monkeypatch, argv, message):
    monkeypatch.chdir(REPO)
    code, _, err = run(capsys, "explain", *argv)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
