"""Developer sessions: ``nox -s tests lint typecheck docs examples benchmarks build``.

Every session installs what it needs from ``pyproject.toml`` (PEP 735 dependency groups),
so a fresh machine with only Python and pip can run any of them after ``pip install nox``.
The versions come from ``constraints.txt`` (a universal lock of every group and extra), so
a test run on one machine is the test run on the next; the library's own dependency ranges
in ``pyproject.toml`` stay open. Refresh the lock with ``nox -s lock``.
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


CONSTRAINTS = ROOT / "constraints.txt"
#: The groups and extras the lock covers (every session installs from it).
LOCKED_GROUPS = ("test", "lint", "typecheck", "docs", "benchmarks")


def _group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


def _install(session: nox.Session, *packages: str) -> None:
    """pip install under the committed lock: the same versions on every machine."""
    session.install("-c", str(CONSTRAINTS), *packages)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and doc tests (pytest + hypothesis + doctests of src)."""
    _install(session, "-e", ".", *_group("test"))
    # One worker per core (at most 4), each test file on one worker (a Spark session or a
    # hypothesis database is then made once per file, not once per worker).
    parallel = ["-n", "auto", "--maxprocesses", "4", "--dist", "loadfile"]
    session.run("pytest", *parallel, *session.posargs, env={"MPLBACKEND": "Agg"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint rules and formatting."""
    _install(session, *_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over src/."""
    _install(session, ".", *_group("typecheck"))
    session.run("mypy", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs with Sphinx, warnings as errors."""
    _install(session, ".", *_group("docs"))
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
    _install(session, ".")
    tmp = Path(session.create_tmp())
    for script in sorted((ROOT / "examples").glob("*.py")):
        session.log(f"running {script.name}")
        session.run(
            "python", str(script), env={"MPLBACKEND": "Agg", "LINKSTAR_EXAMPLES_OUT": str(tmp)}
        )


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Performance goals, as ratios against the named peer in the same run."""
    _install(session, ".", *_group("benchmarks"))
    if session.posargs:
        session.run("python", *session.posargs)
        return
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script))
    # String and categorical user ids (GA4-like text ids, pandas' str dtype) beside the
    # integers of the default run, on the 4.7M-event log.
    funnel = str(ROOT / "benchmarks" / "bench_funnel.py")
    for dtype in ("str", "category", "int"):
        session.run(
            "python", funnel, "--events", "4700000", "--users", "940000", "--user-dtype", dtype
        )


@nox.session(default=False)
def lock(session: nox.Session) -> None:
    """Refresh constraints.txt: a universal resolution (every OS and Python >= 3.11) of the
    package, its extras and every dependency group, by uv. Commit the result."""
    session.install("uv")
    groups = [arg for g in LOCKED_GROUPS for arg in ("--group", g)]
    session.run(
        "uv",
        "pip",
        "compile",
        "pyproject.toml",
        "--all-extras",
        *groups,
        "--universal",
        "--python-version",
        "3.11",
        "--upgrade",
        "--custom-compile-command",
        "nox -s lock",
        "-o",
        str(CONSTRAINTS),
        *session.posargs,
    )


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
