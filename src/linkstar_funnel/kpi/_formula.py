"""A small parser for KPI formulas: ``"gmv = traffic * cvr * aov"``, one node per line.

The grammar, with no ``eval`` anywhere::

    formula    := definition ((NEWLINE | ";") definition)*
    definition := NAME "=" NAME (("*" NAME)+ | "/" NAME | (("+" | "-") NAME)+)
    NAME       := [A-Za-z_][A-Za-z0-9_]*

A ``#`` starts a comment. One definition is one node: a product (``*``), a ratio (one
``/``) or a sum (``+``/``-``); mixing operators, parentheses and constants are refused
with a message saying where and how to split the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from ..errors import ParameterError

__all__ = ["Definition", "parse_formula"]

_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[=*/+\-])|(?P<num>\d+(?:\.\d*)?)"
    r"|(?P<paren>[()])|(?P<bad>\S))"
)
_KIND = {"*": "product", "/": "ratio", "+": "sum", "-": "sum"}


@attrs.frozen
class Definition:
    """One parsed line: ``name = operands`` joined by one kind of operator."""

    name: str
    kind: str  # "product" | "ratio" | "sum"
    operands: tuple[str, ...]
    signs: tuple[int, ...]
    line: int
    text: str


def _error(text: str, line: int, col: int, why: str, hint: str = "") -> ParameterError:
    caret = " " * col + "^"
    msg = f"Cannot read line {line} of the KPI formula:\n    {text}\n    {caret}\n{why}"
    if hint:
        msg += f"\nHint: {hint}"
    return ParameterError(msg)


def _tokens(text: str, line: int) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:  # only trailing whitespace is left
            break
        kind = m.lastgroup
        if kind is None:
            break
        start = m.start(kind)
        value = m.group(kind)
        if kind == "num":
            raise _error(
                text,
                line,
                start,
                f"Constants such as {value} are not supported: every operand is a node.",
                "make the constant a leaf and give its value in the data.",
            )
        if kind == "paren":
            raise _error(
                text,
                line,
                start,
                "Parentheses are not supported: one line defines one node.",
                "give the inner expression its own line, e.g. 'traffic = organic + paid'.",
            )
        if kind == "bad":
            raise _error(text, line, start, f"Unexpected character {value!r}.")
        out.append((kind, value, start))
        pos = m.end()
    return out


def _parse_line(text: str, line: int) -> Definition:
    toks = _tokens(text, line)
    if len(toks) < 2 or toks[0][0] != "name" or toks[1][1] != "=":
        col = toks[0][2] if toks and toks[0][0] != "name" else (toks[1][2] if len(toks) > 1 else 0)
        raise _error(
            text, line, col, "Expected 'name = expression', e.g. 'gmv = traffic * cvr * aov'."
        )
    name = toks[0][1]
    rest = toks[2:]
    if not rest:
        raise _error(text, line, len(text), f"Nothing after '=' in the definition of {name!r}.")
    operands: list[str] = []
    signs: list[int] = []
    op_seen: str | None = None
    expect_name = True
    sign = 1
    for kind, value, col in rest:
        if expect_name:
            if kind != "name":
                raise _error(text, line, col, f"Expected a node name, found {value!r}.")
            if value in operands:
                raise _error(
                    text,
                    line,
                    col,
                    f"{value!r} appears twice in the definition of {name!r}.",
                    "a node lists each input once.",
                )
            operands.append(value)
            signs.append(sign)
            expect_name = False
            continue
        if kind != "op" or value == "=":
            raise _error(text, line, col, f"Expected an operator (* / + -), found {value!r}.")
        if op_seen is not None and _KIND[value] != _KIND[op_seen]:
            raise _error(
                text,
                line,
                col,
                f"The definition of {name!r} mixes {op_seen!r} and {value!r}: "
                "a node is one product, one ratio or one sum.",
                "give one part its own line, e.g. 'cvr = orders / sessions'.",
            )
        if value == "/" and op_seen == "/":
            raise _error(
                text,
                line,
                col,
                f"A ratio has one '/': {name!r} divides more than once.",
                "define the inner ratio on its own line.",
            )
        op_seen = value
        sign = -1 if value == "-" else 1
        expect_name = True
    if expect_name:
        raise _error(text, line, len(text), f"The definition of {name!r} ends with an operator.")
    if op_seen is None:
        raise _error(
            text,
            line,
            rest[0][2],
            f"{name!r} is defined as another node alone; a definition needs an operator.",
            "use the other node's name directly instead of an alias.",
        )
    return Definition(name, _KIND[op_seen], tuple(operands), tuple(signs), line, text)


def parse_formula(formula: str | Iterable[str]) -> list[Definition]:
    """Parse a formula (a string of lines, or an iterable of lines) into definitions.

    Parameters
    ----------
    formula
        One definition per line or separated by ``;``. ``#`` starts a comment.

    Returns
    -------
    list of Definition
        In the order written; the first one is the tree's root.

    Raises
    ------
    ParameterError
        A line cannot be read (the message shows where), a node is defined twice, or the
        formula defines nothing.

    Examples
    --------
    >>> [d.operands for d in parse_formula("gmv = traffic * cvr * aov; cvr = orders / traffic")]
    [('traffic', 'cvr', 'aov'), ('orders', 'traffic')]
    """
    if isinstance(formula, str):
        raw_lines = formula.splitlines()
    else:
        raw_lines = list(formula)
        for item in raw_lines:
            if not isinstance(item, str):
                msg = (
                    "The 'formula' parameter of KPITree.from_formula must be a string or "
                    f"an iterable of strings. Got an item {item!r} instead."
                )
                raise ParameterError(msg)
    defs: list[Definition] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(raw_lines, start=1):
        for part in raw.split("#", 1)[0].split(";"):
            if not part.strip():
                continue
            d = _parse_line(part.strip(), number)
            if d.name in seen:
                raise _error(
                    d.text,
                    number,
                    0,
                    f"{d.name!r} is defined twice (first on line {seen[d.name]}).",
                )
            seen[d.name] = number
            defs.append(d)
    if not defs:
        msg = (
            "The 'formula' parameter of KPITree.from_formula must define at least one node, "
            f"e.g. 'gmv = traffic * cvr * aov'. Got {formula!r} instead."
        )
        raise ParameterError(msg)
    return defs
