"""The ``linkstar-funnel`` command line.

Usage::

    linkstar-funnel report --demo -o report.html
    linkstar-funnel report --events events.parquet [--orders orders.csv] \\
        [--user COL --time COL --event COL] [--by country,platform] [--tz ZONE] \\
        [--stages visit,add_to_cart,payment] [--variant COL [--control NAME]] \\
        [--targets targets.csv] -o out.html

Progress goes to stderr (``--quiet`` silences it); the path written goes to stdout. On a
data problem (:class:`~linkstar_funnel.errors.LinkstarError`: a missing or unreadable
file, a missing column, unparseable times, an unknown time zone...) the command prints
one line, ``linkstar-funnel: error: ...``, and exits with status 1; arguments argparse
refuses exit with 2. Any other exception is a bug: it propagates with its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import attrs

from .._version import __version__
from ..errors import ColumnNotFoundError, LinkstarError
from ..schema import check_time_zone
from ._build import DEFAULT_TITLE, write_report
from ._experiment_section import CONTROL_EXTRA, VARIANT_EXTRA
from ._funnel_view import FUNNEL_STAGES_EXTRA
from ._io import DEMO_SEED, DEMO_USERS, load_demo, read_table
from ._progress import Progress
from ._sections import REGISTRY, ReportData
from ._targets_section import TARGETS_EXTRA

__all__ = ["build_parser", "main"]

PROG = "linkstar-funnel"


def emit(stream: TextIO, text: str) -> None:
    """The CLI's one output function: write a line to stdout or stderr."""
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``linkstar-funnel``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="E-commerce operations analytics: write a self-contained HTML report.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    report = commands.add_parser(
        "report",
        help="write an HTML report on the demo store or on your own files",
        description="Write a self-contained HTML report (charts and styles embedded).",
    )
    source = report.add_mutually_exclusive_group(required=True)
    source.add_argument("--demo", action="store_true", help="use the bundled synthetic store")
    source.add_argument("--events", metavar="FILE", type=Path, help="event log, .parquet or .csv")
    report.add_argument("--orders", metavar="FILE", type=Path, help="order table, .parquet or .csv")
    report.add_argument(
        "-o", "--output", metavar="FILE", type=Path, required=True, help="HTML file to write"
    )
    cols = report.add_argument_group("event columns")
    cols.add_argument(
        "--user", default="user_id", metavar="COL", help="user id column (default: user_id)"
    )
    cols.add_argument(
        "--time", default="timestamp", metavar="COL", help="event time column (default: timestamp)"
    )
    cols.add_argument(
        "--event", default="event", metavar="COL", help="event name column (default: event)"
    )
    ocols = report.add_argument_group("order columns")
    ocols.add_argument(
        "--customer",
        default="customer_id",
        metavar="COL",
        help="customer id column (default: customer_id)",
    )
    ocols.add_argument(
        "--order-time",
        default="timestamp",
        metavar="COL",
        help="order time column (default: timestamp)",
    )
    ocols.add_argument(
        "--revenue", default="revenue", metavar="COL", help="revenue column (default: revenue)"
    )
    ocols.add_argument(
        "--order-id",
        default=None,
        metavar="COL",
        help="order id column (default: 'order_id' if present)",
    )
    report.add_argument(
        "--by",
        metavar="COLS",
        default=None,
        help="comma-separated segment columns (default: those of country, "
        "platform, device, channel, status the data has)",
    )
    report.add_argument(
        "--stages",
        metavar="NAMES",
        default=None,
        help="comma-separated funnel stages (event names, in order); default: the demo "
        "store's seven (impression ... payment) when the events have them",
    )
    report.add_argument(
        "--variant",
        metavar="COL",
        default=None,
        help="experiment variant column of the events (default: 'variant' if present); "
        "adds the Experiments section",
    )
    report.add_argument(
        "--control",
        metavar="NAME",
        default=None,
        help="the control variant (default: 'control' if present, else the first in order)",
    )
    report.add_argument(
        "--targets",
        metavar="FILE",
        type=Path,
        default=None,
        help="targets for the month, .csv or .parquet: columns node, target, optionally "
        "owner and segment columns; adds the Targets section",
    )
    report.add_argument(
        "--tz",
        metavar="ZONE",
        default=None,
        help="IANA time zone to read days in, e.g. Asia/Shanghai",
    )
    report.add_argument(
        "--title", default=DEFAULT_TITLE, help=f"page title (default: {DEFAULT_TITLE!r})"
    )
    report.add_argument(
        "--demo-users",
        type=_positive_int,
        default=DEMO_USERS,
        metavar="N",
        help=f"users in the demo store (default: {DEMO_USERS:,})",
    )
    report.add_argument(
        "--seed", type=int, default=DEMO_SEED, help=f"demo store seed (default: {DEMO_SEED})"
    )
    report.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"must be a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 data error, 2 bad arguments).

    Parameters
    ----------
    argv
        Arguments without the program name; ``None`` reads ``sys.argv[1:]``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and bad arguments
        return exc.code if isinstance(exc.code, int) else 2
    if args.demo and args.orders is not None:
        return _usage_error("--orders cannot be combined with --demo")
    try:
        return _report(args)
    except LinkstarError as exc:
        emit(sys.stderr, f"{PROG}: error: {_one_line(exc)}")
        return 1
    except OSError as exc:  # e.g. the output folder does not exist
        emit(sys.stderr, f"{PROG}: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return 1
    except KeyboardInterrupt:
        emit(sys.stderr, f"{PROG}: interrupted")
        return 130


def _usage_error(message: str) -> int:
    emit(sys.stderr, f"usage: {PROG} report (--demo | --events FILE) ... -o FILE (see --help)")
    emit(sys.stderr, f"{PROG} report: error: {message}")
    return 2


def _one_line(exc: BaseException) -> str:
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _report(args: argparse.Namespace) -> int:
    _use_agg_backend()
    check_time_zone(args.tz, param="--tz")
    progress = Progress(len(REGISTRY) + 2, stream=None if args.quiet else sys.stderr)
    by = tuple(c.strip() for c in args.by.split(",") if c.strip()) if args.by else None
    with progress.step("loading data"):
        if args.demo:
            data = load_demo(args.demo_users, args.seed)
        else:
            events = read_table(args.events, what="events")
            orders = read_table(args.orders, what="orders") if args.orders else None
            sources = [f"events: {args.events.name} ({len(events):,} rows)"]
            if orders is not None:
                sources.append(f"orders: {args.orders.name} ({len(orders):,} rows)")
            data = ReportData(events=events, orders=orders, source="; ".join(sources))
        order_id = args.order_id
        if order_id is None:
            has_id = data.orders is not None and "order_id" in data.orders.columns
            order_id = "order_id" if has_id else None
        data = attrs.evolve(
            data,
            user=args.user,
            time=args.time,
            event=args.event,
            order=order_id,
            customer=args.customer,
            order_time=args.order_time,
            revenue=args.revenue,
            by=by,
            tz=args.tz,
        )
        extras: dict[str, object] = {}
        if args.stages:
            extras[FUNNEL_STAGES_EXTRA] = tuple(
                s.strip() for s in args.stages.split(",") if s.strip()
            )
        if args.variant:
            if data.events is None or args.variant not in data.events.columns:
                raise ColumnNotFoundError(
                    args.variant,
                    () if data.events is None else data.events.columns,
                    frame_name="events",
                )
            extras[VARIANT_EXTRA] = args.variant
        if args.control:
            extras[CONTROL_EXTRA] = args.control
        if args.targets is not None:
            extras[TARGETS_EXTRA] = read_table(args.targets, what="targets")
        if extras:
            data = attrs.evolve(data, extras={**data.extras, **extras})
    out = write_report(args.output, data, progress=progress, title=args.title)
    if not args.quiet:
        size = out.stat().st_size
        emit(sys.stdout, f"Report written to {out} ({size / 1024:,.0f} KB)")
    return 0


def _use_agg_backend() -> None:
    """Draw off-screen: the CLI never opens windows (a no-op once pyplot is loaded)."""
    if "matplotlib.pyplot" not in sys.modules:
        # Only the CLI picks a backend, and only when it runs.
        import matplotlib as mpl

        mpl.use("Agg")
