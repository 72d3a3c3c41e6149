"""Vectorised simulation of users, their funnel journeys, events and touchpoints.

Loops run over the six funnel steps, never over users or events. Times are UTC seconds
since the window's start (see :mod:`._demo_clock`); nothing is cut at its end yet.
"""

from __future__ import annotations

import attrs
import numpy as np

from ._demo_clock import Clock
from ._demo_drop import InjectedDrop
from ._demo_params import (
    ACQUISITION_SHARES,
    DEVICE_SHARES,
    EVENTS,
    EXTRA_PRODUCT_VIEWS,
    MARKETS,
    NEW_SESSION_RATES,
    NOISE_EVENTS,
    NOISE_PER_STAGE_EVENT,
    NOISE_WEIGHTS,
    PLATFORM_SHARES,
    RESTART_RATE,
    RETURN_SHARES,
    SAME_SESSION_MEAN_S,
    SAME_SESSION_MIN_S,
    STAGES,
    VIEW_SHARES,
    VIEW_TOUCHES_PER_USER,
    BoolArray,
    IntArray,
    creative_probs_by_channel,
    rate_array,
    sample_codes,
    sample_within,
)

__all__ = ["Journeys", "Users", "sample_users", "simulate_journeys"]

_N_STAGES = len(STAGES)
_NOT_REACHED = np.iinfo(np.int64).min


@attrs.frozen(eq=False)
class Users:
    """Acquisition attributes per user (codes into the fixed category lists)."""

    country: IntArray
    platform: IntArray
    device: IntArray
    channel: IntArray
    creative: IntArray

    def codes(self, rows: IntArray) -> dict[str, IntArray]:
        """Segment codes of some users, by segment name."""
        return {
            "country": self.country[rows],
            "platform": self.platform[rows],
            "device": self.device[rows],
            "channel": self.channel[rows],
        }


@attrs.frozen(eq=False)
class Journeys:
    """Per-user stage times and sessions, plus flat event and touchpoint arrays."""

    users: Users
    stage_time: IntArray  # (stage, user) UTC seconds, _NOT_REACHED where not reached
    stage_session: IntArray  # (stage, user) session number within the user
    n_sessions: IntArray  # per user
    ev_user: IntArray
    ev_time: IntArray
    ev_event: IntArray
    ev_session: IntArray
    tp_user: IntArray
    tp_time: IntArray
    tp_creative: IntArray

    @property
    def reached(self) -> BoolArray:
        """(stage, user): whether the user's main journey reached the stage."""
        return np.asarray(self.stage_time != _NOT_REACHED)


def sample_users(rng: np.random.Generator, n: int) -> Users:
    """Draw acquisition attributes: market, platform, device given platform, channel, creative."""
    platform = sample_codes(rng, np.asarray(PLATFORM_SHARES), n)
    channel = sample_codes(rng, np.asarray(ACQUISITION_SHARES), n)
    return Users(
        country=sample_codes(rng, np.array([m[4] for m in MARKETS]), n),
        platform=platform,
        device=sample_within(rng, platform, np.asarray(DEVICE_SHARES)),
        channel=channel,
        creative=sample_within(rng, channel, creative_probs_by_channel()),
    )


class _Log:
    """Growing lists of array chunks for events and touchpoints."""

    def __init__(self) -> None:
        self.ev: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
        self.tp: list[tuple[IntArray, IntArray, IntArray]] = []

    def event(self, user: IntArray, time: IntArray, name: str, session: IntArray) -> None:
        code = np.full(len(user), EVENTS.index(name), dtype=np.int64)
        self.ev.append((user, time, code, session))

    def touch(self, user: IntArray, time: IntArray, creative: IntArray) -> None:
        self.tp.append((user, time, creative))


def _return_creatives(rng: np.random.Generator, shares: tuple[float, ...], n: int) -> IntArray:
    channel = sample_codes(rng, np.asarray(shares), n)
    return sample_within(rng, channel, creative_probs_by_channel())


def _delay(rng: np.random.Generator, step: int, n: int) -> IntArray:
    """Same-session delay (seconds, ≥ 1) before the stage ``step`` (1..6)."""
    raw = SAME_SESSION_MIN_S[step - 1] + rng.exponential(SAME_SESSION_MEAN_S[step - 1], n)
    return np.maximum(np.rint(raw), 1).astype(np.int64)


def simulate_journeys(
    rng: np.random.Generator, clock: Clock, n: int, drop: InjectedDrop | None
) -> Journeys:
    """Simulate ``n`` users' journeys: stages, repeats, noise, restarts and touches."""
    users = sample_users(rng, n)
    rates = rate_array()
    log = _Log()
    every = np.arange(n, dtype=np.int64)
    t_stage = np.full((_N_STAGES, n), _NOT_REACHED, dtype=np.int64)
    s_stage = np.zeros((_N_STAGES, n), dtype=np.int64)
    t_stage[0] = clock.acquisition_times(rng, users.country)
    log.event(every, t_stage[0], "impression", s_stage[0])
    log.touch(every, t_stage[0], users.creative)

    for k in range(1, _N_STAGES):
        idx = np.flatnonzero(t_stage[k - 1] != _NOT_REACHED)
        p = rates[
            k - 1,
            users.country[idx],
            users.platform[idx],
            users.device[idx],
            users.creative[idx],
        ]
        if drop is not None and drop.stage_index == k:
            utc_ns = t_stage[k - 1, idx] * 1_000_000_000 + clock.start.value
            p = np.where(drop.applies(users.codes(idx), utc_ns), p * drop.factor, p)
        idx = idx[rng.random(len(idx)) < p]
        prev = t_stage[k - 1, idx]
        new = rng.random(len(idx)) < NEW_SESSION_RATES[k - 1]
        session_start = np.where(new, clock.later_session(rng, prev, users.country[idx]), prev)
        t_stage[k, idx] = session_start + _delay(rng, k, len(idx))
        s_stage[k, idx] = s_stage[k - 1, idx] + new
        log.event(idx, t_stage[k, idx], STAGES[k], s_stage[k, idx])
        # A later session opens with a fresh ad impression (click) or a visit (others),
        # preceded by the touch that brought the user back.
        back = idx[new]
        opener = "impression" if k == 1 else "visit"
        log.event(back, session_start[new], opener, s_stage[k, back])
        lead = rng.integers(5, 120, len(back))
        creative = (
            users.creative[back] if k == 1 else _return_creatives(rng, RETURN_SHARES, len(back))
        )
        log.touch(back, session_start[new] - lead, creative)

    _repeats_and_noise(rng, log, t_stage, s_stage)
    level = (t_stage != _NOT_REACHED).sum(axis=0) - 1
    last_session = s_stage[level, every]
    restart_sessions = _restarts(
        rng, clock, log, t_stage[level, every], level, last_session, users.country
    )
    _view_touches(rng, log, t_stage[0])

    ev = [np.concatenate(parts) for parts in zip(*log.ev, strict=True)]
    tp = [np.concatenate(parts) for parts in zip(*log.tp, strict=True)]
    return Journeys(
        users=users,
        stage_time=t_stage,
        stage_session=s_stage,
        n_sessions=last_session + 1 + restart_sessions,
        ev_user=ev[0],
        ev_time=ev[1],
        ev_event=ev[2],
        ev_session=ev[3],
        tp_user=tp[0],
        tp_time=tp[1],
        tp_creative=tp[2],
    )


def _repeats_and_noise(
    rng: np.random.Generator, log: _Log, t_stage: IntArray, s_stage: IntArray
) -> None:
    """Extra product views after the first, and noise events around on-site stage events."""
    viewers = np.flatnonzero(t_stage[3] != _NOT_REACHED)
    extra = np.repeat(viewers, rng.poisson(EXTRA_PRODUCT_VIEWS, len(viewers)))
    offset = rng.integers(30, 1_200, len(extra))
    log.event(extra, t_stage[3, extra] + offset, "product_view", s_stage[3, extra])
    for k in range(2, _N_STAGES):
        on_site = np.flatnonzero(t_stage[k] != _NOT_REACHED)
        who = np.repeat(on_site, rng.poisson(NOISE_PER_STAGE_EVENT, len(on_site)))
        _noise(rng, log, who, t_stage[k, who], s_stage[k, who])


def _noise(
    rng: np.random.Generator, log: _Log, who: IntArray, after: IntArray, session: IntArray
) -> None:
    kind = sample_codes(rng, np.asarray(NOISE_WEIGHTS), len(who))
    time = after + rng.integers(5, 600, len(who))
    for j, name in enumerate(NOISE_EVENTS):
        rows = kind == j
        log.event(who[rows], time[rows], name, session[rows])


def _restarts(
    rng: np.random.Generator,
    clock: Clock,
    log: _Log,
    last_time: IntArray,
    level: IntArray,
    last_session: IntArray,
    country: IntArray,
) -> IntArray:
    """Some users come back after their journey and redo its first steps, never further.

    Returns each user's number of restart sessions (0 or 1).
    """
    chosen = (level >= 1) & (rng.random(len(level)) < RESTART_RATE)
    who = np.flatnonzero(chosen)
    session = last_session[who] + 1
    start = clock.later_session(rng, last_time[who], country[who])
    log.touch(
        who, start - rng.integers(5, 120, len(who)), _return_creatives(rng, RETURN_SHARES, len(who))
    )
    log.event(who, start, "impression", session)
    clicked = rng.random(len(who)) < 0.7
    t_click = start + _delay(rng, 1, len(who))
    log.event(who[clicked], t_click[clicked], "click", session[clicked])
    visited = clicked & (level[who] >= 2)
    t_visit = t_click + _delay(rng, 2, len(who))
    log.event(who[visited], t_visit[visited], "visit", session[visited])
    viewed = visited & (level[who] >= 3) & (rng.random(len(who)) < 0.6)
    t_view = t_visit + _delay(rng, 3, len(who))
    log.event(who[viewed], t_view[viewed], "product_view", session[viewed])
    _noise(rng, log, who[visited], t_visit[visited], session[visited])
    return chosen.astype(np.int64)


def _view_touches(rng: np.random.Generator, log: _Log, first_time: IntArray) -> None:
    """Ad views and ignored emails within two weeks of acquisition, leading to no session."""
    who = np.repeat(
        np.arange(len(first_time), dtype=np.int64),
        rng.poisson(VIEW_TOUCHES_PER_USER, len(first_time)),
    )
    time = first_time[who] + rng.integers(60, 14 * 86_400, len(who))
    log.touch(who, time, _return_creatives(rng, VIEW_SHARES, len(who)))
