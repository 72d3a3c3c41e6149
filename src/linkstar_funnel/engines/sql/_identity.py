"""The Ibis ``identity_components``: minimum-label propagation where the ids live.

Every usable id becomes a node key, its id type's rank (four digits, types sorted) followed
by the id as text, so the smallest key of a component is its smallest (id type, id). The
engine keeps the distinct links, counts each node's distinct partners and leaves out the
links of over-connected nodes; then every node starts with its own key as label and, until
no label changes, takes the smallest label among itself and its neighbours, then the label
of its label (pointer jumping: the rounds grow with the logarithm of a component's
diameter, not the diameter). Each round's labels are materialized as a temporary table.
Only the nodes with their final labels, the over-connected nodes and a few counts come back.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from typing import Any

import numpy as np
import pandas as pd

from ..._accounting import RowAccounting
from ...errors import EmptyFrameError, ParameterError, SchemaError
from .._identity import NO_LINK, IdentityComponents, IdentityQuery
from ._errors import backend_name, execute
from ._tables import check_columns, sql_table

__all__ = ["identity_components"]

_RANK = 4  # digits of the id type's rank in a node key
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SPACE = "[ \t\n\r\x0c\x0b]+"
#: At most this many propagation rounds (each at least halves the label distance).
MAX_ROUNDS = 200


def _text(table: Any, column: str, frame_name: str) -> Any:
    """The column as text ids, as the in-memory engine reads them."""
    col = table[column]
    dtype = col.type()
    if dtype.is_string():
        return col
    if dtype.is_integer():
        return col.cast("string")
    if dtype.is_floating():
        bad = execute(
            table.aggregate(n=(col.notnull() & (col != col.round(0))).sum()),  # noqa: PD004
            "identity id check",
        )["n"].iloc[0]
        if not pd.isna(bad) and int(bad):
            msg = (
                f"Column {column!r} of the {frame_name} frame must hold ids: text or whole "
                f"numbers. Found {int(bad)} non-whole numbers.\nHint: cast it to text."
            )
            raise SchemaError(msg)
        return col.cast("int64").cast("string")
    msg = (
        f"Column {column!r} of the {frame_name} frame must hold ids: text or whole numbers. "
        f"Found values of type {dtype}.\nHint: cast it to text."
    )
    raise SchemaError(msg)


def _key(text: Any, rank: int, null_like: frozenset[str]) -> Any:
    """The node key of a text id, NULL where it is missing or null-like."""
    import ibis

    norm = text.translate(_UPPER, _UPPER.lower())
    norm = norm.re_replace("^" + _SPACE, "").re_replace(_SPACE + "$", "")
    usable = text.notnull() & ~norm.isin(sorted(null_like))  # noqa: PD004 - Ibis expression
    key = ibis.literal(f"{rank:0{_RANK}d}") + text
    return ibis.ifelse(usable, key, ibis.null("string"))


class _Temps:
    """Temporary tables of one computation, dropped at the end."""

    def __init__(self, expr: Any) -> None:
        self.con = expr._find_backend(use_default=True)
        self.names: list[str] = []

    def make(self, expr: Any) -> Any:
        name = f"lf_identity_{uuid.uuid4().hex[:12]}"
        try:
            table = self.con.create_table(name, obj=expr, temp=True)
        except NotImplementedError:
            msg = (
                f"The identity graph is computed in rounds kept in temporary tables, which "
                f"Ibis' {self.con.name} backend does not make.\nHint: compute it in memory "
                "(.toPandas() / .to_pandas() on the id columns)."
            )
            raise ParameterError(msg) from None
        self.names.append(name)
        return table

    def drop(self) -> None:
        import duckdb

        raw = getattr(self.con, "con", None)
        for name in self.names:
            with contextlib.suppress(Exception):  # a temporary table left is no failure
                if isinstance(raw, duckdb.DuckDBPyConnection):
                    raw.execute(f'DROP TABLE IF EXISTS "{name}"')
                else:
                    self.con.drop_table(name, force=True)
        self.names.clear()


def _inputs(source: object, query: IdentityQuery) -> list[tuple[Any, list[tuple[str, str]]]]:
    out = []
    for k, (src, cols) in enumerate(query.inputs):
        table = sql_table(source if src is None else src).table
        check_columns(table, [(f"{t} id", c) for c, t in cols], query.frame_name(k))
        out.append((table, list(cols)))
    return out


def identity_components(source: object, query: IdentityQuery) -> IdentityComponents:
    """The ``"ibis"`` backend's
    :class:`~linkstar_funnel.engines._identity.IdentityComponentsEngine`.

    Raises
    ------
    ColumnNotFoundError
        An id column is missing.
    SchemaError
        An id column holds something other than text or whole numbers.
    EmptyFrameError
        An input has no rows.
    EngineError
        The engine failed; the generated SQL is attached.
    """
    import ibis

    inputs = _inputs(source, query)
    rank = {t: k for k, t in enumerate(query.id_types)}
    keyed, accounting, null_counts = [], [], []
    for k, (table, cols) in enumerate(inputs):
        name = query.frame_name(k)
        keys = {
            f"k{j}": _key(_text(table, c, name), rank[t], query.null_like)
            for j, (c, t) in enumerate(cols)
        }
        rows = table.select(**keys)
        pairs = list(itertools.combinations(range(len(cols)), 2))
        linked: Any = ibis.literal(False)
        for i, j in pairs:
            a, b = rows[f"k{i}"], rows[f"k{j}"]
            linked = linked | (a.notnull() & b.notnull() & (a != b)).fill_null(False)  # noqa: PD004
        aggs = {"n": rows.count(), "unlinked": ibis.ifelse(linked, 0, 1).sum()}
        aggs |= {f"m{j}": rows[f"k{j}"].isnull().cast("int64").sum() for j in range(len(cols))}  # noqa: PD003
        counts = execute(rows.aggregate(**aggs), "identity row accounting").iloc[0]
        n = int(counts["n"])
        if n == 0:
            msg = f"The {name} frame is empty: there are no ids to link."
            raise EmptyFrameError(msg)
        unlinked = 0 if pd.isna(counts["unlinked"]) else int(counts["unlinked"])
        accounting.append(RowAccounting(rows_in=n).with_dropped(NO_LINK, unlinked))
        for j, (c, _) in enumerate(cols):
            m = 0 if pd.isna(counts[f"m{j}"]) else int(counts[f"m{j}"])
            if m:
                null_counts.append((k, c, m))
        keyed.append((rows, pairs, len(cols)))
    nodes = ibis.union(
        *[
            rows.select(k=rows[f"k{j}"]).filter(rows[f"k{j}"].notnull())  # noqa: PD004
            for rows, _, m in keyed
            for j in range(m)
        ]
    ).distinct()
    link_parts = []
    for rows, pairs, _ in keyed:
        for i, j in pairs:
            a, b = rows[f"k{i}"], rows[f"k{j}"]
            ok = a.notnull() & b.notnull() & (a != b)  # noqa: PD004
            link_parts.append(rows.filter(ok).select(a=ibis.least(a, b), b=ibis.greatest(a, b)))
    temps = _Temps(nodes)
    try:
        return _components(query, temps, nodes, link_parts, accounting, null_counts)
    finally:
        temps.drop()


def _components(
    query: IdentityQuery,
    temps: _Temps,
    nodes: Any,
    link_parts: list[Any],
    accounting: list[RowAccounting],
    null_counts: list[tuple[int, str, int]],
) -> IdentityComponents:
    import ibis

    links = temps.make(ibis.union(*link_parts).distinct())  # every input has a pair
    sym = ibis.union(links.select(n=links.a, p=links.b), links.select(n=links.b, p=links.a))
    over_frame = pd.DataFrame({"k": [], "partners": []})
    left_out = 0
    if query.max_partners is not None:
        partners = sym.group_by("n").aggregate(partners=sym.count())
        over = temps.make(partners.filter(partners.partners > query.max_partners))
        over_frame = execute(over.select(k=over.n, partners=over.partners), "over-connected ids")
        if len(over_frame):
            bad_a = links.a.isin(over.n)
            bad_b = links.b.isin(over.n)
            touching = links.filter(bad_a | bad_b)
            counted = execute(touching.aggregate(c=touching.count()), "links left out")
            left_out = int(counted["c"].iloc[0])
            kept = links.filter(~(bad_a | bad_b))
            sym = ibis.union(kept.select(n=kept.a, p=kept.b), kept.select(n=kept.b, p=kept.a))
            nodes = nodes.filter(~nodes.k.isin(over.n))
    labels = temps.make(nodes.select(k=nodes.k, lab=nodes.k))
    rounds = 0
    while True:
        rounds += 1
        near = sym.join(labels, sym.p == labels.k).group_by(sym.n).aggregate(m=labels.lab.min())
        # Pointer jumping: the label of a node's label (a node of the same component).
        via = labels.view()
        jump = labels.left_join(via, labels.lab == via.k).select(
            k=labels.k, lab=ibis.least(labels.lab, via.lab.fill_null(labels.lab))
        )
        jumped = jump.left_join(near, jump.k == near.n).select(
            k=jump.k, lab=ibis.least(jump.lab, near.m.fill_null(jump.lab))
        )
        new = temps.make(jumped)
        changed = new.join(labels, new.k == labels.k).filter(new.lab != labels.lab)
        counted = execute(changed.aggregate(c=changed.count()), "label propagation")
        n_changed = int(counted["c"].iloc[0])
        labels = new
        if n_changed == 0 or rounds >= MAX_ROUNDS:
            break
    final = execute(labels, "identity components")
    note = (
        f"components by minimum-label propagation in SQL ({backend_name(nodes)} through "
        f"Ibis, {rounds} rounds)"
    )
    return _assemble(query, final, over_frame, left_out, accounting, null_counts, note)


def _assemble(
    query: IdentityQuery,
    final: pd.DataFrame,
    over_frame: pd.DataFrame,
    left_out: int,
    accounting: list[RowAccounting],
    null_counts: list[tuple[int, str, int]],
    note: str,
) -> IdentityComponents:
    keys = pd.concat(
        [final["k"].astype(object), over_frame["k"].astype(object)], ignore_index=True
    ).to_numpy(dtype=object)
    label = final["lab"].astype(object).to_numpy(dtype=object)
    comp_codes, _ = pd.factorize(label)
    component = np.concatenate(
        [np.asarray(comp_codes, dtype=np.int64), np.full(len(over_frame), -1, dtype=np.int64)]
    )
    partners_all = np.concatenate(
        [
            np.zeros(len(final), dtype=np.int64),
            pd.to_numeric(over_frame["partners"]).to_numpy(dtype=np.int64),
        ]
    )
    rank = np.array([int(k[:_RANK]) for k in keys], dtype=np.int64)
    text = np.array([k[_RANK:] for k in keys], dtype=object)
    order = np.argsort(rank, kind="stable")
    sizes = np.bincount(rank, minlength=len(query.id_types))
    ids = []
    start = 0
    for size in sizes:
        ids.append(pd.Index(text[order[start : start + size]], dtype=object))
        start += size
    component = component[order]
    is_over = np.zeros(len(keys), dtype=bool)
    is_over[len(final) :] = True
    over_nodes = np.flatnonzero(is_over[order]).astype(np.int64)
    return IdentityComponents(
        id_types=query.id_types,
        ids=tuple(ids),
        component=component,
        over_connected=over_nodes,
        partners=partners_all[order][over_nodes],
        links_left_out=left_out,
        null_like=tuple(null_counts),
        accounting=tuple(accounting),
        notes=(note,),
    )
