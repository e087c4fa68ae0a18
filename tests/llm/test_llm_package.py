"""The LLM client stands alone: the mutator and the attacker build on it, never the other way round."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_importing_the_client_imports_neither_the_mutators_nor_the_attacker():
    check = (
        "import sys, aurora_evo.llm; "
        "print(sorted(m for m in sys.modules if m.startswith(('aurora_evo.mutators', 'aurora_evo.attacker'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
