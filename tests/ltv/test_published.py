"""The external reference: Fader, Hardie & Lee (2005) estimates on the CDNOW 1/10 sample."""

from __future__ import annotations

import pandas as pd
import pytest

import linkstar_funnel as lf


def test_bgnbd_matches_published(cdnow: pd.DataFrame) -> None:
    fit = lf.ltv.BetaGeo().fit(cdnow, unit="W")
    p = fit.params
    assert p["r"] == pytest.approx(0.243, abs=5e-4)
    assert p["alpha"] == pytest.approx(4.414, abs=5e-3)
    assert p["a"] == pytest.approx(0.793, abs=5e-3)
    assert p["b"] == pytest.approx(2.426, abs=5e-3)
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert fit.mle.converged
    assert all(se > 0 for se in fit.standard_errors.values())


def test_bgnbd_conditional_expectation_published(cdnow: pd.DataFrame) -> None:
    fit = lf.ltv.BetaGeo().fit(cdnow, unit="W")
    one = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86]})
    assert fit.conditional_expected_purchases("39W", one).iloc[0] == pytest.approx(1.226, abs=5e-4)
    # The same horizon in days gives the same answer: units are converted, never assumed.
    assert fit.conditional_expected_purchases("273D", one).iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_pareto_matches_published(cdnow: pd.DataFrame) -> None:
    fit = lf.ltv.ParetoNBD().fit(cdnow, unit="W")
    p = fit.params
    assert p["r"] == pytest.approx(0.553, abs=1e-3)
    assert p["alpha"] == pytest.approx(10.578, abs=1e-2)
    assert p["s"] == pytest.approx(0.606, abs=1e-3)
    assert p["beta"] == pytest.approx(11.669, abs=2e-2)
    assert fit.log_likelihood == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_matches_published(cdnow: pd.DataFrame) -> None:
    fit = lf.ltv.GammaGamma().fit(cdnow)
    p = fit.params
    assert p["p"] == pytest.approx(6.25, abs=5e-3)
    assert p["q"] == pytest.approx(3.74, abs=5e-3)
    assert p["v"] == pytest.approx(15.44, abs=1e-2)
    assert fit.log_likelihood == pytest.approx(-4055.9, abs=0.1)
    assert fit.provenance.rows_dropped == 1411  # one-time buyers carry no repeat spend
    assert fit.mle.n_obs == 946


def test_rfm_summary_reproduces_published_summary(
    cdnow: pd.DataFrame, cdnow_transactions: pd.DataFrame
) -> None:
    # CDNOW counts 8 free ($0) first purchases as transactions: zero_value="keep".
    rfm = lf.ltv.rfm_summary(
        cdnow_transactions, period="W", observation_end="1997-09-30", zero_value="keep"
    ).to_frame()
    assert len(rfm) == 2357
    ref = cdnow.copy()
    ref.index = ref.index.rename("customer")
    got = rfm.reindex(ref.index)
    assert (got["frequency"] == ref["frequency"]).all()
    assert (got["recency"] - ref["recency"]).abs().max() < 0.006
    assert (got["T"] - ref["T"]).abs().max() < 0.006
    assert (got["monetary_value"] - ref["monetary_value"]).abs().max() < 0.006


def test_rfm_default_drops_free_orders_and_counts_them(cdnow_transactions: pd.DataFrame) -> None:
    rfm = lf.ltv.rfm_summary(cdnow_transactions, period="W", observation_end="1997-09-30")
    dropped = rfm.provenance.dropped_frame().set_index("reason")["rows"]
    assert dropped["zero or fully refunded purchase"] == 8
    assert dropped["after observation end"] == 1959
    assert len(rfm) == 2349
