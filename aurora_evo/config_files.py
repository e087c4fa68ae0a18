"""Configurations in files: TOML presets (the shipped ones in ``islands/``, found by name; see
``islands/default.toml``) and the ``config.json`` a run folder keeps, so that ``aurora-evo evolve
--resume`` continues with exactly the same settings.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from aurora_evo.config import ConfigError, RunConfig, config_from_dict


def load_preset(path: str | Path) -> RunConfig:
    """Read a TOML preset (see ``islands/default.toml``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such preset") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None
    return config_from_dict(data, str(path))


def save_config(config: RunConfig, path: Path) -> None:
    """Write ``config`` as JSON (sorted keys), as a run folder keeps it."""
    path.write_text(json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_config(path: Path) -> RunConfig:
    """The validated configuration a run folder keeps (see :func:`save_config`)."""
    try:
        return config_from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (is this a run folder?)") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON ({exc.msg})") from None


def presets_dir() -> Path:
    """The folder of presets: ``islands/`` of the repository, or its copy inside a wheel."""
    packaged = Path(__file__).parent / "_islands"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "islands"


def preset_names() -> list[str]:
    """The shipped presets' names, e.g. ``["binpacking-or", ..., "default"]``."""
    return sorted(path.stem for path in presets_dir().glob("*.toml"))


def preset_path(name: str) -> Path:
    """A shipped preset by name, e.g. ``default`` or ``binpacking-weibull``."""
    return presets_dir() / f"{name}.toml"


def resolve_preset(spec: str) -> Path:
    """The preset file ``spec`` names, from any working directory: a file path (``./my.toml``), or a
    shipped preset by name (``coevolution``, ``coevolution.toml``, or the README's
    ``islands/coevolution.toml`` when there is no such file here).

    Raises:
        ConfigError: one line listing the shipped names, when ``spec`` is neither.
    """
    path = Path(spec)
    if path.exists():
        return path
    name = path.name.removesuffix(".toml")
    shipped_here = path.parent in (Path(), Path("islands"))  # "coevolution" or "islands/coevolution.toml"
    if shipped_here and name in preset_names():
        return preset_path(name)
    raise ConfigError(
        f"{spec}: no such preset file, and no shipped preset of that name "
        f"(shipped: {', '.join(preset_names())})"
    )
