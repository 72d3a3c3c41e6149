"""Shipped industry reference rates, each with its source, date and definition.

These are published averages over *other* stores, measured *per session* by analytics
tools, at one point in time. They drift from month to month (Baymard's average has moved
between roughly 69.6% and 70.2% across its updates; IRP's UK conversion rate moves every
month), and a user-level funnel over days reads higher than a per-session one. Use them as
context for a first look; your own history (``Benchmark.from_history``) is the better
reference for decisions.

Stages use the demo store's vocabulary: ``visit``, ``add_to_cart``, ``checkout``,
``payment``; each value says which stage it is measured from (``base``).
"""

from __future__ import annotations

from ._reference import Reference
from ._registry import register_benchmark
from ._sets import Benchmark

__all__ = ["baymard", "industry", "irp_uk", "littledata"]

_BAYMARD_URL = "https://baymard.com/lists/cart-abandonment-rate"
_LITTLEDATA_URL = "https://blog.littledata.io/2019/11/22/9-ecommerce-benchmarks-to-track-during-black-friday-cyber-monday/"
_IRP_URL = "https://www.irpcommerce.com/en/gb/EcommerceMarketData.aspx"


def _baymard() -> Reference:
    return Reference(
        stage="payment",
        base="add_to_cart",
        rate=round(1.0 - 0.7019, 4),
        source="Baymard Institute",
        as_of="2024",
        definition=(
            "Cart-to-order rate: 1 minus Baymard's documented average online shopping cart "
            "abandonment rate of 70.19%, the mean of 49 published studies of the share of "
            "shopping carts that do not end in an order. The studies differ in period, "
            "population and exact definition."
        ),
        population="49 studies of online stores, compiled by Baymard Institute",
        url=_BAYMARD_URL,
    )


def _littledata() -> tuple[Reference, Reference]:
    atc = Reference(
        stage="add_to_cart",
        base="visit",
        rate=0.052,
        source="Littledata",
        as_of="2019-10",
        definition=(
            "Add-to-cart rate: share of sessions in which a product was added to the cart "
            "(Google Analytics sessions), averaged over the stores surveyed."
        ),
        population="564 stores using Littledata (mostly Shopify), surveyed in October 2019",
        url=_LITTLEDATA_URL,
    )
    checkout = Reference(
        stage="payment",
        base="checkout",
        rate=0.452,
        source="Littledata",
        as_of="2019-10",
        definition=(
            "Checkout completion rate: share of checkouts started that were completed as a "
            "recorded sale, averaged over the stores surveyed."
        ),
        population="543 stores using Littledata (mostly Shopify), surveyed in October 2019",
        url=_LITTLEDATA_URL,
    )
    return atc, checkout


def _irp() -> Reference:
    return Reference(
        stage="payment",
        base="visit",
        rate=0.0162,
        source="IRP Commerce",
        as_of="2022-08",
        definition=(
            "Conversion rate: total transactions / total sessions (sessions, not visitors) "
            "over August 2022, all markets of IRP Commerce's UK retailer panel."
        ),
        population="UK online retailers in the IRP Commerce panel (all markets)",
        url=_IRP_URL,
    )


@register_benchmark("industry")
def industry() -> Benchmark:
    """Every shipped industry value: Baymard, Littledata (2), IRP Commerce UK."""
    return Benchmark("industry defaults", (_baymard(), *_littledata(), _irp()))


@register_benchmark("baymard-cart-abandonment")
def baymard() -> Benchmark:
    """Baymard's documented average cart abandonment (as a cart-to-order rate)."""
    return Benchmark("Baymard cart abandonment", (_baymard(),))


@register_benchmark("littledata-2019-10")
def littledata() -> Benchmark:
    """Littledata's October 2019 add-to-cart and checkout-completion averages."""
    return Benchmark("Littledata, October 2019", _littledata())


@register_benchmark("irp-uk-2022-08")
def irp_uk() -> Benchmark:
    """IRP Commerce's UK conversion rate for August 2022."""
    return Benchmark("IRP Commerce UK, August 2022", (_irp(),))
