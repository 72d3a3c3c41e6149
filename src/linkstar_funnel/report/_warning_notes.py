"""The library's warnings during a section's computations, as notes on the page."""

from __future__ import annotations

import warnings

from ..errors import LinkstarWarning

__all__ = ["warning_notes"]


def warning_notes(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    """Library warnings (:class:`LinkstarWarning`) as page notes, each once, whitespace
    folded; any other warning is passed on unchanged (it is not the data's to explain).

    Record with ``warnings.catch_warnings(record=True, action="always",
    category=LinkstarWarning)``: only the library's warnings change filter.
    """
    out: list[str] = []
    for w in caught:
        if issubclass(w.category, LinkstarWarning):
            text = " ".join(str(w.message).split())
            if text not in out:
                out.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return tuple(out)
