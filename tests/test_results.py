"""Result conventions: Summary text/HTML (escaped), Provenance, the Result protocol."""

from __future__ import annotations

import attrs
import matplotlib as mpl
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.plotting import figure_to_data_uri, get_axes, percent_axis, style_axes
from linkstar_funnel.results import ResultMixin
from linkstar_funnel.schema import RowAccounting

mpl.use("Agg")

HOSTILE = "<script>alert(1)</script>"


def test_summary_html_escapes_every_piece_of_text() -> None:
    s = lf.Summary(
        HOSTILE,
        facts=((HOSTILE, HOSTILE),),
        table=pd.DataFrame({"country": [HOSTILE], "users": [3]}),
        notes=(HOSTILE,),
    )
    html = s.to_html()
    assert "<script>" not in html
    assert html.count("&lt;script&gt;") == 5
    assert s._repr_html_() == html


def test_summary_text() -> None:
    s = lf.Summary("T", facts=(("a", "1"),), table=pd.DataFrame({"x": [1]}), notes=("n",))
    assert str(s).splitlines() == ["T", "  a: 1", "", " x", " 1", "  note: n"]


def test_provenance_collects_drops_across_inputs() -> None:
    events = RowAccounting(10).with_dropped("missing user", 2, column="user_id")
    orders = RowAccounting(5).with_dropped("missing revenue", 1, column="revenue")
    prov = lf.Provenance(spec="spec", inputs={"events": events, "orders": orders}, notes=("n",))
    assert prov.rows_dropped == 3
    frame = prov.dropped_frame()
    assert frame.to_dict("list") == {
        "input": ["events", "orders"],
        "reason": ["missing user", "missing revenue"],
        "column": ["user_id", "revenue"],
        "rows": [2, 1],
    }
    assert prov.lines()[-1] == "n"
    assert list(lf.Provenance(spec=None).dropped_frame().columns) == [
        "input",
        "reason",
        "column",
        "rows",
    ]


def test_row_accounting_refuses_negative_counts() -> None:
    with pytest.raises(lf.ParameterError, match="≥ 0"):
        RowAccounting(3).with_dropped("x", -1)


def test_row_accounting_ignores_zero_counts() -> None:
    acc = RowAccounting(3)
    assert acc.with_dropped("x", 0) is acc


@attrs.frozen
class _Toy(ResultMixin):
    provenance: lf.Provenance

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"a": [1]})

    def summary(self) -> lf.Summary:
        return lf.Summary("toy", facts=(("rows", "1"),))

    def plot(self, ax: object = None, **kwargs: object) -> object:  # noqa: ARG002 - protocol
        ax = get_axes(ax)  # type: ignore[arg-type]
        ax.bar(["a"], [0.5])
        return percent_axis(style_axes(ax, title="toy"))


def test_result_protocol_and_mixin() -> None:
    toy = _Toy(lf.Provenance(spec=None))
    assert isinstance(toy, lf.Result)
    assert str(toy) == "toy\n  rows: 1"
    assert "<h4>toy</h4>" in toy._repr_html_()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        toy.provenance = lf.Provenance(spec=1)  # type: ignore[misc]
    ax = toy.plot()
    assert ax.get_title(loc="left") == "toy"
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    uri = figure_to_data_uri(ax.figure)  # type: ignore[arg-type]
    assert uri.startswith("data:image/png;base64,")
