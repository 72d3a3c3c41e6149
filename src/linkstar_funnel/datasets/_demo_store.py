"""``make_demo_store``: a seeded synthetic cross-border store with known ground truth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pandas as pd

from .._params import InstanceOf, Integer, validate_params
from .._validators import bad_parameter
from ._demo_clock import Clock
from ._demo_drop import InjectedDrop
from ._demo_journeys import Journeys, simulate_journeys
from ._demo_orders import order_status, simulate_orders, simulate_spend
from ._demo_params import (
    CHANNELS,
    COUNTRIES,
    DEVICE_SWITCH_RATE,
    DEVICES,
    EVENTS,
    PLATFORMS,
    IntArray,
    categorical,
    creative_table,
)
from ._demo_truth import DemoTruth, build_truth, markets_frame

if TYPE_CHECKING:
    from ._demo_identity import DemoIdentity
    from ._demo_search import DemoSearch
    from ._demo_timelines import DemoTimelines

__all__ = ["DemoStore", "make_demo_store"]

_OWNER = "make_demo_store"
_MAX_USERS = 10_000_000
_STATUSES = ("paid", "shipped", "delivered", "refunded")
_SessionDevice = Callable[[IntArray, IntArray], IntArray]
#: Stream keys of the lazily drawn extras: each has its own generator, seeded by
#: ``(seed, key)``, so drawing one never changes the store's frames or another extra.
_STREAMS = {"timelines": 15, "identity": 151, "ad_spend": 18, "search": 19}


def _stream_seed(seed: int, name: str) -> int:
    """A seed for the extra ``name``, independent of the store's own stream."""
    state = np.random.SeedSequence((seed, _STREAMS[name])).generate_state(2, np.uint64)
    return int(state[0] >> np.uint64(1))


@attrs.frozen(eq=False, repr=False)
class DemoStore:
    """A synthetic store's data and the truth it was generated from.

    See :func:`make_demo_store` for the columns of each frame. The frames are the
    store's own: copy them before modifying.

    Attributes
    ----------
    events, touchpoints, orders, spend
        The store's data.
    markets
        ``country``, ``time_zone``, ``currency``, ``usd_per_unit`` (the fixed rate used to
        express revenue in USD), ``user_share``.
    truth
        A :class:`DemoTruth` with every parameter of the simulation.
    timelines, ad_spend, search, identity
        Drawn on first use (each from its own seeded stream; the frames above never
        change): the orders' status times (:class:`DemoTimelines`), creative-level
        impressions, clicks and cost, on-site search and basket data
        (:class:`DemoSearch`), and the ids real data carries (:class:`DemoIdentity`).
    """

    events: pd.DataFrame
    touchpoints: pd.DataFrame
    orders: pd.DataFrame
    spend: pd.DataFrame
    markets: pd.DataFrame
    truth: DemoTruth
    _extras: dict[str, Any] = attrs.field(factory=dict, init=False, eq=False)

    def _extra(self, name: str, draw: Callable[[int], Any]) -> Any:
        if name not in self._extras:
            self._extras[name] = draw(_stream_seed(self.truth.seed, name))
        return self._extras[name]

    @property
    def timelines(self) -> DemoTimelines:
        """Status times of the orders: shipped, delivered, reviewed, refunded, returned...

        :func:`demo_timelines` on :attr:`orders`, cut at the end of the window: pass
        ``Timeline.from_columns(t.orders, **t.columns)``. Refunds are the orders whose
        ``status`` is ``refunded``.
        """
        from ._demo_timelines import demo_timelines

        end = self.truth.end

        def draw(seed: int) -> DemoTimelines:
            # Segments renamed on a copy of the store (categories renamed, codes kept) are
            # drawn as the originals they stand for, then shown under the new names.
            orders, renamed = self.orders, {}
            for col, labels in (("country", COUNTRIES), ("platform", PLATFORMS)):
                if not isinstance(orders[col].dtype, pd.CategoricalDtype):
                    continue
                cats: Any = orders[col].cat
                same_size = len(cats.categories) == len(labels)
                if same_size and list(map(str, cats.categories)) != list(labels):
                    renamed[col] = dict(zip(labels, cats.categories, strict=True))
                    orders = orders.assign(**{col: cats.rename_categories(list(labels))})
            out = demo_timelines(orders, seed=seed, end=end)
            if not renamed:
                return out
            frames = {}
            for name in ("orders", "history", "truth"):
                frame = getattr(out, name).copy()
                for col, back in renamed.items():
                    if col in frame.columns:
                        frame[col] = frame[col].map(lambda v, b=back: b.get(v, v))
                frames[name] = frame
            return attrs.evolve(out, **frames)

        out: DemoTimelines = self._extra("timelines", draw)
        return out

    @property
    def ad_spend(self) -> pd.DataFrame:
        """:attr:`spend` per creative with impressions and clicks (:func:`demo_ad_spend`)."""
        from ._demo_ads import demo_ad_spend

        out: pd.DataFrame = self._extra("ad_spend", lambda s: demo_ad_spend(self.spend, seed=s))
        return out

    @property
    def search(self) -> DemoSearch:
        """On-site searches, search clicks, orders and order lines of the users who search.

        The store's users with a ``search`` event (their country and first device) search
        the catalogue over the window (:func:`simulate_search`): some terms find nothing
        (``truth["zero_result_terms"]``) and some products sell together
        (``truth["companions"]``).
        """
        from ._demo_search import simulate_search

        def draw(seed: int) -> DemoSearch:
            ev = self.events
            searched = ev.loc[ev["event"] == "search", "user_id"].unique()
            users = (
                ev.loc[ev["user_id"].isin(searched), ["user_id", "timestamp", "country", "device"]]
                .sort_values(["user_id", "timestamp"], kind="stable")
                .drop_duplicates("user_id")[["user_id", "country", "device"]]
                .astype({"country": str, "device": str})
            )
            days = int((self.truth.end - self.truth.start) / pd.Timedelta(days=1))
            rng = np.random.default_rng(seed)
            return simulate_search(rng, users, self.truth.start, days)

        out: DemoSearch = self._extra("search", draw)
        return out

    @property
    def identity(self) -> DemoIdentity:
        """Events with cookies and logins, orders with checkout e-mails (:func:`demo_identity`)."""
        from ._demo_identity import demo_identity

        def draw(seed: int) -> DemoIdentity:
            return demo_identity(self.events, self.orders, seed=seed)

        out: DemoIdentity = self._extra("identity", draw)
        return out

    def __repr__(self) -> str:
        return (
            f"DemoStore(users={self.truth.n_users:,}, events={len(self.events):,}, "
            f"touchpoints={len(self.touchpoints):,}, orders={len(self.orders):,}, "
            f"spend={len(self.spend):,}, seed={self.truth.seed})"
        )


@validate_params(
    n_users=Integer(1, _MAX_USERS),
    seed=Integer(0, 2**63 - 1),
    days=Integer(7, 1_095),
    drop=[None, InstanceOf(Mapping, InjectedDrop, description="a mapping or an InjectedDrop")],
)
def make_demo_store(
    n_users: int = 20_000,
    *,
    seed: int = 0,
    start: str | dt.date = "2026-01-05",
    days: int = 84,
    drop: Mapping[str, object] | InjectedDrop | None = None,
) -> DemoStore:
    """Generate a seeded synthetic cross-border store: events, touchpoints, orders, spend.

    Every user enters with an ``impression`` in a market (US, GB, DE, JP, AU, BR), on a
    platform (``own_site``, ``amazon``, ``tiktok_shop``) and device (``mobile``,
    ``desktop``, ``tablet``), from a channel, campaign and creative. Each user then moves
    down ``impression → click → visit → product_view → add_to_cart → checkout →
    payment`` with true conditional rates depending on the acquisition attributes
    (``truth.step_rates``). Steps come seconds to minutes apart, or in a later session
    days later (some beyond 7 days, so window semantics matter). Sessions start on the
    market's local daily cycle and weekday pattern. Payments become first orders;
    customers then buy again following a BG/NBD process with Gamma-Gamma spend.

    Parameters
    ----------
    n_users
        Users acquired (each has an ``impression`` in the window). About 3.2 events per
        user: 320,000 users make about a million events.
    seed
        Seed of the :class:`numpy.random.Generator`. The same arguments give identical
        frames.
    start
        First day of the data, a date (``"2026-01-05"``); the window starts at its
        00:00 UTC.
    days
        Length of the window in days (7 to 1,095). Journeys, repeat orders and spend are
        cut at its end, so late users' journeys are incomplete, as in real data.
    drop
        An injected known drop, e.g. ``{"stage": "checkout", "start": "2026-03-02",
        "factor": 0.6, "country": "DE"}``; optional keys ``end``, ``country``,
        ``platform``, ``device``, ``channel``. See :class:`InjectedDrop`.

    Returns
    -------
    DemoStore
        Its frames have these columns (segment columns are ``Categorical`` with fixed
        categories; timestamps are ``datetime64[ns, UTC]``):

        * ``events``, one row per event, in **shuffled** order: ``user_id`` (int64),
          ``timestamp``, ``event`` (the seven stages, then ``search``, ``page_view``,
          ``wishlist``, ``share``), ``session_id`` (int64, unique across users),
          ``country``, ``device``, ``platform``, ``channel``, ``campaign``, ``creative``.
          Segments are the user's acquisition attributes, except ``device``, which
          differs from the first session's in about 10% of later sessions. Users view
          several products, revisit, search and browse, and 5% of those who clicked come
          back later and redo the first steps (never beyond their earlier level).
        * ``touchpoints``, sorted by time: ``user_id``, ``timestamp``, ``channel``,
          ``campaign``, ``creative``. The acquisition touch is at the first impression;
          every later session is preceded by the touch that brought the user back; other
          touches (ad views, ignored emails) lead to no session.
        * ``orders``, sorted by time: ``order_id`` (int64), ``customer_id`` (a
          ``user_id``), ``timestamp`` (a first order's is its payment event's),
          ``revenue`` (float, USD, converted at ``markets.usd_per_unit``), ``units``
          (int64), ``status`` (``paid`` if under 2 days before the end, ``shipped`` under
          6, else ``delivered``; 3-6% ``refunded`` by platform, revenue kept as
          ordered), ``country``, ``platform``, ``channel`` (the customer's acquisition
          channel), ``device``.
        * ``spend``: ``date`` (datetime64[ns], UTC day), ``channel``, ``campaign``,
          ``cost`` (float, USD): per day and paid campaign, users acquired that day
          times the campaign's cost per user times log-normal noise of mean 1.

    Raises
    ------
    ParameterError
        A parameter is outside its domain; the message names it.

    Examples
    --------
    >>> from linkstar_funnel.datasets import make_demo_store
    >>> store = make_demo_store(2_000, seed=1)
    >>> store.events["user_id"].nunique()
    2000
    >>> list(store.events.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['user_id', 'timestamp', 'event', 'session_id', 'country', 'device', 'platform',
     'channel', 'campaign', 'creative']
    >>> str(store.events["timestamp"].dtype)
    'datetime64[ns, UTC]'
    >>> store.truth.step_rates.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['country', 'platform', 'device', 'channel', 'campaign', 'creative', 'stage', 'rate']
    """
    n, seed, days = int(n_users), int(seed), int(days)
    first_day = _check_start(start)
    if drop is not None and not isinstance(drop, InjectedDrop):
        drop = InjectedDrop.from_mapping(drop)

    rng = np.random.default_rng(seed)
    clock = Clock.build(first_day, days)
    journeys = simulate_journeys(rng, clock, n, drop)
    offsets = np.cumsum(journeys.n_sessions) - journeys.n_sessions
    switches = rng.random((2, int(journeys.n_sessions.sum())))

    def session_device(user: IntArray, number: IntArray) -> IntArray:
        sid = offsets[user] + number
        moved = (number > 0) & (switches[0, sid] < DEVICE_SWITCH_RATE)
        other = (journeys.users.device[user] + 1 + (switches[1, sid] < 0.5)) % len(DEVICES)
        return np.where(moved, other, journeys.users.device[user])

    start_ns = pd.Timestamp(first_day, tz="UTC").value
    events = _events(rng, clock, journeys, offsets, session_device, start_ns)
    touchpoints = _touchpoints(clock, journeys, start_ns)
    orders = _orders(rng, clock, journeys, session_device, start_ns)
    day, campaign, cost = simulate_spend(rng, clock, journeys)
    table = creative_table()
    campaigns = tuple(dict.fromkeys(table["campaign"]))
    channel_of = table.groupby("campaign_code")["channel_code"].first().to_numpy()
    spend = pd.DataFrame(
        {
            "date": pd.DatetimeIndex(first_day + pd.to_timedelta(day, unit="D")).as_unit("ns"),
            "channel": categorical(channel_of[campaign], CHANNELS),
            "campaign": categorical(campaign, campaigns),
            "cost": cost,
        }
    )
    start_utc = pd.Timestamp(first_day, tz="UTC").as_unit("ns")
    truth = build_truth(n, seed, start_utc, start_utc + pd.Timedelta(days=days), drop)
    return DemoStore(events, touchpoints, orders, spend, markets_frame(), truth)


def _check_start(value: object) -> pd.Timestamp:
    expected = "a date such as '2026-01-05' (no time of day, no time zone)"
    if not isinstance(value, str | dt.date):
        raise bad_parameter(_OWNER, "start", expected, value)
    try:
        parsed: object = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise bad_parameter(_OWNER, "start", expected, value) from exc
    if not isinstance(parsed, pd.Timestamp):  # NaT
        raise bad_parameter(_OWNER, "start", expected, value)
    stamp = parsed
    if stamp.tzinfo is not None or stamp != stamp.normalize():
        raise bad_parameter(_OWNER, "start", expected, value)
    if not 1971 <= stamp.year <= 2200:
        raise bad_parameter(_OWNER, "start", "a date between 1971 and 2200", value)
    return stamp.as_unit("ns")


def _utc(ns: IntArray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")


def _segments(journeys: Journeys, user: IntArray) -> dict[str, pd.Categorical]:
    table = creative_table()
    creative = journeys.users.creative[user]
    campaigns = tuple(dict.fromkeys(table["campaign"]))
    return {
        "channel": categorical(journeys.users.channel[user], CHANNELS),
        "campaign": categorical(table["campaign_code"].to_numpy()[creative], campaigns),
        "creative": categorical(creative, tuple(table["creative"])),
    }


def _events(
    rng: np.random.Generator,
    clock: Clock,
    journeys: Journeys,
    offsets: IntArray,
    session_device: _SessionDevice,
    start_ns: int,
) -> pd.DataFrame:
    users = journeys.users
    utc = journeys.ev_time
    keep = np.flatnonzero((utc >= 0) & (utc < clock.end_s))
    keep = keep[rng.permutation(len(keep))]  # engines must sort
    user, session = journeys.ev_user[keep], journeys.ev_session[keep]
    device = session_device(user, session)
    return pd.DataFrame(
        {
            "user_id": user + 1,
            "timestamp": _utc(start_ns + utc[keep] * 1_000_000_000),
            "event": categorical(journeys.ev_event[keep], EVENTS),
            "session_id": offsets[user] + session + 1,
            "country": categorical(users.country[user], COUNTRIES),
            "device": categorical(device, DEVICES),
            "platform": categorical(users.platform[user], PLATFORMS),
            **_segments(journeys, user),
        }
    )


def _touchpoints(clock: Clock, journeys: Journeys, start_ns: int) -> pd.DataFrame:
    utc = journeys.tp_time
    inside = np.flatnonzero((utc >= 0) & (utc < clock.end_s))
    order = inside[np.lexsort((journeys.tp_user[inside], utc[inside]))]
    user = journeys.tp_user[order]
    table = creative_table()
    creative = journeys.tp_creative[order]
    campaigns = tuple(dict.fromkeys(table["campaign"]))
    return pd.DataFrame(
        {
            "user_id": user + 1,
            "timestamp": _utc(start_ns + utc[order] * 1_000_000_000),
            "channel": categorical(table["channel_code"].to_numpy()[creative], CHANNELS),
            "campaign": categorical(table["campaign_code"].to_numpy()[creative], campaigns),
            "creative": categorical(creative, tuple(table["creative"])),
        }
    )


def _orders(
    rng: np.random.Generator,
    clock: Clock,
    journeys: Journeys,
    session_device: _SessionDevice,
    start_ns: int,
) -> pd.DataFrame:
    users = journeys.users
    raw = simulate_orders(rng, clock, journeys)
    utc = raw.time
    inside = np.flatnonzero((utc >= 0) & (utc < clock.end_s))
    order = inside[np.lexsort((raw.user[inside], utc[inside]))]
    user, first = raw.user[order], raw.first[order]
    device = np.where(
        first, session_device(user, journeys.stage_session[6, user]), users.device[user]
    )
    status = order_status(rng, utc[order], users.platform[user], clock.end_s)
    return pd.DataFrame(
        {
            "order_id": np.arange(1, len(order) + 1, dtype=np.int64),
            "customer_id": user + 1,
            "timestamp": _utc(start_ns + utc[order] * 1_000_000_000),
            "revenue": raw.revenue[order],
            "units": raw.units[order],
            "status": categorical(status, _STATUSES),
            "country": categorical(users.country[user], COUNTRIES),
            "platform": categorical(users.platform[user], PLATFORMS),
            "channel": categorical(users.channel[user], CHANNELS),
            "device": categorical(device, DEVICES),
        }
    )
