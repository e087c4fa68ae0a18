"""Cases travel to the supervisor as JSON documents, each sent once under a content hash."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path


def problem_spec(problem) -> str:
    """Where the supervisor finds ``problem``'s class: ``"module:Class"``, and for a module outside
    this package ``"module:Class@FOLDER"``, the folder it is imported from (the supervisor sees only
    the package's own folder otherwise).

    Raises:
        ValueError: the class is defined where no other process can import it (in the script being
            run, or inside a function).
    """
    kind = type(problem)
    module, name = kind.__module__, kind.__qualname__
    if module == "__main__" or "<locals>" in name:
        raise ValueError(
            f"the sandbox imports a problem by its module: define {kind.__name__} in a module file (such as "
            "my_problem.py) and import it, not in the script you run nor inside a function"
        )
    if module.split(".")[0] == "aurora_evo":
        return f"{module}:{name}"
    top = Path(sys.modules[module].__file__).resolve().parents[module.count(".")]
    return f"{module}:{name}@{top}"


def case_key(spec: str, document: dict) -> str:
    """A content hash naming a case of the problem ``spec``, so that each is sent to the supervisor
    once."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return f"{spec}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"
