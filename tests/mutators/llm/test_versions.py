"""The renaming of names in a source, which BEST_SHOT's versions and the parser share."""

from __future__ import annotations

from aurora_evo.mutators.llm.versions import rename_names


def test_rename_names_leaves_strings_attributes_and_keywords():
    source = 'def f(x, out=None):\n    """f and x."""\n    return np.add(x, x.f, out=out) + f(x)\n'
    renamed = rename_names(source, {"f": "g", "out": "o"})
    assert renamed == 'def g(x, o=None):\n    """f and x."""\n    return np.add(x, x.f, out=o) + g(x)\n'
    assert rename_names("not python (", {"a": "b"}) == "not python ("
