"""IdentityGraph: construction, views, resolve, summary and the result conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from linkstar_funnel.errors import (
    ColumnNotFoundError,
    DataQualityWarning,
    EmptyFrameError,
    ParameterError,
    SchemaError,
)
from linkstar_funnel.identity import IdentityGraph
from linkstar_funnel.results import check_result

pytestmark = pytest.mark.filterwarnings("ignore:The 'future.infer_string' option")


@pytest.fixture
def pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "device_id": ["d1", "d2", "d2", "d3", "d4", "d5", "d6", "d7"],
            "email": ["a@x", "a@x", "b@x", "unknown", "c@x", "spam@x", "spam@x", "spam@x"],
        }
    )


def test_ids_seen_together_are_one_person(pairs: pd.DataFrame) -> None:
    g = IdentityGraph.from_pairs(pairs, left="device_id", right="email", max_partners=2)
    p = g.persons()
    assert list(p.columns) == ["id", "id_type", "person_id"]
    by_id = dict(zip(p["id"], p["person_id"], strict=True))
    assert by_id["b@x"] == by_id["d1"] == "device_id:d1"
    assert by_id["d3"] == "device_id:d3"  # "unknown" links nothing
    # spam@x has three partners: over-connected, so d5, d6, d7 stay apart
    assert {by_id["d5"], by_id["d6"], by_id["d7"]} == {
        "device_id:d5",
        "device_id:d6",
        "device_id:d7",
    }
    assert "spam@x" not in by_id
    over = g.over_connected()
    assert over.to_dict("list") == {"id": ["spam@x"], "id_type": ["email"], "partners": [3]}
    assert g.components.links_left_out == 3


def test_the_guard_off_merges_through_busy_ids(pairs: pd.DataFrame) -> None:
    g = IdentityGraph.from_pairs(pairs, left="device_id", right="email", max_partners=None)
    p = g.persons().set_index("id")["person_id"]
    assert p["d5"] == p["d6"] == p["d7"] == p["spam@x"] == "device_id:d5"
    assert g.over_connected().empty


def test_ids_are_typed_by_column_and_read_as_text() -> None:
    frame = pd.DataFrame({"device_id": ["123", "9"], "customer_id": [123, 9]})
    g = IdentityGraph.from_pairs(frame, left="device_id", right="customer_id")
    assert len(g.persons()) == 4  # "123" as device and as customer: two ids
    orders = pd.DataFrame({"customer_id": [123.0, np.nan], "email": ["a@x", "b@x"]})
    events = pd.DataFrame({"customer_id": ["123", "77"], "cookie": ["c1", "c2"]})
    g = IdentityGraph.from_frames(
        [(orders, ["customer_id", "email"]), (events, ["customer_id", "cookie"])]
    )
    p = g.persons().set_index("id")["person_id"]
    assert p["a@x"] == p["c1"] == p["123"] == "cookie:c1"  # 123.0 and "123": one customer id


def test_frames_map_columns_to_shared_id_types() -> None:
    events = pd.DataFrame({"anonymous_id": ["c1", "c2"], "user_id": ["u1", "u1"]})
    orders = pd.DataFrame({"customer_id": ["u1"], "email": ["a@x"]})
    g = IdentityGraph.from_frames(
        [
            (events, ["anonymous_id", "user_id"]),
            (orders, {"customer_id": "user_id", "email": "email"}),
        ]
    )
    assert set(g.persons()["person_id"]) == {"anonymous_id:c1"}
    assert set(g.persons()["id_type"]) == {"anonymous_id", "user_id", "email"}


def test_custom_null_like_values_replace_the_defaults(pairs: pd.DataFrame) -> None:
    g = IdentityGraph.from_pairs(
        pairs, left="device_id", right="email", null_like=["SPAM@X"], max_partners=None
    )
    ids = set(g.persons()["id"])
    assert "spam@x" not in ids
    assert "unknown" in ids  # no longer null-like


def test_resolve_adds_person_ids_to_a_copy(pairs: pd.DataFrame) -> None:
    g = IdentityGraph.from_pairs(pairs, left="device_id", right="email", max_partners=2)
    events = pd.DataFrame({"device_id": ["d2", "d4", "d2"], "page": [1, 2, 3]})
    before = events.copy()
    out = g.resolve(events, column="device_id")
    pd.testing.assert_frame_equal(events, before)
    assert out["person_id"].tolist() == ["device_id:d1", "device_id:d4", "device_id:d1"]
    mails = pd.DataFrame({"mail": ["a@x", "spam@x", None, "nobody@x"]})
    with pytest.warns(DataQualityWarning, match="1 missing or null-like, 1 over-connected, 1 not"):
        out = g.resolve(mails, column="mail", id_type="email", name="person")
    assert out["person"].tolist()[0] == "device_id:d1"
    assert out["person"].isna().tolist() == [False, True, True, True]


def test_resolve_refuses_what_it_cannot_do(pairs: pd.DataFrame) -> None:
    g = IdentityGraph.from_pairs(pairs, left="device_id", right="email")
    frame = pd.DataFrame({"device_id": ["d1"], "person_id": ["p"]})
    with pytest.raises(SchemaError, match="already has a column 'person_id'"):
        g.resolve(frame, column="device_id")
    with pytest.raises(ParameterError, match="id types"):
        g.resolve(frame, column="device_id", id_type="phone")
    with pytest.raises(ColumnNotFoundError):
        g.resolve(frame.rename(columns={"device_id": "dev"}), column="email")


def test_summary_and_result_conventions(pairs: pd.DataFrame) -> None:
    g = IdentityGraph.from_pairs(pairs, left="device_id", right="email", max_partners=2)
    text = str(g.summary())
    assert "persons: 6" in text
    assert "over-connected ids left out: 1 (3 links; max_partners=2)" in text
    assert "email:spam@x (3)" in text
    table = g.summary().table
    assert table is not None
    assert int(table["persons"].sum()) == len(g) == 6
    assert int(table["ids"].sum()) == len(g.persons())
    assert g.sizes().sum() == len(g.persons())
    check_result(g)


def test_bad_parameters_and_inputs(pairs: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="two columns"):
        IdentityGraph.from_pairs(pairs, left="email", right="email")
    with pytest.raises(ParameterError, match="max_partners"):
        IdentityGraph.from_pairs(pairs, left="device_id", right="email", max_partners=0)
    with pytest.raises(ParameterError, match="null_like"):
        IdentityGraph.from_pairs(pairs, left="device_id", right="email", null_like="null")
    with pytest.raises(ParameterError, match="frames"):
        IdentityGraph.from_frames([])
    with pytest.raises(ParameterError, match="at least two"):
        IdentityGraph.from_frames([(pairs, ["email"])])
    with pytest.raises(ColumnNotFoundError, match="phone"):
        IdentityGraph.from_pairs(pairs, left="device_id", right="phone")
    with pytest.raises(SchemaError, match="whole numbers"):
        IdentityGraph.from_pairs(pairs.assign(email=1.5), left="device_id", right="email")
    with pytest.raises(SchemaError, match="booleans"):
        IdentityGraph.from_pairs(pairs.assign(email=True), left="device_id", right="email")
    with pytest.raises(EmptyFrameError):
        IdentityGraph.from_pairs(pairs.iloc[:0], left="device_id", right="email")


def test_the_sql_engine_gives_the_same_graph(pairs: pd.DataFrame) -> None:
    ibis = pytest.importorskip("ibis", reason="the SQL engine needs ibis-framework (extra [sql])")
    pytest.importorskip("duckdb")
    local = IdentityGraph.from_pairs(pairs, left="device_id", right="email", max_partners=2)
    remote = IdentityGraph.from_pairs(
        ibis.memtable(pairs), left="device_id", right="email", max_partners=2
    )
    pd.testing.assert_frame_equal(local.persons(), remote.persons())
    pd.testing.assert_frame_equal(local.over_connected(), remote.over_connected())
    assert "minimum-label propagation" in " ".join(remote.provenance.notes)


def test_id_type_names_keep_person_ids_unambiguous() -> None:
    frame = pd.DataFrame({"shop:id": ["1"], "email": ["a@x"]})
    with pytest.raises(ParameterError, match="must not contain ':'"):
        IdentityGraph.from_pairs(frame, left="shop:id", right="email")
    g = IdentityGraph.from_frames([(frame, {"shop:id": "shop_id", "email": "email"})])
    assert g.persons()["person_id"].tolist() == ["email:a@x", "email:a@x"]
