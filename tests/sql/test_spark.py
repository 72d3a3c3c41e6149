"""Spark: the backend conformance kit on PySpark DataFrames, generated logs against the
in-memory engine, and the cohort fits fanned out with ``spark=``.

Every capability's parity with the in-memory engine (funnel modes with breakdowns and
sessions, KPI leaf sums, cohort cells, journeys) is checked by
``lf.engines.check_backend("pyspark")``, the same kit a third-party backend runs.

Spark runs in local mode (one core, UI off, one shuffle partition, no whole-stage code
generation, UTC session time zone, the workers on this interpreter). The module skips, with the reason, without PySpark, Ibis'
PySpark backend or Java 17+.
"""

from __future__ import annotations

import gc
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import linkstar_funnel as lf
from linkstar_funnel.funnel import Funnel
from linkstar_funnel.stages import Stage

from ..strategies import event_logs, stage_lists

pytest.importorskip("pyspark", reason="the Spark tests need pyspark (extra [spark])")
ibis = pytest.importorskip("ibis", reason="the Spark tests need ibis-framework (extra [spark])")
pytest.importorskip("ibis.backends.pyspark", reason="the Spark tests need Ibis' PySpark backend")


def _java_major() -> int:
    java = shutil.which("java")
    if java is None:
        return 0
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if found is None:
        return 0
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


if _java_major() < 17:
    pytest.skip("the Spark tests need Java 17+ on PATH", allow_module_level=True)

from linkstar_funnel.sql import is_engine_table, sql_table

from .test_funnel_sql import _run  # after the skips: that module skips without ibis

pytestmark = [
    # PySpark and Ibis' PySpark backend warn about their own internals (pandas UDF styles,
    # pandas options); none of it is ours.
    pytest.mark.filterwarnings("ignore::UserWarning:pyspark"),
    pytest.mark.filterwarnings("ignore::FutureWarning:pyspark"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:pyspark"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option"),
    # py4j leaves the sockets of finished Spark calls to the garbage collector.
    pytest.mark.filterwarnings("ignore:unclosed <socket:ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (
            SparkSession.builder.master("local[1]")
            .appName("linkstar-funnel-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.default.parallelism", "1")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            # Test data is tiny: compiling whole-stage Java code, adaptive re-planning and
            # the JVM's optimising JIT cost more than they save (the kit ran 2.3x faster
            # without them; the plans and results are the same).
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
            .config("spark.rdd.compress", "false")
            .config("spark.shuffle.compress", "false")
            .getOrCreate()
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    gc.collect()  # py4j's leftover sockets warn here, under this module's filters


def _spark_frame(spark: Any, events: pd.DataFrame) -> Any:
    frame = events.assign(row=np.arange(len(events)))
    for col in frame.columns:
        if frame[col].dtype == object:
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return spark.createDataFrame(frame)


def assert_parity(spark: Any, events: pd.DataFrame, spec: Funnel, **kwargs: Any) -> None:
    memory = _run(spec, events, **kwargs)
    engine = _run(spec, sql_table(_spark_frame(spark, events), row_order="row"), **kwargs)
    if isinstance(memory, str) or isinstance(engine, str):
        assert memory == engine
        return
    pd.testing.assert_frame_equal(engine, memory, check_dtype=False)


def _seeded_log() -> pd.DataFrame:
    rng = pd.Series(range(1500))
    return pd.DataFrame(
        {
            "user_id": (rng * 7919 % 97).astype(str),
            "timestamp": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng * 4099 % 3600, "s"),
            "event": pd.Series(["a", "b", "c", "d", "x"]).take(rng * 31 % 5).to_numpy(),
            "seg": pd.Series(["s1", "s2", None]).take(rng * 13 % 3).to_numpy(),
            "session": (rng * 17 % 4).to_numpy(),
        }
    )


@settings(
    max_examples=int(os.environ.get("LF_SPARK_EXAMPLES", "6")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    events=event_logs(max_rows=20, users=3, max_seconds=12),
    stages=stage_lists(),
    order=st.sampled_from(["ordered", "strict", "unordered"]),
    window=st.integers(1, 10),
)
def test_hypothesis_logs_match_in_memory(
    spark: Any, events: pd.DataFrame, stages: list[Stage], order: str, window: int
) -> None:
    spec = Funnel(stages, window=pd.Timedelta(seconds=window), order=order)  # type: ignore[arg-type]
    assert_parity(spark, events, spec, by="seg")


def test_spark_dataframe_is_taken_directly(spark: Any) -> None:
    events = _seeded_log()
    frame = _spark_frame(spark, events)
    assert is_engine_table(frame)
    spec = Funnel(["a", "b", "c"], window="10min")
    result = spec.compute(frame)
    memory = spec.compute(events)
    assert result.to_frame()["users"].tolist() == memory.to_frame()["users"].tolist()
    assert "pyspark" in " ".join(result.provenance.notes)
    for freq in ("D", "W"):
        pd.testing.assert_frame_equal(result.trends(freq), memory.trends(freq), check_dtype=False)


@pytest.mark.parametrize("use_prophet", [False, True])
def test_cohort_ltv_fans_out_on_spark(spark: Any, use_prophet: bool) -> None:
    import linkstar_funnel as lf

    store = lf.datasets.make_demo_store(n_users=40_000, seed=3)
    spec = lf.ltv.CohortLTV(horizon="56D", use_prophet=use_prophet, min_customers=50)
    kwargs: dict[str, Any] = {"by": "channel"}
    local = spec.fit(store.orders, **kwargs)
    calls: list[tuple[int, int]] = []
    remote = spec.fit(
        store.orders, spark=spark, progress=lambda d, t: calls.append((d, t)), **kwargs
    )
    pd.testing.assert_frame_equal(
        remote.predict(at="56D").to_frame(), local.predict(at="56D").to_frame()
    )
    assert len(calls) == 1  # one progress call, when Spark returns
    assert calls[0][0] == calls[0][1] > 1  # for several segment forecasts


def test_the_conformance_kit_passes_on_spark(spark: Any) -> None:
    """The backend conformance kit, every capability, on this Spark session."""
    assert spark is not None
    lf.engines.check_backend("pyspark")
