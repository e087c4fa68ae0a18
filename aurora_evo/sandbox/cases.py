"""Cases travel to the supervisor as JSON documents, each sent once under a content hash."""

from __future__ import annotations

import hashlib
import json


def problem_spec(problem) -> str:
    """Where the supervisor finds ``problem``'s class: ``"module:Class"``."""
    kind = type(problem)
    return f"{kind.__module__}:{kind.__qualname__}"


def case_key(spec: str, document: dict) -> str:
    """A content hash naming a case of the problem ``spec``, so that each is sent to the supervisor
    once."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return f"{spec}:{hashlib.sha256(text.encode()).hexdigest()[:24]}"
