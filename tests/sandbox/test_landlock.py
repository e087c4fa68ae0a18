"""The file-system view's rules (aurora_evo.sandbox.landlock): what is granted, and what is left out.
That a jail cannot read outside them is tested on a jail in test_corpus.py."""

from __future__ import annotations

from pathlib import Path

from aurora_evo.sandbox import landlock
from aurora_evo.sandbox.landlock import _READ_DIR, _READ_FILE


def _tree(root: Path) -> None:
    for path in ("lib/python/os.py", "lib/python/site-packages/numpy/core.py",
                 "lib/python/site-packages/pkg/mod.py", "lib/python/site-packages/pkg/data/set.json",
                 "lib/python/site-packages/pkg/sub/inner.py", "bin/python"):  # fmt: skip
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("x")


def test_everything_around_an_excluded_folder_is_granted_entry_by_entry(tmp_path):
    _tree(tmp_path)
    package = tmp_path / "lib/python/site-packages/pkg"
    rules: list = []
    landlock._grant_around(tmp_path, package, rules)
    granted = {path.relative_to(tmp_path).as_posix(): access for path, access in rules}
    both = _READ_FILE | _READ_DIR
    assert granted == {
        ".": _READ_DIR, "bin": both, "lib": _READ_DIR, "lib/python": _READ_DIR,
        "lib/python/os.py": _READ_FILE, "lib/python/site-packages": _READ_DIR,
        "lib/python/site-packages/numpy": both,
    }  # fmt: skip


def test_the_package_is_granted_its_code_and_not_its_data():
    import aurora_evo

    package = Path(aurora_evo.__file__).resolve().parent
    rules = landlock.readable_rules()
    inside = {path: access for path, access in rules if path.is_relative_to(package)}
    assert inside[package] == _READ_DIR  # listing only: each file is granted on its own
    files = {path for path, access in inside.items() if path != package}
    assert package / "contracts.py" in files and package / "sandbox" / "jail.py" in files
    assert all(path.suffix in (".py", ".pyc", ".nbi", ".nbc") for path in files)
    data = list((package / "domains" / "binpacking" / "data").iterdir())
    assert data and not any(path in files for path in data)
    # and nothing granted elsewhere reaches into the package
    assert not any(package.is_relative_to(path) and path != package for path, access in rules
                   if access & _READ_FILE)  # fmt: skip
