"""Developer sessions: ``nox -s tests lint typecheck docs examples benchmarks build``.

Every session installs what it needs from ``pyproject.toml`` (PEP 735 dependency groups),
so a fresh machine with only Python and pip can run any of them after ``pip install nox``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint", "typecheck", "docs", "examples"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and doc tests (pytest + hypothesis + doctests of src)."""
    session.install("-e", ".", *_group("test"))
    session.run("pytest", *session.posargs, env={"MPLBACKEND": "Agg"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src/."""
    session.install(".", *_group("typecheck"))
    session.run("mypy", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with Sphinx, warnings as errors."""
    session.install(".", *_group("docs"))
    out = ROOT / "docs" / "_build" / "html"
    shutil.rmtree(out, ignore_errors=True)
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        str(out),
        env={"MPLBACKEND": "Agg"},
    )
    session.log(f"Docs written to {out / 'index.html'}")


@nox.session
def examples(session: nox.Session) -> None:
    """Run every script in examples/ on the bundled data."""
    session.install(".")
    tmp = Path(session.create_tmp())
    for script in sorted((ROOT / "examples").glob("*.py")):
        session.log(f"running {script.name}")
        session.run(
            "python", str(script), env={"MPLBACKEND": "Agg", "LINKSTAR_EXAMPLES_OUT": str(tmp)}
        )


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Performance goals, as ratios against the named peer in the same run."""
    session.install(".", *_group("benchmarks"))
    scripts = session.posargs or [str(p) for p in sorted((ROOT / "benchmarks").glob("bench_*.py"))]
    for script in scripts:
        session.run("python", script)


@nox.session
def build(session: nox.Session) -> None:
    """Build sdist and wheel, check their metadata, and smoke-test the installed wheel."""
    session.install("build", "twine")
    dist = ROOT / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist))
    session.run("twine", "check", "--strict", *map(str, dist.glob("*")))
    wheel = next(dist.glob("*.whl"))
    session.install(str(wheel))
    session.chdir(session.create_tmp())
    session.run(
        "python",
        "-c",
        "import linkstar_funnel as lf; assert len(lf.datasets.load_online_retail()) == 541_909",
    )


if __name__ == "__main__":  # pragma: no cover - `python noxfile.py` convenience
    sys.exit("Run this file with nox: pip install nox && nox -s tests")
