"""The settings of a run ``evolve`` starts or resumes: a preset's (or the resumed run's own), changed by
the flags typed, with errors about them told in the flags' terms."""

from __future__ import annotations

import argparse
import os

from aurora_evo.cli.flags import FLAG_VALUES, RESUMABLE_SETTINGS, SETTING_FLAGS, in_flag_terms
from aurora_evo.config import ConfigError, RunConfig, override
from aurora_evo.config_files import load_preset, preset_path, read_config, resolve_preset
from aurora_evo.errors import InputError
from aurora_evo.run_folder import RunFolder

#: Caps the iterations of every run ``evolve`` starts or resumes; the test that runs the README's
#: commands sets it, so that they finish in seconds.
ITERATIONS_CAP = "AURORA_EVO_ITERATIONS"

#: The model a backend uses when none is named.
DEFAULT_MODELS = {"gemini": ("gemini-2.5-flash",)}


def evolve_config(args: argparse.Namespace) -> RunConfig:
    """The settings of the run: the base configuration (see :func:`base_config`) with the flags' changes."""
    config, source = base_config(args)
    typed = typed_settings(args)
    if args.resume and set(typed) - set(RESUMABLE_SETTINGS):
        *others, last = (SETTING_FLAGS[setting] for setting in RESUMABLE_SETTINGS)
        raise InputError(
            f"--resume continues a run with its own settings; only {', '.join(others)} and {last} may change"
        )
    if "mutators.weights" in typed and "mutators.kinds" not in typed:
        raise InputError("--mutator-weights goes with --mutators (one weight per mutator)")
    implied = implied_settings(args, typed)
    flags = {setting: SETTING_FLAGS[setting] for setting in typed} | {s: f for s, (_, f) in implied.items()}
    changes = typed | {setting: value for setting, (value, _) in implied.items()}
    try:
        return override(config, **changes) if changes else config
    except ConfigError as exc:
        raise InputError(in_flag_terms(exc, flags, source)) from None


def capped(config: RunConfig) -> RunConfig:
    """``config`` with at most ``$AURORA_EVO_ITERATIONS`` iterations, when that is set."""
    text = os.environ.get(ITERATIONS_CAP, "").strip()
    if not text:
        return config
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"{ITERATIONS_CAP}={text!r} in the environment: give a whole number of at least 1")
    current = config.stop.max_iterations
    return override(config, **{"stop.max_iterations": min(current or int(text), int(text))})


def base_config(args: argparse.Namespace) -> tuple[RunConfig, str]:
    """The configuration the flags change, and the file it came from: the preset, or a run's own."""
    if args.resume:
        path = RunFolder(args.resume).config_path
        return read_config(path), str(path)
    try:
        path = resolve_preset(args.preset) if args.preset else preset_path("default")
    except ConfigError as exc:
        raise InputError(f"--preset {exc}") from None
    return load_preset(path), str(path)


def typed_settings(args: argparse.Namespace) -> dict:
    """The settings the flags typed on the command line give (a flag left out gives none)."""
    settings = {}
    for setting, flag in SETTING_FLAGS.items():
        value = getattr(args, flag.removeprefix("--").replace("-", "_"))
        value = FLAG_VALUES[flag](value, flag) if flag in FLAG_VALUES and value is not None else value
        if value is not None:
            settings[setting] = value
    if args.mutator is None and {"llm.models", "llm.base_url", "llm.model_weights"} & set(settings):
        raise InputError(
            "--model, --model-weights and --base-url go with --mutator gemini or --mutator openai"
        )
    return settings


def implied_settings(args: argparse.Namespace, typed: dict) -> dict[str, tuple[object, str]]:
    """Settings that follow from the typed ones, each with the flag that implies it: equal weights for
    ``--mutators`` and ``--prompt-modes`` alone, and ``--mutator NAME`` alone makes the language model
    the only mutator, with the backend's default model."""
    implied: dict[str, tuple[object, str]] = {}
    if "mutators.kinds" in typed and "mutators.weights" not in typed:
        implied["mutators.weights"] = (tuple(1.0 for _ in typed["mutators.kinds"]), "--mutators")
    if "llm.modes" in typed:
        implied["llm.mode_weights"] = (tuple(1.0 for _ in typed["llm.modes"]), "--prompt-modes")
    if args.mutator is not None:
        if "mutators.kinds" not in typed:
            implied["mutators.kinds"] = (("llm",), "--mutator")
            implied["mutators.weights"] = ((1.0,), "--mutator")
        if "llm.models" not in typed and args.mutator in DEFAULT_MODELS:
            implied["llm.models"] = (DEFAULT_MODELS[args.mutator], "--mutator")
    return implied
