"""RFM rules: refunds, zero-value orders, missing ids, statuses, units."""

from __future__ import annotations

import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.errors import ParameterError, SchemaError


def orders(rows: list[tuple[object, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime([r[1] for r in rows]),
            "revenue": [r[2] for r in rows],
        }
    )


def dropped(rfm: lf.ltv.RFMResult) -> dict[str, int]:
    return dict(zip(*rfm.provenance.dropped_frame()[["reason", "rows"]].to_numpy().T, strict=True))


def test_refunds_net_against_latest_purchase() -> None:
    df = orders(
        [
            ("a", "2026-01-01", 50.0),
            ("a", "2026-01-08", 30.0),
            ("a", "2026-01-10", -10.0),  # reduces the 01-08 purchase to 20
            ("b", "2026-01-02", 40.0),
            ("b", "2026-01-09", 25.0),
            ("b", "2026-01-09", -25.0),  # fully refunded: not a purchase
            ("c", "2026-01-03", -5.0),  # refund with nothing before it
            ("c", "2026-01-04", 15.0),
        ]
    )
    rfm = lf.ltv.rfm_summary(df, period="D", observation_end="2026-01-15")
    f = rfm.to_frame()
    assert f.loc["a", "frequency"] == 1
    assert f.loc["a", "monetary_value"] == 20.0
    assert f.loc["b", "frequency"] == 0
    assert dropped(rfm) == {
        "refund without an earlier purchase": 1,
        "zero or fully refunded purchase": 1,  # the purchase row; its refund was netted
    }


def test_refunds_drop_rule() -> None:
    df = orders([("a", "2026-01-01", 50.0), ("a", "2026-01-08", 30.0), ("a", "2026-01-10", -30.0)])
    f = lf.ltv.rfm_summary(df, period="D", refunds="drop").to_frame()
    assert f.loc["a", "monetary_value"] == 30.0


def test_zero_value_orders_rule() -> None:
    df = orders([("a", "2026-01-01", 0.0), ("a", "2026-01-08", 30.0)])
    dropped_rule = lf.ltv.rfm_summary(df, period="D").to_frame()
    kept_rule = lf.ltv.rfm_summary(df, period="D", zero_value="keep").to_frame()
    assert dropped_rule.loc["a", "frequency"] == 0
    assert kept_rule.loc["a", "frequency"] == 1
    assert kept_rule.loc["a", "recency"] == 7.0


def test_missing_ids_dropped_and_counted() -> None:
    df = orders([("a", "2026-01-01", 10.0), (None, "2026-01-02", 10.0), ("b", "2026-01-03", 5.0)])
    rfm = lf.ltv.rfm_summary(df, period="W")
    assert len(rfm) == 2
    assert dropped(rfm) == {"missing customer": 1}


def test_status_exclusion() -> None:
    df = orders([("a", "2026-01-01", 10.0), ("a", "2026-01-05", 20.0)]).assign(
        status=["delivered", "refunded"]
    )
    rfm = lf.ltv.rfm_summary(df, period="D", status="status")
    assert rfm.to_frame().loc["a", "frequency"] == 0
    assert dropped(rfm) == {"excluded status": 1}


def test_same_day_orders_are_one_transaction_and_units_scale() -> None:
    df = orders(
        [
            ("a", "2026-01-01 09:00", 10.0),
            ("a", "2026-01-01 18:00", 5.0),
            ("a", "2026-01-15 12:00", 7.0),
        ]
    )
    days = lf.ltv.rfm_summary(df, period="D", observation_end="2026-01-29").to_frame()
    weeks = lf.ltv.rfm_summary(df, period="W", observation_end="2026-01-29").to_frame()
    assert days.loc["a", "frequency"] == 1
    assert days.loc["a", "recency"] == 14.0
    assert weeks.loc["a", "recency"] == 2.0
    assert weeks.loc["a", "T"] == 4.0


def test_fitted_unit_travels_and_bare_numbers_are_refused(cdnow: pd.DataFrame) -> None:
    fit = lf.ltv.BetaGeo().fit(cdnow, unit="W")
    one = cdnow.iloc[:3]
    with pytest.raises(ParameterError, match=r"Hint: a bare number has no unit .*weeks"):
        fit.conditional_expected_purchases(39, one)  # type: ignore[arg-type]
    a = fit.conditional_expected_purchases("12M", one)
    b = fit.conditional_expected_purchases(lf.ltv.Span(365.25, "D"), one)
    pd.testing.assert_series_equal(a, b)
    with pytest.raises(ParameterError, match="must be given for a plain frame"):
        lf.ltv.BetaGeo().fit(cdnow)


def test_rfm_summary_in_days_converts_to_weekly_model(cdnow_transactions: pd.DataFrame) -> None:
    kw = {"observation_end": "1997-09-30", "zero_value": "keep"}
    weekly = lf.ltv.rfm_summary(cdnow_transactions, period="W", **kw)
    daily = lf.ltv.rfm_summary(cdnow_transactions, period="D", **kw)
    fit = lf.ltv.BetaGeo().fit(weekly)
    # A daily summary given to a weekly model is converted, not misread.
    pd.testing.assert_series_equal(fit.p_alive(daily), fit.p_alive(weekly), rtol=1e-9)


def test_calibration_holdout_split(cdnow_transactions: pd.DataFrame) -> None:
    split = lf.ltv.calibration_holdout(
        cdnow_transactions,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        zero_value="keep",
    )
    assert len(split.holdout) == 2357
    assert split.holdout["duration_holdout"].iloc[0] == pytest.approx(39.0)
    bg = lf.ltv.BetaGeo().fit(split.calibration)
    pred = bg.conditional_expected_purchases("39W")
    # Sanity check (not a published figure): total holdout purchases within 15%.
    actual = split.holdout["frequency_holdout"].sum()
    assert pred.sum() == pytest.approx(actual, rel=0.15)


def _lifetimes_orders() -> pd.DataFrame:
    """lifetimes' ``large_transaction_level_data`` fixture (tests/test_utils.py)."""
    rows = [
        (1, "2015-01-01"),
        (1, "2015-02-06"),
        (2, "2015-01-01"),
        (3, "2015-01-01"),
        (3, "2015-01-02"),
        (3, "2015-01-05"),
        (4, "2015-01-16"),
        (4, "2015-02-02"),
        (4, "2015-02-05"),
        (4, "2015-02-05"),
        (5, "2015-01-16"),
        (5, "2015-01-17"),
        (5, "2015-01-18"),
        (6, "2015-02-02"),
    ]
    return orders([(c, d, 10.0) for c, d in rows])


def test_weekly_buckets_match_lifetimes() -> None:
    # lifetimes' test_summary_date_from_transaction_data_with_specific_non_daily_frequency:
    # summary_data_from_transaction_data(..., observation_period_end="20150207", period="W")
    rfm = lf.ltv.rfm_summary(
        _lifetimes_orders(), period="W", granularity="W", observation_end="2015-02-07"
    )
    got = rfm.to_frame()[["frequency", "recency", "T"]]
    expected = pd.DataFrame(
        {
            "frequency": [1, 0, 1, 1, 0, 0],
            "recency": [5.0, 0.0, 1.0, 3.0, 0.0, 0.0],
            "T": [5.0, 5.0, 5.0, 3.0, 3.0, 0.0],
        },
        index=pd.Index([1, 2, 3, 4, 5, 6], name="customer"),
    )
    pd.testing.assert_frame_equal(got, expected)


def test_weekly_buckets_in_calibration_holdout_match_lifetimes() -> None:
    split = lf.ltv.calibration_holdout(
        _lifetimes_orders(),
        calibration_end="2015-01-25",
        observation_end="2015-02-07",
        period="W",
        granularity="W",
    )
    cal = split.calibration.to_frame()
    # calibration end in the week of 2015-01-19: T counts whole weeks to it
    assert cal.loc[1, "T"] == 3.0
    assert cal.loc[4, "T"] == 1.0
    assert split.holdout["duration_holdout"].iloc[0] == 2.0
    assert split.holdout.loc[1, "frequency_holdout"] == 1


def test_monthly_buckets_count_months() -> None:
    # pandas 3's to_timestamp() is in microseconds: read as ns, every purchase fell on
    # one day of 1970 (frequency and recency 0, T ~ 2,928 weeks).
    df = orders(
        [
            ("a", "2026-01-03", 10.0),
            ("a", "2026-01-20", 5.0),  # same month: one transaction
            ("a", "2026-03-09", 7.0),
            ("b", "2026-02-14", 4.0),
        ]
    )
    rfm = lf.ltv.rfm_summary(df, period="M", granularity="M", observation_end="2026-04-30")
    f = rfm.to_frame()
    assert f.loc["a", "frequency"] == 1
    assert f.loc["a", "recency"] == 2.0
    assert f.loc["a", "T"] == 3.0
    assert f.loc["b", "T"] == 2.0
    weekly = lf.ltv.rfm_summary(df, period="W", granularity="M", observation_end="2026-04-30")
    assert weekly.to_frame().loc["a", "T"] == pytest.approx((31 + 28 + 31) / 7)
    split = lf.ltv.calibration_holdout(
        df, calibration_end="2026-02-28", observation_end="2026-04-30", granularity="M"
    )
    assert split.calibration.to_frame().loc["a", "frequency"] == 0
    assert split.holdout.loc["a", "frequency_holdout"] == 1


def test_huge_values_are_averaged_not_overflowed() -> None:
    df = orders(
        [
            ("a", "2026-01-01", 1e308),
            ("a", "2026-01-05", 1e308),
            ("a", "2026-01-08", 1e308),
            ("b", "2026-01-02", 5.0),
        ]
    )
    f = lf.ltv.rfm_summary(df, period="D").to_frame()  # no numpy overflow warning
    assert f.loc["a", "monetary_value"] == pytest.approx(1e308)
    same_day = orders([("a", "2026-01-01", 1e308), ("a", "2026-01-01", 1e308)])
    with pytest.raises(SchemaError, match=r"'revenue'.*largest number"):
        lf.ltv.rfm_summary(same_day, period="D")
