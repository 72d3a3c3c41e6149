"""On-site search analytics: what shoppers look for, what they find, click and buy.

:func:`keywords` normalizes search terms into keywords and gives, per keyword (and
segment), searches, users, the zero-result rate, click-through, the mean clicked position,
the purchase rate and revenue after a search, with Wilson intervals;
:meth:`SearchKeywordsResult.opportunities` ranks the keywords that lose the most revenue.
"""

from __future__ import annotations

from ._keywords import keywords
from ._normalize import normalize_keywords, normalize_query
from ._result import SearchKeywordsResult

__all__ = ["SearchKeywordsResult", "keywords", "normalize_keywords", "normalize_query"]
