"""Every Python and shell snippet in README.md and docs/ runs as written.

Each section of a document is one test: its snippets run in order, in a working folder holding copies
of the repository's `seeds/`, `islands/` and `programs/`, shell snippets with `bash -eo pipefail` and
Python ones with this interpreter. `AURORA_EVO_ITERATIONS=2` cuts every evolution short (the README says
so). The language-model commands talk to real HTTP servers on loopback that speak Gemini's and
OpenAI's APIs, reached through the SDKs' own settings (`GOOGLE_GEMINI_BASE_URL`, `OPENAI_BASE_URL`,
and the port the README names). The set-up block is what `.ci/run` runs; here it is only compared with
`.ci/run`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "llm"))
from servers import LoopbackServer, gemini_reply, openai_reply  # noqa: E402

DOCUMENTS = ("README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md")))
SHELL = ("bash", "sh", "shell")
PYTHON = ("python",)
#: Sections whose snippets use what an earlier section's made (a run folder): run after it, in its folder.
AFTER = {("README.md", "Looking at a run"): ("README.md", "Evolving programs")}
SET_UP = ("README.md", "Set-up")
#: Sections whose snippets read the project's real data as ``../shared/data``: they run with it linked
#: beside the working folder, and are skipped where the checkout has none beside it.
NEEDS_DATA = {("README.md", "Replaying a trace")}
SHARED = REPO.parent / "shared"
#: The port the README's local-model command names (Ollama's).
LOCAL_MODEL_PORT = 11434
FENCE = re.compile(r"^```(\S*)\s*$")


@dataclass(frozen=True)
class Snippet:
    document: str
    section: str
    language: str
    line: int
    text: str


def snippets(document: str) -> list[Snippet]:
    """The fenced blocks of ``document`` whose language is a shell's or Python, with their section."""
    found, section, block, start = [], "", None, 0
    for number, line in enumerate((REPO / document).read_text(encoding="utf-8").splitlines(), 1):
        fence = FENCE.match(line)
        if block is None and fence:
            block, language, start = [], fence.group(1), number
        elif block is not None and line.startswith("```"):
            if language in SHELL + PYTHON:
                found.append(Snippet(document, section, language, start, "\n".join(block) + "\n"))
            block = None
        elif block is not None:
            block.append(line)
        elif line.startswith("## "):
            section = line[3:].strip()
    return found


def sections() -> list[tuple[str, str]]:
    keys = dict.fromkeys((s.document, s.section) for d in DOCUMENTS for s in snippets(d))
    return [key for key in keys if key != SET_UP and key not in AFTER]


def _environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "GEMINI_", "GOOGLE_"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        AURORA_EVO_ITERATIONS="2",
        HOME=str(work),
        MPLBACKEND="Agg",
    )
    return env


#: A Python snippet whose first line is ``# NAME.py`` is that file, written into the working folder for
#: the snippets after it to import, not run.
MODULE_FILE = re.compile(r"^# (\w+\.py)\n")


def _run(snippet: Snippet, work: Path, env: dict[str, str]) -> None:
    module = MODULE_FILE.match(snippet.text) if snippet.language in PYTHON else None
    if module:
        (work / module.group(1)).write_text(snippet.text, encoding="utf-8")
        return
    command = (
        ["bash", "-eo", "pipefail", "-c", snippet.text]
        if snippet.language in SHELL
        else [sys.executable, "-c", snippet.text]
    )
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    where = f"{snippet.document}:{snippet.line} ({snippet.section})"
    assert done.returncode == 0, (
        f"{where} failed with status {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    assert "Traceback" not in done.stderr, f"{where}:\n{done.stderr[-3000:]}"


def _answer(record: dict, flavour: str):
    """A program for a program request, a scenario genome for the attacker's structured one."""
    reply = gemini_reply if flavour == "gemini" else openai_reply
    body = json.dumps(record["json"] or {})
    if "response_format" in body or "responseJsonSchema" in body or "responseSchema" in body:
        from aurora_evo.attacker.genome import ScenarioGenome
        from aurora_evo.scenario.model import Domain

        spec = ScenarioGenome.random("easy", np.random.default_rng(5), domain=Domain.CLOUD).as_dict()
        return reply(json.dumps({**spec, "rationale": "a small cluster under a bursty load"}))
    return reply(
        "Prefer the node with the most free cpu.\n\n```python\ndef priority(task, nodes):\n"
        "    return nodes[:, 1] * 1.0\n```\n"
    )


@contextlib.contextmanager
def _language_models(env: dict[str, str]):
    """Gemini's and OpenAI's APIs on loopback, and a local server where the README says one listens."""
    with (
        LoopbackServer("gemini", lambda r: _answer(r, "gemini")) as gemini,
        LoopbackServer("openai", lambda r: _answer(r, "openai")) as openai,
        LoopbackServer("openai", lambda r: _answer(r, "openai"), port=LOCAL_MODEL_PORT) as local,
    ):
        env.update(
            GOOGLE_GEMINI_BASE_URL=gemini.base_url, OPENAI_BASE_URL=openai.base_url, OPENAI_API_KEY="test"
        )
        yield gemini, openai, local


def _working_folder(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for folder in ("seeds", "islands", "programs"):
        shutil.copytree(REPO / folder, work / folder)
    return work


def test_every_document_has_runnable_snippets():
    readme = snippets("README.md")
    assert len(readme) >= 10
    assert {s.language for s in readme} >= {"bash", "python"}


def test_the_set_up_block_is_what_ci_runs():
    (set_up,) = [s for s in snippets("README.md") if (s.document, s.section) == SET_UP]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in set_up.text.splitlines():
        assert command.strip() in ci


@pytest.mark.slow
@pytest.mark.parametrize("document, section", sections(), ids=lambda v: v.replace(" ", "-"))
def test_the_snippets_of_a_section_run_as_written(tmp_path, document, section):
    if (document, section) in NEEDS_DATA:
        if not (SHARED / "data").is_dir():
            pytest.skip(f"{section}: needs ../shared/data beside this checkout ({REPO})")
        (tmp_path / "shared").symlink_to(SHARED)
    work = _working_folder(tmp_path)
    env = _environment(work)
    order = [key for key, then in AFTER.items() if then == (document, section)]
    todo = [
        s for key in [(document, section), *order] for s in snippets(key[0]) if (s.document, s.section) == key
    ]
    uses_models = any("--mutator" in s.text for s in todo)
    with _language_models(env) if uses_models else contextlib.nullcontext() as servers:
        for snippet in todo:
            _run(snippet, work, env)
    for server in servers or ():  # each command reached its provider's API
        assert any(r["path"].endswith(("/chat/completions", ":generateContent")) for r in server.requests)
