"""Platform KPI trees: Amazon, Shopify, TikTok Shop and an own site, ready to evaluate.

A :class:`KPITemplate` holds a tree's formula, owners and units, and the column each leaf
is read from in the platform's standard export. Templates live in one registry
(:data:`TEMPLATES`); the built-ins register through :func:`register_template` like yours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._params import Boolean, InstanceOf, Satisfies, validate_params
from .._registry import Registry
from ..errors import ParameterError
from ._specs import BY, FORMULA, NAME

if TYPE_CHECKING:
    from ._tree import KPITree
    from ._values import KPIValuesResult

__all__ = [
    "TEMPLATES",
    "KPITemplate",
    "get_template",
    "register_template",
    "templates",
]


def _text_map(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        msg = (
            "The owners, units and columns of a KPITemplate must be mappings from node names "
            f"to strings. Got {value!r} instead."
        )
        raise ParameterError(msg)
    return dict(value)


def _lines(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        msg = f"The 'beside' field of a KPITemplate must be formula lines. Got {value!r} instead."
        raise ParameterError(msg)
    out = tuple(value)
    if not all(isinstance(line, str) for line in out):
        msg = f"The 'beside' field of a KPITemplate must be formula lines. Got {value!r} instead."
        raise ParameterError(msg)
    return out


_TEXT = Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")


@attrs.frozen
class KPITemplate:
    """A named KPI tree with owners, units and the export columns of its leaves.

    Parameters
    ----------
    name
        The registry name (``"amazon"``).
    formula
        The tree's formula lines (see :meth:`KPITree.from_formula`).
    owners, units
        Default owner and unit per node.
    columns
        Leaf → column name in the platform's standard export (leaves not listed are
        read from a column of their own name).
    source
        Which export the columns come from.
    beside
        Metrics read next to the tree (not part of it), each a one-line formula such as
        ``"tacos = ad_spend / ordered_product_sales"``, with their own export columns in
        ``columns``.

    Examples
    --------
    >>> t = get_template("own_site")
    >>> t.tree().root, t.tree().leaves
    ('gmv', ('paid_sessions', 'organic_sessions', 'direct_sessions', 'orders', 'revenue'))
    """

    name: str = attrs.field(validator=_TEXT)
    formula: str = attrs.field(validator=FORMULA)
    owners: Mapping[str, str] = attrs.field(factory=dict, converter=_text_map)
    units: Mapping[str, str] = attrs.field(factory=dict, converter=_text_map)
    columns: Mapping[str, str] = attrs.field(factory=dict, converter=_text_map)
    source: str = attrs.field(default="", validator=InstanceOf(str, description="a string"))
    beside: tuple[str, ...] = attrs.field(default=(), converter=_lines)

    def __attrs_post_init__(self) -> None:
        self.tree()  # a template that cannot build its tree is refused at registration
        self.beside_trees()

    def tree(self) -> KPITree:
        """The tree, with the template's owners and units."""
        from ._tree import KPITree

        tree = KPITree.from_formula(self.formula)
        known = set(tree.names)
        return tree.annotate(
            owners={k: v for k, v in self.owners.items() if k in known},
            units={k: v for k, v in self.units.items() if k in known},
        )

    def beside_trees(self) -> dict[str, KPITree]:
        """The metrics read beside the tree, one small tree each, by name."""
        from ._tree import KPITree

        out = {}
        for line in self.beside:
            tree = KPITree.from_formula(line)
            known = set(tree.names)
            out[tree.root] = tree.annotate(
                owners={k: v for k, v in self.owners.items() if k in known},
                units={k: v for k, v in self.units.items() if k in known},
            )
        return out

    def leaf_columns(self, tree: KPITree | None = None) -> dict[str, str]:
        """Leaf → export column for ``tree`` (default: the template's tree)."""
        tree = tree or self.tree()
        return {leaf: self.columns.get(leaf, leaf) for leaf in tree.leaves}

    @validate_params(period=[None, NAME], by=BY, beside=Boolean())
    def evaluate(
        self,
        frame: object,
        *,
        period: str | None = None,
        by: str | Sequence[str] | None = None,
        beside: bool = False,
    ) -> KPIValuesResult | dict[str, KPIValuesResult]:
        """Evaluate the tree on a platform export, reading its own column names.

        With ``beside=True``, a mapping ``{name: KPIValuesResult}``: the tree under its
        root's name, then every metric beside it.
        """
        tree = self.tree()
        main = tree.evaluate(frame, period=period, by=by, columns=self.leaf_columns(tree))
        if not beside:
            return main
        out = {tree.root: main}
        for name, small in self.beside_trees().items():
            out[name] = small.evaluate(
                frame, period=period, by=by, columns=self.leaf_columns(small),
                zero_division="nan",
            )  # fmt: skip
        return out


@validate_params(template=InstanceOf(KPITemplate, description="a KPITemplate"), replace=Boolean())
def register_template(template: KPITemplate, *, replace: bool = False) -> KPITemplate:
    """Register ``template`` under its name (refused if taken, unless ``replace=True``).

    Examples
    --------
    >>> t = KPITemplate("my_shop", "gmv = visits * cvr * aov", owners={"cvr": "CRO"})
    >>> register_template(t).name, "my_shop" in templates()
    ('my_shop', True)
    >>> TEMPLATES.unregister("my_shop")
    """
    TEMPLATES.register(template.name, template, replace=replace)
    return template


def templates() -> tuple[str, ...]:
    """Names of the registered KPI tree templates, sorted.

    Examples
    --------
    >>> templates()
    ('amazon', 'own_site', 'shopify', 'tiktok_shop')
    """
    return tuple(TEMPLATES.names())


@validate_params(name=NAME)
def get_template(name: str) -> KPITemplate:
    """The template registered as ``name`` (an unknown name lists the registered ones)."""
    return TEMPLATES.get(name)


def template_tree(name: str) -> KPITree:
    """See :meth:`KPITree.template`."""
    return get_template(name).tree()


_BUILTINS: tuple[dict[str, Any], ...] = (
    {
        "name": "amazon",
        "formula": """
            sales = sessions * unit_session_percentage * average_selling_price
            unit_session_percentage = units_ordered / sessions
            average_selling_price = ordered_product_sales / units_ordered
        """,
        "owners": {
            "sales": "Marketplace lead",
            "sessions": "Advertising",
            "unit_session_percentage": "Listing / catalog",
            "average_selling_price": "Pricing",
            "tacos": "Advertising",
            "acos": "Advertising",
        },
        "units": {
            "sales": "currency",
            "ordered_product_sales": "currency",
            "average_selling_price": "currency per unit",
            "sessions": "sessions",
            "units_ordered": "units",
            "unit_session_percentage": "units per session",
            "spend": "currency",
            "ad_sales": "currency",
            "tacos": "share",
            "acos": "share",
        },
        "columns": {
            "sessions": "Sessions",
            "units_ordered": "Units Ordered",
            "ordered_product_sales": "Ordered Product Sales",
            "spend": "Spend",
            "ad_sales": "7 Day Total Sales",
        },
        "source": (
            "Seller Central Business Report (Detail Page Sales and Traffic): Sessions, Units "
            "Ordered, Ordered Product Sales (Unit Session Percentage is recomputed as Units "
            "Ordered / Sessions); beside it, the Sponsored Products campaign report: Spend, "
            "7 Day Total Sales"
        ),
        "beside": ("tacos = spend / ordered_product_sales", "acos = spend / ad_sales"),
    },
    {
        "name": "shopify",
        "formula": """
            net_sales = sessions * conversion_rate * average_order_value
            conversion_rate = orders / sessions
            average_order_value = order_sales / orders
            order_sales = gross_sales + discounts + returns
        """,
        "owners": {
            "net_sales": "E-commerce lead",
            "sessions": "Marketing",
            "conversion_rate": "Site / CRO",
            "average_order_value": "Merchandising",
            "discounts": "Merchandising",
            "returns": "Customer service",
        },
        "units": {
            "net_sales": "currency",
            "order_sales": "currency",
            "gross_sales": "currency",
            "discounts": "currency",
            "returns": "currency",
            "average_order_value": "currency",
            "sessions": "sessions",
            "orders": "orders",
            "conversion_rate": "orders per session",
        },
        "columns": {
            "sessions": "Sessions",
            "orders": "Orders",
            "gross_sales": "Gross sales",
            "discounts": "Discounts",
            "returns": "Returns",
        },
        "source": (
            "Shopify Analytics reports, one row per day: Sessions (Sessions over time) and "
            "Orders, Gross sales, Discounts, Returns (Sales over time); Shopify reports "
            "discounts and returns as negative amounts, so they are added"
        ),
    },
    {
        "name": "tiktok_shop",
        "formula": """
            gmv = content_views * click_through_rate * conversion_rate * aov
            click_through_rate = product_clicks / content_views
            conversion_rate = orders / product_clicks
            aov = revenue / orders
        """,
        "owners": {
            "gmv": "TikTok Shop lead",
            "content_views": "Content / creators",
            "click_through_rate": "Content / creators",
            "conversion_rate": "Product page / offer",
            "aov": "Merchandising",
        },
        "units": {
            "gmv": "currency",
            "revenue": "currency",
            "aov": "currency",
            "content_views": "views",
            "product_clicks": "clicks",
            "orders": "orders",
            "click_through_rate": "clicks per view",
            "conversion_rate": "orders per click",
        },
        "columns": {
            "content_views": "Product impressions",
            "product_clicks": "Product clicks",
            "orders": "Orders",
            "revenue": "GMV",
        },
        "source": (
            "Seller Center, Data Compass > Product Analytics export: Product impressions "
            "(views of the product in videos, LIVE and product cards), Product clicks, "
            "Orders, GMV"
        ),
    },
    {
        "name": "own_site",
        "formula": """
            gmv = traffic * cvr * aov
            traffic = paid_sessions + organic_sessions + direct_sessions
            cvr = orders / traffic
            aov = revenue / orders
        """,
        "owners": {
            "gmv": "E-commerce lead",
            "traffic": "Growth",
            "paid_sessions": "Performance marketing",
            "organic_sessions": "SEO / content",
            "direct_sessions": "Brand / CRM",
            "cvr": "Site / CRO",
            "aov": "Merchandising",
        },
        "units": {
            "gmv": "currency",
            "revenue": "currency",
            "aov": "currency",
            "traffic": "sessions",
            "paid_sessions": "sessions",
            "organic_sessions": "sessions",
            "direct_sessions": "sessions",
            "orders": "orders",
            "cvr": "orders per session",
        },
        "columns": {},
        "source": (
            "your own analytics (e.g. GA4 sessions by default channel group, summed into "
            "paid, organic and direct) and orders: columns named as the leaves"
        ),
    },
)


def _register_builtins() -> None:
    for spec in _BUILTINS:
        register_template(KPITemplate(**spec))


#: KPI tree templates by name; the built-ins register on first use.
TEMPLATES: Registry[KPITemplate] = Registry("KPI tree template", load=_register_builtins)
