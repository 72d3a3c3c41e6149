"""The ids a demo-store buyer leaves behind: cookies on the site, a login, checkout e-mails.

The demo store knows each buyer by one ``user_id``; real data never does. This seeded
generator gives the store's events and orders the ids operators actually have, with the
truth kept aside:

* every user browses with one to three cookies (``anonymous_id``: phone, laptop, a cleared
  browser), one per session, and is logged in (``user_id`` filled) on some sessions only,
  always on a session that pays (checkout asks for an account);
* a few sessions run on a shared tablet whose cookie many users' sessions carry;
* orders carry the buyer's checkout ``email`` (some buyers use two), a few guest checkouts
  use one placeholder address, and a few e-mails are missing or typed as ``"unknown"``.

Examples
--------
>>> import linkstar_funnel as lf
>>> from linkstar_funnel.datasets._demo_identity import demo_identity
>>> store = lf.datasets.make_demo_store(n_users=300, seed=1, days=14)
>>> ids = demo_identity(store.events, store.orders, seed=1)
>>> sorted(set(ids.truth["id_type"]))
['anonymous_id', 'email', 'user_id']
>>> bool(ids.events["user_id"].isna().any() and ids.events["anonymous_id"].notna().all())
True
"""

from __future__ import annotations

import attrs
import numpy as np
import pandas as pd

__all__ = ["GUEST_EMAIL", "SHARED_TABLET", "DemoIdentity", "demo_identity"]

#: The cookie of the shared tablet and the placeholder guest e-mail (over-connected ids).
SHARED_TABLET = "ck-shared-tablet"
GUEST_EMAIL = "guest@checkout.invalid"


@attrs.frozen(eq=False)
class DemoIdentity:
    """The demo store's events and orders with the ids real data carries, and the truth.

    Attributes
    ----------
    events
        The events with ``anonymous_id`` (a cookie per session) and ``user_id`` (the login,
        missing on logged-out sessions).
    orders
        The orders with the checkout ``email``.
    truth
        ``id``, ``id_type``, ``user``: the store's user behind each id (the shared tablet
        and the guest e-mail are behind several).
    """

    events: pd.DataFrame
    orders: pd.DataFrame
    truth: pd.DataFrame


def _hex_ids(rng: np.random.Generator, n: int, prefix: str) -> np.ndarray:
    raw = rng.choice(16**8, size=n, replace=False)
    return np.array([f"{prefix}{v:08x}" for v in raw], dtype=object)


def demo_identity(
    events: pd.DataFrame,
    orders: pd.DataFrame,
    *,
    seed: int = 0,
    login_rate: float = 0.35,
    shared_rate: float = 0.02,
    guest_rate: float = 0.08,
) -> DemoIdentity:
    """Give the demo store's events and orders cookies, logins and checkout e-mails.

    Parameters
    ----------
    events, orders
        ``DemoStore.events`` and ``DemoStore.orders`` (columns ``user_id``, ``session_id``;
        ``customer_id``, ``order_id``); not modified.
    seed
        Seed of the generator.
    login_rate
        Share of sessions logged in (besides the sessions that pay, always logged in).
    shared_rate
        Share of sessions on the shared tablet.
    guest_rate
        Share of orders checked out with the placeholder guest e-mail.

    Returns
    -------
    DemoIdentity
    """
    rng = np.random.default_rng(seed)
    users = np.sort(pd.unique(pd.concat([events["user_id"], orders["customer_id"]])))
    n_users = len(users)
    n_cookies = rng.choice([1, 2, 3], size=n_users, p=[0.5, 0.35, 0.15])
    first_cookie = np.r_[0, np.cumsum(n_cookies)[:-1]]
    cookies = _hex_ids(rng, int(n_cookies.sum()), "ck-")
    user_pos = pd.Index(users).get_indexer

    sessions = events[["session_id", "user_id"]].drop_duplicates("session_id")
    s_user = user_pos(sessions["user_id"].to_numpy())
    s_cookie = cookies[first_cookie[s_user] + rng.integers(0, n_cookies[s_user])]
    shared = rng.random(len(sessions)) < shared_rate
    s_cookie = np.where(shared, SHARED_TABLET, s_cookie)
    s_login = rng.random(len(sessions)) < login_rate
    # Checkout asks for an account: a session that pays is logged in (the order's customer
    # id is the login), so a buyer's browsing joins their orders through that session's cookie.
    paying = events.loc[events["event"].to_numpy() == "payment", "session_id"].unique()
    s_login |= sessions["session_id"].isin(paying).to_numpy()
    by_session = pd.DataFrame(
        {"anonymous_id": s_cookie, "logged_in": s_login}, index=sessions["session_id"].to_numpy()
    )
    ev = events.copy()
    per_event = by_session.loc[ev["session_id"].to_numpy()]
    ev["anonymous_id"] = per_event["anonymous_id"].to_numpy()
    ev["user_id"] = pd.array(ev["user_id"].to_numpy(), dtype="Int64")
    ev.loc[~per_event["logged_in"].to_numpy(), "user_id"] = pd.NA

    names = _hex_ids(rng, n_users, "")
    second = _hex_ids(rng, n_users, "")
    has_second = rng.random(n_users) < 0.15
    od = orders.copy()
    o_user = user_pos(od["customer_id"].to_numpy())
    use_second = has_second[o_user] & (rng.random(len(od)) < 0.4)
    email = np.where(
        use_second,
        np.char.add(second[o_user].astype(str), "@work.example"),
        np.char.add(names[o_user].astype(str), "@mail.example"),
    ).astype(object)
    guest = rng.random(len(od)) < guest_rate
    email[guest] = GUEST_EMAIL
    odd = rng.random(len(od)) < 0.02
    email[odd] = rng.choice(np.array([None, "unknown", ""], dtype=object), int(odd.sum()))
    od["email"] = email

    truth = _truth(users, s_user, s_cookie, ev, od, o_user)
    return DemoIdentity(events=ev, orders=od, truth=truth)


def _truth(
    users: np.ndarray,
    s_user: np.ndarray,
    s_cookie: np.ndarray,
    events: pd.DataFrame,
    orders: pd.DataFrame,
    o_user: np.ndarray,
) -> pd.DataFrame:
    cookies = pd.DataFrame({"id": s_cookie, "user": users[s_user]}).drop_duplicates()
    logged = events.loc[events["user_id"].notna(), "user_id"].astype("int64")
    logins = np.union1d(logged.unique(), orders["customer_id"].astype("int64").unique())
    mails = pd.DataFrame({"id": orders["email"].to_numpy(), "user": users[o_user]})
    mails = mails[mails["id"].notna() & ~mails["id"].isin(["unknown", ""])].drop_duplicates()
    parts = [
        cookies.assign(id_type="anonymous_id"),
        pd.DataFrame({"id": logins.astype(str), "user": logins, "id_type": "user_id"}),
        mails.assign(id_type="email"),
    ]
    truth = pd.concat(parts, ignore_index=True)[["id", "id_type", "user"]]
    truth["id"] = truth["id"].astype(str)
    return truth.sort_values(["id_type", "id", "user"], ignore_index=True)
