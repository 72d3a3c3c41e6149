"""The conformance kit of report sections: :func:`check_report_section`.

A section (see :mod:`linkstar_funnel.report._sections`) is held to what the report builder
relies on: a valid name and a title; ``render(ctx)`` returns an HTML fragment (``str``) or
``None``; the fragment's tags are balanced (the builder wraps it in a ``<section>``); text
from the data is escaped; the context's frames are left unchanged; and a context without
data is left out (``None``) or rendered, never an exception. Every check runs and every
failure is reported at once, as a :class:`~linkstar_funnel.errors.ConformanceError`.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import attrs
import pandas as pd

from .._conformance import ConformanceKit
from .._params import InstanceOf, Integer, validate_params
from ._sections import _NAME, ReportContext, ReportData, Section

__all__ = ["HOSTILE_LABEL", "KIT_DEMO_USERS", "check_report_section"]

#: The country label the kit writes into the data in place of one real country: if it
#: reaches the fragment unescaped, the section does not escape what it shows.
HOSTILE_LABEL = '<script>alert("lf")</script>'
#: Users in the demo store the kit renders on (the report's own demo has 400,000).
KIT_DEMO_USERS = 20_000
#: The demo country relabelled (not ``DE``: the demo's injected drop is there).
_RELABELLED = "BR"
_FRAMES = ("events", "orders", "touchpoints", "spend")
#: Elements without a closing tag.
_VOID = frozenset(
    "area base br col embed hr img input link meta source track wbr".split()  # noqa: SIM905 - a word list
)


@validate_params(
    section=InstanceOf(Section, description="a report Section (e.g. REGISTRY.get(name))"),
    data=[None, InstanceOf(ReportData, description="a ReportData")],
    n_users=Integer(low=1),
)
def check_report_section(
    section: Section, data: ReportData | None = None, *, n_users: int = KIT_DEMO_USERS
) -> str | None:
    """Check that a report section does what the report builder needs of it.

    Checks, all run, all failures reported together:

    * **name and title**: the name is a valid identifier and the title a non-empty string;
    * **renders**: ``render(ctx)`` on ``data`` (one country relabelled as
      :data:`HOSTILE_LABEL` in every frame, also the frames held in ``data.extras``
      directly or as fields of an attrs record such as the demo store) returns a ``str``
      or ``None`` without raising;
    * **balanced HTML**: every tag the fragment opens it closes, in order;
    * **escapes data text**: the hostile label never appears unescaped, and the fragment
      holds no ``<script>``;
    * **leaves the data unchanged**: every frame of the context is equal, column for column,
      to a copy taken before rendering, and ``ctx.data`` is the same object;
    * **no data**: on an empty :class:`ReportData` it returns ``None`` (or a fragment)
      rather than raising.

    Parameters
    ----------
    section
        The section to check, e.g. ``REGISTRY.get("my-section")``.
    data
        Report inputs to render on; ``None`` uses the demo store with ``n_users`` users
        (:func:`linkstar_funnel.datasets.make_demo_store`, as ``linkstar-funnel report
        --demo`` does). A ``country`` value is relabelled on a copy in either case.
    n_users
        Size of the demo store when ``data`` is ``None``.

    Returns
    -------
    str or None
        The fragment the section rendered on the (relabelled) data.

    Raises
    ------
    ConformanceError
        Listing every check the section failed.

    Examples
    --------
    >>> import pandas as pd
    >>> from linkstar_funnel.report import ReportData, Section, table
    >>> def rows(ctx):
    ...     if ctx.data.events is None:
    ...         return None
    ...     counts = ctx.data.events["country"].value_counts().rename_axis("country")
    ...     return table(counts.reset_index())
    >>> events = pd.DataFrame({"country": ["DE", "BR", "BR"]})
    >>> html = check_report_section(Section("rows", "Rows", 1, rows), ReportData(events=events))
    >>> "&lt;script&gt;" in html
    True
    >>> def careless(ctx):
    ...     return f"<p>{ctx.data.events['country'].iloc[1]}"
    >>> check_report_section(Section("Careless", "", 1, careless), ReportData(events=events))
    Traceback (most recent call last):
    ...
    linkstar_funnel.errors.ConformanceError: Careless fails 5 of the report section checks:
    - name: 'Careless' is not lower-case letters, digits, '_' or '-', starting with a letter.
    - title: the title must be a non-empty string. Got '' instead.
    - balanced HTML: <p> is never closed.
    - escapes data text: the label '<script>alert("lf")</script>' appears unescaped.
    - no data: raised TypeError: 'NoneType' object is not subscriptable
    """
    kit = ConformanceKit(section.name, "report section")
    kit.require(
        isinstance(section.name, str) and bool(_NAME.match(section.name)),
        f"name: {section.name!r} is not lower-case letters, digits, '_' or '-', "
        "starting with a letter.",
    )
    kit.require(
        isinstance(section.title, str) and bool(section.title.strip()),
        f"title: the title must be a non-empty string. Got {section.title!r} instead.",
    )
    source = _demo(n_users) if data is None else data
    data = attrs.evolve(
        source,
        events=_relabel(source.events),
        orders=_relabel(source.orders),
        touchpoints=_relabel(source.touchpoints),
        spend=_relabel(source.spend),
        extras={key: _relabel_extra(value) for key, value in source.extras.items()},
    )
    before = {n: _copy(getattr(data, n)) for n in _FRAMES}
    ctx = ReportContext(data)
    body: str | None = None
    with kit.check("renders"):
        out = section.render(ctx)
        if out is not None and not isinstance(out, str):
            msg = f"render() must return an HTML str or None. Got {type(out).__name__} instead."
            raise AssertionError(msg)
        body = out
    if body is not None:
        with kit.check("balanced HTML"):
            _check_balanced(body)
        kit.require(
            HOSTILE_LABEL not in body and "<script" not in body.lower(),
            f"escapes data text: the label {HOSTILE_LABEL!r} appears unescaped.",
        )
    changed = [n for n in _FRAMES if not _same(before[n], getattr(data, n))]
    kit.require(
        not changed and ctx.data is data,
        "leaves the data unchanged: render() modified "
        + (f"the {', '.join(changed)} frame(s)" if changed else "ctx.data (replaced it)")
        + "; a section must only read its inputs.",
    )
    with kit.check("no data"):
        empty = section.render(ReportContext(ReportData()))
        if empty is not None and not isinstance(empty, str):
            msg = f"render() must return an HTML str or None. Got {type(empty).__name__} instead."
            raise AssertionError(msg)
    kit.finish()
    return body


def _demo(n_users: int) -> ReportData:
    from ._io import load_demo  # the simulator only when the kit needs it

    return load_demo(n_users=n_users)


def _relabel(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A copy of ``frame`` with the country ``BR`` (or the first one) named HOSTILE_LABEL."""
    if not isinstance(frame, pd.DataFrame):
        return frame
    frame = frame.copy(deep=True)  # the section under test never sees the caller's frame
    if "country" not in frame.columns:
        return frame
    column = frame["country"]
    values = column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) else None
    labels = list(values) if values is not None else list(column.dropna().unique())
    if not labels:
        return frame
    old = _RELABELLED if _RELABELLED in labels else labels[0]
    if values is not None:
        frame["country"] = column.cat.rename_categories({old: HOSTILE_LABEL})
    else:
        frame["country"] = column.mask(column.eq(old), HOSTILE_LABEL)
    return frame


def _relabel_extra(value: object) -> object:
    """An extra relabelled like the frames: a frame, or a frozen record's frame fields."""
    if isinstance(value, pd.DataFrame):
        return _relabel(value)
    record: Any = type(value)
    if attrs.has(record):
        frames = {
            f.name: _relabel(getattr(value, f.name))
            for f in attrs.fields(record)
            if f.init and isinstance(getattr(value, f.name), pd.DataFrame)
        }
        return attrs.evolve(value, **frames) if frames else value  # type: ignore[misc]
    return value


def _copy(frame: object) -> object:
    return frame.copy(deep=True) if isinstance(frame, pd.DataFrame) else frame


def _same(before: object, after: object) -> bool:
    if isinstance(before, pd.DataFrame) and isinstance(after, pd.DataFrame):
        return list(before.columns) == list(after.columns) and before.equals(after)
    return before is after


class _TagStack(HTMLParser):
    """Records the first tag that is closed out of order or never closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:  # noqa: ARG002 - HTMLParser API
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or self.problem is not None:
            return
        if not self.open or self.open[-1] != tag:
            inner = f"<{self.open[-1]}> is still open" if self.open else "nothing is open"
            self.problem = f"</{tag}> closes out of order ({inner})."
        else:
            self.open.pop()


def _check_balanced(fragment: str) -> None:
    parser = _TagStack()
    parser.feed(fragment)
    parser.close()
    if parser.problem is not None:
        raise AssertionError(parser.problem)
    if parser.open:
        msg = f"<{parser.open[-1]}> is never closed."
        raise AssertionError(msg)
