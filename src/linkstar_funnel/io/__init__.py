"""Read the exports operators have: GA4, Shopify, Amazon Business Report, TikTok Shop.

Each reader takes a file (a path or an open file) in the platform's own format and returns
an :class:`ExportResult`: frames in the library's vocabulary (``.events``, ``.orders`` and
``.lines``, or ``.report``) and a ``provenance`` of the rows dropped and converted. A
missing or misspelt header raises :class:`~linkstar_funnel.errors.ColumnNotFoundError`
with a did-you-mean. :func:`sample_path` gives small synthetic exports in each format.
Importing the package registers the ``"ga4_ecommerce"`` stage template.

Examples
--------
>>> from linkstar_funnel.io import read_shopify_orders, sample_path
>>> od = read_shopify_orders(sample_path("shopify"))
>>> od.orders[["order_id", "revenue", "status"]].head(2)
  order_id  revenue  status
0    #1001    112.5    paid
1    #1002     37.3  voided
"""

from __future__ import annotations

from . import _template  # noqa: F401 - registers the "ga4_ecommerce" stage template
from ._amazon import AMAZON_COLUMNS, funnel_counts, read_amazon_business_report
from ._common import ExportResult
from ._ga4 import GA4_PARAMS, read_ga4
from ._samples import SAMPLES, sample_path
from ._shopify import SHOPIFY_STATUS, read_shopify_orders
from ._template import GA4_ECOMMERCE_EVENTS
from ._tiktok import TIKTOK_STATUS, read_tiktok_shop_orders

__all__ = [
    "AMAZON_COLUMNS",
    "GA4_ECOMMERCE_EVENTS",
    "GA4_PARAMS",
    "SAMPLES",
    "SHOPIFY_STATUS",
    "TIKTOK_STATUS",
    "ExportResult",
    "funnel_counts",
    "read_amazon_business_report",
    "read_ga4",
    "read_shopify_orders",
    "read_tiktok_shop_orders",
    "sample_path",
]
