"""The README's quickstart runs as written (a newcomer's first contact with the library)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_has_exactly_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", setup, flags=re.DOTALL)
    assert commands == [
        "pip install . && linkstar-funnel report --demo -o report.html",
        "pip install nox && nox -s tests",
    ]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install nox && nox -s tests" in ci


@pytest.mark.filterwarnings("error")
def test_readme_quickstart_runs() -> None:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"## Quickstart\n+```python\n(.*?)\n```", text, flags=re.DOTALL)
    assert code is not None
    exec(compile(code.group(1), str(README), "exec"), {"__name__": "readme"})  # noqa: S102
