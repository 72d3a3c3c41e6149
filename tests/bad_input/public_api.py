"""The public entry points: every function, class and method a user can call with input.

Walked from ``linkstar_funnel.__all__`` and the ``__all__`` of its public modules, so a
new export is seen without anyone remembering to list it.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import linkstar_funnel as lf

#: Methods every result has that take no user input worth corrupting (``plot(ax=...)``
#: draws; the others take none).
RESULT_METHODS = frozenset({"to_frame", "summary", "plot", "to_html", "lines"})

_RESULT = "result record: built by the library from validated input, not by users"
_PROTOCOL = "Protocol: an extension point users implement; the built-ins are driven here"
_KIT = "conformance kit: it reports a non-conforming user class with AssertionError by design"
_REPORT = "report plumbing for section authors; the report runs the entry points driven here, and the CLI's bad input is tested in tests/report/test_cli.py"
_HTML = "HTML helper for section authors: escapes and formats whatever it is given"
_PLOT = "matplotlib helper for extension authors: takes matplotlib objects"
_ENGINE = (
    "engine record: built by the domain packages from parameters they validated, and by backends"
)
_DETECT = "called by Monitor.detect (driven) with the series it validated"

#: Public callables the bad-input tests do not drive, with the reason.
EXEMPT: dict[str, str] = {
    "AttributionComparisonResult": _RESULT,
    "AttributionModel": _PROTOCOL,
    "AttributionModel.attribute": _PROTOCOL,
    "AttributionResult": _RESULT,
    "BenchmarkComparisonResult": _RESULT,
    "ChannelEconomicsResult": _RESULT,
    "OverviewResult": _RESULT,
    "Decomposition": _PROTOCOL,
    "Decomposition.contributions": _PROTOCOL,
    "DecompositionResult": _RESULT,
    "FunnelResult": _RESULT,
    "FunnelResult.build": _RESULT,
    "Journeys": "the low-level constructor from arrays; users come in through from_paths / from_touchpoints (driven)",
    "KPIValuesResult": _RESULT,
    "MarkovResult": _RESULT,
    "MixRateResult": _RESULT,
    "Provenance": _RESULT,
    "RateSource": _PROTOCOL,
    "Result": _PROTOCOL,
    "RowAccounting": _RESULT,
    "RowAccounting.with_dropped": _RESULT,
    "SensitivityResult": _RESULT,
    "StageMatcher": _PROTOCOL,
    "StageMatcher.mask": _PROTOCOL,
    "Summary": _RESULT,
    "TargetResult": _RESULT,
    "benchmark.ComparisonSpec": _RESULT,
    "check_attribution_model": _KIT,
    "datasets.DemoStore": _RESULT,
    "datasets.DemoTruth": _RESULT,
    "datasets.InjectedDrop.applies": "called by make_demo_store (driven) on its own arrays",
    "kpi.LMDI.contributions": "called by KPITree.decompose (driven) with arrays it validated",
    "kpi.Leaf.compute": "called by KPITree.evaluate (driven) with arrays it validated",
    "kpi.NodeSource": _PROTOCOL,
    "kpi.Product.compute": "called by KPITree.evaluate (driven) with arrays it validated",
    "kpi.Ratio.compute": "called by KPITree.evaluate (driven) with arrays it validated",
    "kpi.Sequential.contributions": "called by KPITree.decompose (driven) with arrays it validated",
    "kpi.Shapley.contributions": "called by KPITree.decompose (driven) with arrays it validated",
    "kpi.Sum.compute": "called by KPITree.evaluate (driven) with arrays it validated",
    "kpi.check_decomposition": _KIT,
    "ltv.BacktestResult": _RESULT,
    "ltv.BetaGeoResult": _RESULT,
    "ltv.BetaGeoResult.params_frame": "takes only alpha= for its intervals; driven through the fits' to_frame()",
    "ltv.CalibrationHoldoutResult": _RESULT,
    "ltv.CohortForecastResult": _RESULT,
    "ltv.CohortLTVResult": _RESULT,
    "ltv.FittedLTV": _PROTOCOL,
    "ltv.FittedLTV.expected_customer_revenue": _PROTOCOL,
    "ltv.GammaGammaResult": _RESULT,
    "ltv.GammaGammaResult.params_frame": "takes only alpha= for its intervals; driven through the fits' to_frame()",
    "ltv.LTVModel": _PROTOCOL,
    "ltv.LTVModel.fit_orders": _PROTOCOL,
    "ltv.ParetoNBDResult": _RESULT,
    "ltv.ProbabilisticLTVResult": _RESULT,
    "ltv.RFMResult": _RESULT,
    "ltv.UnitEconomicsResult": _RESULT,
    "ltv.check_ltv_model": _KIT,
    "monitor.AlertsResult": _RESULT,
    "monitor.AlertsResult.build": _RESULT,
    "monitor.quiet_prophet": "a context manager that lowers prophet's logging level",
    "overview.OverviewSpec": _RESULT,
    "plotting.figure_to_data_uri": _PLOT,
    "plotting.get_axes": _PLOT,
    "plotting.percent_axis": _PLOT,
    "plotting.style_axes": _PLOT,
    "report.Progress": _REPORT,
    "report.Progress.step": _REPORT,
    "report.RenderedSection": _REPORT,
    "report.ReportContext": _REPORT,
    "report.ReportContext.add_header_fact": _REPORT,
    "report.ReportContext.cached": _REPORT,
    "report.ReportData": _REPORT,
    "report.Section": _REPORT,
    "report.SectionRegistry.get": _REPORT,
    "report.SectionRegistry.register": _REPORT,
    "report.SectionRegistry.unregister": _REPORT,
    "report.build_report": _REPORT,
    "report.esc": _HTML,
    "report.facts_grid": _HTML,
    "report.figure": _HTML,
    "report.fmt_number": _HTML,
    "report.note": _HTML,
    "report.register_section": _REPORT,
    "report.table": _HTML,
    "report.write_report": _REPORT,
    "schema.Column": _RESULT,
    "schema.DroppedRows": _RESULT,
    "schema.Table": _RESULT,
    "schema.Table.column": _RESULT,
    "schema.Table.take": _RESULT,
    "schema.TimeValues": _RESULT,
    "check_result": _KIT,
    "benchmark.check_benchmark_set": _KIT,
    "monitor.check_monitor_method": _KIT,
    "report.check_report_section": _KIT,
    "ExperimentResult": _RESULT,
    "engines.BasketPairs": _ENGINE,
    "engines.BasketPairsEngine": _PROTOCOL,
    "engines.BasketPairsQuery": _ENGINE,
    "engines.IdentityComponents": _ENGINE,
    "engines.IdentityComponentsEngine": _PROTOCOL,
    "engines.IdentityQuery": _ENGINE,
    "engines.IdentityQuery.frame_name": _ENGINE,
    "engines.CellTable": _ENGINE,
    "engines.CohortCells": _ENGINE,
    "engines.CohortCellsEngine": _PROTOCOL,
    "engines.CohortQuery": _ENGINE,
    "engines.FunnelDurations": _ENGINE,
    "engines.FunnelEntries": _ENGINE,
    "engines.FunnelLevels.step_durations": _ENGINE,
    "engines.FunnelLevels": _ENGINE,
    "engines.FunnelLevelsEngine": _PROTOCOL,
    "engines.FunnelQuery": _ENGINE,
    "engines.JourneyArrays": _ENGINE,
    "engines.JourneyArraysEngine": _PROTOCOL,
    "engines.JourneyQuery": _ENGINE,
    "engines.JourneyQuery.channel_names": _ENGINE,
    "engines.KPILeafSums": _ENGINE,
    "engines.KPILeafSumsEngine": _PROTOCOL,
    "engines.KPILeafSumsQuery": _ENGINE,
    "ltv.CountModelResult": _RESULT,
    "monitor.DailySeries": _RESULT,
    "monitor.MonitorMethod": _PROTOCOL,
    "monitor.MonitorMethod.expect": _PROTOCOL,
    "monitor.PChartMethod.expect": _DETECT,
    "monitor.ProphetMethod.expect": _DETECT,
    "monitor.RobustMethod.expect": _DETECT,
    "engines.backend_for": "a dispatch predicate: every object is a valid input (the pandas backend validates it)",
    "engines.check_backend": _KIT,
    "sql.QueryProgress": _RESULT,
    "sql.is_engine_table": "a predicate: every object is a valid input",
}


def _area_exemptions() -> None:
    from .cases import AREA_MODULES

    for module in AREA_MODULES:
        EXEMPT.update(getattr(module, "EXEMPT", {}))


_area_exemptions()


def _takes_input(func: object) -> bool:
    try:
        params = list(inspect.signature(func).parameters.values())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return any(p.name not in ("self", "cls") for p in params)


def public_entry_points() -> Iterator[tuple[str, object]]:
    """(qualified name, object) for each public callable that takes input."""
    modules = [lf] + [getattr(lf, n) for n in lf.__all__ if inspect.ismodule(getattr(lf, n))]
    seen: set[int] = set()
    for module in modules:
        prefix = "" if module is lf else module.__name__.removeprefix("linkstar_funnel.") + "."
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.ismodule(obj) or id(obj) in seen or not callable(obj):
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                if issubclass(obj, BaseException | Warning):
                    continue
                if _takes_input(obj):
                    yield prefix + name, obj
                for attr in sorted(dir(obj)):
                    if attr.startswith("_") or attr in RESULT_METHODS:
                        continue
                    member = inspect.getattr_static(obj, attr)
                    func = getattr(obj, attr)
                    if isinstance(member, property) or not callable(func):
                        continue
                    if not (getattr(func, "__module__", "") or "").startswith("linkstar_funnel"):
                        continue
                    key = id(getattr(func, "__func__", func))
                    if key in seen or not _takes_input(func):
                        continue
                    seen.add(key)
                    yield f"{prefix}{name}.{attr}", func
            elif _takes_input(obj):
                yield prefix + name, obj
