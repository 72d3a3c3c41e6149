"""Every built-in backend passes the conformance kit on every capability it implements.

The kit (``linkstar_funnel.engines.check_backend``) is what a third party runs on a new
backend: the same frames to the backend and to the in-memory engine, every output field
compared, every failure listed. Here it runs on the in-memory and Ibis (DuckDB) backends;
``tests/sql/test_spark.py`` runs it on PySpark.
"""

from __future__ import annotations

import pytest

import linkstar_funnel as lf


def test_the_in_memory_backend_conforms_to_itself() -> None:
    lf.engines.check_backend("pandas")


def test_the_ibis_backend_conforms_on_every_capability() -> None:
    pytest.importorskip("ibis")
    lf.engines.check_backend("ibis")


def test_an_unknown_capability_is_a_parameter_error() -> None:
    with pytest.raises(lf.ParameterError, match="'capabilities' parameter of check_backend"):
        lf.engines.check_backend("pandas", capabilities=["no_such_capability"])
