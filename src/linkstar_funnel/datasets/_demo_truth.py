"""The ground truth of a demo store, as tables analyses can be checked against."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

import attrs
import numpy as np
import pandas as pd

from ._demo_drop import InjectedDrop
from ._demo_orders import gamma_gamma_scale
from ._demo_params import (
    ACQUISITION_SHARES,
    BASE_RATES,
    BGNBD,
    CHANNELS,
    COUNTRIES,
    DEVICE_SWITCH_RATE,
    DEVICES,
    GAMMA_GAMMA_P,
    GAMMA_GAMMA_Q,
    GAP_DAYS_CAP,
    GAP_DAYS_P,
    HOURLY_PROFILE,
    MARKETS,
    MULTIPLIERS,
    NEW_SESSION_RATES,
    PLATFORMS,
    REFUND_RATES,
    RETURN_SHARES,
    SAME_SESSION_MEAN_S,
    SAME_SESSION_MIN_S,
    STAGES,
    VIEW_SHARES,
    WEEKDAY_PROFILE,
    categorical,
    creative_table,
    rate_array,
)

__all__ = ["DemoTruth", "build_truth", "markets_frame"]


@attrs.frozen(eq=False, repr=False)
class DemoTruth:
    """The parameters a demo store was generated from, for checking analyses against.

    Attributes
    ----------
    n_users, seed
        The arguments of :func:`make_demo_store`.
    start, end
        The data window in UTC: ``[start, end)``. Nothing (events, touchpoints, orders,
        spend) falls outside it; journeys still under way at ``end`` are cut there.
    step_rates
        One row per segment cell and stage after ``impression``: ``country``,
        ``platform``, ``device``, ``channel``, ``campaign``, ``creative`` (the user's
        acquisition attributes), ``stage`` and ``rate``, the true probability of reaching
        ``stage`` given the previous stage (without any injected drop). It is the product
        of ``base_rates`` and the ``multipliers`` of the cell, capped at 0.97 (no cell
        reaches the cap).
    base_rates
        ``stage``, ``rate``: the base rates that ``multipliers`` scale (equal to the US,
        own_site, organic cell if device and creative multipliers were 1).
    multipliers
        ``dimension`` (country, platform, device, channel, creative), ``value``,
        ``stage``, ``multiplier``. Creatives act on the click stage only.
    channel_effects
        ``channel``, ``stage``, ``multiplier``, and ``conversion_multiplier`` (the
        product over stages: the channel's effect on impression-to-payment conversion).
    creatives
        ``channel``, ``campaign``, ``creative``, ``share_in_channel``,
        ``click_multiplier`` and ``cost_per_user`` (USD per acquired user, the mean CAC
        per impressed user that drives ``spend``).
    channel_mix
        ``channel``, ``acquisition_share``, ``return_share`` (touch bringing a user back
        for a later session), ``view_share`` (touches leading to no session).
    delays
        Per stage after ``impression``: ``new_session_rate`` (the step happens in a later
        session, ``1 + Geometric(gap_days_p)`` local days later, capped at
        ``gap_days_cap``), else ``same_session_min_s + Exponential(same_session_mean_s)``
        seconds after the previous step.
    aov
        Per market: ``country``, ``currency``, ``aov_usd`` (mean order value), and the
        Gamma-Gamma parameters ``p``, ``q``, ``gamma`` (``aov_usd = p * gamma / (q - 1)``).
    bgnbd
        Repeat purchases: ``r``, ``alpha`` (purchase rate ``Gamma(r, alpha)`` per day),
        ``a``, ``b`` (dropout after each purchase ``Beta(a, b)``).
    refund_rates
        ``platform``, ``refund_rate``.
    hourly_profile, weekday_profile
        ``hour`` (local, 0-23) or ``weekday`` (0 is Monday) and ``share`` of activity.
    device_switch_rate
        Share of a user's later sessions on another device than the first.
    drop
        The injected drop, or ``None``.
    """

    n_users: int
    seed: int
    start: pd.Timestamp
    end: pd.Timestamp
    step_rates: pd.DataFrame
    base_rates: pd.DataFrame
    multipliers: pd.DataFrame
    channel_effects: pd.DataFrame
    creatives: pd.DataFrame
    channel_mix: pd.DataFrame
    delays: pd.DataFrame
    aov: pd.DataFrame
    bgnbd: Mapping[str, float]
    refund_rates: pd.DataFrame
    hourly_profile: pd.DataFrame
    weekday_profile: pd.DataFrame
    device_switch_rate: float
    drop: InjectedDrop | None

    def __repr__(self) -> str:
        return (
            f"DemoTruth(n_users={self.n_users}, seed={self.seed}, start={self.start}, "
            f"end={self.end}, drop={self.drop!r})"
        )


def markets_frame() -> pd.DataFrame:
    """``country``, ``time_zone``, ``currency``, ``usd_per_unit``, ``user_share``."""
    return pd.DataFrame(
        [m[:5] for m in MARKETS],
        columns=["country", "time_zone", "currency", "usd_per_unit", "user_share"],
    )


def _stage_col(values: Iterable[str]) -> pd.Categorical[str]:
    labels: list[str] = list(values)
    return pd.Categorical(labels, dtype=pd.CategoricalDtype(list(STAGES), ordered=True))


def _step_rates() -> pd.DataFrame:
    rates = rate_array()
    grid = np.indices(rates.shape).reshape(rates.ndim, -1)
    stage, country, platform, device, creative = grid
    table = creative_table()
    return pd.DataFrame(
        {
            "country": categorical(country, COUNTRIES),
            "platform": categorical(platform, PLATFORMS),
            "device": categorical(device, DEVICES),
            "channel": categorical(table["channel_code"].to_numpy()[creative], CHANNELS),
            "campaign": pd.Categorical(
                table["campaign"].to_numpy()[creative],
                categories=list(dict.fromkeys(table["campaign"])),
            ),
            "creative": pd.Categorical(
                table["creative"].to_numpy()[creative], categories=list(table["creative"])
            ),
            "stage": _stage_col(np.asarray(STAGES)[stage + 1]),
            "rate": rates.ravel(),
        }
    )


def _multipliers() -> pd.DataFrame:
    rows = [
        (dim, value, stage, mult)
        for dim, by_value in MULTIPLIERS.items()
        for value, mults in by_value.items()
        for stage, mult in zip(STAGES[1:], mults, strict=True)
    ]
    table = creative_table()
    rows += [
        (
            "creative",
            str(c),
            stage,
            float(m) if stage == "click" else 1.0,
        )
        for c, m in zip(table["creative"], table["click_multiplier"], strict=True)
        for stage in STAGES[1:]
    ]
    out = pd.DataFrame(rows, columns=["dimension", "value", "stage", "multiplier"])
    out["stage"] = _stage_col(out["stage"])
    return out


def build_truth(
    n_users: int, seed: int, start: pd.Timestamp, end: pd.Timestamp, drop: InjectedDrop | None
) -> DemoTruth:
    """Assemble the truth tables (constants of the simulation plus the call's arguments)."""
    stages = _stage_col(STAGES[1:])
    effects = pd.DataFrame(
        [
            (c, s, m)
            for c, ms in MULTIPLIERS["channel"].items()
            for s, m in zip(STAGES[1:], ms, strict=True)
        ],
        columns=["channel", "stage", "multiplier"],
    )
    effects["stage"] = _stage_col(effects["stage"])
    effects["conversion_multiplier"] = effects["channel"].map(
        {c: float(np.prod(ms)) for c, ms in MULTIPLIERS["channel"].items()}
    )
    hourly = np.asarray(HOURLY_PROFILE)
    weekly = np.asarray(WEEKDAY_PROFILE)
    return DemoTruth(
        n_users=n_users,
        seed=seed,
        start=start,
        end=end,
        step_rates=_step_rates(),
        base_rates=pd.DataFrame({"stage": stages, "rate": BASE_RATES}),
        multipliers=_multipliers(),
        channel_effects=effects,
        creatives=creative_table()[
            [
                "channel",
                "campaign",
                "creative",
                "share_in_channel",
                "click_multiplier",
                "cost_per_user",
            ]
        ],
        channel_mix=pd.DataFrame(
            {
                "channel": CHANNELS,
                "acquisition_share": ACQUISITION_SHARES,
                "return_share": RETURN_SHARES,
                "view_share": VIEW_SHARES,
            }
        ),
        delays=pd.DataFrame(
            {
                "stage": stages,
                "new_session_rate": NEW_SESSION_RATES,
                "same_session_min_s": SAME_SESSION_MIN_S,
                "same_session_mean_s": SAME_SESSION_MEAN_S,
                "gap_days_p": GAP_DAYS_P,
                "gap_days_cap": GAP_DAYS_CAP,
            }
        ),
        aov=pd.DataFrame(
            {
                "country": COUNTRIES,
                "currency": [m[2] for m in MARKETS],
                "aov_usd": [m[5] for m in MARKETS],
                "p": GAMMA_GAMMA_P,
                "q": GAMMA_GAMMA_Q,
                "gamma": gamma_gamma_scale(),
            }
        ),
        bgnbd=MappingProxyType(dict(BGNBD)),
        refund_rates=pd.DataFrame({"platform": PLATFORMS, "refund_rate": REFUND_RATES}),
        hourly_profile=pd.DataFrame({"hour": np.arange(24), "share": hourly / hourly.sum()}),
        weekday_profile=pd.DataFrame({"weekday": np.arange(7), "share": weekly / weekly.sum()}),
        device_switch_rate=DEVICE_SWITCH_RATE,
        drop=drop,
    )
