"""Platform KPI tree templates: the registry, the trees, and evaluation from export columns."""

from __future__ import annotations

import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.kpi import KPITemplate, KPITree, get_template, register_template, templates
from linkstar_funnel.kpi._templates import TEMPLATES


def test_templates_lists_the_four_platforms_and_each_builds_with_owners_and_units() -> None:
    assert templates() == ("amazon", "own_site", "shopify", "tiktok_shop")
    for name in templates():
        tree = KPITree.template(name)
        assert tree.node(tree.root).unit == "currency"
        assert all(tree.node(c).owner for c in tree.children(tree.root))


def test_amazon_evaluates_from_the_business_report_columns() -> None:
    # Two days of a Business Report (Detail Page Sales and Traffic), numbers as exported.
    report = pd.DataFrame(
        {
            "Date": ["2026-03-01", "2026-03-02"],
            "Sessions": [1_250, 1_400],
            "Units Ordered": [100, 98],
            "Unit Session Percentage": [8.0, 7.0],
            "Ordered Product Sales": [2_500.0, 2_548.0],
        }
    )
    template = get_template("amazon")
    assert template.leaf_columns() == {
        "sessions": "Sessions",
        "units_ordered": "Units Ordered",
        "ordered_product_sales": "Ordered Product Sales",
    }
    values = template.evaluate(report, period="Date")
    assert isinstance(values, lf.KPIValuesResult)
    wide = values.wide()
    assert wide["sales"].tolist() == pytest.approx(report["Ordered Product Sales"].tolist())
    # the export's own percentage is Units Ordered / Sessions * 100
    assert (100 * wide["unit_session_percentage"]).tolist() == pytest.approx([8.0, 7.0])
    assert wide["average_selling_price"].tolist() == pytest.approx([25.0, 26.0])


def test_amazon_beside_metrics_tacos_and_acos() -> None:
    frame = pd.DataFrame({"Sessions": [1000], "Units Ordered": [50], "Ordered Product Sales": [2000.0],
                          "Spend": [300.0], "7 Day Total Sales": [1200.0]})  # fmt: skip
    out = get_template("amazon").evaluate(frame, beside=True)
    assert isinstance(out, dict)
    assert list(out) == ["sales", "tacos", "acos"]
    assert out["tacos"].wide()["tacos"].iloc[0] == pytest.approx(300 / 2000)
    assert out["acos"].wide()["acos"].iloc[0] == pytest.approx(300 / 1200)


def test_shopify_adds_negative_discounts_and_returns_as_exported() -> None:
    export = pd.DataFrame({"Sessions": [2000], "Orders": [40], "Gross sales": [3000.0],
                           "Discounts": [-200.0], "Returns": [-100.0]})  # fmt: skip
    wide = get_template("shopify").evaluate(export).wide()  # type: ignore[union-attr]
    assert wide["net_sales"].iloc[0] == pytest.approx(2700.0)
    assert wide["conversion_rate"].iloc[0] == pytest.approx(0.02)


def test_tiktok_and_own_site_formulas() -> None:
    assert KPITree.template("tiktok_shop").children("gmv") == (
        "content_views", "click_through_rate", "conversion_rate", "aov"
    )  # fmt: skip
    own = KPITree.template("own_site")
    assert own.children("traffic") == ("paid_sessions", "organic_sessions", "direct_sessions")
    assert own.node("paid_sessions").owner == "Performance marketing"


def test_users_register_their_own_and_names_are_never_overwritten_silently() -> None:
    mine = KPITemplate("test_marketplace", "gmv = visits * cvr * aov", owners={"cvr": "CRO"})
    try:
        register_template(mine)
        assert "test_marketplace" in templates()
        assert KPITree.template("test_marketplace").node("cvr").owner == "CRO"
        with pytest.raises(lf.RegistryError, match="already registered"):
            register_template(KPITemplate("test_marketplace", "gmv = a * b"))
        register_template(KPITemplate("test_marketplace", "gmv = a * b"), replace=True)
        assert KPITree.template("test_marketplace").leaves == ("a", "b")
    finally:
        TEMPLATES.unregister("test_marketplace")
    with pytest.raises(lf.RegistryError, match="Registered: 'amazon'"):
        KPITree.template("ebay")


def test_a_template_with_a_bad_formula_is_refused_at_construction() -> None:
    with pytest.raises(lf.ParameterError, match="Cannot read line 1"):
        KPITemplate("broken", "gmv = traffic * (cvr + aov)")
