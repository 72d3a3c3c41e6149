"""Market-local time for the demo store: daily and weekly cycles, conversion to UTC.

Times are UTC seconds since ``start`` 00:00 UTC. Whenever a session starts on a new
day, its day and hour are drawn in the market's local wall-clock time (local seconds
since ``start``'s local midnight) and converted to UTC, so sessions follow the market's
daily cycle; delays within a session are added in UTC. The UTC offset of a local day is
the one in force at its local noon: a session starting between midnight and a DST change
is off by the change (an accepted simplification), and a session never starts less than
a minute after the event it follows, so times stay ordered within a user.
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

from ._demo_params import (
    GAP_DAYS_CAP,
    GAP_DAYS_P,
    HOURLY_PROFILE,
    MARKETS,
    WEEKDAY_PROFILE,
    IntArray,
    sample_codes,
)

DAY = 86_400
HOUR = 3_600


@attrs.frozen(eq=False)
class Clock:
    """Local-day bookkeeping for one store: ``days`` days from ``start`` (a naive midnight)."""

    start: pd.Timestamp
    days: int
    offsets: IntArray  # (country, local day + 1) seconds east of UTC, for days -1 .. days+1

    @classmethod
    def build(cls, start: pd.Timestamp, days: int) -> Clock:
        """Tabulate each market's UTC offset at local noon of every day of the window."""
        noons = pd.date_range(start - pd.Timedelta(days=1), periods=days + 3, freq="D")
        noons = noons + pd.Timedelta(hours=12)
        rows = []
        for _, tz, *_ in MARKETS:
            utc = noons.tz_localize(tz).tz_convert("UTC").tz_localize(None)
            rows.append(((noons - utc) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64))
        return cls(start=start, days=days, offsets=np.vstack(rows))

    @property
    def end_s(self) -> int:
        """End of the window (exclusive) in UTC seconds since ``start``."""
        return self.days * DAY

    def to_utc(self, local: IntArray, country: IntArray) -> IntArray:
        """Local seconds (per row's market) to UTC seconds since ``start`` 00:00 UTC."""
        day = np.clip(local // DAY + 1, 0, self.offsets.shape[1] - 1)
        return local - self.offsets[country, day]

    def to_local(self, utc: IntArray, country: IntArray) -> IntArray:
        """UTC seconds since ``start`` to local seconds (per row's market), approximately."""
        day = np.clip(utc // DAY + 1, 0, self.offsets.shape[1] - 1)
        return utc + self.offsets[country, day]

    def hour_of_day(self, rng: np.random.Generator, size: int) -> IntArray:
        """Seconds into a local day, drawn from the hourly activity profile."""
        hour = sample_codes(rng, np.asarray(HOURLY_PROFILE), size)
        return hour * HOUR + rng.integers(0, HOUR, size)

    def weekday(self, local_day: IntArray) -> IntArray:
        """Weekday (Monday 0) of local day numbers."""
        return np.asarray((self.start.day_of_week + local_day) % 7, dtype=np.int64)

    def acquisition_times(self, rng: np.random.Generator, country: IntArray) -> IntArray:
        """First-impression UTC times: weekday-weighted local days, hourly profile, in window."""
        weights = np.asarray(WEEKDAY_PROFILE)[self.weekday(np.arange(self.days))]
        n = len(country)
        local = sample_codes(rng, weights, n) * DAY + self.hour_of_day(rng, n)
        utc = self.to_utc(local, country)
        # A local day near the window's edges can fall outside it in UTC: move by a day.
        return np.asarray(utc + DAY * (utc < 0) - DAY * (utc >= self.end_s), dtype=np.int64)

    def later_day(
        self, rng: np.random.Generator, previous: IntArray, country: IntArray, gap: IntArray
    ) -> IntArray:
        """A UTC time ``gap`` (≥ 1) local days after ``previous``, at a profile hour."""
        day = self.to_local(previous, country) // DAY + gap
        local = day * DAY + self.hour_of_day(rng, len(previous))
        return np.maximum(self.to_utc(local, country), previous + 60)

    def later_session(
        self, rng: np.random.Generator, previous: IntArray, country: IntArray
    ) -> IntArray:
        """Start of a session 1..GAP_DAYS_CAP local days after ``previous`` (weekday-thinned)."""
        n = len(previous)
        gap = np.minimum(rng.geometric(GAP_DAYS_P, n), GAP_DAYS_CAP)
        day = self.to_local(previous, country) // DAY + gap
        profile = np.asarray(WEEKDAY_PROFILE)
        quiet = rng.random(n) > profile[self.weekday(day)] / profile.max()
        return self.later_day(rng, previous, country, gap + quiet)
