"""Run untrusted candidate programs safely, and say exactly why one failed.

A static screen refuses what a priority function never needs; a supervisor, started by ``exec`` with a
scrubbed environment, forks one jailed process per evaluation (own process group, resource limits, no
network, an unprivileged uid, a seccomp filter; each where the machine allows) and kills it at the
deadline; the jail's raw decisions are replayed and scored outside it.
"""

from aurora_evo.sandbox.client import Sandbox, SandboxConfig, SandboxError, SandboxWarning
from aurora_evo.sandbox.layers import Layers
from aurora_evo.sandbox.screen import ScreenResult, screen_program

__all__ = [
    "Layers",
    "Sandbox",
    "SandboxConfig",
    "SandboxError",
    "SandboxWarning",
    "ScreenResult",
    "screen_program",
]
