"""GA4 BigQuery export: the shipped sample (JSONL and Parquet), CSV, identities, drops."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import linkstar_funnel as lf
from linkstar_funnel.io import GA4_ECOMMERCE_EVENTS, read_ga4, sample_path
from linkstar_funnel.stages import stage_template


def _raw() -> list[dict[str, object]]:
    text = sample_path("ga4_jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _param(row: dict[str, object], key: str) -> object:
    for p in row["event_params"]:  # type: ignore[attr-defined]
        if p["key"] == key:
            v = p["value"]
            return next(
                (v[f] for f in ("string_value", "int_value", "double_value") if v[f] is not None),
                None,
            )
    return None


def test_jsonl_and_parquet_read_the_same() -> None:
    a = read_ga4(sample_path("ga4_jsonl")).events
    b = read_ga4(sample_path("ga4_parquet")).events
    pd.testing.assert_frame_equal(a, b)


def test_flattening_against_a_row_by_row_reading() -> None:
    raw = sorted(_raw(), key=lambda r: int(r["event_timestamp"]))  # type: ignore[arg-type]
    ev = read_ga4(sample_path("ga4_jsonl")).events
    assert len(ev) == len(raw)
    for row, (_, got) in zip(raw, ev.iterrows(), strict=True):
        assert got["timestamp"] == pd.Timestamp(int(row["event_timestamp"]), unit="us", tz="UTC")  # type: ignore[arg-type]
        assert got["event"] == row["event_name"]
        assert got["user_id"] == (row["user_id"] or row["user_pseudo_id"])
        assert got["ga_session_id"] == int(_param(row, "ga_session_id"))  # type: ignore[arg-type]
        assert got["device"] == row["device"]["category"]  # type: ignore[index]
        assert got["country"] == row["geo"]["country"]  # type: ignore[index]
        assert got["first_source"] == row["traffic_source"]["source"]  # type: ignore[index]
        page = _param(row, "page_location")
        assert got["page_location"] == page
        src = _param(row, "source") or (row["collected_traffic_source"] or {}).get("manual_source")  # type: ignore[attr-defined]
        assert (got["source"] if pd.notna(got["source"]) else None) == src
        if row["event_name"] == "purchase":
            assert got["transaction_id"] == row["ecommerce"]["transaction_id"]  # type: ignore[index]
            assert got["revenue"] == row["ecommerce"]["purchase_revenue"]  # type: ignore[index]
            assert got["value"] == _param(row, "value")
            assert got["currency"] == "EUR"
    assert str(ev["timestamp"].dtype).endswith("UTC]")


def test_user_choice() -> None:
    path = sample_path("ga4_jsonl")
    auto = read_ga4(path)
    pseudo = read_ga4(path, user="user_pseudo_id").events
    login = read_ga4(path, user="user_id")
    assert (pseudo["user_id"] == pseudo["user_pseudo_id"]).all()
    signed = auto.events["ga_user_id"].notna()
    assert len(login.events) == int(signed.sum())
    dropped = login.provenance.dropped_frame()
    assert dropped["rows"].tolist() == [int((~signed).sum())]
    assert dropped["column"].tolist() == ["user_id"]


def test_ga4_ecommerce_template_and_funnel() -> None:
    stages = stage_template("ga4_ecommerce")
    assert tuple(s.name for s in stages) == GA4_ECOMMERCE_EVENTS
    ev = read_ga4(sample_path("ga4_parquet")).events
    funnel = lf.Funnel(stages).compute(ev).to_frame()
    buyers = ev.loc[ev["event"] == "purchase", "user_id"].nunique()
    assert funnel["users"].iloc[-1] == buyers
    assert funnel["users"].iloc[0] == ev.loc[ev["event"] == "view_item", "user_id"].nunique()


def test_csv_with_dotted_headers_and_json_cells() -> None:
    params = json.dumps([{"key": "ga_session_id", "value": {"int_value": "7"}},
                         {"key": "value", "value": {"double_value": 9.5}},
                         {"key": "page_location", "value": {"string_value": "https://x/"}}])  # fmt: skip
    csv = (
        "\ufeffevent_date,event_timestamp,event_name,user_pseudo_id,user_id,device.category,"
        "geo.country,event_params\n"
        f'20260301,1772323200000000,purchase,p1,,mobile,Germany,"{params.replace(chr(34), 2 * chr(34))}"\n'
    )
    path_free = io.StringIO(csv)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ga4.csv"
        path.write_text(path_free.getvalue(), encoding="utf-8")
        with pytest.warns(lf.DataQualityWarning, match="ga_session_number"):
            ev = read_ga4(path).events
    row = ev.iloc[0]
    assert row["timestamp"] == pd.Timestamp("2026-03-01", tz="UTC")
    assert (row["device"], row["country"], row["ga_session_id"], row["value"]) == (
        "mobile",
        "Germany",
        7,
        9.5,
    )
    assert row["page_location"] == "https://x/"


def test_extra_params_and_drops() -> None:
    lines = [
        {"event_timestamp": "1772323200000000", "event_name": "page_view", "user_pseudo_id": "a",
         "event_params": [{"key": "engagement_time_msec", "value": {"int_value": "120"}}]},
        {"event_timestamp": None, "event_name": "page_view", "user_pseudo_id": "a", "event_params": []},
        {"event_timestamp": "1772323201000000", "event_name": None, "user_pseudo_id": "a"},
        {"event_timestamp": "1772323202000000", "event_name": "x", "user_pseudo_id": None},
    ]  # fmt: skip
    buf = io.StringIO("\n".join(json.dumps(x) for x in lines) + "\n\n")
    with pytest.warns(lf.DataQualityWarning, match=r"ga_session_id \(1\)"):
        res = read_ga4(buf, params=["engagement_time_msec"])
    assert res.events["engagement_time_msec"].tolist() == ["120"]
    assert res.provenance.dropped_frame()["rows"].tolist() == [1, 1, 1]


def test_missing_field_did_you_mean_and_bad_lines() -> None:
    bad = io.StringIO(json.dumps({"event_timestamp": "1", "event_nam": "x", "user_pseudo_id": "a"}))
    with pytest.raises(lf.ColumnNotFoundError, match=r"'event_name'[\s\S]*'event_nam'"):
        read_ga4(bad)
    with pytest.raises(lf.ParameterError, match=r"Line 1 .* not JSON"):
        read_ga4(io.StringIO("{not json\n"))
    with pytest.raises(lf.ParameterError, match="user"):
        read_ga4(sample_path("ga4_jsonl"), user="email")
