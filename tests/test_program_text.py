"""Program text: parsing, comments, normal form, complexity, similarity and novelty, splicing."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aurora_evo import program_text
from aurora_evo.program_text import (
    MAX_SOURCE_CHARS,
    ProgramError,
    SourceText,
    code_complexity,
    code_novelty,
    code_similarity,
    comment_tokens,
    find_function,
    is_docstring,
    normalise_source,
    parse_program,
    parse_source,
)

SMALL = "def priority(item, bins):\n    return -bins\n"
BIGGER = """
import numpy as np


def priority(item, bins):
    \"\"\"Best fit, with a penalty for bins left nearly empty.\"\"\"
    spare = bins - item  # room left
    score = -spare
    score[spare > 0.9] -= 10.0
    return score
"""

# --- parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "parser_error"),
    [
        ("def priority(item, bins)\n    return bins\n", "syntax error at line 1: expected ':'", SyntaxError),
        ("x = (" * 300 + "1" + ")" * 300, "syntax error at line 1: too many nested parentheses", SyntaxError),
    ],
)
def test_parse_source_raises_one_error_type_carrying_the_parsers(source, message, parser_error):
    with pytest.raises(ProgramError, match=message) as caught:
        parse_source(source)
    assert isinstance(caught.value.parser_error, parser_error)


def test_parse_source_takes_any_module_and_any_length():
    long = "x = 1\n" * (MAX_SOURCE_CHARS // 6 + 1)
    assert len(parse_source(long).body) == MAX_SOURCE_CHARS // 6 + 1
    assert parse_source("").body == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a" * (MAX_SOURCE_CHARS + 1), "the limit is 64000"),
        ("def priority(item, bins):\nreturn bins\n", "syntax error at line 2: expected an indented block"),
        ("def other(item, bins):\n    return bins\n", "no top-level function named priority()"),
        ("def priority(bins):\n    return bins\n", "priority() must take exactly two arguments"),
    ],
)
def test_parse_program_refuses_what_is_not_a_program(source, message):
    with pytest.raises(ProgramError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        parse_program(source)
    assert caught.value.parser_error is None or "syntax error" in message


def test_parse_program_checks_the_first_definition():
    two, one = "def priority(a, b):\n    return b\n", "def priority(a):\n    return a\n"
    assert isinstance(parse_program(f"{two}\n\n{one}"), ast.Module)
    with pytest.raises(ProgramError, match="exactly two"):
        parse_program(f"{one}\n\n{two}")


def test_find_function_and_is_docstring():
    tree = parse_source(BIGGER)
    function = find_function(tree)
    assert function is not None and function.name == "priority"
    assert find_function(tree, "missing") is None
    assert is_docstring(function.body[0]) and not is_docstring(function.body[1])
    assert not is_docstring(parse_source("0\n").body[0])


# --- comments ----------------------------------------------------------------------------------------


def test_comment_tokens_stop_where_the_tokenizer_gives_up():
    assert [t.string for t in comment_tokens(BIGGER)] == ["# room left"]
    unclosed = "x = 1  # one\ny = (  # two\n"
    assert [t.string for t in comment_tokens(unclosed)] == ["# one", "# two"]
    assert comment_tokens(unclosed, all_or_none=True) == []


# --- normal form and complexity ----------------------------------------------------------------------


def test_code_complexity_counts_ast_nodes():
    # Module, FunctionDef, arguments, arg, arg, Return, UnaryOp, USub, Name, Load
    assert code_complexity(SMALL) == 10.0
    assert code_complexity(BIGGER) > code_complexity(SMALL)
    assert code_complexity(SMALL + "# a comment\n\n\n") == code_complexity(SMALL)


# --- similarity and novelty --------------------------------------------------------------------------

RENAMED = """
import numpy as np

def priority(item, bins):
    leftover = bins - item
    s = -leftover
    s[leftover > 0.5] -= 3.0
    return s
"""
UNRELATED = """
import numpy as np

def priority(item, bins):
    order = np.argsort(bins)
    ranks = np.empty_like(order)
    ranks[order] = np.arange(len(bins))
    if item > 0.5:
        return ranks.astype(float)
    return np.log1p(np.abs(np.sin(bins * item))) + np.exp(-ranks)
"""


def test_normalise_source_strips_comments_docstrings_and_layout():
    expected = "import numpy as np\n\ndef priority(item, bins):\n    spare = bins - item"
    assert normalise_source(BIGGER).startswith(expected)
    assert "#" not in normalise_source(BIGGER) and "Best fit" not in normalise_source(BIGGER)
    assert normalise_source("def f( x ):\n  return x+1  # c\n") == normalise_source(
        "def f(x):\n    return (x + 1)"
    )
    assert normalise_source("def f(x):\n    return x") != normalise_source("def f(y):\n    return y")
    broken = "def f(x:\n    return x  # comment\n\n"
    assert normalise_source(broken) == "def f(x:\n    return x"


def test_novelty_of_identical_renamed_and_unrelated_sources():
    assert code_novelty(BIGGER, [BIGGER]) == 0.0
    assert code_novelty(BIGGER, [RENAMED]) < 0.05
    assert code_similarity(BIGGER, RENAMED) == pytest.approx(1.0)
    assert code_novelty(BIGGER, [UNRELATED]) > 0.6
    assert code_novelty(BIGGER, [UNRELATED, RENAMED]) < 0.05
    assert code_novelty(BIGGER, []) == 1.0
    assert 0.0 < code_novelty(SMALL, [BIGGER]) < 1.0


def test_a_small_edit_is_less_novel_than_a_rewrite():
    edited = BIGGER.replace("-spare", "-spare * spare")
    assert code_novelty(edited, [BIGGER]) < code_novelty(UNRELATED, [BIGGER])


def test_novelty_tolerates_broken_and_empty_sources():
    assert code_novelty("def f(:\n", ["def f(:\n"]) == 0.0
    assert code_novelty("", [""]) == 0.0
    assert 0.0 <= code_novelty("((((", [BIGGER]) <= 1.0
    assert code_novelty("def f(:\x1c\n  # c\x0c\n", ["def f(:\n"]) == 0.0  # odd line breaks
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    assert 0.0 <= code_novelty(deep, [BIGGER]) <= 1.0


@given(st.lists(st.text(max_size=60), min_size=2, max_size=4))
def test_similarity_is_a_symmetric_fraction(sources):
    a, b = sources[0], sources[1]
    assert 0.0 <= code_similarity(a, b) <= 1.0
    assert code_similarity(a, b) == pytest.approx(code_similarity(b, a))
    assert code_similarity(a, a) == 1.0
    assert 0.0 <= code_novelty(a, sources[1:]) <= 1.0


def test_novelty_is_fast_on_a_population():
    def program(i: int) -> str:
        lines = [
            f"    x{j} = bins * {i * j} + np.{('log1p', 'sqrt', 'exp')[(i + j) % 3]}(item)" for j in range(45)
        ]
        return "import numpy as np\n\ndef priority(item, bins):\n" + "\n".join(lines) + "\n    return x0\n"

    population = [program(i) for i in range(100)]
    code_novelty(program(100), population)  # tokenises and caches every program once
    # No timing (a loaded or parallel machine makes any bound flaky): the next candidate is compared with
    # the cached n-grams of the population, so only its own source is tokenised.
    before = program_text._ngrams.cache_info()
    code_novelty(program(101), population)
    after = program_text._ngrams.cache_info()
    assert after.misses - before.misses == 1


# --- splicing ----------------------------------------------------------------------------------------


def test_source_text_splices_at_ast_positions_in_utf8_bytes():
    source = 'def priority(item, bins):\n    s = "é"  # é\n    return bins * 2.0\n'
    text = SourceText(source)
    constant = next(
        n for n in ast.walk(parse_source(source)) if isinstance(n, ast.Constant) and n.value == 2.0
    )
    assert text.get(text.start(constant), text.end(constant)) == "2.0"
    assert text.line_of(text.start(constant)) == 2 and text.line_start(3) == text.start(constant) - 18
    edited = text.splice([(text.start(constant), text.end(constant), "3.0")])
    assert edited == source.replace("2.0", "3.0")


def test_splice_can_drop_the_comments_of_the_lines_it_touches():
    source = "def priority(item, bins):\n    room = bins - item  # room left\n    return room  # kept\n"
    text = SourceText(source)
    sub = next(n for n in ast.walk(parse_source(source)) if isinstance(n, ast.BinOp))
    start, end = text.start(sub), text.end(sub)
    edited = text.splice([(start, end, "bins + item")], drop_comments=True)
    assert edited == "def priority(item, bins):\n    room = bins + item\n    return room  # kept\n"


def test_source_text_counts_lines_as_the_parser_does():
    source = "x = 1\ry = x\r\nz = y\n"
    text = SourceText(source)
    names = [n for n in ast.walk(parse_source(source)) if isinstance(n, ast.Name)]
    assert [text.get(text.start(n), text.end(n)) for n in names] == [n.id for n in names]
