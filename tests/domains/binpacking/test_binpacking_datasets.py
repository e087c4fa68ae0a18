"""Loaders of the bin-packing formats, the shipped data and the rules every malformed file breaks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aurora_evo.domains.binpacking import (
    Dataset,
    DatasetError,
    Instance,
    VectorInstance,
    builtin_dataset_path,
    builtin_datasets,
    l1_bound,
    load_dataset,
    load_funsearch_json,
    load_orlib,
    load_vbp,
)

# --- writers (the inverse of the loaders) ---------------------------------------------------------


def write_json(path: Path, instances: list[Instance]) -> Path:
    data = {
        i.name: {"capacity": i.capacity, "num_items": len(i.items), "items": i.items.tolist()}
        for i in instances
    }
    path.write_text(json.dumps(data))
    return path


def write_orlib(path: Path, instances: list[Instance]) -> Path:
    lines = [f" {len(instances)}"]
    for i in instances:
        lines += [f" {i.name}", f" {i.capacity!r} {len(i.items)} 0", *(repr(x) for x in i.items.tolist())]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_vbp(path: Path, instance: VectorInstance, multiplicities: list[int]) -> Path:
    """Rows of ``instance.items`` are taken in runs of ``multiplicities``."""
    lines = [
        str(len(instance.capacities)),
        " ".join(map(repr, instance.capacities.tolist())),
        str(len(multiplicities)),
    ]
    row = 0
    for q in multiplicities:
        lines.append(" ".join(map(repr, instance.items[row].tolist())) + f" {q}")
        row += q
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the shipped data ------------------------------------------------------------------------------


def test_builtin_datasets_have_funsearch_shapes():
    datasets = builtin_datasets()
    assert list(datasets) == ["OR3", "Weibull 5k"]
    or3, weibull = datasets["OR3"], datasets["Weibull 5k"]
    assert [i.name for i in or3.instances] == [f"u500_{k:02d}" for k in range(20)]
    assert {(i.capacity, len(i.items)) for i in or3.instances} == {(150.0, 500)}
    assert [i.name for i in weibull.instances] == [f"test_{k}" for k in range(5)]
    assert {(i.capacity, len(i.items)) for i in weibull.instances} == {(100.0, 5000)}
    assert "funsearch" in or3.source
    # Per-instance L1 bounds the FunSearch notebook prints for Weibull 5k.
    assert [l1_bound(i) for i in weibull.instances] == [2012, 1983, 1978, 1986, 1980]


def test_orlib_text_equals_funsearch_json_for_or3():
    text = load_orlib(builtin_dataset_path("binpack3"))
    assert text.instances == builtin_datasets()["OR3"].instances


def test_or3_l1_bounds_match_best_known_csv():
    csv_path = builtin_dataset_path("binpack3").with_name("best_known.csv")
    with csv_path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    or3 = {i.name: i for i in builtin_datasets()["OR3"].instances}
    assert [r["instance"] for r in rows] == list(or3)
    for row in rows:
        assert (
            l1_bound(or3[row["instance"]]) == int(row["l1_lower_bound"]) == int(row["bpplib_proven_optimum"])
        )
    assert np.mean([int(r["l1_lower_bound"]) for r in rows]) == pytest.approx(201.2)


def test_shipped_files_are_the_shared_copies():
    repo = Path(__file__).resolve().parents[3]
    candidates = [repo.parent / "shared" / "data" / "bin_packing", Path("/work/shared/data/bin_packing")]
    shared = next((path for path in candidates if path.is_dir()), None)
    if shared is None:
        pytest.skip("the shared data folder is not beside this checkout")
    for name, sub in [("or3.json", "funsearch"), ("weibull_5k.json", "funsearch"), ("binpack3.txt", "orlib")]:
        ours = builtin_dataset_path("binpack3").with_name(name)
        assert ours.read_bytes() == (shared / sub / name).read_bytes()


def test_builtin_dataset_path_rejects_unknown_names():
    with pytest.raises(DatasetError, match="unknown built-in dataset 'OR9'; choose one of OR3"):
        builtin_dataset_path("OR9")


# --- round trips -----------------------------------------------------------------------------------

sizes = st.integers(1, 150).map(float) | st.floats(0.5, 150.0, allow_nan=False, allow_infinity=False)
instances = st.lists(st.lists(sizes, min_size=1, max_size=30), min_size=1, max_size=4).map(
    lambda lists: [Instance(f"inst_{k}", 150.0, np.array(items)) for k, items in enumerate(lists)]
)


@settings(max_examples=40, deadline=None)
@given(instances=instances)
def test_json_and_orlib_round_trip(tmp_path_factory, instances):
    folder = tmp_path_factory.mktemp("rt")
    from_json = load_funsearch_json(write_json(folder / "set.json", instances))
    from_text = load_orlib(write_orlib(folder / "set.txt", instances))
    assert from_json.instances == from_text.instances == tuple(instances)
    assert from_json.name == from_text.name == "set"


@settings(max_examples=30, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.lists(st.integers(0, 10), min_size=2, max_size=2), st.integers(1, 3)),
        min_size=1,
        max_size=6,
    ).filter(lambda rows: all(any(w) for w, _ in rows))
)
def test_vbp_round_trip_expands_multiplicities_in_order(tmp_path_factory, rows):
    items = np.array([w for w, q in rows for _ in range(q)], dtype=float)
    instance = VectorInstance("v", np.array([10.0, 12.0]), items)
    path = write_vbp(tmp_path_factory.mktemp("vbp") / "v.vbp", instance, [q for _, q in rows])
    loaded = load_vbp(path)
    assert loaded.instances == (instance,)
    assert load_dataset(path) == loaded


def test_load_dataset_dispatches_on_extension_and_content(tmp_path):
    instance = Instance("a", 10.0, np.array([3.0, 4.0]))
    json_in_dat = write_json(tmp_path / "x.dat", [instance])
    text = write_orlib(tmp_path / "y.txt", [instance])
    assert load_dataset(json_in_dat).instances == load_dataset(text).instances == (instance,)
    assert load_dataset(write_json(tmp_path / "z.json", [instance]), name="Z").name == "Z"


# --- the data model --------------------------------------------------------------------------------


def test_instance_is_frozen_readonly_and_hashable():
    source = np.array([1, 2, 3])
    instance = Instance("a", 10, source)
    source[0] = 9
    assert instance.items.dtype == np.float64 and instance.items.tolist() == [1.0, 2.0, 3.0]
    assert isinstance(instance.capacity, float)
    with pytest.raises(ValueError, match="read-only"):
        instance.items[0] = 5.0
    assert instance == Instance("a", 10.0, np.array([1.0, 2.0, 3.0]))
    assert len({instance, Instance("a", 10.0, [1, 2, 3])}) == 1


@pytest.mark.parametrize(
    ("capacity", "items", "message"),
    [
        (10, [1, -5], "instance a: item 1 is -5, items must be positive"),
        (10, [0, 1], "instance a: item 0 is 0, items must be positive"),
        (10, [1, 11], "instance a: item 1 is 11, larger than the capacity 10"),
        (10, [np.nan], "instance a: item 0 is nan, items must be finite"),
        (0, [1], "instance a: capacity is 0, it must be a positive finite number"),
        (10, [], r"instance a: items has shape \(0,\), it must be 1-D and non-empty"),
        (10, [[1, 2]], r"instance a: items has shape \(1, 2\)"),
    ],
)
def test_instance_rejects(capacity, items, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        Instance("a", capacity, items)


def test_dataset_rejects_empty_and_duplicate_names():
    instance = Instance("a", 10.0, [1.0])
    with pytest.raises(ValueError, match="has no instances"):
        Dataset("d", (), "test")
    with pytest.raises(ValueError, match="instance name 'a' appears twice"):
        Dataset("d", (instance, instance), "test")


# --- malformed files -------------------------------------------------------------------------------

GOOD = {"u1": {"capacity": 150, "num_items": 3, "items": [20, 30, 40]}}


def bad_json(**record) -> str:
    return json.dumps({"u1": {**GOOD["u1"], **record}})


JSON_CASES = [
    ('{"u1": {"capacity": 150,', "invalid JSON at line 1 column 25: Expecting property name"),
    ("[1, 2]", "top level is a list, it must be an object of instances"),
    ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
    ("{}", "has no instances"),
    ('{"u1": 5}', "instance u1: value is 5, it must be an object"),
    ('{"u1": {"num_items": 1, "items": [1]}}', "instance u1: field 'capacity' is missing"),
    ('{"u1": {"capacity": 9, "items": [1]}}', "instance u1: field 'num_items' is missing"),
    ('{"u1": {"capacity": 9, "num_items": 1}}', "instance u1: field 'items' is missing"),
    (bad_json(capacity="150"), "instance u1: capacity is '150', it must be a number"),
    (bad_json(capacity=True), "instance u1: capacity is true, it must be a number"),
    (bad_json(capacity=0), "instance u1: capacity is 0, it must be a positive finite number"),
    (bad_json(capacity=-3.5), "instance u1: capacity is -3.5, it must be a positive finite number"),
    (bad_json(num_items=3.0), "instance u1: num_items is 3.0, it must be an integer"),
    (bad_json(num_items=4), "instance u1: num_items is 4 but items has 3 entries"),
    (bad_json(items="20 30"), "instance u1: items is '20 30', it must be a list of numbers"),
    (bad_json(items=[20, None, 40]), "instance u1: item 1 is null, items must be numbers"),
    (bad_json(items=[20, [30], 40]), "instance u1: item 1 is a list, items must be numbers"),
    (bad_json(num_items=4, items=[20, 30, 40, -5]), "instance u1: item 3 is -5, items must be positive"),
    (bad_json(items=[20, 0, 40]), "instance u1: item 1 is 0, items must be positive"),
    (bad_json(items=[20, 151, 40]), "instance u1: item 1 is 151, larger than the capacity 150"),
    (
        '{"u1": {"capacity": 150, "num_items": 1, "items": [NaN]}}',
        "invalid JSON: NaN is not allowed in JSON",
    ),
    (
        '{"u1": {"capacity": 150, "num_items": 1, "items": [1e999]}}',
        "invalid JSON: 1e999 is too large for a number",
    ),
    ('{"a": 1, "a": 2}', "key 'a' appears twice"),
    (bad_json(num_items=0, items=[]), "instance u1: items has shape (0,), it must be 1-D and non-empty"),
]

ORLIB_CASES = [
    ("", "file is empty, expected the number of problems"),
    ("2\n u1\n 150 2 1\n 20\n 30\n", "line 5: file ends before the name of problem 2 (truncated?)"),
    (
        "1\n u1\n 150 3 1\n 20\n 30\n",
        "line 5: file ends before item 2 of problem u1 (3 announced) (truncated?)",
    ),
    ("x\n", "line 1: the number of problems is 'x', not an integer"),
    ("0\n", "line 1: the number of problems is 0, it must be >= 1"),
    ("1\n u1\n cap 2 1\n 20\n 30\n", "line 3: the capacity of problem u1 is 'cap', not a number"),
    ("1\n u1\n inf 2 1\n 20\n 30\n", "line 3: the capacity of problem u1 is 'inf', it must be finite"),
    ("1\n u1\n 150 2.5 1\n 20\n 30\n", "line 3: the item count of problem u1 is '2.5', not an integer"),
    ("1\n u1\n 150 2 b\n 20\n 30\n", "line 3: the best known bin count of problem u1 is 'b', not an integer"),
    ("1\n u1\n 150 2 1\n 20\n abc\n", "line 5: item 1 of problem u1 (2 announced) is 'abc', not a number"),
    ("1\n u1\n 150 2 1\n 20\n 160\n", "instance u1: item 1 is 160, larger than the capacity 150"),
    ("1\n u1\n 150 2 1\n 20\n -1\n", "instance u1: item 1 is -1, items must be positive"),
    (
        "1\n u1\n 150 2 1\n 20\n 30\n 40\n",
        "line 6: unexpected data '40' after the last of the 1 announced problems",
    ),
    ("2\n u1\n 150 1 1\n 20\n u1\n 150 1 1\n 30\n", "dataset set: instance name 'u1' appears twice"),
]

VBP_CASES = [
    ("2\n10 10\n1\n3 4\n", "line 4: file ends before the multiplicity of item type 0 (truncated?)"),
    ("2\n10 10\n1\n3 4 0\n", "line 4: the multiplicity of item type 0 is 0, it must be >= 1"),
    ("0\n", "line 1: the number of dimensions is 0, it must be >= 1"),
    ("2\n10 10\n1\n3 11 1\n", "instance set: item 0 is [3.0, 11.0], a demand exceeds its capacity"),
    ("2\n10 10\n1\n3 -1 1\n", "instance set: item 0 is [3.0, -1.0], demands must be non-negative"),
    ("2\n10 10\n1\n0 0 2\n", "instance set: item 0 is [0.0, 0.0], an item needs a positive demand"),
    ("2\n10 0\n1\n1 0 2\n", "instance set: capacities must be positive finite numbers"),
    (
        "2\n10 10\n2\n1 1 1\n1 2 99999999\n",
        "line 5: the multiplicity of item type 1 is 99999999, more than the 9999999",
    ),
    ("2\n10 10\n1\n1 1 1\n7\n", "line 5: unexpected data '7' after the last of the 1 announced item types"),
]


def check_one_line_error(path: Path, loader, expected: str) -> None:
    with pytest.raises(DatasetError) as info:
        loader(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    assert expected in message, message


@pytest.mark.parametrize(("text", "expected"), JSON_CASES, ids=[rule for _, rule in JSON_CASES])
def test_malformed_json(tmp_path, text, expected):
    check_one_line_error(_write(tmp_path / "set.json", text), load_funsearch_json, expected)
    check_one_line_error(_write(tmp_path / "set.json", text), load_dataset, expected)


@pytest.mark.parametrize(("text", "expected"), ORLIB_CASES, ids=[rule for _, rule in ORLIB_CASES])
def test_malformed_orlib(tmp_path, text, expected):
    check_one_line_error(_write(tmp_path / "set.txt", text), load_orlib, expected)


@pytest.mark.parametrize(("text", "expected"), VBP_CASES, ids=[rule for _, rule in VBP_CASES])
def test_malformed_vbp(tmp_path, text, expected):
    check_one_line_error(_write(tmp_path / "set.vbp", text), load_vbp, expected)


@pytest.mark.parametrize("loader", [load_dataset, load_funsearch_json, load_orlib, load_vbp])
def test_unreadable_files(tmp_path, loader):
    check_one_line_error(tmp_path / "missing.json", loader, "no such file")
    check_one_line_error(tmp_path, loader, "is a directory, not a file")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b'{"a": "\xff\xfe"}')
    check_one_line_error(binary, loader, "byte 7 is not UTF-8; expected a text file")


def test_example_message_from_the_brief(tmp_path):
    path = tmp_path / "or3.json"
    path.write_text(json.dumps({"u500_00": {"capacity": 150, "num_items": 4, "items": [1, 2, 3, -5]}}))
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert str(info.value) == f"{path}: instance u500_00: item 3 is -5, items must be positive"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
