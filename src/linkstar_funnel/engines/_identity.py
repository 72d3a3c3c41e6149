"""Capability ``identity_components``: ids linked by the rows they share, as components.

Every row of an input links the ids it holds in the columns named (all pairs of them). Ids
are typed by the column they come from (an id type may gather several columns, in several
frames) and read as text, so ``123``, ``123.0`` and ``"123"`` in one id type are one id,
while ``"123"`` as a device id and as a customer id are two. Missing values and null-like
strings (:data:`DEFAULT_NULL_LIKE`, compared with surrounding whitespace removed and in
lower case) are no ids: they link nothing. An id linked to more distinct partners than
``max_partners`` (a shared tablet, a test account, a placeholder e-mail) is *over-connected*:
its links are left out and it belongs to no component.

A backend returns the nodes per id type, a component label per node (any integers: only
the partition matters) and the over-connected ids with their partner counts.
:func:`person_ids` names each component canonically, the same for every backend and every
row order: ``"<id_type>:<id>"`` of its smallest member, id types in sorted order first, then
ids in code-point order.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.engines.memory.identity import identity_components
>>> pairs = pd.DataFrame({"device": ["d1", "d2", "d2", "d3"],
...                       "email": ["a@x", "a@x", "null", "b@x"]})
>>> out = identity_components(pairs, IdentityQuery((("device", "device"), ("email", "email"))))
>>> out.id_types
('device', 'email')
>>> person_ids(out).to_pylist()
['device:d1', 'device:d1', 'device:d3', 'device:d1', 'device:d3']
>>> print(out.accounting[0])
4 rows in, 3 used, 1 dropped: 1 linking fewer than two ids
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._accounting import RowAccounting
from .._validators import bad_parameter

__all__ = [
    "DEFAULT_NULL_LIKE",
    "NO_LINK",
    "IdentityComponents",
    "IdentityComponentsEngine",
    "IdentityQuery",
    "arrow_text",
    "component_labels",
    "node_text",
    "normalize_null_like",
    "person_ids",
]

IntArray = npt.NDArray[np.int64]

_OWNER = "IdentityQuery"

#: Strings that are no id (compared stripped of surrounding whitespace, in lower case).
#: Missing values (``None``, ``NaN``, ``pd.NA``) are never ids either.
DEFAULT_NULL_LIKE: frozenset[str] = frozenset(
    {"", "0", "null", "none", "nan", "unknown", "undefined", "n/a"}
)

#: Drop reason of a row holding fewer than two usable ids.
NO_LINK = "linking fewer than two ids"


def normalize_null_like(value: object, owner: str = _OWNER) -> frozenset[str]:
    """The null-like strings as compared: stripped and in lower case (``""`` always in)."""
    if isinstance(value, str) or not isinstance(value, Collection):
        raise bad_parameter(owner, "null_like", "a collection of strings", value)
    bad = [v for v in value if not isinstance(v, str)]
    if bad:
        raise bad_parameter(owner, "null_like", "a collection of strings", bad[0])
    return frozenset({str(v).strip().lower() for v in value} | {""})


def _columns(value: object) -> tuple[tuple[str, str], ...]:
    expected = "a tuple of (column name, id type) pairs, at least two"
    if not isinstance(value, tuple | list) or len(value) < 2:
        raise bad_parameter(_OWNER, "columns", expected, value)
    out: list[tuple[str, str]] = []
    for pair in value:
        if not (
            isinstance(pair, tuple | list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], str)
        ):
            raise bad_parameter(_OWNER, "columns", expected, pair)
        out.append((pair[0], pair[1]))
    names = [c for c, _ in out]
    if len(set(names)) != len(names):
        raise bad_parameter(_OWNER, "columns", "distinct column names", names)
    return tuple(out)


def _more(value: object) -> tuple[tuple[Any, tuple[tuple[str, str], ...]], ...]:
    if not isinstance(value, tuple | list):
        raise bad_parameter(_OWNER, "more", "a tuple of (source, columns) pairs", value)
    out = []
    for item in value:
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise bad_parameter(_OWNER, "more", "a tuple of (source, columns) pairs", item)
        out.append((item[0], _columns(item[1])))
    return tuple(out)


def _max_partners(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise bad_parameter(_OWNER, attribute.name, "a positive integer or None", value)


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, tuple | list) or not all(isinstance(v, str) for v in value):
        raise bad_parameter(_OWNER, "frame_names", "a tuple of names", value)
    return tuple(value)


def _null_like(value: object) -> frozenset[str]:
    return normalize_null_like(value)


@attrs.frozen
class IdentityQuery:
    """What to link: the options record of the ``identity_components`` capability.

    Parameters
    ----------
    columns
        ``(column, id type)`` of the source's id columns (at least two): every row links
        each pair of its usable ids.
    more
        Further ``(source, columns)`` inputs on the same backend, linked with the first.
    max_partners
        Ids linked to more distinct partners than this are over-connected: their links
        are left out and they belong to no component. ``None``: no guard.
    null_like
        Strings that are no id (see :data:`DEFAULT_NULL_LIKE`); normalized on
        construction.
    frame_names
        How messages name the inputs, in order.
    owner
        The public entry point, for messages.
    """

    columns: tuple[tuple[str, str], ...] = attrs.field(converter=_columns)
    more: tuple[tuple[Any, tuple[tuple[str, str], ...]], ...] = attrs.field(
        default=(), converter=_more, eq=False
    )
    max_partners: int | None = attrs.field(default=50, validator=_max_partners)
    null_like: frozenset[str] = attrs.field(default=DEFAULT_NULL_LIKE, converter=_null_like)
    frame_names: tuple[str, ...] = attrs.field(default=(), converter=_names)
    owner: str = "IdentityGraph"

    def frame_name(self, k: int) -> str:
        """How messages name input ``k`` (``frame_names``, else ``"identity input <k>"``)."""
        return self.frame_names[k] if k < len(self.frame_names) else f"identity input {k}"

    @property
    def inputs(self) -> tuple[tuple[Any, tuple[tuple[str, str], ...]], ...]:
        """``(source or None, columns)`` per input; ``None`` stands for the query's source."""
        return ((None, self.columns), *self.more)

    @property
    def id_types(self) -> tuple[str, ...]:
        """Every id type named, sorted: the order of :attr:`IdentityComponents.ids`."""
        return tuple(sorted({t for _, cols in self.inputs for _, t in cols}))


@attrs.frozen(eq=False)
class IdentityComponents:
    """What a backend returns for an :class:`IdentityQuery`.

    Attributes
    ----------
    id_types
        The id types, sorted.
    ids
        Per id type, its distinct ids as text (any order): the nodes. Nodes are numbered
        along these, type after type.
    component
        Per node, its component label (any integers; only the partition matters), -1 for
        an over-connected id.
    over_connected
        Node numbers of the over-connected ids.
    partners
        Per over-connected id, its distinct partners.
    links_left_out
        Distinct links left out because they touch an over-connected id.
    null_like
        Per input and id column, ``(input number, column, values)``: missing or null-like
        values read (none listed when zero).
    accounting
        Per input, rows in and rows dropped for linking fewer than two ids.
    notes
        What the backend wants said in the result's provenance.
    """

    id_types: tuple[str, ...]
    ids: tuple[pd.Index, ...]
    component: IntArray
    over_connected: IntArray
    partners: IntArray
    links_left_out: int
    null_like: tuple[tuple[int, str, int], ...]
    accounting: tuple[RowAccounting, ...]
    notes: tuple[str, ...] = ()

    @property
    def n_nodes(self) -> int:
        """Distinct ids, over-connected ones included."""
        return int(sum(len(i) for i in self.ids))

    def node_types(self) -> IntArray:
        """Per node, the number of its id type in :attr:`id_types`."""
        sizes = [len(i) for i in self.ids]
        return np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)


class IdentityComponentsEngine(Protocol):
    """``identity_components(source, query) -> IdentityComponents``, as backends implement it.

    Raises
    ------
    ColumnNotFoundError
        An id column is missing.
    SchemaError
        An id column holds neither text nor whole numbers.
    EmptyFrameError
        An input has no rows.
    EngineError
        A SQL engine failed; the generated SQL is attached.
    """

    def __call__(self, source: object, query: IdentityQuery, /) -> IdentityComponents: ...


def arrow_text(index: pd.Index) -> pa.Array:
    """Text ids as one Arrow ``large_string`` array (no copy of Arrow-backed text)."""
    arr = index.array
    out = (
        pa.array(arr)
        if hasattr(arr, "__arrow_array__")
        else pa.array(np.asarray(index, dtype=object), type=pa.large_string())
    )
    if isinstance(out, pa.ChunkedArray):
        out = out.combine_chunks()
    return out.cast(pa.large_string())


def node_text(out: IdentityComponents) -> pa.Array:
    """Per node, its id as text (Arrow ``large_string``)."""
    parts = [arrow_text(i) for i in out.ids]
    return pa.concat_arrays(parts) if parts else pa.array([], type=pa.large_string())


def person_ids(out: IdentityComponents) -> pa.Array:
    """Per node, its person id: ``"<id_type>:<id>"`` of the component's smallest member
    (id types in sorted order, then ids in code-point order); null for an over-connected
    id. The same whatever the backend and the input's row order (Arrow ``large_string``).
    """
    comp = out.component
    return component_labels(out).take(pa.array(comp, mask=comp < 0))


def component_labels(out: IdentityComponents) -> pa.Array:
    """Per component label (``0 .. max``), its person id (null for a label no node has)."""
    n = out.n_nodes
    comp = out.component
    kept = np.flatnonzero(comp >= 0)
    if not kept.size:
        return pa.nulls(0, type=pa.large_string())
    types = out.node_types()
    n_comp = int(comp.max()) + 1
    # Nodes are numbered type after type, types sorted: a component's first node has its
    # smallest type, and is its person id unless other nodes of that type share it.
    first = np.full(n_comp, n, dtype=np.int64)
    np.minimum.at(first, comp[kept], kept)
    present = first < n
    first = np.where(present, first, 0)
    min_type = types[first]
    cand = kept[types[kept] == min_type[comp[kept]]]
    per_comp = np.bincount(comp[cand], minlength=n_comp)
    text = node_text(out)
    label = text.take(pa.array(first))
    multi = cand[per_comp[comp[cand]] > 1]
    if multi.size:
        table = pa.table({"c": comp[multi], "id": text.take(pa.array(multi))})
        smallest = table.group_by("c", use_threads=False).aggregate([("id", "min")])
        c = smallest["c"].to_numpy()
        order = np.argsort(c, kind="stable")
        mask = np.zeros(n_comp, dtype=bool)
        mask[c] = True
        label = pc.replace_with_mask(
            label, pa.array(mask), smallest["id_min"].combine_chunks().take(pa.array(order))
        )
    pieces = []
    for name in out.id_types:
        prefix = pa.scalar(f"{name}:", type=pa.large_string())
        pieces.append(pc.binary_join_element_wise(prefix, label, pa.scalar("", pa.large_string())))
    named = pieces[0]
    for k in range(1, len(pieces)):
        named = pc.if_else(pa.array(min_type == k), pieces[k], named)
    return pc.if_else(pa.array(present), named, pa.scalar(None, pa.large_string()))
