"""The small synthetic exports shipped with the package (for tests, examples and trying out)."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from .._params import Options, validate_params

__all__ = ["SAMPLES", "sample_path"]

#: Sample name → file under ``linkstar_funnel/io/data`` (written by ``make_samples.py``).
SAMPLES: dict[str, str] = {
    "ga4_jsonl": "ga4_events_export.jsonl",
    "ga4_parquet": "ga4_events_export.parquet",
    "shopify": "shopify_orders_export.csv",
    "tiktok_shop": "tiktok_shop_orders_export.csv",
    "amazon_by_date": "amazon_business_report_by_date.csv",
    "amazon_by_asin": "amazon_business_report_by_asin.csv",
}


@validate_params(name=Options(*SAMPLES))
def sample_path(name: str) -> Path:
    """The path of a shipped synthetic export, in its platform's own format.

    Names: ``"ga4_jsonl"``, ``"ga4_parquet"`` (a GA4 BigQuery export, nested schema),
    ``"shopify"`` (Export orders CSV), ``"tiktok_shop"`` (order export CSV),
    ``"amazon_by_date"`` and ``"amazon_by_asin"`` (Business Reports).

    Examples
    --------
    >>> sample_path("shopify").name
    'shopify_orders_export.csv'
    """
    with as_file(files("linkstar_funnel.io") / "data" / SAMPLES[name]) as path:
        return Path(path)
