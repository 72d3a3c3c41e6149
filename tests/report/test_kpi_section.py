"""The report's KPI tree section: revenue month over month, on Online Retail and user files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.datasets import online_retail_orders
from linkstar_funnel.report import REGISTRY, ReportContext, ReportData
from linkstar_funnel.report._kpi_month import DRIVERS, MonthOverMonth, month_over_month
from linkstar_funnel.report._kpi_section import RETAIL_EXTRA
from linkstar_funnel.report.cli import main

from .conftest import HOSTILE, make_events, make_orders

JOIN = "\u2060"  # the word joiner the section puts between a sign and an amount


def _render(data: ReportData) -> str | None:
    return REGISTRY.get("kpi-tree").render(ReportContext(data))


@pytest.fixture(scope="module")
def retail() -> pd.DataFrame:
    return online_retail_orders()


@pytest.fixture(scope="module")
def change(retail: pd.DataFrame) -> MonthOverMonth:
    m = month_over_month(retail)
    assert m is not None
    return m


def _monthly_plain(orders: pd.DataFrame, month: str) -> tuple[float, int, int]:
    """Revenue, customers and orders of one month, in plain pandas (London time)."""
    rows = orders[orders["timestamp"].dt.strftime("%Y-%m") == month]
    return float(rows["revenue"].sum()), rows["customer_id"].nunique(), rows["order_id"].nunique()


def test_compares_the_last_two_full_months(change: MonthOverMonth) -> None:
    assert (str(change.before), str(change.after)) == ("2011-10", "2011-11")
    assert str(change.partial) == "2011-12"  # the data ends on 2011-12-09
    assert change.by_driver.method == "lmdi"
    assert change.segment == "country"


def test_numbers_match_plain_pandas(retail: pd.DataFrame, change: MonthOverMonth) -> None:
    rev0, cust0, ord0 = _monthly_plain(retail, "2011-10")
    rev1, cust1, ord1 = _monthly_plain(retail, "2011-11")
    d = change.by_driver
    assert d.root_before == pytest.approx(rev0, rel=1e-12)
    assert d.root_after == pytest.approx(rev1, rel=1e-12)
    assert float(d.before["customers"][0]) == cust0
    assert float(d.after["orders_per_customer"][0]) == pytest.approx(ord1 / cust1)
    assert float(d.before["aov"][0]) == pytest.approx(rev0 / ord0)
    # LMDI contributions are exact: they sum to the revenue change, at every view.
    assert sum(d.contributions.values()) == pytest.approx(rev1 - rev0, rel=1e-9)
    for other in (change.by_segment, change.structure):
        assert other is not None
        assert other.total == pytest.approx(rev1 - rev0, rel=1e-9)
        assert sum(other.contributions.values()) == pytest.approx(rev1 - rev0, rel=1e-9)
    # And each contribution is the textbook LMDI-I term L(V1, V0) * ln(x1 / x0).
    weight = (rev1 - rev0) / (np.log(rev1) - np.log(rev0))
    assert d.contributions["customers"] == pytest.approx(weight * np.log(cust1 / cust0))
    mix = change.aov_mix
    assert mix is not None
    assert mix.before == pytest.approx(rev0 / ord0)
    assert mix.mix + mix.rate == pytest.approx(rev1 / ord1 - rev0 / ord0)


def test_section_html_on_demo_inputs(retail: pd.DataFrame, change: MonthOverMonth) -> None:
    html = _render(ReportData(extras={RETAIL_EXTRA: retail}))
    assert html is not None
    d = change.by_driver
    pct = d.total / d.root_before
    assert f"Revenue rose {pct:.1%} (+{JOIN}£{d.total:,.0f})" in html
    assert f"from £{d.root_before:,.0f} in October 2011 to £{d.root_after:,.0f} in November" in html
    c = d.contributions
    assert f"more customers +{JOIN}£{c['customers']:,.0f}" in html
    assert f"lower order value \u2212{JOIN}£{-c['aov']:,.0f}" in html
    assert "December 2011 is partial" in html
    assert html.count("data:image/png;base64,") == 1
    for text in ("By driver", "By country", "United Kingdom", "other (", "country mix"):
        assert text in html
    # The by-country table's total row is the revenue of each month.
    assert f'<td class="num">{d.root_before:,.0f}</td>' in html


def test_demo_report_section_from_cli(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    assert main(["report", "--demo", "--demo-users", "300", "-q", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'id="kpi-tree"' in page
    assert "KPI tree: what moved revenue" in page
    assert "Bundled Online Retail data" in page


def test_skipped_without_orders_or_full_months() -> None:
    assert _render(ReportData()) is None
    # 20 days of orders: not one full month.
    assert _render(ReportData(orders=make_orders())) is None


def _three_months(seed: int = 2, country: object = "DE") -> pd.DataFrame:
    """Orders from mid January to mid April 2026: February and March are full."""
    rng = np.random.default_rng(seed)
    n = 900
    start = pd.Timestamp("2026-01-15", tz="UTC")
    seconds = np.sort(rng.integers(0, 90 * 86_400, n))
    return pd.DataFrame(
        {
            "order_id": np.arange(n),
            "customer_id": rng.integers(0, 250, n),
            "timestamp": start + pd.to_timedelta(seconds, unit="s"),
            "revenue": rng.gamma(2.0, 30.0, n).round(2),
            "country": rng.choice(np.array(["US", "JP", country], dtype=object), n),
        }
    )


def test_hostile_country_is_escaped() -> None:
    orders = _three_months(country=HOSTILE)
    orders.loc[orders.index[-1], "revenue"] = 1e6  # a hostile country moves most
    html = _render(ReportData(orders=orders))
    assert html is not None
    assert HOSTILE not in html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_user_orders_refunds_fall_back_to_shapley() -> None:
    orders = _three_months()
    refunds = orders["country"] == "JP"
    orders.loc[refunds, "revenue"] = -orders.loc[refunds, "revenue"]
    m = month_over_month(orders)
    assert m is not None
    assert m.by_driver.method == "shapley"
    assert sum(m.by_driver.contributions.values()) == pytest.approx(m.by_driver.total)
    html = _render(ReportData(orders=orders))
    assert html is not None
    assert "Shapley is used" in html


def test_gap_month_and_no_segment() -> None:
    orders = _three_months().drop(columns="country")
    m = month_over_month(orders, segment=None)
    assert m is not None
    assert (str(m.before), str(m.after)) == ("2026-02", "2026-03")
    assert m.by_segment is None
    assert set(m.by_driver.contributions) == set(DRIVERS)
    gap = orders[orders["timestamp"].dt.month != 3]  # March has no orders at all
    assert month_over_month(gap, segment=None) is None


def test_cli_with_orders_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = tmp_path / "events.csv"
    make_events(300).to_csv(events, index=False)
    orders = tmp_path / "orders.csv"
    _three_months().rename(columns={"customer_id": "buyer", "revenue": "amount"}).to_csv(
        orders, index=False
    )
    out = tmp_path / "r.html"
    args = ["report", "--events", str(events), "--orders", str(orders), "--customer", "buyer"]
    args += ["--revenue", "amount", "-o", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert 'id="kpi-tree"' in page
    assert "March 2026 against February 2026" in page
    assert "April 2026 is partial" in page
    assert "£" not in page  # user data: no currency assumed
