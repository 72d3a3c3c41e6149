"""unit_economics: CAC only where spend and acquisitions say so; bad input is a typed error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.errors import (
    DataQualityWarning,
    EmptyFrameError,
    ParameterError,
    SchemaError,
)

FAST = lf.ltv.CohortLTV(horizon="84D", use_prophet=False)


@pytest.fixture(scope="module")
def fit(store: lf.datasets.DemoStore) -> lf.ltv.CohortLTVResult:
    return FAST.fit(store.orders, by="channel")


def _paid(store: lf.datasets.DemoStore) -> pd.DataFrame:
    return store.spend


def test_channels_without_spend_have_no_cac(
    fit: lf.ltv.CohortLTVResult, store: lf.datasets.DemoStore
) -> None:
    spend = store.spend[store.spend["channel"] != "paid_social"]
    with pytest.warns(DataQualityWarning, match="no spend.*paid_social"):
        f = lf.ltv.unit_economics(fit, spend, at="84D").to_frame().set_index("channel")
    for ch in ("paid_social", "organic"):
        assert np.isnan(f.loc[ch, "spend"])
        assert np.isnan(f.loc[ch, "cac"])
        assert np.isnan(f.loc[ch, "ltv_cac"])
        assert pd.isna(f.loc[ch, "payback"])  # not "paid back at the first age"
    assert f.loc["paid_search", "cac"] > 0


def test_negative_spend_or_acquisitions_are_refused(
    fit: lf.ltv.CohortLTVResult, store: lf.datasets.DemoStore
) -> None:
    spend = store.spend.assign(cost=-store.spend["cost"])
    with pytest.raises(SchemaError, match=r"'cost'.*≥ 0"):
        lf.ltv.unit_economics(fit, spend, at="84D")
    with pytest.raises(ParameterError, match="acquisitions"):
        lf.ltv.unit_economics(fit, store.spend, acquisitions={"paid_search": -5.0}, at="84D")
    with pytest.raises(ParameterError, match="acquisitions"):
        lf.ltv.unit_economics(fit, store.spend, acquisitions={"paid_search": np.nan}, at="84D")


def test_missing_spend_is_dropped_and_counted_never_read_as_zero(
    fit: lf.ltv.CohortLTVResult, store: lf.datasets.DemoStore
) -> None:
    with pytest.raises(EmptyFrameError):
        lf.ltv.unit_economics(fit, store.spend.assign(cost=np.nan), at="84D")
    spend = store.spend.copy()
    spend.loc[spend.index[:3], "cost"] = np.nan
    with pytest.warns(DataQualityWarning, match="no spend"):
        econ = lf.ltv.unit_economics(fit, spend, at="84D")
    assert econ.provenance.rows_dropped == 3


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"margin": "0.4"}, "margin"),
        ({"margin": 0.0}, "margin"),
        ({"alpha": 1.5}, "alpha"),
        ({"at": 84}, "at"),
        ({"channel": 5}, "channel"),
        ({"acquisitions": [1, 2]}, "acquisitions"),
    ],
)
def test_bad_parameters_are_parameter_errors(
    fit: lf.ltv.CohortLTVResult, store: lf.datasets.DemoStore, kwargs: dict[str, object], param: str
) -> None:
    with pytest.raises(ParameterError, match=f"'{param}' parameter of unit_economics"):
        lf.ltv.unit_economics(fit, store.spend, **kwargs)  # type: ignore[arg-type]


def test_fit_must_be_a_cohort_fit(store: lf.datasets.DemoStore) -> None:
    with pytest.raises(ParameterError, match="'fit' parameter of unit_economics"):
        lf.ltv.unit_economics("fit", store.spend)  # type: ignore[arg-type]
