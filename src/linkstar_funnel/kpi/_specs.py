"""What the public parameters of the KPI package accept (for ``validate_params``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from .._params import Columns, InstanceOf, Options, Satisfies, Spec

__all__ = [
    "AT",
    "BY",
    "COLUMNS",
    "FORMULA",
    "FRAME_OR_MAPPING",
    "METHOD",
    "NAME",
    "TEXT_MAP",
    "ZERO_DIVISION",
]


def _text_map(value: object) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _is_method(value: object) -> bool:
    from ._protocol import Decomposition

    return isinstance(value, str | Decomposition)


#: A node's name.
NAME = InstanceOf(str, description="a node name (a string)")
#: Optional segment key columns (``by=``).
BY: Spec = [None, Columns()]
#: Optional leaf -> column name.
COLUMNS: Spec = [None, Satisfies(_text_map, "a mapping from leaf names to column names")]
#: Optional node -> text (owners, units).
TEXT_MAP: Spec = [None, Satisfies(_text_map, "a mapping from node names to strings")]
#: A decomposition method: a registered name or a Decomposition object.
METHOD = Satisfies(
    _is_method,
    "a method name ('lmdi', 'shapley', 'sequential' or a registered one) or a Decomposition",
)
ZERO_DIVISION = Options("raise", "nan")
#: Leaf values of one period: a mapping or a frame.
FRAME_OR_MAPPING = Satisfies(
    lambda v: isinstance(v, Mapping | pd.DataFrame) or hasattr(v, "to_pandas"),
    "a mapping of leaf values or a DataFrame",
)
#: Leaf values at one point: a mapping of numbers or a one-row frame.
AT = InstanceOf(Mapping, pd.DataFrame, description="a mapping of leaf values or a one-row frame")
#: A formula: a string of lines, or lines.
FORMULA = Satisfies(
    lambda v: (
        isinstance(v, str) or (isinstance(v, Iterable) and not isinstance(v, Mapping | bytes))
    ),
    "a string or a list of formula lines",
)
