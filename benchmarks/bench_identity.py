"""IdentityGraph.from_pairs against pd.factorize + SciPy connected_components, 5M pairs.

Run: ``python benchmarks/bench_identity.py [--pairs 5_000_000] [--persons 2_000_000]``.
Both read the same frame of string ids (device id -> e-mail, the pandas default ``str``
dtype); the partitions must be identical. The peer factorizes each column, builds the
sparse graph and labels its components: the least any stitching must do. linkstar_funnel
does that and more (ids as text, null-like values, the ``max_partners=50`` guard on raw
then distinct partner counts). Prints the median of 5 timings of each, interleaved, and
their ratio; then the time of the canonical person ids (``persons()``), computed on first
use and not part of the peer's work.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linkstar_funnel.identity import IdentityGraph


def make_pairs(n_pairs: int, n_persons: int, seed: int = 20260301) -> pd.DataFrame:
    """Each person has one to three devices and one or two e-mails; a pair is one of its
    devices seen with one of its e-mails (ids in no particular order)."""
    rng = np.random.default_rng(seed)
    person = rng.integers(0, n_persons, n_pairs)
    device = person * 3 + rng.integers(0, rng.integers(1, 4, n_persons)[person])
    email = person * 2 + rng.integers(0, rng.integers(1, 3, n_persons)[person])
    dev_ids = rng.permutation(3 * n_persons)
    mail_ids = rng.permutation(2 * n_persons)
    return pd.DataFrame(
        {
            "device_id": pd.array(np.char.add("dev-", dev_ids[device].astype(str)), dtype="str"),
            "email": pd.array(
                np.char.add(mail_ids[email].astype(str), "@mail.example"), dtype="str"
            ),
        }
    )


def run_ours(df: pd.DataFrame) -> IdentityGraph:
    return IdentityGraph.from_pairs(df, left="device_id", right="email", max_partners=50)


def run_peer(df: pd.DataFrame) -> tuple[np.ndarray, int]:
    left, left_ids = pd.factorize(df["device_id"])
    right, right_ids = pd.factorize(df["email"])
    n = len(left_ids) + len(right_ids)
    graph = coo_matrix(
        (np.ones(len(df), dtype=np.float64), (left, right + len(left_ids))), shape=(n, n)
    )
    _, labels = connected_components(graph, directed=False)
    return labels, len(left_ids)


def same_partition(g: IdentityGraph, peer: np.ndarray) -> bool:
    """Both label the same nodes (device ids then e-mails, each in order of first
    appearance); the partitions agree when each label maps one-to-one onto the other."""
    ours = g.components.component
    if ours.shape != peer.shape or (ours < 0).any():
        return False
    pairs = np.unique(np.stack([ours, peer]), axis=1)
    return bool(len(np.unique(pairs[0])) == pairs.shape[1] == len(np.unique(pairs[1])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=5_000_000)
    parser.add_argument("--persons", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    df = make_pairs(args.pairs, args.persons)
    size_mb = df.memory_usage(deep=True).sum() / 2**20
    print(
        f"pairs: {len(df):,} rows, {df['device_id'].nunique():,} device ids, "
        f"{df['email'].nunique():,} e-mails, dtype {df['email'].dtype}, {size_mb:,.0f} MiB"
    )
    run_ours(df.head(10_000))  # imports and first calls
    ours_ts, peer_ts = [], []
    for _ in range(args.repeat):
        gc.collect()
        t0 = time.perf_counter()
        g = run_ours(df)
        ours_ts.append(time.perf_counter() - t0)
        gc.collect()
        t0 = time.perf_counter()
        labels, _ = run_peer(df)
        peer_ts.append(time.perf_counter() - t0)
    ours_t, peer_t = statistics.median(ours_ts), statistics.median(peer_ts)
    t0 = time.perf_counter()
    persons = g.persons()
    persons_t = time.perf_counter() - t0
    print(f"persons: {len(g):,} (peer: {len(np.unique(labels)):,} components)")
    print(f"identical partition: {same_partition(g, labels)}")
    print(
        f"linkstar_funnel from_pairs: median {ours_t:.3f} s; runs "
        + ", ".join(f"{t:.2f}" for t in ours_ts)
    )
    print(
        "pd.factorize + connected_components: median "
        f"{peer_t:.3f} s; runs " + ", ".join(f"{t:.2f}" for t in peer_ts)
    )
    print(f"ratio linkstar/peer: {ours_t / peer_t:.2f}x")
    print(f"canonical person ids (first persons(), {len(persons):,} rows): {persons_t:.3f} s")


if __name__ == "__main__":
    main()
