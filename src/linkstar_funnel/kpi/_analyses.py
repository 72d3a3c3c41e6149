"""The analyses a :class:`~linkstar_funnel.kpi.KPITree` offers: evaluate on data,
decompose a change (by driver, by structure, into mix and rate), solve for a target,
sensitivities, and the tree's picture. Each is a thin entry point: parameters are checked
here, the work is done in the module of its concept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .._deprecation import renamed_params
from .._params import Columns, Real, validate_params
from ._specs import AT, BY, COLUMNS, FRAME_OR_MAPPING, METHOD, NAME, ZERO_DIVISION

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ._compute import ZeroDivision
    from ._decomposition import DecompositionResult
    from ._mix import MixRateResult
    from ._protocol import Decomposition
    from ._sensitivity import SensitivityResult
    from ._targets import TargetResult
    from ._tree import KPITree
    from ._values import KPIValuesResult, ValueSource

__all__ = ["TreeAnalyses"]


F = TypeVar("F", bound=Callable[..., Any])


def _tree(analyses: TreeAnalyses) -> KPITree:
    return cast("KPITree", analyses)


def _method(func: F) -> F:
    """Name the function as the KPITree method it is (messages say ``KPITree.evaluate``)."""
    func.__qualname__ = f"KPITree.{func.__name__}"
    return func


class TreeAnalyses:
    """The analysis methods of :class:`~linkstar_funnel.kpi.KPITree` (a mixin)."""

    __slots__ = ()

    @renamed_params(segments="by")
    @validate_params(
        period=[None, NAME],
        by=BY,
        columns=COLUMNS,
        zero_division=ZERO_DIVISION,
    )
    @_method
    def evaluate(
        self,
        frame: object = None,
        *,
        period: str | None = None,
        by: str | Sequence[str] | None = None,
        columns: Mapping[str, str] | None = None,
        values: ValueSource | None = None,
        zero_division: ZeroDivision = "raise",
    ) -> KPIValuesResult:
        """Values of every node per period and segment.

        Parameters
        ----------
        frame
            A pandas frame with one row per period and segment and one column per leaf;
            or an engine table (Ibis table, DuckDB relation, Parquet path, Spark
            DataFrame, :class:`linkstar_funnel.sql.SQLTable`) whose leaf columns are
            summed per period and segment in that engine.
        period
            The period column (labels such as ``"2024-01"``).
        by
            Segment key column(s).
        columns
            Leaf → column name, where they differ.
        values
            Leaves supplied from elsewhere: leaf → number or → {period: number}, or an
            object with ``kpi_values()`` (e.g. a result object).
        zero_division
            ``"raise"`` (default) or ``"nan"`` for ratios whose denominator is 0.

        Returns
        -------
        KPIValuesResult

        Examples
        --------
        >>> import pandas as pd
        >>> from linkstar_funnel.kpi import KPITree
        >>> tree = KPITree.from_formula("gmv = sessions * aov")
        >>> df = pd.DataFrame({"month": ["2024-01", "2024-01"], "country": ["UK", "DE"],
        ...                    "sessions": [1000, 500], "aov": [50.0, 60.0]})
        >>> tree.evaluate(df, period="month", by="country").wide()
             month country      gmv  sessions   aov
        0  2024-01      DE  30000.0     500.0  60.0
        1  2024-01      UK  50000.0    1000.0  50.0
        """
        from ._evaluate import evaluate

        return evaluate(
            _tree(self),
            frame,
            period=period,
            by=by,
            columns=columns,
            values=values,
            zero_division=zero_division,
        )

    @renamed_params(segments="by")
    @validate_params(
        before=FRAME_OR_MAPPING,
        after=FRAME_OR_MAPPING,
        method=METHOD,
        by=BY,
        columns=COLUMNS,
    )
    @_method
    def decompose(
        self,
        before: object,
        after: object,
        method: str | Decomposition = "lmdi",
        *,
        by: str | Sequence[str] | None = None,
        columns: Mapping[str, str] | None = None,
        **options: Any,
    ) -> DecompositionResult:
        """Split the root's change from ``before`` to ``after`` among its drivers.

        Parameters
        ----------
        before, after
            Leaf values of the two periods: mappings (leaf → number, array or Series
            indexed by segment) or frames (one column per leaf, one row per segment).
        method
            ``"lmdi"`` (default; additive LMDI-I, multiplicative factors alongside),
            ``"shapley"``, ``"sequential"`` (needs ``order=[...]``), a registered name, or
            a :class:`Decomposition` object.
        by
            Segment key columns matching the rows of two frames; the root is then the sum over
            segments and a segment present in one period only is 0 in the other.
        columns
            Leaf → column name, where they differ.
        **options
            Passed to the method's factory (``order=`` for ``"sequential"``).

        Returns
        -------
        DecompositionResult
            Contributions of every node at every level, in the root's units.

        Examples
        --------
        >>> from linkstar_funnel.kpi import KPITree
        >>> tree = KPITree.from_formula("gmv = traffic * cvr * aov")
        >>> d = tree.decompose(
        ...     {"traffic": 100_000, "cvr": 0.020, "aov": 50.0},
        ...     {"traffic": 110_000, "cvr": 0.017, "aov": 53.0},
        ... )
        >>> d.to_frame()[["node", "before", "after", "contribution", "share"]].round(1)
              node    before     after  contribution  share
        0      gmv  100000.0   99110.0        -890.0    1.0
        1  traffic  100000.0  110000.0        9488.5  -10.7
        2      cvr       0.0       0.0      -16179.5   18.2
        3      aov      50.0      53.0        5800.9   -6.5
        """
        from ._decomposition import decompose

        return decompose(_tree(self), before, after, method, by=by, columns=columns, **options)

    @renamed_params(segments="by")
    @validate_params(
        before=FRAME_OR_MAPPING,
        after=FRAME_OR_MAPPING,
        by=Columns(),
        activity=NAME,
        method=METHOD,
        columns=COLUMNS,
    )
    @_method
    def decompose_structure(
        self,
        before: object,
        after: object,
        *,
        by: str | Sequence[str],
        activity: str,
        method: str | Decomposition = "lmdi",
        columns: Mapping[str, str] | None = None,
        **options: Any,
    ) -> DecompositionResult:
        """Activity / structure / intensity decomposition across segments.

        The root, a product with ``activity`` among its factors, is written per segment
        as total activity * the segment's share of it * the other factors (intensities),
        e.g. total traffic * country share * CVR * AOV, and decomposed with ``method``.
        A segment present in one period only changes the structure effect only.
        """
        from ._structure import decompose_structure

        return decompose_structure(
            _tree(self),
            before,
            after,
            by=by,
            activity=activity,
            method=method,
            columns=columns,
            **options,
        )

    @renamed_params(segments="by")
    @validate_params(
        before=FRAME_OR_MAPPING,
        after=FRAME_OR_MAPPING,
        node=NAME,
        by=Columns(),
        columns=COLUMNS,
    )
    @_method
    def mix_rate(
        self,
        before: object,
        after: object,
        *,
        node: str,
        by: str | Sequence[str],
        columns: Mapping[str, str] | None = None,
    ) -> MixRateResult:
        """Split a ratio node's change across segments into mix and rate effects.

        The ratio ``node = numerator / denominator`` is, overall, the
        denominator-weighted mean of the segments' ratios; see :func:`mix_rate`.
        """
        from ._mix import tree_mix_rate

        return tree_mix_rate(_tree(self), before, after, node=node, by=by, columns=columns)

    @validate_params(value=Real(), driver=NAME, at=AT)
    @_method
    def target(self, value: float, *, driver: str, at: object) -> TargetResult:
        """The value ``driver`` must reach for the root to hit ``value``, others held.

        Parameters
        ----------
        value
            The root's target.
        driver
            The node to solve for (leaf or inner node).
        at
            Current leaf values: a mapping of numbers or a one-row frame.
        """
        from ._targets import target

        return target(_tree(self), value, driver=driver, at=at)

    @validate_params(at=AT)
    @_method
    def sensitivity(self, at: object) -> SensitivityResult:
        """Derivative and elasticity of the root with respect to every node at ``at``."""
        from ._sensitivity import sensitivity

        return sensitivity(_tree(self), at)

    @_method
    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the tree: one box per node with its formula, owner and unit."""
        from ._plot import plot_tree

        return plot_tree(_tree(self), ax=ax, **kwargs)
