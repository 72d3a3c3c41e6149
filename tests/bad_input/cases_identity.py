"""Bad-input cases of identity stitching (IdentityGraph)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

import linkstar_funnel as lf
from linkstar_funnel.identity import IdentityGraph

from .cases import Case, Frames


def _pairs() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 120
    return pd.DataFrame(
        {
            "device_id": [f"d{i}" for i in rng.integers(0, 60, n)],
            "email": [f"u{i}@x.com" for i in rng.integers(0, 40, n)],
            "customer_id": rng.integers(1, 50, n),
        }
    )


def pairs() -> Frames:
    return {"pairs": _pairs()}


def two_frames() -> Frames:
    frame = _pairs()
    return {
        "events": frame[["device_id", "customer_id"]].copy(),
        "orders": frame[["customer_id", "email"]].iloc[:50].copy(),
    }


@functools.cache
def graph() -> IdentityGraph:
    return IdentityGraph.from_pairs(_pairs(), left="device_id", right="email")


def lookups() -> Frames:
    return {"frame": _pairs()[["device_id"]].iloc[:30].copy()}


CASES: list[Case] = [
    Case(
        "IdentityGraph.from_pairs",
        IdentityGraph.from_pairs,
        (IdentityGraph.from_pairs,),
        pairs,
        {"left": "device_id", "right": "email", "max_partners": 5, "null_like": ("", "null")},
    ),
    Case(
        "IdentityGraph.from_frames",
        lambda events, orders, **kw: IdentityGraph.from_frames(
            [(events, ["device_id", "customer_id"]), (orders, ["customer_id", "email"])], **kw
        ),
        (IdentityGraph.from_frames,),
        two_frames,
        {"max_partners": 10, "null_like": ("unknown",)},
    ),
    Case(
        "IdentityGraph.resolve",
        lambda frame, **kw: graph().resolve(frame, **kw),
        (IdentityGraph.resolve,),
        lookups,
        {"column": "device_id", "id_type": "device_id", "name": "person_id"},
    ),
]

#: The graph itself is built by from_pairs / from_frames (its constructor takes engine
#: output); exempt under the name it is exported by, once it is.
EXEMPT: dict[str, str] = (
    {"IdentityGraph": "result record: built by from_pairs / from_frames, not by users"}
    if hasattr(lf, "IdentityGraph")
    else {}
)
if hasattr(lf.datasets, "demo_identity"):
    EXEMPT |= {
        "datasets.demo_identity": (
            "demo-data generator: reads the demo store's own frames (store.identity), "
            "not users' data"
        ),
        "datasets.DemoIdentity": "result record: built by demo_identity, not by users",
    }
