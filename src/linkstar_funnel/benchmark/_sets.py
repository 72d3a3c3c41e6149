"""``Benchmark``: a named set of dated, sourced reference rates."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np
import pandas as pd

from .._deprecation import renamed_params
from .._params import (
    ColumnName,
    InstanceOf,
    Integer,
    Options,
    Real,
    Satisfies,
    Timestamp,
    validate_params,
)
from .._validators import bad_parameter, non_empty_str
from ..errors import DataQualityWarning, EmptyFrameError, ParameterError, SchemaError
from ..schema import Column, validate
from ._observations import _labels, segment_columns, validate_observations
from ._reference import RATE, Reference, check_as_of

if TYPE_CHECKING:
    from ._compare import BenchmarkComparisonResult

__all__ = ["Benchmark"]

_BENCH = "Benchmark"
_ALPHA = Real(0, 1, closed="neither")
_TEST = Options("score", "exact")
_NONNEG = Real(0)
_NAME = Satisfies(lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string")
_TEXT = InstanceOf(str, description="a string")
_MAPPING = InstanceOf(Mapping, description="a mapping (dict)")
_KIND = Options("industry", "target", "peer")
_STEP = "<step rate>"
_FROM_RATES = "Benchmark.from_rates"
_FROM_FRAME = "Benchmark.from_frame"
_FROM_HISTORY = "Benchmark.from_history"


def _is_rates(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and len(value) > 0
        and all(isinstance(k, str) and k.strip() for k in value)
    )


def _tuple_refs(value: Iterable[Reference]) -> tuple[Reference, ...]:
    if isinstance(value, str | Mapping | Reference) or not isinstance(value, Iterable):
        raise bad_parameter(_BENCH, "references", "a sequence of Reference", value)
    refs = tuple(value)
    for r in refs:
        if not isinstance(r, Reference):
            raise bad_parameter(_BENCH, "references", "a sequence of Reference", r)
    return refs


@attrs.frozen
class Benchmark:
    """A named set of reference rates, each dated and sourced (see :class:`Reference`).

    Build one with :meth:`from_rates` (targets, published figures), :meth:`from_frame`
    (per-segment values), :meth:`from_history` (your own last weeks), or load a shipped
    set with :func:`~linkstar_funnel.benchmark.get_benchmark`. Compare observations with
    :meth:`compare`.

    Parameters
    ----------
    name
        What the set is ("industry defaults", "own history, 8 weeks").
    references
        The values; at most one per ``(stage, base, segment)``.

    Examples
    --------
    >>> from linkstar_funnel.benchmark import Benchmark
    >>> bench = Benchmark.from_rates({"add_to_cart": 0.052, "checkout": 0.452},
    ...                              source="Littledata", as_of="2019-10")
    >>> bench.to_frame()[["stage", "rate", "source", "as_of"]]
             stage   rate      source    as_of
    0  add_to_cart  0.052  Littledata  2019-10
    1     checkout  0.452  Littledata  2019-10
    """

    name: str = attrs.field(validator=non_empty_str)
    references: tuple[Reference, ...] = attrs.field(converter=_tuple_refs)

    def __attrs_post_init__(self) -> None:
        seen: set[object] = set()
        for r in self.references:
            if r.key in seen:
                msg = (
                    f"The 'references' parameter of Benchmark must hold one value per "
                    f"(stage, base, segment). Got two for stage={r.stage!r}, base={r.base!r}, "
                    f"segment={dict(r.segment)!r}."
                )
                raise ParameterError(msg)
            seen.add(r.key)

    def __len__(self) -> int:
        return len(self.references)

    # ------------------------------------------------------------------ constructors

    @classmethod
    @validate_params(
        rates=Satisfies(_is_rates, "a non-empty mapping of stage names to rates"),
        source=_NAME,
        definitions=[None, _MAPPING],
        base=[None, _NAME],
        segment=[None, _MAPPING],
        kind=_KIND,
        name=[None, _NAME],
        url=[None, _TEXT],
    )
    def from_rates(
        cls,
        rates: Mapping[str, float],
        *,
        source: str,
        as_of: object,
        definitions: Mapping[str, str] | None = None,
        base: str | None = None,
        segment: Mapping[str, str] | None = None,
        kind: Literal["industry", "target", "peer"] = "target",
        name: str | None = None,
        url: str | None = None,
    ) -> Benchmark:
        """One reference per stage, all from the same source and date.

        Parameters
        ----------
        rates
            Stage name → rate in [0, 1].
        source, as_of
            Who gave the values, and when they were measured (``"2019-10"``).
        definitions
            Stage name → what exactly the rate measures.
        base, segment, kind, url
            As in :class:`Reference`, shared by every value.
        name
            The set's name (default: the source).
        """
        for stage, rate in rates.items():
            if not RATE.accepts(rate):
                expected = f"a mapping of stage names to rates in [0, 1] (stage {stage!r})"
                raise bad_parameter(_FROM_RATES, "rates", expected, rate)
        as_of = check_as_of(as_of, owner=_FROM_RATES)
        defs = dict(definitions or {})
        refs = [
            Reference(
                stage=str(stage),
                rate=rate,
                source=source,
                as_of=as_of,
                definition=defs.get(str(stage), ""),
                base=base,
                segment=segment or {},
                kind=kind,
                url=url,
            )
            for stage, rate in rates.items()
        ]
        return cls(name or source, refs)

    @classmethod
    @validate_params(name=_NAME, source=[None, _NAME], kind=_KIND)
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        name: str,
        source: str | None = None,
        as_of: object = None,
        kind: Literal["industry", "target", "peer"] = "industry",
    ) -> Benchmark:
        """References from a table: ``stage``, ``rate``, optional ``base``, ``source``,
        ``as_of``, ``definition``, ``url``, and segment columns (all others).

        ``source`` and ``as_of`` given here fill rows (or columns) that lack them. A
        missing segment label (NaN) means the value applies to every label.
        """
        table = validate(
            frame,
            [
                Column("stage", "stage", "category", required=False),
                Column("rate", "rate", "number", required=False),
            ],
            frame_name="benchmark",
        )
        data = table.frame
        stages = _labels(table, "stage", "benchmark", required=True)
        rates = table.numbers["rate"]
        bad = ~((rates >= 0.0) & (rates <= 1.0))
        if bad.any():
            at = int(np.flatnonzero(bad)[0])
            msg = (
                "Column 'rate' of the benchmark frame must hold rates in [0, 1] (0.052 for "
                f"5.2%). Got {float(rates[at])!r} for stage {stages[at]!r} ({int(bad.sum())} "
                "row(s))."
            )
            raise SchemaError(msg)
        meta = {"stage", "rate", "base", "source", "as_of", "definition", "url", "population"}
        seg_cols = [str(c) for c in data.columns if c not in meta]
        refs = []
        for i, row in enumerate(data.to_dict("records")):
            # A row's own source and date win; the parameters fill the rows that lack them.
            src = _opt(row.get("source")) or source
            when = as_of if _missing(row.get("as_of")) else row["as_of"]
            if src is None:
                raise bad_parameter(
                    _FROM_FRAME, "source", "given (as a column or a parameter)", src
                )
            refs.append(
                Reference(
                    stage=str(stages[i]),
                    rate=float(rates[i]),
                    source=str(src),
                    as_of=check_as_of(when, owner=_FROM_FRAME),
                    definition=_text(row.get("definition")),
                    base=_opt(row.get("base")),
                    segment={c: str(row[c]) for c in seg_cols if not pd.isna(row[c])},
                    kind=kind,
                    url=_opt(row.get("url")),
                    population=_text(row.get("population")),
                )
            )
        return cls(name, refs)

    @classmethod
    @renamed_params(period="time")
    @validate_params(
        weeks=Integer(1, 5_200),
        time=ColumnName(),
        end=[None, Timestamp()],
        tz=[None, _NAME],
        name=[None, _NAME],
    )
    def from_history(
        cls,
        history: object,
        *,
        weeks: int = 8,
        time: str = "period",
        end: object = None,
        tz: str | None = None,
        name: str | None = None,
    ) -> Benchmark:
        """Your own recent history as the reference: pooled rates over the last ``weeks``.

        Parameters
        ----------
        history
            Rate observations (a frame or a :class:`RateSource`) with a column of dates or
            times (``time``); they are bucketed into weeks starting on Monday, in ``tz``.
        weeks
            How many calendar weeks to pool, ending with the last week before ``end`` (a
            count of calendar buckets, not a duration: a partial week counts as one).
        time
            The name of the time column (default ``"period"``, the time-bucket column of
            rate observations). Formerly ``period=``, which still works for one release
            with a :class:`DeprecationWarning`.
        end
            Only weeks starting before this date are used (e.g. the week being judged).
            Default: every week in ``history``.
        tz
            The market's time zone to read weeks in (``None``: as the times come).
        name
            The set's name.

        Returns
        -------
        Benchmark
            One reference per ``(stage, base, segment)`` with its pooled ``successes`` and
            ``trials``, so comparisons use two-sample tests (the history is noisy too).

        Warns
        -----
        DataQualityWarning
            Some of the ``weeks`` weeks have no data.
        """
        obs = validate_observations(history, frame_name="history")
        dated = validate(obs, [Column("period", time, "time")], frame_name="history")
        if dated.rows is not None:
            warnings.warn(
                f"Benchmark.from_history: {dated.accounting.rows_dropped:,} row(s) of the "
                f"history have no {time!r} time and were left out.",
                DataQualityWarning,
                stacklevel=3,
            )
            obs = obs.iloc[dated.rows]
        obs = obs.assign(_week=dated.times["period"].bucket("W", tz))
        if end is not None:
            cutoff = pd.Timestamp(end)  # type: ignore[arg-type]  # checked by Timestamp()
            if cutoff.tzinfo is not None:
                cutoff = (
                    cutoff.tz_localize(None)
                    if tz is None
                    else cutoff.tz_convert(tz).tz_localize(None)
                )
            obs = obs.loc[obs["_week"] < cutoff]
        if obs.empty:
            raise bad_parameter(_FROM_HISTORY, "end", "later than the first week of history", end)
        last = obs["_week"].max()
        first = last - pd.Timedelta(weeks=int(weeks) - 1)
        used = obs.loc[obs["_week"] >= first]
        present = used["_week"].nunique()
        if present < weeks:
            warnings.warn(
                f"Benchmark.from_history: only {present} of the {weeks} weeks from "
                f"{first.date()} to {last.date()} have data; the reference pools those.",
                DataQualityWarning,
                stacklevel=2,
            )
        segs = [c for c in segment_columns(used) if c not in (time, "_week")]
        keys = ["stage", "base", *segs]
        pooled = (
            used.assign(base=used["base"].fillna(_STEP))
            .groupby(keys, dropna=False, observed=True, sort=False)[["successes", "trials"]]
            .sum()
            .reset_index()
        )
        pooled = pooled.loc[pooled["trials"] > 0]
        if pooled.empty:
            msg = (
                f"The history has no trials in the {weeks} week(s) to {last.date()}: there is "
                "no rate to take as the reference."
            )
            raise EmptyFrameError(msg)
        span = f"{first.date()} to {last.date() + pd.Timedelta(days=6)}"
        refs = [
            Reference(
                stage=row["stage"],
                rate=row["successes"] / row["trials"],
                source=f"own history, {weeks} weeks",
                as_of=str(last.date()),
                definition=f"pooled successes / trials over the weeks {span}",
                base=None if row["base"] == _STEP else row["base"],
                segment={c: str(row[c]) for c in segs},
                kind="history",
                successes=int(row["successes"]),
                trials=int(row["trials"]),
            )
            for row in pooled.to_dict("records")
        ]
        return cls(name or f"own history ({weeks} weeks to {last.date()})", refs)

    # ------------------------------------------------------------------ views

    def to_frame(self) -> pd.DataFrame:
        """One row per reference: ``stage``, ``base``, ``segment`` (text), ``rate``,
        ``source``, ``as_of``, ``kind``, ``definition``, ``successes``, ``trials``, ``url``."""
        rows = [
            {
                "stage": r.stage,
                "base": r.base,
                "segment": ", ".join(f"{k}={v}" for k, v in r.segment.items()),
                "rate": r.rate,
                "source": r.source,
                "as_of": r.as_of,
                "kind": r.kind,
                "definition": r.definition,
                "successes": r.successes,
                "trials": r.trials,
                "url": r.url,
            }
            for r in self.references
        ]
        return pd.DataFrame(rows)

    @validate_params(
        alpha=_ALPHA, test=_TEST, min_difference=_NONNEG, value_per_order=[None, _NONNEG]
    )
    def compare(
        self,
        observations: object,
        *,
        alpha: float = 0.05,
        test: Literal["score", "exact"] = "score",
        min_difference: float = 0.0,
        value_per_order: float | None = None,
    ) -> BenchmarkComparisonResult:
        """Compare rate observations with this benchmark (see :func:`compare`)."""
        from ._compare import compare

        return compare(
            observations,
            self,
            alpha=alpha,
            test=test,
            min_difference=min_difference,
            value_per_order=value_per_order,
        )


def _missing(value: object) -> bool:
    """None, NaN, NA or NaT (a scalar missing value)."""
    return bool(pd.api.types.is_scalar(value) and pd.isna(value))  # type: ignore[call-overload]


def _opt(value: object) -> str | None:
    if _missing(value):
        return None
    return str(value)


def _text(value: object) -> str:
    return _opt(value) or ""
