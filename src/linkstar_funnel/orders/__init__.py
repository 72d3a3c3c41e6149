"""Order timelines: status times as events, lead times between steps, refund rates.

:class:`Timeline` reads orders with a time per status (``from_columns``) or a row per
status change (``from_history``). Its :meth:`~Timeline.events` continue the site funnel
after payment (the ``"cross_border_full"`` stage template has the ten stages, impression
to repurchase); :meth:`~Timeline.lead_times` measures paid → shipped → delivered with
open orders censored (Kaplan-Meier); :meth:`~Timeline.rates` gives refund, return and
cancel rates. Both results are rate sources for
:meth:`Benchmark.compare <linkstar_funnel.benchmark.Benchmark.compare>` and, per day,
for :func:`linkstar_funnel.monitor.detect`.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.orders import Timeline
>>> orders = pd.DataFrame({
...     "order_id": [1, 2, 3], "customer_id": [1, 2, 3],
...     "paid_at": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-03-02"]),
...     "shipped_at": pd.to_datetime(["2026-03-02", "2026-03-05", None])})
>>> tl = Timeline.from_columns(orders, steps={"paid": "paid_at", "shipped": "shipped_at"})
>>> tl.lead_times().to_frame()[["pair", "orders", "completed", "open", "median"]]
            pair  orders  completed  open  median
0  paid->shipped       3          2     1  4 days
"""

from __future__ import annotations

from . import _template  # noqa: F401 - registers the "cross_border_full" stage template
from ._lead_times import LeadTimeSpec, LeadTimesResult
from ._rates import OrderRatesResult, RateSpec
from ._timeline import DEFAULT_STEPS, Timeline

__all__ = [
    "DEFAULT_STEPS",
    "LeadTimeSpec",
    "LeadTimesResult",
    "OrderRatesResult",
    "RateSpec",
    "Timeline",
]
