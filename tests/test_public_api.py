"""The top-level namespace is the public API, and nothing else."""

from __future__ import annotations

import pandas as pd

import linkstar_funnel as lf


def test_dir_shows_only_the_public_api() -> None:
    assert dir(lf) == sorted(lf.__all__)
    assert "annotations" not in dir(lf)


def test_every_exported_name_resolves() -> None:
    missing = [name for name in lf.__all__ if not hasattr(lf, name)]
    assert not missing


def test_engines_and_stats_are_public_modules() -> None:
    assert {"engines", "stats", "ConformanceError"} <= set(lf.__all__)
    assert lf.engines.backend_for(pd.DataFrame({"a": [1]})).name == "pandas"
