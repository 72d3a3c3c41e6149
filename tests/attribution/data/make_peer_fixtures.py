"""Regenerate ``channelattribution_fixtures.json`` from the ChannelAttribution package.

ChannelAttribution (GPL) is a dev-only comparison peer, never imported by the library or
the tests: this script runs it once, in a separate environment, and stores its outputs
next to the generated inputs. Run::

    python -m venv /tmp/attr-venv
    /tmp/attr-venv/bin/pip install channelattribution==2.2.5 numpy pandas matplotlib
    /tmp/attr-venv/bin/python tests/attribution/data/make_peer_fixtures.py
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent


def generated_paths(seed: int, n: int, n_channels: int) -> pd.DataFrame:
    """Random paths: geometric lengths, integer conversions, cent-rounded values, nulls."""
    rng = np.random.default_rng(seed)
    names = np.array([f"ch {i}" if i % 3 else f"channel_{i}" for i in range(n_channels)])
    lengths = np.minimum(rng.geometric(0.35, n), 12)
    tokens = names[rng.integers(0, n_channels, lengths.sum())]
    ends = np.cumsum(lengths)
    paths = [" > ".join(tokens[e - k : e]) for e, k in zip(ends, lengths, strict=True)]
    conv = rng.integers(0, 4, n)
    value = np.round(conv * rng.gamma(2.0, 15.0, n), 2)
    null = rng.integers(0, 6, n)
    return pd.DataFrame({"path": paths, "conv": conv, "value": value, "null": null})


def main() -> None:  # pragma: no cover - needs the peer
    import ChannelAttribution as ca

    out: dict[str, object] = {
        "produced_by": "ChannelAttribution 2.2.5 (PyPI), heuristic_models and markov_model",
    }
    for name, (seed, n, k) in {"small": (1, 300, 5), "medium": (2, 3000, 10)}.items():
        df = generated_paths(seed, n, k)
        with contextlib.redirect_stdout(io.StringIO()):
            h = ca.heuristic_models(df, "path", "conv", var_value="value", flg_pro=False)
            m = ca.markov_model(
                df,
                "path",
                "conv",
                var_value="value",
                var_null="null",
                nsim_start=2e6,
                out_more=True,
                flg_pro=False,
                verbose=False,
                seed=0,
            )
        res = m["result"]
        out[name] = {
            "inputs": {"seed": seed, "n": n, "n_channels": k},
            "heuristic": {
                row.channel_name: [
                    row.first_touch_conversions,
                    row.first_touch_value,
                    row.last_touch_conversions,
                    row.last_touch_value,
                    row.linear_touch_conversions,
                    row.linear_touch_value,
                ]
                for row in h.itertuples()
            },
            "markov_simulated": {
                r.channel_name: [r.total_conversions, r.total_conversion_value]
                for r in res.itertuples()
            },
        }
    path = HERE / "channelattribution_fixtures.json"
    path.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
