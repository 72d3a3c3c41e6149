"""The ``"ga4_ecommerce"`` stage template: GA4's recommended e-commerce events, in order."""

from __future__ import annotations

from ..stages import Stage, register_template

__all__ = ["GA4_ECOMMERCE_EVENTS", "ga4_ecommerce"]

#: GA4's recommended online-sales events, from product view to purchase.
GA4_ECOMMERCE_EVENTS: tuple[str, ...] = (
    "view_item",
    "add_to_cart",
    "begin_checkout",
    "add_shipping_info",
    "add_payment_info",
    "purchase",
)


@register_template("ga4_ecommerce")
def ga4_ecommerce() -> list[Stage]:
    """Six stages named as GA4 names the events: view_item → add_to_cart → begin_checkout →
    add_shipping_info → add_payment_info → purchase.

    Examples
    --------
    >>> from linkstar_funnel.stages import stage_template
    >>> [s.name for s in stage_template("ga4_ecommerce")][:3]
    ['view_item', 'add_to_cart', 'begin_checkout']
    """
    return [Stage(name) for name in GA4_ECOMMERCE_EVENTS]
