"""Search terms as keywords: one spelling per thing shoppers look for."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._params import InstanceOf, Satisfies, validate_params

__all__ = ["normalize_keywords", "normalize_query"]

_SPACE = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


@validate_params(
    text=InstanceOf(str, description="a string"),
    synonyms=[None, InstanceOf(Mapping, description="a mapping of search terms to keywords")],
)
def normalize_query(text: str, synonyms: Mapping[str, str] | None = None) -> str:
    """A search term as its keyword: Unicode NFKC, case folded, white space collapsed and
    trimmed, then mapped through ``synonyms`` (whose keys and values are normalized the
    same way first).

    Examples
    --------
    >>> normalize_query("  \uff34\uff45\uff41   MUG ")  # full-width "Tea"
    'tea mug'
    >>> normalize_query("Teacup", synonyms={"teacup": "Tea Cup"})
    'tea cup'
    """
    key = _clean(text)
    if synonyms:
        key = _synonym_map(synonyms).get(key, key)
    return key


def _synonym_map(synonyms: Mapping[str, str]) -> dict[str, str]:
    return {_clean(str(k)): _clean(str(v)) for k, v in synonyms.items()}


@validate_params(synonyms=[None, Satisfies(lambda v: isinstance(v, Mapping), "a mapping")])
def normalize_keywords(
    terms: pd.Series[str], synonyms: Mapping[str, str] | None = None
) -> pd.Series[str]:
    """:func:`normalize_query` on a column of search terms (each distinct term once).

    Missing terms stay missing; terms that normalize to nothing become missing.

    Examples
    --------
    >>> normalize_keywords(pd.Series(["Tea", " tea ", None, "  "])).tolist()
    ['tea', 'tea', None, None]
    """
    codes, uniques = pd.factorize(terms, use_na_sentinel=True)
    mapping = _synonym_map(synonyms) if synonyms else {}
    cleaned = [_clean(str(u)) for u in uniques]
    keys = np.array([mapping.get(c, c) or None for c in cleaned] + [None], dtype=object)
    return pd.Series(keys[codes], index=terms.index, dtype=object)
