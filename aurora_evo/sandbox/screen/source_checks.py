"""Checks 3-5 of the screen, on the parsed source as a whole: the size and depth of its syntax tree, its
characters, and its entry point (see :mod:`aurora_evo.sandbox.screen`)."""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator

from aurora_evo.sandbox.screen.verdict import ScreenResult, excerpt, forbidden, syntax_error

#: Programs whose syntax tree has more nodes than this are refused (numba compile time grows with size).
MAX_NODES = 20_000
#: Deepest nesting of syntax-tree nodes allowed (deep expressions crash compilers' recursion).
MAX_DEPTH = 100

# Tokens whose text may hold any character.
_FREE_TEXT_TOKENS = frozenset(
    t
    for t in (
        tokenize.STRING,
        tokenize.COMMENT,
        getattr(tokenize, "FSTRING_MIDDLE", None),  # Python >= 3.12 splits f-strings into tokens
    )
    if t is not None
)


def flatten(tree: ast.Module) -> tuple[list[ast.AST], dict[ast.AST, ast.AST]] | ScreenResult:
    """Every node of the tree and every node's parent, in one pass that stops at the size limits.

    Iterative, since a recursive walk of a deep tree would itself run out of stack.
    """
    nodes: list[ast.AST] = []
    parents: dict[ast.AST, ast.AST] = {}
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes.append(node)
        if len(nodes) > MAX_NODES:
            return forbidden(
                None, f"a program of more than {MAX_NODES:,} syntax nodes is forbidden (compile bomb)"
            )
        if depth > MAX_DEPTH:
            lineno = getattr(node, "lineno", None)
            where = f"line {lineno}: " if lineno is not None else ""
            return forbidden(
                lineno, f"{where}nesting deeper than {MAX_DEPTH} levels is forbidden (compile bomb)"
            )
        for child in ast.iter_child_nodes(node):
            parents[child] = node
            stack.append((child, depth + 1))
    return nodes, parents


def check_ascii(nodes: list[ast.AST], source: str) -> ScreenResult | None:
    """Refuse non-ASCII outside string literals and comments (look-alike and NFKC-folded identifiers)."""
    if source.isascii():
        return None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type not in _FREE_TEXT_TOKENS and not token.string.isascii():
                lineno = token.start[0]
                return forbidden(
                    lineno,
                    f"line {lineno}: non-ASCII identifier or symbol {excerpt(repr(token.string))} is "
                    "forbidden (look-alike characters; Python folds identifiers with NFKC)",
                )
    except (tokenize.TokenError, SyntaxError, ValueError):
        # The source parsed, so this is a disagreement between tokenize and the parser: refuse rather
        # than let unchecked characters through.
        return forbidden(
            None, "non-ASCII text the tokenizer cannot check is forbidden (look-alike characters)"
        )
    # Python 3.11 keeps f-strings as one token, so check the identifiers of the tree as well.
    for node in nodes:
        for name in _identifiers(node):
            if not name.isascii():
                lineno = getattr(node, "lineno", None)
                return forbidden(
                    lineno,
                    f"line {lineno}: non-ASCII identifier {excerpt(repr(name))} is forbidden "
                    "(look-alike characters)",
                )
    return None


def _identifiers(node: ast.AST) -> Iterator[str]:
    for attr in ("id", "attr", "arg", "name", "asname", "module"):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            yield value
    for attr in ("names", "kwd_attrs"):
        for value in getattr(node, attr, None) or ():
            if isinstance(value, str):
                yield value


def check_entry_point(tree: ast.Module, function_name: str) -> ScreenResult | None:
    """The entry point must be a top-level ``def`` with exactly two positional parameters.

    Messages follow :func:`aurora_evo.program_text.parse_program`. When the name is defined twice, the last
    definition is the one that runs, so it is the one checked.
    """
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function_name]
    if not defs:
        return syntax_error(None, f"no top-level function named {function_name}()")
    fn = defs[-1]
    args = fn.args
    positional = len(args.posonlyargs) + len(args.args)
    if positional != 2 or args.vararg or args.kwarg or args.kwonlyargs:
        return syntax_error(fn.lineno, f"line {fn.lineno}: {function_name}() must take exactly two arguments")
    return None
