"""HTML building blocks for report sections, and the self-contained page around them.

Every helper escapes the text it is given; section code only concatenates their output.
Numbers are formatted with thousands separators and right-aligned in tables.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real

import attrs
import pandas as pd

from ..errors import ParameterError

__all__ = [
    "RenderedSection",
    "esc",
    "facts_grid",
    "figure",
    "fmt_number",
    "note",
    "page",
    "table",
]


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape(str(value), quote=True)


def fmt_number(value: object, *, decimals: int | None = None, percent: bool = False) -> str:
    """Format a number for reading: ``12,345``, ``1,234.50``, ``12.3%``; text as given.

    Examples
    --------
    >>> fmt_number(1234567), fmt_number(0.1234, percent=True), fmt_number(2.5)
    ('1,234,567', '12.3%', '2.50')
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        return "" if value is None else str(value)
    number = float(value)
    if math.isnan(number):
        return "n/a"
    if percent:
        return f"{number:.{1 if decimals is None else decimals}%}"
    if decimals is None:
        decimals = 0 if isinstance(value, Integral) or number.is_integer() else 2
    return f"{number:,.{decimals}f}"


def table(
    frame: pd.DataFrame,
    *,
    percent: Sequence[str] = (),
    decimals: Mapping[str, int] | None = None,
    caption: str | None = None,
) -> str:
    """An escaped HTML table; numeric columns right-aligned with thousands separators.

    Parameters
    ----------
    frame
        Rows to show (its index is not shown).
    percent
        Columns holding fractions, shown as percentages.
    decimals
        Decimal places per numeric column (default: 0 for whole numbers, else 2).
    caption
        Optional caption above the table.
    """
    decimals = dict(decimals or {})
    numeric = {c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c].dtype)}
    head = "".join(
        f'<th class="{"num" if c in numeric else "text"}" scope="col">{esc(c)}</th>'
        for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(frame.columns, row, strict=True):
            if col in numeric:
                text = fmt_number(value, decimals=decimals.get(col), percent=col in percent)
                cells.append(f'<td class="num">{esc(text)}</td>')
            else:
                cells.append(f'<td class="text">{esc(value)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def facts_grid(facts: Sequence[tuple[str, str]]) -> str:
    """Key figures as a grid of small cards (label above, value below)."""
    cards = "".join(
        f'<div class="fact"><div class="fact-label">{esc(label)}</div>'
        f'<div class="fact-value">{esc(value)}</div></div>'
        for label, value in facts
    )
    return f'<div class="facts">{cards}</div>'


def figure(data_uri: str, *, alt: str, caption: str | None = None) -> str:
    """An embedded chart from a ``data:image/...;base64`` URI."""
    if not data_uri.startswith("data:image/"):
        msg = (
            "The 'data_uri' parameter of figure must be a data:image/... URI "
            f"(see plotting.figure_to_data_uri). Got {data_uri[:40]!r} instead."
        )
        raise ParameterError(msg)
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{esc(data_uri)}" alt="{esc(alt)}">{cap}</figure>'


def note(text: str) -> str:
    """A muted paragraph."""
    return f'<p class="note">{esc(text)}</p>'


@attrs.frozen
class RenderedSection:
    """A section's anchor, heading and (already escaped) HTML body."""

    name: str
    title: str
    body: str


_CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --soft:#f6f8fa; --accent:#0072B2; }
* { box-sizing: border-box; }
body { margin:0; color:var(--fg); background:#fff; line-height:1.5; font-size:15px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "Noto Sans", sans-serif; }
.container { max-width: 1040px; margin: 0 auto; padding: 0 24px 48px; }
header.page { background: var(--soft); border-bottom: 1px solid var(--line);
  margin-bottom: 24px; }
header.page .container { padding-top: 28px; padding-bottom: 20px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 40px 0 12px; padding-bottom: 6px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 24px 0 8px; }
.subtitle { color: var(--muted); margin: 0 0 14px; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0; }
.meta div { display: flex; flex-direction: column; }
.meta dt { font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
.meta dd { margin: 0; font-weight: 600; }
nav.toc { border: 1px solid var(--line); border-radius: 8px; padding: 12px 20px;
  display: inline-block; min-width: 280px; }
nav.toc h2 { font-size: 14px; margin: 0 0 4px; border: 0; padding: 0; color: var(--muted);
  text-transform: uppercase; letter-spacing: .04em; }
nav.toc ol { margin: 0; padding-left: 20px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
  gap: 12px; margin: 12px 0 20px; }
.fact { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.fact-label { font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .04em; }
.fact-value { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums;
  overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr));
  gap: 8px 28px; align-items: start; }
.table-wrap { overflow-x: auto; margin: 0 0 12px; }
table { border-collapse: collapse; width: auto; min-width: min(100%, 560px); font-size: 14px; }
.grid table { width: 100%; min-width: 0; }
caption { text-align: left; font-weight: 600; padding: 0 0 6px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { border-bottom: 2px solid var(--line); font-size: 12px; color: var(--muted);
  text-transform: uppercase; letter-spacing: .03em; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.text { text-align: left; overflow-wrap: break-word; }
figure { margin: 16px 0 24px; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid var(--line);
  border-radius: 8px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
.note { color: var(--muted); font-size: 14px; }
footer { color: var(--muted); font-size: 13px; border-top: 1px solid var(--line);
  margin-top: 48px; padding-top: 12px; }
@media print { nav.toc { display: none; } h2 { break-before: auto; } }
"""


def page(
    *,
    title: str,
    subtitle: str,
    meta: Sequence[tuple[str, str]],
    sections: Sequence[RenderedSection],
    footer: str,
) -> str:
    """The whole HTML document: header, table of contents, sections, footer.

    Every argument is plain text (escaped here) except the sections' bodies, which the
    section helpers have already escaped.
    """
    meta_html = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in meta)
    toc = "".join(f'<li><a href="#{esc(s.name)}">{esc(s.title)}</a></li>' for s in sections)
    body = "".join(
        f'<section id="{esc(s.name)}"><h2>{esc(s.title)}</h2>{s.body}</section>' for s in sections
    )
    if not sections:
        body = note("No section had data to show.")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f'<header class="page"><div class="container"><h1>{esc(title)}</h1>'
        f'<p class="subtitle">{esc(subtitle)}</p><dl class="meta">{meta_html}</dl>'
        "</div></header>"
        f'<main class="container"><nav class="toc" aria-label="Contents"><h2>Contents</h2>'
        f"<ol>{toc}</ol></nav>{body}"
        f"<footer>{esc(footer)}</footer></main></body></html>\n"
    )
