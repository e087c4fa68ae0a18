"""The setting each flag gives, how a flag's text becomes the setting's value, and errors about settings
told in the words the user typed (the flag, not the setting)."""

from __future__ import annotations

import re
from pathlib import Path

from aurora_evo.errors import InputError

#: The setting each flag gives, for the flags of ``evolve`` and the sandbox's: an error about a setting a
#: flag gave names the flag the user typed, not the setting.
SETTING_FLAGS = {
    "task.domain": "--domain",
    "task.dataset": "--dataset",
    "task.suite": "--suite",
    "task.score": "--score",
    "islands.islands": "--islands",
    "islands.seed_run": "--seed-run",
    "stop.max_iterations": "--iterations",
    "stop.max_seconds": "--max-seconds",
    "seed": "--seed",
    "evaluation.workers": "--workers",
    "evaluation.cluster": "--cluster",
    "evaluation.mode": "--evaluation-mode",
    "evaluation.in_flight": "--in-flight",
    "evaluation.timeout_s": "--timeout",
    "evaluation.memory_mb": "--memory-mb",
    "mutators.kinds": "--mutators",
    "mutators.weights": "--mutator-weights",
    "attacker.enabled": "--no-attacker",
    "stop.max_cost_usd": "--max-cost",
    "stop.max_calls": "--max-calls",
    "llm.backend": "--mutator",
    "llm.models": "--model",
    "llm.model_weights": "--model-weights",
    "llm.base_url": "--base-url",
    "llm.modes": "--prompt-modes",
    "llm.requests_per_minute": "--rpm",
    "llm.requests_per_day": "--rpd",
    "llm.prices": "--price",
}

#: The settings ``--resume`` may change: limits of this invocation, not the run's own search.
RESUMABLE_SETTINGS = (
    "stop.max_iterations",
    "stop.max_seconds",
    "evaluation.workers",
    "evaluation.cluster",
    "evaluation.mode",
    "evaluation.in_flight",
    "stop.max_cost_usd",
    "stop.max_calls",
    "llm.requests_per_minute",
    "llm.requests_per_day",
)


def in_flag_terms(error, flags: dict[str, str], source: str | None) -> str:
    """A :class:`~aurora_evo.config.ConfigError` in the user's words: each setting that ``flags`` (setting
    -> flag typed) gave is named by its flag; an error about any other setting is about a file, named
    first (``source``: the preset, or the resumed run's config.json)."""
    message = str(error)
    if error.setting in flags and message.startswith(error.setting):
        message = flags[error.setting] + message[len(error.setting) :]
    for setting, flag in flags.items():
        if "." in setting:  # a dotted name cannot be mistaken for a word of the message
            message = re.sub(rf"(?<![\w.-]){re.escape(setting)}(?![\w])", flag, message)
    if error.setting in flags or source is None:
        return message
    return f"{source}: {message}"


def comma_names(text: str, flag: str = "") -> tuple[str, ...]:
    """The names of a comma-separated list, blanks around them and empty ones left out."""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def comma_numbers(text: str, flag: str) -> tuple[float, ...]:
    """The numbers of a comma-separated list given to ``flag``."""
    try:
        return tuple(float(value) for value in text.split(","))
    except ValueError:
        raise InputError(f"{flag}: expected comma-separated numbers, got {text!r}") from None


#: How the text of a flag becomes its setting's value, where argparse's value is not it already.
FLAG_VALUES = {
    "--mutators": comma_names,
    "--prompt-modes": comma_names,
    "--mutator-weights": comma_numbers,
    "--model-weights": comma_numbers,
    "--model": lambda values, _: tuple(values),
    "--price": lambda values, _: tuple(values),
    "--no-attacker": lambda given, _: False if given else None,  # given: the attacker is off
    "--seed-run": lambda text, _: str(Path(text).resolve()),  # the run's settings outlive the cwd
}


def out_folder(text: str) -> Path:
    """The folder an ``--out`` names, which need not exist yet (:func:`make_folder` makes it).

    Raises:
        InputError: it names something that is not a folder.
    """
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    return out


def make_folder(out: Path) -> Path:
    """``out``, made with its parents if missing.

    Raises:
        InputError: it cannot be made (one line with the system's reason).
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    return out
