"""A hierarchical layout of the org chart: a radial tree of reporting lines, computed once.

Mesa's network drawing places nodes with networkx's spring layout, which costs seconds for a
company of a few thousand and puts each person somewhere different on every build. The
reporting lines are a forest (one tree per business unit, plus the CoE), so a radial tree
layout (the layout of Graphviz's ``twopi``; Eades 1992) shows them directly: each unit is a
wedge, its head near the centre and every level of the hierarchy one ring further out. Each
subtree gets an angle in proportion to its number of leaves, so every person at the edge has
the same room. It is linear in the number of employees and depends only on the manager column,
so :func:`org_layout` caches it by that column: stepping, or resetting the same company, never
computes it again.

Eades, P. (1992). Drawing free trees. Bulletin of the Institute for Combinatorics and its
Applications 5, 10-36.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

#: Radial distance between the three rings of the outermost level (the unit disc's radius is 1).
STAGGER = 0.06


@dataclass(frozen=True)
class OrgLayout:
    """Positions of every employee and the reporting lines between them.

    Attributes:
        xy: ``(n, 2)`` positions, within the unit disc.
        depth: Level of each employee in the hierarchy (0 for unit heads and the CoE lead).
        segments: ``(m, 2, 2)`` line segments, one per reporting line (report to manager).
        root_angle: Angle (radians) of the middle of each tree's wedge, by root row.
    """

    xy: np.ndarray
    depth: np.ndarray
    segments: np.ndarray
    root_angle: dict[int, float]


def radial_tree_layout(manager: np.ndarray) -> OrgLayout:
    """Lay out the reporting forest given by ``manager`` as one radial tree.

    Args:
        manager: Row of each employee's manager, ``-1`` for the root of a tree (a unit head,
            the CoE lead). Must describe a forest (no cycles).

    Returns:
        The :class:`OrgLayout`. Roots sit on the innermost ring, in row order around the
        circle; the children of a node sit one ring out, in row order, inside its wedge.
    """
    manager = np.asarray(manager, dtype=np.int64)
    n = len(manager)
    roots = np.flatnonzero(manager < 0)
    # Children of each node, in row order (a stable sort keeps rows ascending).
    has_boss = np.flatnonzero(manager >= 0)
    order = has_boss[np.argsort(manager[has_boss], kind="stable")]
    first = np.searchsorted(manager[order], np.arange(n), side="left")
    last = np.searchsorted(manager[order], np.arange(n), side="right")

    # Breadth-first order from the roots gives depths, and parents before children.
    bfs = np.empty(n, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    bfs[: len(roots)] = roots
    head, tail = 0, len(roots)
    while head < tail:
        v = bfs[head]
        head += 1
        kids = order[first[v]:last[v]]
        bfs[tail:tail + len(kids)] = kids
        depth[kids] = depth[v] + 1
        tail += len(kids)
    if tail != n:
        raise ValueError("the manager column does not describe a forest: "
                         f"{n - tail} employees are not reached from a root")

    # Leaves under each node, children before parents.
    leaves = np.where(last > first, 0, 1).astype(np.int64)
    for v in bfs[::-1]:
        if manager[v] >= 0:
            leaves[manager[v]] += leaves[v]

    # Angular wedges, parents before children.
    start = np.zeros(n)
    width = np.zeros(n)
    total = leaves[roots].sum()
    pos = 0.0
    for r in roots:
        start[r] = pos
        width[r] = 2 * np.pi * leaves[r] / total
        pos += width[r]
    for v in bfs:
        kids = order[first[v]:last[v]]
        if len(kids):
            w = width[v] * leaves[kids] / leaves[v]
            start[kids] = start[v] + np.concatenate([[0.0], np.cumsum(w)[:-1]])
            width[kids] = w
    angle = start + width / 2
    max_depth = max(int(depth.max()), 1)
    radius = (depth + 1) / (max_depth + 1)
    # The outer ring holds most people: stagger siblings over three close rings so that
    # neighbours do not hide each other.
    rank = np.zeros(n, dtype=np.int64)
    rank[order] = np.arange(len(order)) - first[manager[order]]
    outer = (depth == max_depth) & (last <= first)
    radius[outer] -= STAGGER * (rank[outer] % 3)
    xy = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    segments = np.stack([xy[has_boss], xy[manager[has_boss]]], axis=1)
    return OrgLayout(xy=xy, depth=depth, segments=segments,
                     root_angle={int(r): float(angle[r]) for r in roots})


_CACHE: OrderedDict[str, OrgLayout] = OrderedDict()
_CACHE_SIZE = 8


def org_layout(manager: np.ndarray) -> OrgLayout:
    """:func:`radial_tree_layout`, cached by the content of the manager column.

    The same company (same structure levers, same seed) has the same manager column, so a
    reset or a second browser tab reuses the layout; the cache keeps the last few companies.
    """
    manager = np.ascontiguousarray(manager, dtype=np.int64)
    key = hashlib.sha1(manager.tobytes()).hexdigest()
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    layout = radial_tree_layout(manager)
    _CACHE[key] = layout
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return layout


def cache_info() -> int:
    """Number of layouts in the cache (for tests and benchmarks)."""
    return len(_CACHE)
