"""DESIGN.md section 2: imports go one way (report -> domains -> engines -> core).

The graph is read from the source (every import, lazy ones inside functions included), at
package level: ``linkstar_funnel.funnel._spec`` counts as ``funnel``; top-level modules
(``schema``, ``results``, ``errors``, ``stats``, ``stages``, ``_params``...) are the core.
"""

from __future__ import annotations

import ast
from pathlib import Path

import linkstar_funnel

ROOT = Path(linkstar_funnel.__file__).parent
CORE = "core"
#: Packages other packages may import; everything else is a leaf for its peers.
LAYER = {"engines": 1, CORE: 0}


#: Folders that belong to the core: the compiled kernels (a folder of extension modules).
CORE_FOLDERS = frozenset({"_kernels"})


def _unit(parts: tuple[str, ...]) -> str:
    """The package a module belongs to (``core`` for top-level modules)."""
    if len(parts) > 1 and (ROOT / parts[0]).is_dir() and parts[0] not in CORE_FOLDERS:
        return parts[0]
    return CORE


def _imports() -> list[tuple[str, str, str, str]]:
    """(importing file, its unit, imported module, its unit) for every in-library import."""
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("").parts
        is_pkg = rel[-1] == "__init__"
        mod = ("linkstar_funnel", *rel[:-1]) if is_pkg else ("linkstar_funnel", *rel)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[tuple[str, ...]] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = mod[: len(mod) - node.level + (1 if is_pkg else 0)]
                    full = (*base, *(node.module.split(".") if node.module else ()))
                else:
                    full = tuple((node.module or "").split("."))
                if full[0] != "linkstar_funnel":
                    continue
                # "from linkstar_funnel import x" imports the module x
                targets = [(n.name,) for n in node.names] if len(full) == 1 else [full[1:]]
            elif isinstance(node, ast.Import):
                targets = [
                    tuple(a.name.split("."))[1:]
                    for a in node.names
                    if a.name.startswith("linkstar_funnel.")
                ]
            for t in targets:
                out.append((str(path.relative_to(ROOT)), _unit(rel), ".".join(t), _unit(t)))
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for _, src, _, dst in _imports():
        if src != dst:
            graph.setdefault(src, set()).add(dst)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle's node list, found by depth-first search (small graph)."""
    found: set[tuple[str, ...]] = set()

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                i = path.index(min(path))
                found.add(tuple(path[i:] + path[:i]))
            elif nxt not in path and nxt > start:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return [list(c) for c in sorted(found)]


def test_no_package_level_import_cycle() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "package-level import cycles: " + "; ".join(
        " -> ".join([*c, c[0]]) for c in cycles
    )


def test_no_import_of_another_packages_private_module() -> None:
    bad = [
        f"{file} imports {target}"
        for file, src, target, dst in _imports()
        if dst not in (src, CORE) and any(p.startswith("_") for p in target.split(".")[1:])
    ]
    assert not bad, "\n".join(bad)


def test_layers_point_down() -> None:
    """Core imports no package; engines import only the core; nothing imports report."""
    bad = []
    for file, src, target, dst in _imports():
        if src == dst or file == "__init__.py":
            continue
        if src == CORE and dst != CORE:
            bad.append(f"{file} (core) imports {target}")
        if src == "engines" and dst != CORE:
            bad.append(f"{file} (engines) imports {target}")
        if dst == "report" and src not in ("report",):
            bad.append(f"{file} imports the report ({target})")
    assert not bad, "\n".join(bad)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
