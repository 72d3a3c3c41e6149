"""ClickHouse ``windowFunnel`` modes for ``Funnel(clickhouse_modes=...)``: names, checks.

ClickHouse 26 documents the modes ``'strict_deduplication'``, ``'strict_order'``,
``'strict_increase'`` and ``'allow_reentry'`` (the latter only with ``'strict_order'``), in
any combination; ``'strict'`` was renamed ``'strict_deduplication'``. The modes replace the
library's own chain semantics, so the options that change those semantics have no
ClickHouse meaning next to them and are refused (:data:`EXCLUSIVE_OPTIONS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._validators import bad_parameter
from ..errors import ParameterError, _close_names

if TYPE_CHECKING:
    from ._spec import Funnel

__all__ = ["CLICKHOUSE_MODES", "check_combination", "to_clickhouse_modes"]

#: ClickHouse 26's documented ``windowFunnel`` modes that ``Funnel`` computes.
CLICKHOUSE_MODES = ("strict_deduplication", "strict_order", "strict_increase", "allow_reentry")
_PARAM, _OWNER = "clickhouse_modes", "Funnel"


def to_clickhouse_modes(value: object) -> tuple[str, ...]:
    """The modes as a tuple in :data:`CLICKHOUSE_MODES` order (a repeat counts once, as in
    ClickHouse); one mode may be given as a string.

    Examples
    --------
    >>> to_clickhouse_modes(["strict_increase", "strict_order", "strict_order"])
    ('strict_order', 'strict_increase')
    >>> to_clickhouse_modes("strict")
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ParameterError: The 'clickhouse_modes' parameter of Funnel does not take 'strict': ClickHouse renamed that mode 'strict_deduplication' (and now rejects 'strict').
    """
    modes = (value,) if isinstance(value, str) else value
    if not isinstance(modes, list | tuple | set | frozenset):
        raise bad_parameter(_OWNER, _PARAM, "a list of ClickHouse windowFunnel mode names", value)
    for mode in modes:
        _check_name(mode)
    if "allow_reentry" in modes and "strict_order" not in modes:
        msg = (
            f"The {_PARAM!r} parameter of {_OWNER} gives 'allow_reentry' without "
            "'strict_order': the mode only relaxes strict_order (ClickHouse rejects it "
            f"alone too). Got {_shown(modes)} instead.\n"
            "Hint: clickhouse_modes=('strict_order', 'allow_reentry')."
        )
        raise ParameterError(msg)
    return tuple(m for m in CLICKHOUSE_MODES if m in modes)


def _shown(modes: Iterable[object]) -> str:
    return repr(sorted(modes, key=repr)) if isinstance(modes, set | frozenset) else repr(modes)


def _check_name(mode: object) -> None:
    valid = ", ".join(repr(m) for m in CLICKHOUSE_MODES)
    if mode == "strict":
        msg = (
            f"The {_PARAM!r} parameter of {_OWNER} does not take 'strict': ClickHouse "
            "renamed that mode 'strict_deduplication' (and now rejects 'strict')."
        )
        raise ParameterError(msg)
    if mode == "strict_once":
        msg = (
            f"The {_PARAM!r} parameter of {_OWNER} does not support ClickHouse's "
            f"'strict_once' mode. Got 'strict_once' instead; the modes computed are {valid}."
            "\nHint: distinct_events=True (without clickhouse_modes) also keeps one event "
            "from serving two steps, with the library's longest-chain semantics."
        )
        raise ParameterError(msg)
    if isinstance(mode, str) and mode in CLICKHOUSE_MODES:
        return
    hint = ""
    if isinstance(mode, str):
        close = _close_names(mode, list(CLICKHOUSE_MODES), limit=1)
        if close:
            hint = f"\nHint: did you mean {close[0]!r}?"
    msg = (
        f"The {_PARAM!r} parameter of {_OWNER} must hold ClickHouse windowFunnel modes "
        f"({valid}). Got {mode!r} instead.{hint}"
    )
    raise ParameterError(msg)


#: Options with no ClickHouse meaning next to ``clickhouse_modes``: (field, its default,
#: why). Each must keep its default when modes are given.
EXCLUSIVE_OPTIONS: tuple[tuple[str, object, str], ...] = (
    ("order", "ordered", "the modes define the order rules ('strict_order')"),
    ("ties", "stage_order", "use the 'strict_increase' mode for ClickHouse's strict_increase"),
    ("step_windows", None, "windowFunnel has one window, from the first step"),
    ("entry", "any", "windowFunnel lets every step-1 event start a chain"),
    ("distinct_events", False, "windowFunnel lets one event serve several steps"),
    ("exclusions", (), "windowFunnel has no exclusion steps"),
    ("counting", "users", "windowFunnel gives one level per group ('sessions' is allowed)"),
)


def check_combination(spec: Funnel) -> None:
    """Refuse options that have no ClickHouse meaning next to ``clickhouse_modes``.

    ``counting="sessions"`` (a ``GROUP BY user, session``), ``by``, ``attribution`` and
    ``top_n`` (how the result is split) combine with the modes.
    """
    if not spec.clickhouse_modes:
        return
    for field, default, why in EXCLUSIVE_OPTIONS:
        value = getattr(spec, field)
        if value == default or (field == "counting" and value == "sessions"):
            continue
        msg = (
            f"The {field!r} parameter of {_OWNER} must be {default!r} when "
            f"clickhouse_modes is given ({why}). Got {value!r} instead."
        )
        raise ParameterError(msg)
