"""Identity stitching: the ids a buyer leaves on the site, the shop and the marketplace,
merged into persons.

:class:`IdentityGraph` links ids seen together in a row (a cookie id and the user id it
logged in as; a customer id and the e-mail of an order) and names each connected group of
ids a person, guarding against over-connected ids (a shared tablet, a test account, a
placeholder e-mail) and null-like values. It runs in memory on pandas frames and in SQL
(iterative minimum-label propagation) on the engines' tables.

Examples
--------
>>> import pandas as pd
>>> from linkstar_funnel.identity import IdentityGraph
>>> pairs = pd.DataFrame({"device_id": ["d1", "d2"], "email": ["a@x.com", "a@x.com"]})
>>> len(IdentityGraph.from_pairs(pairs, left="device_id", right="email"))
1
"""

from __future__ import annotations

from ..engines.memory.identity import DEFAULT_NULL_LIKE
from ._graph import IdentityGraph

__all__ = ["DEFAULT_NULL_LIKE", "IdentityGraph"]
