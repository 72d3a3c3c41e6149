"""The ``"cross_border_full"`` stage template: the site funnel, then what follows payment."""

from __future__ import annotations

from ..stages import Stage, register_template

__all__ = ["cross_border_full"]


@register_template("cross_border_full")
def cross_border_full() -> list[Stage]:
    """Ten stages: impression → click → visit → add to cart → checkout → payment →
    shipped → delivered → review → repurchase.

    ``payment`` matches the site's ``payment`` event and a timeline's ``paid``;
    ``review`` matches ``reviewed`` (a timeline's step) and ``review``. The last four come
    from :meth:`Timeline.events <linkstar_funnel.orders.Timeline.events>`.
    """
    return [
        Stage("impression"),
        Stage("click"),
        Stage("visit"),
        Stage("add_to_cart"),
        Stage("checkout"),
        Stage("payment", event=["payment", "paid"]),
        Stage("shipped"),
        Stage("delivered"),
        Stage("review", event=["reviewed", "review"]),
        Stage("repurchase"),
    ]
