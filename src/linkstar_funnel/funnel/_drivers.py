"""Converters vs dropouts at a step: which property values over-index among converters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validators import bad_parameter
from ..errors import SchemaError
from ..schema import Column, validate

if TYPE_CHECKING:
    from ._result import FunnelResult

__all__ = ["converters_vs_dropouts", "odds_ratio_table", "step_after_first"]

FloatArray = npt.NDArray[np.float64]
MISSING = "(missing)"
_OWNER = "FunnelResult.converters_vs_dropouts"
#: Below this smallest expected cell count, p-values come from Fisher's exact test.
FISHER_BELOW = 5.0


def step_after_first(stages: Sequence[str], step: object, *, owner: str, param: str) -> int:
    """A step (number from 1, or stage name) that has a previous step, as a number ≥ 2."""
    names = list(stages)
    expected = f"a step number in 2..{len(names)} or a stage name other than {names[0]!r}"
    if isinstance(step, str):
        if step in names[1:]:
            return names.index(step) + 1
        raise bad_parameter(owner, param, expected, step)
    if (
        isinstance(step, int | np.integer)
        and not isinstance(step, bool)
        and 2 <= step <= len(names)
    ):
        return int(step)
    raise bad_parameter(owner, param, expected, step)


def _columns(value: object, by: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        if not by:
            raise bad_parameter(
                _OWNER,
                "columns",
                "given (event columns to compare) when the funnel has no 'by' breakdown",
                value,
            )
        return by
    return (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]


def _first_event_properties(
    events: object, keys: list[str], time: str, columns: list[str]
) -> pd.DataFrame:
    """Per entity key, each column's value on its earliest event (first row on ties).

    Read through the schema layer: times are compared as instants (not as text), rows
    without a key or a time are left out.
    """
    roles = [Column(f"key:{k}", k, "key") for k in keys] + [Column("time", time, "time")]
    roles += [Column(f"column:{c}", c, "category", required=False) for c in columns]
    table = validate(events, roles, frame_name="events")
    order = np.argsort(table.times["time"].ns, kind="stable")
    part = pd.DataFrame({c: table.column(c)[order] for c in [*keys, *columns]})
    return part.drop_duplicates(keys, keep="first")


def odds_ratio_table(
    a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray, *, alpha: float
) -> dict[str, FloatArray]:
    """Sample odds ratios ``(a d) / (b c)`` of 2x2 tables with Woolf intervals and p-values.

    ``a``: converters with the value, ``b``: dropouts with it, ``c``/``d``: without it.
    A table with a zero cell gets 0.5 added to every cell (Haldane) for the ratio and its
    interval. The p-value is Fisher's exact test (two-sided) when the smallest expected
    count is below 5, else Pearson's chi-square without continuity correction.
    """
    from scipy import stats

    from ..stats import z_value

    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    aa, bb, cc, dd = (x + np.where(zero, 0.5, 0.0) for x in (a, b, c, d))
    log_or = np.log(aa) + np.log(dd) - np.log(bb) - np.log(cc)
    se = np.sqrt(1 / aa + 1 / bb + 1 / cc + 1 / dd)
    z = z_value(alpha)
    n = a + b + c + d
    rows = np.stack([a + b, c + d])
    cols = np.stack([a + c, b + d])
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = (rows[:, None, :] * cols[None, :, :]) / n
        chi2 = n * (a * d - b * c) ** 2 / (rows[0] * rows[1] * cols[0] * cols[1])
    small = (expected.min(axis=(0, 1)) < FISHER_BELOW) | ~np.isfinite(chi2)
    p = np.asarray(stats.chi2.sf(np.where(small, 0.0, chi2), df=1), dtype=np.float64)
    for i in np.flatnonzero(small):
        table = [[int(a[i]), int(b[i])], [int(c[i]), int(d[i])]]
        p[i] = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
    return {
        "odds_ratio": np.exp(log_or),
        "ci_low": np.exp(log_or - z * se),
        "ci_high": np.exp(log_or + z * se),
        "p_value": p,
        "test": np.where(small, "fisher", "chi2").astype(object),
    }


def converters_vs_dropouts(
    result: FunnelResult,
    step: int | str,
    *,
    columns: str | Sequence[str] | None = None,
    events: object = None,
    time: str = "timestamp",
    alpha: float = 0.05,
    min_users: int = 30,
) -> pd.DataFrame:
    """See :meth:`FunnelResult.converters_vs_dropouts`."""
    from ..stats import bh_qvalues

    s = step_after_first(result.stages, step, owner=_OWNER, param="step")
    cols = _columns(columns, result.by)
    att = result._need_events("converters_vs_dropouts()")
    users = result.users()
    users = users.loc[(users["level"] >= s - 1) & ~users["excluded"]].reset_index(drop=True)
    extra = [c for c in cols if c not in result.by]
    if extra:
        if events is None:
            raise bad_parameter(
                _OWNER,
                "events",
                f"the event frame (the columns {extra} are not breakdown columns of the result)",
                events,
            )
        keys = list(att.user_labels)
        props = _first_event_properties(events, keys, time, extra)
        try:
            found = users[keys].merge(props[keys].assign(_found=True), on=keys, how="left")
        except ValueError:  # pandas refuses to match ids of different kinds (int vs text)
            found = pd.DataFrame({"_found": []})
        if len(users) and not found["_found"].notna().any():
            msg = (
                "None of the result's entities are in the events frame given to "
                f"converters_vs_dropouts (columns {keys}).\nHint: pass the frame the funnel "
                "was computed from; ids must be of the same type (e.g. not 1 vs '1')."
            )
            raise SchemaError(msg)
        users = users[[*keys, *result.by, "level"]].merge(props, on=keys, how="left")
    converted = users["level"].to_numpy() >= s
    n_conv, n_drop = float(converted.sum()), float((~converted).sum())
    parts = []
    for col in cols:
        values = users[col].astype(object).where(users[col].notna(), MISSING)
        counts = pd.crosstab(values, converted).reindex(columns=[True, False], fill_value=0)
        part = pd.DataFrame(
            {
                "column": col,
                "value": counts.index.to_numpy(dtype=object),
                "converters": counts[True].to_numpy(dtype=np.int64),
                "dropouts": counts[False].to_numpy(dtype=np.int64),
            }
        )
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.insert(2, "users", out["converters"] + out["dropouts"])
    small = out["users"] < min_users
    # Values held by too few entities are left out, and counted (see .attrs).
    dropped_values, dropped_users = int(small.sum()), int(out.loc[small, "users"].sum())
    out = out.loc[~small].reset_index(drop=True)
    a = out["converters"].to_numpy(dtype=np.float64)
    b = out["dropouts"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates: dict[str, Any] = {
            "conversion_rate": a / (a + b),
            "share_converters": a / n_conv if n_conv else np.full(len(a), np.nan),
            "share_dropouts": b / n_drop if n_drop else np.full(len(b), np.nan),
        }
    stats = odds_ratio_table(a, b, n_conv - a, n_drop - b, alpha=float(alpha))
    out = out.assign(**rates, **{k: v for k, v in stats.items() if k != "test"})
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy(dtype=np.float64))
    out["test"] = stats["test"]
    out = out.sort_values(
        ["odds_ratio", "users"], ascending=[False, False], kind="stable"
    ).reset_index(drop=True)
    out.attrs.update(
        stage=result.stages[s - 1],
        previous_stage=result.stages[s - 2],
        alpha=float(alpha),
        values_below_min_users=dropped_values,
        users_in_values_below_min_users=dropped_users,
    )
    return out
