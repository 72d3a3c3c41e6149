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


ROOT = README.parent
#: Repository paths as the docs and comments cite them: a top-level folder, then a path.
_CITED = re.compile(
    r"(?<![\w./-])((?:src|tests|docs|examples|benchmarks|\.ci)/[\w./-]*\w|[A-Z][A-Z_]+\.md)"
)


def _cited_paths(text: str) -> set[str]:
    return {m.group(1) for m in _CITED.finditer(text)}


def test_readme_and_code_cite_only_files_that_exist() -> None:
    """A reader following a reference must find the file (or folder) in the repository."""
    sources = [README, *sorted((ROOT / "src").rglob("*.py")), *sorted((ROOT / "docs").glob("*.md"))]
    missing = []
    for path in sources:
        for cited in _cited_paths(path.read_text(encoding="utf-8")):
            candidates = [ROOT / cited, ROOT / "src" / "linkstar_funnel" / cited]
            if not any(c.exists() or list(ROOT.glob(cited)) for c in candidates):
                missing.append(f"{path.relative_to(ROOT)} cites {cited}")
    assert not missing, "\n".join(missing)


def test_the_citation_finder_finds_paths() -> None:
    text = "see tests/funnel/reference.py, DESIGN.md and `docs/` (not mydocs/x.py)"
    assert _cited_paths(text) == {"tests/funnel/reference.py", "DESIGN.md"}
