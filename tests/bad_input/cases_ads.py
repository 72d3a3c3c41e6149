"""Bad-input cases of ad economics, KPI tree templates, scorecards and baselines."""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd

import linkstar_funnel as lf
from linkstar_funnel import ads, kpi
from linkstar_funnel.datasets import demo_ad_spend
from linkstar_funnel.kpi._templates import TEMPLATES

from .cases import Case, Frames, attribution_result, store

TREE = kpi.KPITree.from_formula(
    "gmv = sessions * cvr * aov; cvr = orders / sessions; aov = revenue / orders",
    owners={"sessions": "Growth", "cvr": "Product", "aov": "Merchandising"},
)


@functools.cache
def _ad_spend() -> pd.DataFrame:
    return demo_ad_spend(store().spend, seed=1).iloc[:300].reset_index(drop=True)


def ad_frames() -> Frames:
    spend = _ad_spend()
    per_campaign = spend.groupby("campaign", observed=True, as_index=False)["clicks"].sum()
    conv = pd.DataFrame(
        {
            "campaign": per_campaign["campaign"].astype(str),
            "orders": (per_campaign["clicks"] // 20).astype(float),
            "revenue": (per_campaign["clicks"] * 2.5).astype(float),
        }
    )
    return {"spend": spend.copy(), "conversions": conv}


def ad_spend_only() -> Frames:
    return {"spend": _ad_spend().copy()}


def _days(start: str, end: str, countries: tuple[str, ...] = ("UK", "DE")) -> pd.DataFrame:
    days = pd.date_range(start, end, freq="D")
    parts = [
        pd.DataFrame(
            {
                "date": days,
                "country": c,
                "sessions": 1000.0 + 100 * i,
                "orders": 20.0 + i,
                "revenue": 1000.0 + 50 * i,
            }
        )
        for i, c in enumerate(countries)
    ]
    return pd.concat(parts, ignore_index=True)


def scorecard_frames() -> Frames:
    targets = pd.DataFrame(
        {
            "country": ["UK", "UK", "DE", "DE"],
            "node": ["gmv", "cvr", "gmv", "sessions"],
            "target": [40_000.0, 0.025, 35_000.0, 40_000.0],
        }
    )
    return {"actual": _days("2026-03-01", "2026-03-18"), "targets": targets}


def history() -> Frames:
    return {"history": _days("2026-01-05", "2026-03-04")}


def amazon_report() -> Frames:
    return {
        "frame": pd.DataFrame(
            {
                "Date": ["2026-03-01", "2026-03-02", "2026-03-03"],
                "Sessions": [1250, 1400, 1300],
                "Units Ordered": [100, 98, 91],
                "Ordered Product Sales": [2500.0, 2548.0, 2366.0],
                "Spend": [300.0, 280.0, 250.0],
                "7 Day Total Sales": [1200.0, 1100.0, 990.0],
            }
        )
    }


@functools.cache
def _baseline() -> kpi.BaselineResult:
    return TREE.baseline(history()["history"], periods=4, by="country")


def _register_template(**kw: Any) -> object:
    """Register a template under a throw-away name, use it, and remove it again."""
    template = kw.get("template")
    name = getattr(template, "name", None)
    kpi.register_template(**kw)
    try:
        values = {"visits": 100.0, "cvr": 0.1, "aov": 20.0}
        return kpi.KPITree.template(str(name)).evaluate(values=values)
    finally:
        if name in TEMPLATES:
            TEMPLATES.unregister(str(name))


def _template(**kw: Any) -> object:
    t = kpi.KPITemplate(**kw)
    return (t.tree(), t.beside_trees(), t.leaf_columns())


CASES: list[Case] = [
    Case(
        "ads.economics",
        lambda spend, conversions, **kw: ads.economics(spend, conversions=conversions, **kw),
        (ads.economics,),
        ad_frames,
        {
            "by": ["channel", "campaign", "creative"],
            "cost": "cost",
            "impressions": "impressions",
            "clicks": "clicks",
            "total_revenue": 25_000.0,
            "reporting_currency": None,
        },
    ),
    Case(
        "ads.economics(attribution)",
        lambda spend, **kw: ads.economics(spend, conversions=attribution_result(), **kw),
        (ads.economics,),
        ad_spend_only,
        {
            "by": ["channel", "campaign"],
            "clicks": "clicks",
            "channel": "channel",
            "channel_map": None,
            "rates": None,
        },
    ),
    Case(
        "KPITree.scorecard",
        TREE.scorecard,
        (kpi.KPITree.scorecard,),
        scorecard_frames,
        {
            "period": "M",
            "as_of": "2026-03-18",
            "by": "country",
            "date": "date",
            "method": "lmdi",
            "on_track": 0.97,
            "off_track": 0.9,
            "lower_is_better": (),
        },
    ),
    Case(
        "KPITree.scorecard(history)",
        lambda history, **kw: TREE.scorecard(
            _days("2026-03-09", "2026-03-11", ("UK",)), {"gmv": 7_000.0}, history=history, **kw
        ),
        (kpi.KPITree.scorecard,),
        history,
        {"period": "W"},
    ),
    Case(
        "KPITree.baseline",
        TREE.baseline,
        (kpi.KPITree.baseline,),
        history,
        {"periods": 4, "period": "W", "by": "country", "date": "date"},
    ),
    Case(
        "BaselineResult.targets",
        lambda **kw: _baseline().targets(**kw),
        (kpi.BaselineResult.targets,),
        params={"lift": 0.05},
    ),
    Case(
        "KPITree.template",
        kpi.KPITree.template,
        (kpi.KPITree.template, kpi.get_template),
        params={"name": "amazon"},
    ),
    Case(
        "KPITemplate.evaluate",
        lambda frame, **kw: kpi.get_template("amazon").evaluate(frame, **kw),
        (kpi.KPITemplate.evaluate,),
        amazon_report,
        {"period": "Date", "by": None, "beside": True},
    ),
    Case(
        "KPITemplate",
        _template,
        (
            kpi.KPITemplate,
            kpi.KPITemplate.tree,
            kpi.KPITemplate.beside_trees,
            kpi.KPITemplate.leaf_columns,
        ),
        params={
            "name": "mine",
            "formula": "gmv = visits * cvr * aov",
            "owners": {"cvr": "CRO"},
            "units": {"gmv": "USD"},
            "columns": {"visits": "Visits"},
            "source": "my export",
            "beside": ("roas = revenue / cost",),
        },
    ),
    Case(
        "kpi.register_template",
        _register_template,
        (kpi.register_template,),
        params=lambda: {
            "template": kpi.KPITemplate("bad_input_template", "gmv = visits * cvr * aov"),
            "replace": False,
        },
    ),
]

_RESULT = "result record: built by the library from validated input, not by users"
EXEMPT: dict[str, str] = {
    "kpi.BaselineResult": _RESULT,
    "kpi.ScorecardResult": _RESULT,
}
if "ads" in getattr(lf, "__all__", ()):  # once the package is exported at the top level
    EXEMPT["ads.AdEconomicsResult"] = _RESULT
    EXEMPT["ads.Metric"] = "a definition record of the library's own metrics, not user input"
