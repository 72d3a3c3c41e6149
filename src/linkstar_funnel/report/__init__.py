"""The HTML report: a registry of sections laid out in one self-contained page.

Capability modules add a section with :func:`register_section`; the command line
(``linkstar-funnel report``, see :mod:`linkstar_funnel.report.cli`) renders every
registered section in order. :func:`check_report_section` holds a section to what the
page needs of it (every failure at once). Built in: the data overview of events and
orders, what needs action, the funnel, experiments (when the events have a variant column),
attribution, the KPI tree, targets (when given), customer lifetime value, whether buyers
come back, what happens after the payment, and on-site search and cross-sell.

Examples
--------
>>> from linkstar_funnel.report import REGISTRY
>>> [s.name for s in REGISTRY][:2]
['events-overview', 'orders-overview']
"""

from __future__ import annotations

from . import (  # register built-in sections
    _action_section,
    _attribution_section,
    _experiment_section,
    _funnel_section,
    _kpi_section,
    _ltv_section,
    _orders_section,
    _overview_section,
    _retention_section,
    _search_section,
    _targets_section,
)
from ._build import build_report, write_report
from ._html import RenderedSection, esc, facts_grid, figure, fmt_number, note, table
from ._progress import Progress
from ._section_kit import check_report_section
from ._sections import (
    REGISTRY,
    ReportContext,
    ReportData,
    Section,
    SectionRegistry,
    register_section,
)

del (
    _action_section,
    _attribution_section,
    _experiment_section,
    _funnel_section,
    _kpi_section,
    _ltv_section,
    _orders_section,
    _overview_section,
    _retention_section,
    _search_section,
    _targets_section,
)

__all__ = [
    "REGISTRY",
    "Progress",
    "RenderedSection",
    "ReportContext",
    "ReportData",
    "Section",
    "SectionRegistry",
    "build_report",
    "check_report_section",
    "esc",
    "facts_grid",
    "figure",
    "fmt_number",
    "note",
    "register_section",
    "table",
    "write_report",
]
