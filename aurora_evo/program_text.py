"""A program's source as text: parsing it, normalising it, measuring and comparing it, editing it.

Everything here reads source and nothing runs it:

* parsing: :func:`parse_source` (any Python module), :func:`parse_program` (a program: at most
  :data:`MAX_SOURCE_CHARS` characters, with a top-level ``priority(a, b)``), one error type,
  :class:`ProgramError`; :func:`find_function` and :func:`is_docstring` read the tree;
* comments: :func:`comment_tokens`;
* normalising: :func:`normalise_source`, the text program ids and duplicate refusals are computed from;
* measuring and comparing: :func:`code_complexity` (syntax-tree nodes), :func:`code_similarity` and
  :func:`code_novelty` (n-grams of the abstracted syntax tree);
* editing: :class:`SourceText`, byte offsets of ``ast`` positions and splicing replacements in, so that
  everything an edit does not touch (comments, docstrings, layout) is kept verbatim.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import functools
import io
import keyword
import re
import tokenize
from collections import Counter
from collections.abc import Sequence

from aurora_evo.errors import one_line

__all__ = [
    "MAX_SOURCE_CHARS",
    "NGRAM",
    "ProgramError",
    "SourceText",
    "code_complexity",
    "code_novelty",
    "code_similarity",
    "comment_tokens",
    "find_function",
    "is_docstring",
    "normalise_source",
    "parse_program",
    "parse_source",
]

# --- parsing -------------------------------------------------------------------------------------

#: Programs longer than this are refused before parsing (a 5 MB source takes ~20 s to parse).
MAX_SOURCE_CHARS = 64_000

#: What the parser raises on text it refuses: ``SyntaxError``, ``ValueError`` (null bytes on some
#: Pythons), ``MemoryError``/``RecursionError`` (nesting it cannot hold), ``OverflowError``.
_PARSER_ERRORS = (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError)


class ProgramError(ValueError):
    """The source is not a usable program (syntax error, no ``priority`` function, too long...).

    Attributes:
        parser_error: the exception the parser raised, when the source does not parse (``None``
            otherwise), for callers that word the failure their own way.
    """

    def __init__(self, message: str, *, parser_error: BaseException | None = None):
        super().__init__(message)
        self.parser_error = parser_error


def parse_source(source: str) -> ast.Module:
    """The syntax tree of ``source``, any Python module (no size limit, no required function).

    Raises:
        ProgramError: the parser refused the text, e.g. ``"syntax error at line 3: invalid syntax"``;
            its ``parser_error`` is what the parser raised.
    """
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        raise ProgramError(f"syntax error{where}: {exc.msg}", parser_error=exc) from None
    except _PARSER_ERRORS as exc:
        raise ProgramError(f"the source cannot be parsed ({one_line(exc)})", parser_error=exc) from None


def find_function(tree: ast.Module, name: str = "priority") -> ast.FunctionDef | None:
    """The first top-level ``def name`` of a module, or ``None``."""
    return next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)


def parse_program(source: str, function_name: str = "priority") -> ast.Module:
    """Parse ``source`` and check that it defines ``function_name`` with two positional arguments.

    Raises:
        ProgramError: the source is longer than :data:`MAX_SOURCE_CHARS`, does not parse, or lacks the
            function (its first top-level definition is the one checked).
    """
    if len(source) > MAX_SOURCE_CHARS:
        raise ProgramError(f"source is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}")
    tree = parse_source(source)
    function = find_function(tree, function_name)
    if function is None:
        raise ProgramError(f"no top-level function named {function_name}()")
    if len(function.args.args) != 2:
        raise ProgramError(f"{function_name}() must take exactly two arguments")
    return tree


def is_docstring(statement: ast.stmt) -> bool:
    """Whether a statement is a bare string (a docstring where it comes first)."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


# --- comments ------------------------------------------------------------------------------------


def comment_tokens(source: str, *, all_or_none: bool = False) -> list[tokenize.TokenInfo]:
    """The comment tokens of ``source``, in order (rows count ``\\n`` line breaks only).

    Where the tokenizer gives up (an unclosed bracket or string), the comments before that point are
    returned, or none at all with ``all_or_none``.
    """
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found.append(token)
    except (tokenize.TokenError, SyntaxError):
        return [] if all_or_none else found
    return found


def _strip_comments(source: str) -> str:
    """``source`` without comments, blank lines and trailing spaces (read as text, for any source)."""
    lines = source.split("\n")  # the tokenizer's rows: splitlines() would also split at \x0c, \x1c...
    for token in comment_tokens(source):
        row, col = token.start
        lines[row - 1] = lines[row - 1][:col]
    return "\n".join(line.rstrip() for line in lines if line.strip())


# --- normalising ---------------------------------------------------------------------------------


def _drop_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and is_docstring(body[0]):
                node.body = body[1:] or ([] if isinstance(node, ast.Module) else [ast.Pass()])


@functools.lru_cache(maxsize=4096)
def normalise_source(source: str) -> str:
    """The source without comments, docstrings and formatting differences (parsed and unparsed); names
    and constants are kept. Source that does not parse only loses comments, blank lines and trailing
    spaces. Equal results mean the programs differ only in comments, docstrings or layout."""
    try:
        tree = parse_source(source)
        _drop_docstrings(tree)
        return ast.unparse(tree)
    except (ValueError, RecursionError):  # ProgramError; ast.unparse recursing too deep
        return _strip_comments(source)


# --- measuring and comparing ---------------------------------------------------------------------


def code_complexity(source: str) -> float:
    """Number of AST nodes in the module (a size measure that ignores formatting and comments): about
    30 for first fit, 60-150 for the other seeds, 20-450 for genetic programming's trees.

    Raises:
        ProgramError: the source does not parse.
    """
    return float(sum(1 for _ in ast.walk(parse_source(source))))


#: Names kept as they are when abstracting a program: their meaning does not depend on the program.
_FIXED_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"np", "numpy", "math"}
_FALLBACK_TOKEN = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\S")

#: n-gram length of :func:`code_similarity`: long enough to see structure, short enough that one
#: edit changes few n-grams.
NGRAM = 3


def _node_token(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id if node.id in _FIXED_NAMES else "<id>"
    if isinstance(node, ast.Attribute):
        return f".{node.attr}"
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            return repr(value)
        return "<str>" if isinstance(value, str | bytes) else "<num>"
    return type(node).__name__


@functools.lru_cache(maxsize=4096)
def _abstract_tokens(source: str) -> tuple[str, ...]:
    """The program as a token stream: its AST in depth-first order, one token per node (the node type;
    ``<id>`` for a name the program chose, ``<num>``/``<str>`` for constants, ``.attr`` for attribute
    access), docstrings dropped. Keywords, builtins and ``np``/``math`` stay, so ``np.log`` and
    ``np.exp`` differ while renaming a variable or tuning a constant changes nothing. (Names are not
    numbered by first use: one new early variable would renumber every later one.) Source that does
    not parse is split into words and symbols instead."""
    try:
        tree = parse_source(source)
    except ProgramError:
        return tuple(_FALLBACK_TOKEN.findall(_strip_comments(source)))
    _drop_docstrings(tree)
    out = []
    stack: list[ast.AST] = [tree]
    while stack:  # iterative, so that deeply nested hostile sources cannot overflow the stack
        node = stack.pop()
        if isinstance(node, ast.expr_context):
            continue
        out.append(_node_token(node))
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _ngrams(source: str) -> tuple[Counter, int]:
    """The multiset of the abstracted token stream's :data:`NGRAM`-grams, and its size."""
    tokens = _abstract_tokens(source)
    n = min(NGRAM, len(tokens))
    grams = Counter(tokens[i : i + n] for i in range(len(tokens) - n + 1)) if tokens else Counter()
    return grams, sum(grams.values())


def _dice(a: tuple[Counter, int], b: tuple[Counter, int]) -> float:
    (ga, na), (gb, nb) = a, b
    if na + nb == 0:
        return 1.0
    small, large = (ga, gb) if len(ga) <= len(gb) else (gb, ga)
    shared = sum(min(count, large[gram]) for gram, count in small.items() if gram in large)
    return 2.0 * shared / (na + nb)


def code_similarity(a: str, b: str) -> float:
    """Similarity in [0, 1] of two sources: the Dice coefficient of the multisets of n-grams of their
    abstracted token streams (see :func:`_abstract_tokens`). 1 when they differ only in comments,
    layout, names of their own variables or constants; near 0 for unrelated programs. Unlike difflib's
    ratio (quadratic in program length), it costs linear time, and cached n-grams make repeated
    comparisons cheap."""
    return _dice(_ngrams(a), _ngrams(b))


def code_novelty(source: str, others: Sequence[str]) -> float:
    """1 - the highest :func:`code_similarity` of ``source`` to any of ``others``, in [0, 1]; 1 when
    there are no others. About 100 comparisons of 50-line programs take a few milliseconds (n-grams
    are cached, and pairs whose size alone bounds their similarity below the best so far are skipped)."""
    mine = _ngrams(source)
    best = 0.0
    for other in others:
        theirs = _ngrams(other)
        total = mine[1] + theirs[1]
        if total and 2.0 * min(mine[1], theirs[1]) / total <= best:
            continue
        best = max(best, _dice(mine, theirs))
        if best >= 1.0:
            break
    return 1.0 - best


# --- editing -------------------------------------------------------------------------------------


class SourceText:
    """A source as UTF-8 bytes, the offsets of ``ast`` positions in it (``col_offset`` counts UTF-8
    bytes), and splicing replacements in at those offsets.

    Attributes:
        data: the source, UTF-8 encoded.
        starts: byte offset of the start of each line (0-based index = line number - 1), then the
            length of ``data``; lines end at ``\\n``, ``\\r\\n`` or ``\\r``, as for the parser.
    """

    def __init__(self, source: str):
        self.data = source.encode("utf-8")
        self.starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def start(self, node: ast.AST) -> int:
        """Byte offset where ``node`` starts."""
        return self.starts[node.lineno - 1] + node.col_offset

    def end(self, node: ast.AST) -> int:
        """Byte offset just past ``node``."""
        return self.starts[node.end_lineno - 1] + node.end_col_offset

    def line_start(self, lineno: int) -> int:
        """Byte offset of the start of (1-based) line ``lineno``; the end of the text past the last."""
        return self.starts[min(lineno, len(self.starts)) - 1]

    def get(self, start: int, end: int) -> str:
        """The text between two byte offsets."""
        return self.data[start:end].decode("utf-8")

    def line_of(self, offset: int) -> int:
        """The line holding byte ``offset``, counted from 0 (``line_start`` counts from 1)."""
        return bisect.bisect_right(self.starts, offset) - 1

    def splice(self, edits: list[tuple[int, int, str]], *, drop_comments: bool = False) -> str:
        """The text with each ``(start, end, replacement)`` applied (non-overlapping byte ranges).

        ``drop_comments``: also remove the comments on the lines an edit touches, which described the
        code it changed (e.g. a GP preamble line's ``# room left after placement / capacity`` after
        its ``/`` became ``*``).
        """
        if drop_comments:
            touched = {
                n for start, end, _ in edits for n in range(self.line_of(start), self.line_of(end) + 1)
            }
            edits = edits + [
                span
                for span in self._comments()
                if self.line_of(span[0]) in touched
                and not any(start < span[1] and span[0] < end for start, end, _ in edits)  # replaced anyway
            ]
        data = self.data
        for start, end, text in sorted(edits, key=lambda e: e[0], reverse=True):
            data = data[:start] + text.encode("utf-8") + data[end:]
        return data.decode("utf-8")

    def _comments(self) -> list[tuple[int, int, str]]:
        """Byte spans of the comments, each with the blanks before it, as removal edits (none when the
        tokenizer cannot read the whole text)."""
        source = self.data.decode("utf-8")
        lines = source.splitlines(keepends=True)
        spans = []
        for token in comment_tokens(source, all_or_none=True):
            (row, col), (_, end_col) = token.start, token.end
            line = lines[row - 1]
            first = len(line[:col].rstrip())
            base = self.starts[row - 1]
            spans.append((base + len(line[:first].encode()), base + len(line[:end_col].encode()), ""))
        return spans
