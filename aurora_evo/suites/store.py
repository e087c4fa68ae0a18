"""Where suites live and how a suite file is written and read.

A suite is one gzipped JSON file, ``NAME.suite.json.gz``: ``{"manifest": {...}, "scenarios": {split:
[scenario, ...]}}`` with the scenarios in the scenario format (:func:`aurora_evo.scenario.scenario_to_dict`).
The manifest's ``content_sha256`` is the hash of the scenarios' canonical JSON, checked on every load.

Suites built from CC-BY data or from the generators ship inside the package (``aurora_evo/suites/data``);
the others are built by ``aurora-evo suites build NAME`` into the cache folder (``$AURORA_EVO_SUITES``,
else ``~/.cache/aurora-evo/suites``), never into the package.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from aurora_evo.errors import InputError
from aurora_evo.scenario import Scenario, scenario_from_dict, scenario_to_dict
from aurora_evo.suites.specs import SPLITS

SUFFIX = ".suite.json.gz"
FORMAT = "aurora-evo/suite"
VERSION = 1


@dataclass(frozen=True)
class Suite:
    """A named set of scenarios split train / validation / test.

    Attributes:
        name: the suite's name.
        manifest: how it was made (source, windows, seed, content hash; see :mod:`aurora_evo.suites.build`).
        train, validation, test: the scenarios of each split, in time order.
    """

    name: str
    manifest: dict
    train: tuple[Scenario, ...]
    validation: tuple[Scenario, ...]
    test: tuple[Scenario, ...]

    def split(self, name: str) -> tuple[Scenario, ...]:
        """The scenarios of split ``name``.

        Raises:
            InputError: no such split.
        """
        if name not in SPLITS:
            raise InputError(f"unknown split {name!r}; a suite has {', '.join(SPLITS)}")
        return getattr(self, name)


def shipped_folder() -> Path:
    """The package's folder of shipped suites."""
    return Path(str(resources.files("aurora_evo.suites").joinpath("data")))


def cache_folder() -> Path:
    """Where ``aurora-evo suites build`` writes: ``$AURORA_EVO_SUITES``, else
    ``~/.cache/aurora-evo/suites``."""
    configured = os.environ.get("AURORA_EVO_SUITES")
    return Path(configured) if configured else Path.home() / ".cache" / "aurora-evo" / "suites"


def content_hash(scenarios: dict[str, list[dict]]) -> str:
    """The sha256 of the scenarios' canonical JSON (sorted keys, no spaces), hex."""
    text = json.dumps(scenarios, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def write_suite(manifest: dict, scenarios: dict[str, list[Scenario]], path: Path) -> Path:
    """Write a suite file; the manifest gains the format, version and ``content_sha256``."""
    rows = {split: [scenario_to_dict(s) for s in scenarios[split]] for split in SPLITS}
    manifest = {"format": FORMAT, "version": VERSION, **manifest, "content_sha256": content_hash(rows)}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"manifest": manifest, "scenarios": rows}, separators=(",", ":"), allow_nan=False)
    # mtime=0: the same suite gives the same bytes
    path.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    return path


def read_suite(path: Path, schema_checked: bool = False) -> Suite:
    """The suite in the file at ``path``, its content hash checked; ``schema_checked``: its scenarios are
    known to pass the scenario format's JSON Schema (:func:`~aurora_evo.scenario.scenario_from_dict`).

    Raises:
        InputError: the file cannot be read, is no suite file, or its scenarios do not match its hash.
    """
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
    except gzip.BadGzipFile as exc:
        raise InputError(f"{path}: not a suite file ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read as a suite ({exc.strerror or exc})") from None
    except (EOFError, zlib.error, ValueError) as exc:
        raise InputError(f"{path}: not a suite file ({exc})") from None
    manifest = data.get("manifest") if isinstance(data, dict) else None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path}: not a suite file (no {FORMAT} manifest)")
    rows = data.get("scenarios", {})
    if content_hash(rows) != manifest.get("content_sha256"):
        raise InputError(f"{path}: its scenarios do not match the manifest's content hash; rebuild it")
    splits = {
        split: tuple(
            scenario_from_dict(row, f"{path}:{split}", schema_checked) for row in rows.get(split, [])
        )
        for split in SPLITS
    }
    return Suite(manifest.get("name", path.name.removesuffix(SUFFIX)), manifest, **splits)


def suite_path(name: str) -> Path | None:
    """The file of suite ``name``: a path to a suite file as given, the shipped one, else the cache's
    copy (a shipped suite rebuilt into the cache is used only by its path, so that the shipped figures
    stay reproducible); ``None`` when there is none."""
    if name.endswith(SUFFIX):
        return Path(name)
    for folder in (shipped_folder(), cache_folder()):
        path = folder / f"{name}{SUFFIX}"
        if path.is_file():
            return path
    return None
