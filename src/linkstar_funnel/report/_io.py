"""Reading the CLI's input files (Parquet or CSV) and the bundled demo store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import ParameterError, SchemaError
from ._sections import ReportData

__all__ = ["DEMO_DROP", "DEMO_DROP_TEXT", "DEMO_SEED", "DEMO_USERS", "load_demo", "read_table"]

#: Users in the demo store. Daily alerts per market need volume: at 400,000 users the
#: smallest market judged (DE) has about 30-50 checkouts a day, the monitor's default
#: ``min_trials``; at 20,000 it would have one or two and no day could be judged.
DEMO_USERS = 400_000
DEMO_SEED = 0
#: The known drop the demo store is generated with (``make_demo_store(drop=...)``), so
#: the report's alerts can be checked against the truth: in Germany, the checkout to
#: payment rate halves for three days (times read in Berlin time).
DEMO_DROP: dict[str, object] = {
    "stage": "payment",
    "start": "2026-03-10",
    "end": "2026-03-13",
    "factor": 0.5,
    "country": "DE",
}
#: :data:`DEMO_DROP` in words (shown in the page header and the alerts section).
DEMO_DROP_TEXT = (
    "injected drop: DE checkout\u2192payment \u221250% on 2026-03-10, 11 and 12 (Berlin time)"
)

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".csv.zip", ".csv.bz2", ".csv.xz")
# Only these read as missing: pandas' default list would also turn Namibia's "NA" into NaN.
_NA_VALUES = ["", "NaN", "nan", "NULL", "null", "None", "NaT", "#N/A"]


def read_table(path: str | Path, *, what: str) -> pd.DataFrame:
    """Read a Parquet or CSV file (by its suffix) into a DataFrame.

    Parameters
    ----------
    path
        ``.parquet``/``.pq`` or ``.csv``/``.tsv`` (optionally compressed) file.
    what
        What the file holds (``"events"``, ``"orders"``), for error messages.

    Raises
    ------
    ParameterError
        The suffix is not one of the supported ones.
    SchemaError
        The file exists but cannot be parsed.
    """
    p = Path(path)
    name = p.name.lower()
    try:
        if name.endswith(_PARQUET):
            return pd.read_parquet(p)
        if name.endswith(_CSV):
            sep = "\t" if ".tsv" in name else ","
            return pd.read_csv(p, sep=sep, keep_default_na=False, na_values=_NA_VALUES)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, FileNotFoundError):
            msg = f"The {what} file {str(p)!r} does not exist."
            raise ParameterError(msg) from exc
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"The {what} file {str(p)!r} could not be read: {first}"
        raise SchemaError(msg) from exc
    msg = (
        f"The {what} file must be Parquet (.parquet, .pq) or CSV (.csv, .tsv, optionally "
        f"compressed). Got {p.name!r} instead."
    )
    raise ParameterError(msg)


def load_demo(n_users: int = DEMO_USERS, seed: int = DEMO_SEED) -> ReportData:
    """The synthetic demo store (``datasets.make_demo_store``) as report inputs.

    The store carries a known injected drop (:data:`DEMO_DROP`,
    :data:`DEMO_DROP_TEXT`) for the alerts of the "what needs action" section to find.
    The KPI tree section needs months of real orders: the bundled Online Retail orders
    (``datasets.online_retail_orders``) ride along in ``extras`` for it.
    """
    # Imported on use: reading a user's files never pays for the simulator.
    from ..datasets import make_demo_store, online_retail_orders
    from ._kpi_section import RETAIL_EXTRA

    store = make_demo_store(n_users=n_users, seed=seed, drop=DEMO_DROP)
    return ReportData(
        events=store.events,
        orders=store.orders,
        touchpoints=store.touchpoints,
        spend=store.spend,
        source=f"Demo store: synthetic cross-border shop, {n_users:,} users, seed {seed}; "
        f"{DEMO_DROP_TEXT}; KPI tree and lifetime value on the bundled Online Retail orders, "
        "retention and cross-sell on both",
        extras={"store": store, RETAIL_EXTRA: online_retail_orders()},
    )
