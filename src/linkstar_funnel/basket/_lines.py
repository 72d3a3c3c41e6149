"""The parameters every basket entry point shares, and how they read order lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pandas as pd

from .._params import ColumnName, Columns, InstanceOf, Real, Satisfies
from ..engines.memory.basket import BasketLines, BasketPairsQuery, read_lines

__all__ = ["LINE_PARAMS", "BasketSpec", "as_by", "read"]

#: ``validate_params`` specs of the parameters shared by ``rules`` and ``cross_sell``.
LINE_PARAMS: dict[str, Any] = {
    "order": ColumnName(),
    "quantity": [None, ColumnName()],
    "cancelled_prefix": [
        None,
        Satisfies(lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    ],
    "categories": [None, InstanceOf(Mapping, pd.Series, description="a mapping item -> category")],
    "alpha": Real(0, 1, closed="neither"),
}
BY = [None, Columns()]


def as_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """``by`` as a tuple of column names."""
    if by is None:
        return ()
    return (by,) if isinstance(by, str) else tuple(by)


@attrs.frozen
class BasketSpec:
    """The settings behind a basket result (its provenance spec)."""

    order: str
    item: str
    quantity: str | None
    cancelled_prefix: str | None
    by: tuple[str, ...]
    category_level: bool
    min_support: float | None = None
    min_confidence: float | None = None
    max_len: int | None = None
    alpha: float = 0.05

    def query(self, owner: str) -> BasketPairsQuery:
        """The engine query reading the lines these settings name."""
        return BasketPairsQuery(
            order=self.order,
            item=self.item,
            quantity=self.quantity,
            cancelled_prefix=self.cancelled_prefix,
            min_support=self.min_support,
            owner=owner,
        )


def read(
    lines: object,
    spec: BasketSpec,
    categories: Mapping[Any, Any] | pd.Series[Any] | None,
    owner: str,
) -> BasketLines:
    """The cleaned (order, item) codes of ``lines``; see :func:`read_lines`."""
    return read_lines(lines, spec.query(owner), by=spec.by, categories=categories)
