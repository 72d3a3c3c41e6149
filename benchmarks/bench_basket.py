"""basket.rules against mlxtend's fpgrowth + association_rules on Online Retail.

Run: ``python benchmarks/bench_basket.py [--country "United Kingdom"] [--min-support 0.01]``.

Both start from the same invoice lines (the bundled Online Retail, one country) and end
with every rule (``max_len=None``, ``min_confidence=0``): linkstar_funnel reads the lines,
drops cancelled invoices ("C" ids), returns and zero quantities, and mines; mlxtend gets
the same cleaning in pandas, one basket per invoice, ``TransactionEncoder`` (a dense and a
sparse one-hot frame, both timed: the faster is the reference), ``fpgrowth`` and
``association_rules``. The rules must be identical (same sets, figures to 1e-12). Prints
the median of ``--repeat`` interleaved timings for each, their ratio, and the peak extra
memory of basket.rules (resident high-water mark, reset before the call).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from linkstar_funnel import basket
from linkstar_funnel.datasets import load_online_retail
from linkstar_funnel.errors import DataQualityWarning

COLUMNS = [
    "antecedent_support",
    "consequent_support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
]
THEIRS = [
    "antecedent support",
    "consequent support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
]
Rules = dict[tuple[frozenset[str], frozenset[str]], np.ndarray]


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def run_ours(lines: pd.DataFrame, min_support: float) -> Rules:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # infinite convictions
        f = basket.rules(
            lines,
            order="InvoiceNo",
            item="StockCode",
            quantity="Quantity",
            cancelled_prefix="C",
            min_support=min_support,
            min_confidence=0.0,
            max_len=None,
        ).to_frame()
    return {
        (frozenset(a), frozenset(c)): row
        for a, c, row in zip(
            f["antecedents"], f["consequents"], f[COLUMNS].to_numpy(float), strict=True
        )
    }


def run_mlxtend(lines: pd.DataFrame, min_support: float, *, sparse: bool) -> Rules:
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    kept = lines[~lines["InvoiceNo"].str.startswith("C") & (lines["Quantity"] > 0)]
    baskets = [sorted(set(items)) for _, items in kept.groupby("InvoiceNo")["StockCode"]]
    te = TransactionEncoder().fit(baskets)
    if sparse:
        onehot = pd.DataFrame.sparse.from_spmatrix(
            te.transform(baskets, sparse=True), columns=te.columns_
        )
    else:
        onehot = pd.DataFrame(te.transform(baskets), columns=te.columns_)
    sets = fpgrowth(onehot, min_support=min_support, use_colnames=True)
    with np.errstate(all="ignore"):
        rules = association_rules(
            sets,
            num_itemsets=len(baskets),
            metric="confidence",
            min_threshold=0.0,
            return_metrics=THEIRS,
        )
    return {
        (a, c): row
        for a, c, row in zip(
            rules["antecedents"], rules["consequents"], rules[THEIRS].to_numpy(float), strict=True
        )
    }


def identical(a: Rules, b: Rules) -> bool:
    if set(a) != set(b):
        return False
    return all(np.allclose(a[k], b[k], rtol=1e-12, atol=1e-15) for k in a)


def timed(func, *args, **kwargs) -> tuple[float, Rules]:  # type: ignore[no-untyped-def]
    gc.collect()
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--country", default="United Kingdom")
    parser.add_argument("--min-support", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    retail = load_online_retail()
    lines = retail[retail["Country"] == args.country].reset_index(drop=True)
    print(
        f"{args.country}: {len(lines):,} invoice lines, {lines['InvoiceNo'].nunique():,} "
        f"invoices, {lines['StockCode'].nunique():,} stock codes; min_support "
        f"{args.min_support}, every rule"
    )
    # Warm the imports with one untimed run on the same lines (a slice would not do: with
    # few orders, a support threshold of a few orders makes every subset of the largest
    # baskets frequent, 2**n sets for a basket of n items).
    run_ours(lines, args.min_support)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # reset the resident high-water mark
    base = _rss_kib("VmRSS")
    ours = run_ours(lines, args.min_support)
    peak_mb = (_rss_kib("VmHWM") - base) / 1024
    try:
        import mlxtend  # noqa: F401
    except ImportError:
        print("mlxtend is not installed: only linkstar_funnel timed")
        ts = [timed(run_ours, lines, args.min_support)[0] for _ in range(args.repeat)]
        print(f"basket.rules: {statistics.median(ts):.3f} s, {len(ours):,} rules")
        return
    ours_t: list[float] = []
    dense_t: list[float] = []
    sparse_t: list[float] = []
    same = True
    for _ in range(args.repeat):  # interleaved: machine noise hits all alike
        t, got = timed(run_ours, lines, args.min_support)
        ours_t.append(t)
        t, dense = timed(run_mlxtend, lines, args.min_support, sparse=False)
        dense_t.append(t)
        t, sparse = timed(run_mlxtend, lines, args.min_support, sparse=True)
        sparse_t.append(t)
        same = same and identical(got, dense) and identical(got, sparse)
    o, d, s = (statistics.median(x) for x in (ours_t, dense_t, sparse_t))
    ref = min(d, s)
    print(f"rules: {len(ours):,} (identical to mlxtend's: {same})")
    print(f"basket.rules:              {o:.3f} s (median of {args.repeat})")
    print(f"mlxtend, dense one-hot:    {d:.3f} s")
    print(f"mlxtend, sparse one-hot:   {s:.3f} s")
    print(f"ratio to the faster mlxtend: {o / ref:.3f} (target ≤ 0.5)")
    print(f"basket.rules peak extra memory: {peak_mb:,.1f} MiB")
    if not same:
        msg = "the rules differ from mlxtend's"
        raise SystemExit(msg)


if __name__ == "__main__":
    main()
