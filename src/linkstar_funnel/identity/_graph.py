"""``IdentityGraph``: ids seen together in a row belong to one person.

Built from pairs of ids (:meth:`IdentityGraph.from_pairs`) or from the id columns of
several frames (:meth:`IdentityGraph.from_frames`), on any backend computing the
``identity_components`` capability (pandas frames in memory; Ibis tables, DuckDB relations
and Parquet paths in SQL). Persons are the connected components of the ids, each named by
its smallest member (see :func:`~linkstar_funnel.engines.memory.identity.person_ids`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._params import ColumnName, Integer, Satisfies, validate_params
from ..engines import IdentityComponents, IdentityQuery, backend_for
from ..engines.memory.identity import (
    DEFAULT_NULL_LIKE,
    arrow_text,
    component_labels,
    factorize_ids,
    ids_as_text,
    is_null_like,
    node_text,
    normalize_null_like,
)
from ..errors import DataQualityWarning, ParameterError, SchemaError
from ..results import Provenance, ResultMixin, Summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["IdentityGraph"]

CAPABILITY = "identity_components"
#: Buckets of the ids-per-person distribution: (label, lowest, highest).
_SIZES = (("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4", 4, 4), ("5-9", 5, 9), ("10+", 10, None))
_COLUMNS_OF = "a list of at least two id column names, or a dict {column: id type}"


def _is_null_like_list(value: object) -> bool:
    return (
        isinstance(value, Collection)
        and not isinstance(value, str | bytes | Mapping)
        and all(isinstance(v, str) for v in value)
    )


_NULL_LIKE = Satisfies(_is_null_like_list, "a collection of strings")
_MAX_PARTNERS: list[Any] = [None, Integer(1)]


def _columns(value: object, where: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, list | tuple):
        pairs = [(c, c) for c in value]
    else:
        msg = f"The id columns of {where} must be {_COLUMNS_OF}. Got {value!r} instead."
        raise ParameterError(msg)
    ok = len(pairs) >= 2 and all(
        isinstance(c, str) and c and isinstance(t, str) and t for c, t in pairs
    )
    if not ok or len({c for c, _ in pairs}) != len(pairs):
        msg = f"The id columns of {where} must be {_COLUMNS_OF} (distinct). Got {value!r} instead."
        raise ParameterError(msg)
    _check_type_names([t for _, t in pairs], where)
    return tuple(pairs)


def _check_type_names(types: Sequence[str], where: str) -> None:
    """Person ids read ``"<id_type>:<id>"``: a type name holding ":" would make two persons'
    ids ambiguous."""
    bad = [t for t in types if ":" in t]
    if bad:
        msg = (
            f"The id types of {where} must not contain ':' (person ids read "
            f"'<id_type>:<id>'). Got {bad[0]!r}.\nHint: rename the column, or name its type "
            f"in from_frames with a mapping, e.g. {{{bad[0]!r}: {bad[0].replace(':', '_')!r}}}."
        )
        raise ParameterError(msg)


def _text_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a pandas frame, text columns as pandas text."""
    return pd.DataFrame(
        {
            name: _text_array(col)
            if pa.types.is_large_string(col.type) or pa.types.is_string(col.type)
            else col.to_numpy()
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )


def _text_array(values: pa.Array | pa.ChunkedArray) -> Any:
    """Arrow text as pandas text (the ``str`` dtype on pandas 3, objects before)."""
    return values.to_pandas().array


def _compute(sources: list[object], query: IdentityQuery) -> IdentityComponents:
    backends = [backend_for(s) for s in sources]
    names = sorted({b.name for b in backends})
    if len(names) > 1:
        msg = (
            f"The frames of IdentityGraph.from_frames must all be computed by one backend. "
            f"Got inputs for {names}.\nHint: convert them to one kind, e.g. .to_pandas()."
        )
        raise ParameterError(msg)
    out: IdentityComponents = backends[0].implementation(CAPABILITY)(sources[0], query)
    return out


@attrs.frozen(eq=False)
class IdentityGraph(ResultMixin):
    """Persons stitched from the ids their rows share: one row per id in :meth:`persons`.

    Build it with :meth:`from_pairs` or :meth:`from_frames`. Ids are typed by the column
    they come from (``"123"`` as a device id and as a customer id are two ids) and read as
    text (``123``, ``123.0`` and ``"123"`` of one type are one id). Missing values and the
    null-like strings (:data:`~linkstar_funnel.identity.DEFAULT_NULL_LIKE`: ``""``,
    ``"0"``, ``"null"``, ``"none"``, ``"nan"``, ``"unknown"``, ``"undefined"``, ``"n/a"``,
    compared without surrounding whitespace and case) link nothing. An id linked to more
    distinct partners than ``max_partners`` is over-connected: it merges nothing, belongs
    to no person, and is listed by :meth:`over_connected`.

    A person's ``person_id`` is ``"<id_type>:<id>"`` of its smallest id (id types in
    sorted order, then ids in code-point order): the same for any row order of the input
    and on every backend.

    Attributes
    ----------
    components
        What the engine computed (nodes, their components, over-connected ids).
    query
        The options the graph was built with.
    provenance
        Rows in and rows linking fewer than two ids, per input.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.identity import IdentityGraph
    >>> pairs = pd.DataFrame({"device_id": ["d1", "d2", "d2", "d3", "d4"],
    ...                       "email": ["a@x.com", "a@x.com", "b@x.com", "unknown", "c@x.com"]})
    >>> g = IdentityGraph.from_pairs(pairs, left="device_id", right="email")
    >>> g.persons()
            id    id_type       person_id
    0       d1  device_id  device_id:d1
    1       d2  device_id  device_id:d1
    2  a@x.com      email  device_id:d1
    3  b@x.com      email  device_id:d1
    4       d3  device_id  device_id:d3
    5       d4  device_id  device_id:d4
    6  c@x.com      email  device_id:d4
    >>> events = pd.DataFrame({"device_id": ["d2", "d4", "d2"]})
    >>> g.resolve(events, column="device_id").person_id.tolist()
    ['device_id:d1', 'device_id:d4', 'device_id:d1']
    """

    components: IdentityComponents = attrs.field(repr=False)
    query: IdentityQuery
    provenance: Provenance = attrs.field(repr=False)
    _cache: dict[str, Any] = attrs.field(factory=dict, init=False, repr=False)

    # ------------------------------------------------------------------ construction

    @classmethod
    @validate_params(
        left=ColumnName(),
        right=ColumnName(),
        max_partners=_MAX_PARTNERS,
        null_like=_NULL_LIKE,
    )
    def from_pairs(
        cls,
        pairs: object,
        *,
        left: str,
        right: str,
        max_partners: int | None = 50,
        null_like: Collection[str] = DEFAULT_NULL_LIKE,
    ) -> IdentityGraph:
        """Link the ids of two columns, row by row.

        Parameters
        ----------
        pairs
            A frame (pandas, or an Ibis table, DuckDB relation or Parquet path for the SQL
            engine) with one link per row.
        left, right
            The two id columns; each is its own id type, named after the column.
        max_partners
            An id linked to more distinct partners than this merges nothing (a shared
            tablet, a test account, a placeholder e-mail); ``None``: no guard.
        null_like
            Strings that are no id (compared stripped of whitespace and in lower case);
            replaces :data:`~linkstar_funnel.identity.DEFAULT_NULL_LIKE`. Missing values
            are never ids.

        Returns
        -------
        IdentityGraph

        Raises
        ------
        ColumnNotFoundError
            ``left`` or ``right`` is not a column.
        SchemaError
            An id column holds something other than text or whole numbers.
        EmptyFrameError
            ``pairs`` has no rows.
        ParameterError
            ``left`` equals ``right``, or another parameter is out of its domain.
        """
        if left == right:
            msg = (
                f"The 'left' and 'right' parameters of IdentityGraph.from_pairs must name two "
                f"columns. Got {left!r} twice."
            )
            raise ParameterError(msg)
        _check_type_names([left, right], "IdentityGraph.from_pairs")
        return cls._build(
            [pairs], [((left, left), (right, right))], ["pairs"], max_partners, null_like
        )

    @classmethod
    @validate_params(max_partners=_MAX_PARTNERS, null_like=_NULL_LIKE)
    def from_frames(
        cls,
        frames: Sequence[tuple[object, Sequence[str] | Mapping[str, str]]],
        *,
        max_partners: int | None = 50,
        null_like: Collection[str] = DEFAULT_NULL_LIKE,
    ) -> IdentityGraph:
        """Link the ids each row of several frames holds together.

        Parameters
        ----------
        frames
            ``(frame, columns)`` pairs. ``columns`` lists at least two id columns, each its
            own id type named after the column, or maps columns to id types
            (``{"customer_id": "user_id"}``: the orders' customer ids are the events' user
            ids). Every row links each pair of its ids. All frames must be on one backend.
        max_partners, null_like
            As in :meth:`from_pairs`.

        Returns
        -------
        IdentityGraph

        Raises
        ------
        ColumnNotFoundError, SchemaError, EmptyFrameError
            As :meth:`from_pairs`, for any frame.
        ParameterError
            ``frames`` is not a non-empty list of ``(frame, columns)`` pairs, or the frames
            are on different backends.

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.identity import IdentityGraph
        >>> events = pd.DataFrame({"anonymous_id": ["c1", "c2", "c3"],
        ...                        "user_id": ["u1", "u1", None]})
        >>> orders = pd.DataFrame({"customer_id": ["u1", "u7"],
        ...                        "email": ["a@x.com", "a@x.com"]})
        >>> g = IdentityGraph.from_frames(
        ...     [(events, ["anonymous_id", "user_id"]),
        ...      (orders, {"customer_id": "user_id", "email": "email"})])
        >>> g.persons().groupby("person_id").size()
        person_id
        anonymous_id:c1    5
        anonymous_id:c3    1
        dtype: int64
        """
        if not isinstance(frames, list | tuple) or not frames:
            msg = (
                "The 'frames' parameter of IdentityGraph.from_frames must be a non-empty list "
                f"of (frame, columns) pairs. Got {frames!r} instead."
            )
            raise ParameterError(msg)
        sources, columns, names = [], [], []
        for k, item in enumerate(frames):
            if not (isinstance(item, tuple | list) and len(item) == 2):
                msg = (
                    "The 'frames' parameter of IdentityGraph.from_frames must hold "
                    f"(frame, columns) pairs. Got {item!r} at position {k}."
                )
                raise ParameterError(msg)
            sources.append(item[0])
            columns.append(_columns(item[1], f"frames[{k}]"))
            names.append(f"frames[{k}]")
        return cls._build(sources, columns, names, max_partners, null_like)

    @classmethod
    def _build(
        cls,
        sources: list[object],
        columns: list[tuple[tuple[str, str], ...]],
        names: list[str],
        max_partners: int | None,
        null_like: Collection[str],
    ) -> IdentityGraph:
        query = IdentityQuery(
            columns=columns[0],
            more=tuple(zip(sources[1:], columns[1:], strict=True)),
            max_partners=None if max_partners is None else int(max_partners),
            null_like=normalize_null_like(null_like, "IdentityGraph"),
            frame_names=tuple(names),
            owner="IdentityGraph",
        )
        out = _compute(sources, query)
        spec = attrs.evolve(query, more=tuple((None, c) for _, c in query.more))
        provenance = Provenance(
            spec=spec,
            inputs=dict(zip(names, out.accounting, strict=True)),
            notes=out.notes,
        )
        return cls(components=out, query=spec, provenance=provenance)

    # ------------------------------------------------------------------ views

    def _component_labels(self) -> pa.Array:
        if "labels" not in self._cache:
            self._cache["labels"] = component_labels(self.components)
        labels: pa.Array = self._cache["labels"]
        return labels

    def _labels(self) -> pa.Array:
        """Per node, its person id (null for over-connected ids)."""
        comp = self.components.component
        return self._component_labels().take(pa.array(comp, mask=comp < 0))

    def _types(self, nodes: npt.NDArray[np.int64]) -> pa.Array:
        c = self.components
        codes = pa.array(c.node_types()[nodes].astype(np.int32))
        names = pa.array(list(c.id_types), type=pa.large_string())
        return pa.DictionaryArray.from_arrays(codes, names).dictionary_decode()

    def persons(self) -> pd.DataFrame:
        """One row per id that belongs to a person: ``id``, ``id_type``, ``person_id``,
        sorted by person, id type and id (over-connected ids are not in it)."""
        if "persons" not in self._cache:
            c = self.components
            kept = np.flatnonzero(c.component >= 0)
            labels = self._component_labels()
            # Sort on integers first: the rank of each person id among the persons, the id
            # type; ids are compared as text only within a person and type.
            rank = np.empty(len(labels), dtype=np.int64)
            order = pc.sort_indices(labels).to_numpy()  # nulls (no node) last
            rank[order] = np.arange(len(labels), dtype=np.int64)
            keys = pa.table(
                {
                    "r": rank[c.component[kept]],
                    "t": c.node_types()[kept],
                    "id": node_text(c).take(pa.array(kept)),
                }
            )
            rows = pc.sort_indices(
                keys, sort_keys=[("r", "ascending"), ("t", "ascending"), ("id", "ascending")]
            )
            nodes = pa.array(kept).take(rows)
            table = pa.table(
                {
                    "id": keys["id"].take(rows),
                    "id_type": self._types(nodes.to_numpy()),
                    "person_id": labels.take(pa.array(c.component).take(nodes)),
                }
            )
            self._cache["persons"] = _text_frame(table)
        cached: pd.DataFrame = self._cache["persons"]
        return cached.copy()

    def to_frame(self) -> pd.DataFrame:
        """The same as :meth:`persons`."""
        return self.persons()

    def over_connected(self) -> pd.DataFrame:
        """The ids left out as over-connected: ``id``, ``id_type``, ``partners`` (distinct
        ids linked to each), most partners first."""
        c = self.components
        nodes = pa.array(c.over_connected)
        table = pa.table(
            {
                "id": node_text(c).take(nodes),
                "id_type": self._types(c.over_connected),
                "partners": pa.array(np.asarray(c.partners, dtype=np.int64)),
            }
        ).sort_by([("partners", "descending"), ("id_type", "ascending"), ("id", "ascending")])
        return _text_frame(table)

    def sizes(self) -> pd.Series[int]:
        """Ids per person, indexed by ``person_id`` (sorted)."""
        return self.persons().groupby("person_id", sort=True).size().rename("ids")

    # ------------------------------------------------------------------ resolve

    @validate_params(column=ColumnName(), id_type=[None, ColumnName()], name=ColumnName())
    def resolve(
        self,
        frame: pd.DataFrame,
        column: str,
        id_type: str | None = None,
        *,
        name: str = "person_id",
    ) -> pd.DataFrame:
        """A copy of ``frame`` with the ``person_id`` of each row's id in ``column``.

        Parameters
        ----------
        frame
            A pandas DataFrame; not modified.
        column
            The id column to look up.
        id_type
            The id type of ``column`` (default: ``column``).
        name
            The name of the added column.

        Returns
        -------
        pandas.DataFrame
            ``frame`` with ``name`` added (text; missing where the id is missing or
            null-like, over-connected, or not in the graph, with a
            :class:`~linkstar_funnel.errors.DataQualityWarning` counting each).

        Raises
        ------
        ColumnNotFoundError
            ``column`` is not in ``frame``.
        ParameterError
            ``id_type`` is not an id type of the graph.
        SchemaError
            ``frame`` already has a column ``name``, or ``column`` holds something other
            than text or whole numbers.
        """
        from ..errors import ColumnNotFoundError
        from ..schema import as_frame

        data = as_frame(frame, frame_name="resolve")
        id_type = column if id_type is None else id_type
        c = self.components
        if id_type not in c.id_types:
            msg = (
                f"The 'id_type' parameter of IdentityGraph.resolve must be one of the graph's "
                f"id types {list(c.id_types)}. Got {id_type!r} instead."
            )
            if id_type == column:
                msg += "\nHint: pass id_type= when the column's name is not its id type."
            raise ParameterError(msg)
        if column not in data.columns:
            raise ColumnNotFoundError(column, data.columns, role="id", frame_name="resolve")
        if name in data.columns:
            msg = (
                f"The resolve frame already has a column {name!r}.\nHint: pass name= to "
                "name the person column differently."
            )
            raise SchemaError(msg)
        codes, uniques = factorize_ids(data[column])
        text, _ = ids_as_text(uniques, column, "resolve")
        null = is_null_like(text, self.query.null_like)
        k = c.id_types.index(id_type)
        offset = sum(len(i) for i in c.ids[:k])
        found_at = pc.index_in(arrow_text(text), value_set=arrow_text(c.ids[k]))
        where = np.asarray(found_at.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        found = (where >= 0) & ~null
        per_unique = self._labels().take(pa.array(where + offset, mask=~found))
        person = per_unique.take(pa.array(codes, mask=codes < 0))
        out = data.copy()
        out[name] = _text_array(person)
        self._warn_unresolved(codes, null, where, offset, column)
        return out

    def _warn_unresolved(
        self,
        codes: npt.NDArray[np.int64],
        null: npt.NDArray[np.bool_],
        where: npt.NDArray[np.int64],
        offset: int,
        column: str,
    ) -> None:
        import warnings

        ok = codes >= 0
        missing = int((~ok).sum()) + int(null[codes[ok]].sum())
        unknown = int(((where < 0) & ~null)[codes[ok]].sum())
        in_graph = (where >= 0) & ~null
        comp = self.components.component
        left_out = np.zeros(len(where), dtype=bool)
        left_out[in_graph] = comp[where[in_graph] + offset] < 0
        over = int(left_out[codes[ok]].sum())
        parts = [
            f"{n:,} {what}"
            for n, what in (
                (missing, "missing or null-like"),
                (over, "over-connected"),
                (unknown, "not in the graph"),
            )
            if n
        ]
        if parts:
            msg = (
                f"{sum((missing, over, unknown)):,} rows get no person id (column {column!r}): "
                + ", ".join(parts)
                + "."
            )
            warnings.warn(msg, DataQualityWarning, stacklevel=3)

    # ------------------------------------------------------------------ result

    def summary(self) -> Summary:
        """Persons, ids per person (distribution), ids left out as over-connected."""
        c = self.components
        sizes = self._size_array()
        kept = c.component >= 0
        types = c.node_types()
        by_type = ", ".join(
            f"{t} {int(((types == k) & kept).sum()):,}" for k, t in enumerate(c.id_types)
        )
        several = self._persons_with_several_types()
        null = sum(n for _, _, n in c.null_like)
        facts = [
            ("persons", f"{sizes.size:,}"),
            ("ids", f"{int(kept.sum()):,} ({by_type})"),
            ("persons with several id types", f"{several:,}"),
        ]
        if sizes.size:
            facts.append(
                (
                    "ids per person",
                    (
                        f"median {np.median(sizes):g}, 90th percentile "
                        f"{np.percentile(sizes, 90):g}, max {int(sizes.max()):,}"
                    ),
                )
            )
        guard = self.query.max_partners
        facts.append(
            (
                "over-connected ids left out",
                f"{c.over_connected.size:,} ({c.links_left_out:,} links; max_partners={guard})"
                if guard is not None
                else "none (max_partners=None: no guard)",
            )
        )
        facts.append(("missing or null-like values", f"{null:,}"))
        notes = list(self.provenance.lines())
        top = self.over_connected().head(10)
        if len(top):
            listed = ", ".join(
                f"{t}:{i} ({p:,})"
                for i, t, p in zip(top["id"], top["id_type"], top["partners"], strict=True)
            )
            more = c.over_connected.size - len(top)
            notes.append(
                f"over-connected (partners): {listed}" + (f" and {more:,} more" if more else "")
            )
        return Summary(
            "Identity graph", facts=tuple(facts), table=self._distribution(), notes=tuple(notes)
        )

    def _size_array(self) -> npt.NDArray[np.int64]:
        comp = self.components.component
        kept = comp[comp >= 0]
        if not kept.size:
            return np.zeros(0, dtype=np.int64)
        counts = np.bincount(kept)
        return counts[counts > 0].astype(np.int64)

    def _persons_with_several_types(self) -> int:
        c = self.components
        kept = c.component >= 0
        if not kept.any():
            return 0
        comp, types = c.component[kept], c.node_types()[kept]
        n = int(comp.max()) + 1
        low = np.full(n, len(c.id_types), dtype=np.int64)
        high = np.full(n, -1, dtype=np.int64)
        np.minimum.at(low, comp, types)
        np.maximum.at(high, comp, types)
        return int((high > low).sum())

    def _distribution(self) -> pd.DataFrame:
        sizes = self._size_array()
        rows = []
        for label, low, high in _SIZES:
            inside = (sizes >= low) & (
                sizes <= (high if high is not None else sizes.max(initial=0))
            )
            rows.append((label, int(inside.sum()), int(sizes[inside].sum())))
        return pd.DataFrame(rows, columns=["ids per person", "persons", "ids"])

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Bar chart of persons by their number of ids."""
        from ..plotting import get_axes, style_axes

        ax = get_axes(ax)
        table = self._distribution()
        ax.bar(table["ids per person"], table["persons"], **kwargs)
        ax.set_xlabel("ids per person")
        ax.set_ylabel("persons")
        return style_axes(ax, title="Persons by number of ids")

    def __len__(self) -> int:
        return int(self._size_array().size)
