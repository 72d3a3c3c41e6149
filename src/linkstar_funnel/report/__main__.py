"""``python -m linkstar_funnel.report``: the same as the ``linkstar-funnel`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main(["report", *sys.argv[1:]] if sys.argv[1:2] != ["report"] else sys.argv[1:]))
