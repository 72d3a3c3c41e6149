"""Structure checks and traversals of a set of nodes: references, cycles, order, edges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import ParameterError, _close_names
from ._nodes import Node

__all__ = ["MAX_DEPTH", "check_graph", "edges_from", "topological_order"]

#: Levels a tree may have below its root. Analyses walk the tree level by level (nested
#: Shapley and sequential substitution compose one function per level), so a deeper tree
#: is refused up front rather than failing deep inside with a RecursionError.
MAX_DEPTH = 100


def check_graph(nodes: Sequence[Node], root: str) -> None:
    """Raise :class:`ParameterError` for duplicates, unknown names, cycles, orphans."""
    by_name: dict[str, Node] = {}
    for node in nodes:
        if node.name in by_name:
            msg = f"The 'nodes' parameter of KPITree names {node.name!r} twice."
            raise ParameterError(msg)
        by_name[node.name] = node
    if root not in by_name:
        msg = (
            f"The 'root' parameter of KPITree must be one of the nodes. Got {root!r} instead."
            + _hint(root, list(by_name))
        )
        raise ParameterError(msg)
    for node in nodes:
        for name in node.inputs:
            if name not in by_name:
                msg = (
                    f"Node {node.name!r} ({node.name} = {node.expression}) uses {name!r}, "
                    "which is not a node of the tree." + _hint(name, list(by_name))
                )
                if not _close_names(name, list(by_name)):
                    msg += f"\nHint: add Leaf({name!r}) if it is an input read from data."
                raise ParameterError(msg)
    cycle = _find_cycle(by_name, root)
    if cycle:
        msg = (
            "The KPI tree has a cycle: "
            + " -> ".join(cycle)
            + ". A node cannot depend on itself.\nHint: one of these definitions uses the "
            "wrong input."
        )
        raise ParameterError(msg)
    order = topological_order(by_name, root)
    _check_depth(by_name, order, root)
    reachable = set(order)
    orphans = [n.name for n in nodes if n.name not in reachable]
    if orphans:
        msg = (
            f"The nodes {orphans} are defined but the root {root!r} does not use them."
            "\nHint: the first definition of a formula is the root; check its inputs, or "
            "drop the unused lines."
        )
        raise ParameterError(msg)


def _check_depth(by_name: Mapping[str, Node], order: list[str], root: str) -> None:
    depth = {root: 0}
    for name in reversed(order):  # every node before its inputs
        for child in by_name[name].inputs:
            depth[child] = max(depth.get(child, 0), depth[name] + 1)
    deepest = max(depth.values())
    if deepest > MAX_DEPTH:
        msg = (
            f"The KPI tree is {deepest:,} levels deep below its root {root!r}; a tree may be "
            f"at most {MAX_DEPTH} levels deep.\nHint: define wide sums and products in one "
            "line (e.g. 'traffic = a + b + c + d') instead of chaining one input per line."
        )
        raise ParameterError(msg)


def _hint(name: str, names: list[str]) -> str:
    close = _close_names(name, names)
    if not close:
        return ""
    return "\nHint: did you mean " + " or ".join(repr(c) for c in close) + "?"


def _find_cycle(by_name: Mapping[str, Node], root: str) -> list[str]:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []
    for start in [root, *by_name]:
        if state.get(start):
            continue
        # iterative DFS with explicit child iterators
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            name, i = work.pop()
            if i == 0:
                state[name] = 1
                stack.append(name)
            inputs = by_name[name].inputs
            if i < len(inputs):
                work.append((name, i + 1))
                child = inputs[i]
                if state.get(child) == 1:
                    return [*stack[stack.index(child) :], child]
                if not state.get(child):
                    work.append((child, 0))
            else:
                state[name] = 2
                stack.pop()
    return []


def topological_order(by_name: Mapping[str, Node], root: str) -> list[str]:
    """Nodes reachable from ``root``, every node after all of its inputs."""
    order: list[str] = []
    done: set[str] = set()
    work: list[tuple[str, bool]] = [(root, False)]
    while work:
        name, expanded = work.pop()
        if name in done:
            continue
        if expanded:
            done.add(name)
            order.append(name)
            continue
        work.append((name, True))
        for child in reversed(by_name[name].inputs):
            if child not in done:
                work.append((child, False))
    return order


def edges_from(by_name: Mapping[str, Node], root: str) -> list[tuple[str, str, int]]:
    """Each ``(parent, child, level)`` once, depth first from the root in formula order."""
    out: list[tuple[str, str, int]] = []
    seen: set[tuple[str, str]] = set()

    def visit(name: str, level: int) -> None:
        for child in by_name[name].inputs:
            if (name, child) in seen:
                continue
            seen.add((name, child))
            out.append((name, child, level + 1))
            visit(child, level + 1)

    visit(root, 0)
    return out
