"""The organisation chart as a networkx graph.

Three kinds of ties, following the structure of real organisations:

* **Reporting lines**: each business unit is a tree whose head is an executive and whose
  internal nodes are managers with ``span_of_control`` direct reports; unit heads form the
  executive team.
* **Peer ties** inside a unit: a Watts-Strogatz small world (Watts & Strogatz 1998) laid over
  the unit's members in tree order, so most peers sit in the same team and a few ties rewire
  across teams.
* **Weak ties** across units (Granovetter 1973): random bridges, ``weak_tie_share`` per employee.

AI staff are extra members of the units they serve: embedded staff belong to their unit's team,
CoE staff report to the CoE lead and hang off the head of the unit they serve.

Influence runs along all ties; a manager's tie to a direct report carries ``MANAGER_WEIGHT``
times the weight of a peer tie (managers' endorsement matters more; Venkatesh et al. 2003).
All randomness comes from the model's ``numpy.random.Generator``.

:class:`OrgNetwork` is the Mesa cell space the employees sit in: Mesa's ``Network`` with a
faster connection step.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import OrderedDict
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from mesa.discrete_space import Cell, Network

from aiscale_sim.states import Role

#: Weight of a manager's tie to a direct report, relative to a peer tie.
MANAGER_WEIGHT = 3.0
#: Rewiring probability of the small-world peer network.
REWIRE_P = 0.1
#: Split of engineers between data engineering, ML engineering and MLOps.
ENGINEER_SPLIT = (0.45, 0.35, 0.20)
#: The levers that shape the organisation (all that :func:`build_org` reads).
ORG_LEVERS = ("employees", "business_units", "span_of_control", "tie_density",
              "ai_staff_per_1000", "centralisation", "engineer_ratio", "weak_tie_share")
#: Organisations kept by :func:`shared_org` (runs of one seed that differ only in policy).
ORG_CACHE_SIZE = 2


@dataclass
class Org:
    """The built organisation: per-employee columns and ties (row i is node i).

    The model itself reads only the columns and the sparse matrices. :attr:`graph`, the org
    chart as a networkx graph (for Mesa's space, drawing and network analysis), is built from
    them on first use: a batch run that never looks at it does not pay for it.
    """

    unit: np.ndarray  # int32, business unit served/belonged to
    role: np.ndarray  # int8, Role
    manager: np.ndarray  # int64, row of the manager, -1 for none
    team: np.ndarray  # int32, AI team id for AI staff (0 = CoE, 1+u = embedded in unit u), -1
    influence: sp.csr_matrix  # row-normalised weights: influence[i, j] is j's pull on i
    adjacency: sp.csr_matrix  # unweighted symmetric ties

    @functools.cached_property
    def graph(self) -> nx.Graph:
        """The org chart as a networkx graph (see :func:`org_graph`), built on first use."""
        return org_graph(self.adjacency, self.manager)


class OrgNetwork(Network):
    """Mesa's :class:`~mesa.discrete_space.Network`, with a faster connection step.

    The cells and their ``connections`` come out exactly as Mesa's: each cell's dict maps every
    neighbour's node id to that neighbour's cell, in the graph's neighbour order. Mesa connects
    them one edge end at a time with :meth:`Cell.connect`, which clears the cell's two
    neighbourhood caches on every call. Those ``cache_clear`` calls, two per edge end, are
    about 60% of the time Mesa takes to build the space for an org of 2,000 to 1,000,000
    people (with ~8 ties per person); here each cell gets all its connections in one
    ``dict.update`` and its caches are cleared once, which halves the build.

    Only ``_connect_single_cell`` is overridden, and it relies on Mesa 3.5 internals: that
    ``Network.__init__`` calls it once per cell after creating every cell, that cells live in
    ``self._cells`` keyed by node id, and that ``Cell.connections`` and ``Cell._clear_cache``
    are what ``Cell.connect`` touches. pyproject.toml pins ``mesa>=3.5,<3.6``; check this
    method against Mesa's ``Network._connect_single_cell`` and ``Cell.connect`` before moving
    the pin (tests/test_network_build.py compares the two spaces cell by cell).
    """

    def _connect_single_cell(self, cell: Cell) -> None:
        cells = self._cells
        cell.connections.update({j: cells[j] for j in self.G.neighbors(cell.coordinate)})
        cell._clear_cache()


def _unit_sizes(n: int, units: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``n`` people over units, unevenly (lognormal shares) but at least 5 each."""
    shares = rng.lognormal(0.0, 0.4, size=units)
    sizes = np.maximum(5, np.floor(shares / shares.sum() * n)).astype(int)
    while sizes.sum() > n:
        sizes[np.argmax(sizes)] -= 1
    sizes[np.argmax(sizes)] += n - sizes.sum()
    return sizes


def small_world_edges(m: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """Edges of a Watts-Strogatz small world on ``m`` nodes with ``k`` ties per node.

    The construction of Watts & Strogatz (1998), vectorised: a ring lattice in which node ``u``
    is tied to the ``k // 2`` nodes after it (``u + 1`` to ``u + k // 2``, modulo ``m``), then
    each lattice tie ``(u, v)`` is rewired with probability ``REWIRE_P`` to ``(u, w)``, ``w``
    drawn uniformly from the ``m - 1`` nodes other than ``u``. A ring with ``k // 2`` neighbours
    on each side gives an odd ``k`` the mean degree of ``k - 1``, so for odd ``k`` every other
    node (0, 2, 4, ...) also gets a lattice tie ``k // 2 + 1`` places on, which brings the mean
    degree to ``k`` (unless ``m <= k + 1``, where the ring is nearly complete already); these
    ties are rewired like the others. Watts, D. J., & Strogatz, S. H. (1998). Collective
    dynamics of 'small-world' networks. Nature 393, 440-442.

    All draws come from ``rng`` in two vectorised calls (which ties to rewire, then their new
    ends). Differences from ``networkx.watts_strogatz_graph``, which rewires one tie at a time:

    * networkx re-draws ``w`` until the new tie is neither a self loop nor already present;
      here ``w`` is never ``u``, but a new tie that duplicates an existing one is kept and the
      two merge into one when :func:`build_org` symmetrises and thresholds the adjacency. The
      merged graph therefore has slightly fewer than ``m * k / 2`` ties, short by a share of
      at most about ``REWIRE_P * k / (m - 1)`` (0.2% for 250 people and ``k = 6``).
    * Ties are rewired independently of each other, against the original lattice, rather than
      in sequence against a graph that earlier rewirings have already changed.

    Args:
        m: Number of nodes.
        k: Ties per node (2 or more, less than ``m``).
        rng: Random generator (draws the rewiring).

    Returns:
        An (E, 2) int64 array of node pairs, possibly with duplicate pairs (in either order) and
        never with a self loop. Rows follow the lattice (every node's tie 1 place on, then
        2 places on, ..., then the odd-``k`` ties); the first column is the node that keeps
        the tie, the second its lattice neighbour or, if rewired, the new end.

    Raises:
        ValueError: If ``k`` is less than 2 or not less than ``m``.
    """
    if not 2 <= k < m:
        raise ValueError(f"small world needs 2 <= k < m, got k={k}, m={m}")
    half = k // 2
    nodes = np.arange(m, dtype=np.int64)
    u = np.tile(nodes, half)
    v = (u + np.repeat(np.arange(1, half + 1, dtype=np.int64), m)) % m
    if k % 2 and m > k + 1:
        a = nodes[::2]
        u = np.concatenate([u, a])
        v = np.concatenate([v, (a + half + 1) % m])
    rewire = rng.random(len(u)) < REWIRE_P
    v[rewire] = (u[rewire] + rng.integers(1, m, size=int(np.count_nonzero(rewire)))) % m
    return np.column_stack([u, v])


def ai_headcount(employees: int, ai_staff_per_1000: float) -> int:
    """Number of AI staff in an organisation of ``employees`` people (at least 2)."""
    return max(2, round(employees * ai_staff_per_1000 / 1000.0))


def build_org(levers: dict, rng: np.random.Generator) -> Org:
    """Build the organisation network from the levers.

    Args:
        levers: A complete, validated lever dict.
        rng: The model's random generator; every random choice here is drawn from it.

    Returns:
        The :class:`Org` with graph, columns and sparse influence matrix.
    """
    n = int(levers["employees"])
    units = int(levers["business_units"])
    span = int(levers["span_of_control"])
    k = int(levers["tie_density"])
    n_ai = min(ai_headcount(n, levers["ai_staff_per_1000"]), n // 2)
    n_business = n - n_ai

    unit = np.empty(n, dtype=np.int32)
    role = np.empty(n, dtype=np.int8)
    manager = np.full(n, -1, dtype=np.int64)
    team = np.full(n, -1, dtype=np.int32)
    rows_src: list[np.ndarray] = []
    rows_dst: list[np.ndarray] = []

    # AI staff: split into CoE and embedded by centralisation, then by role mix.
    n_coe = round(n_ai * levers["centralisation"])
    n_embedded = n_ai - n_coe
    ratio = levers["engineer_ratio"]

    def ai_roles(count: int) -> np.ndarray:
        n_sci = max(1, round(count / (1.0 + ratio))) if count else 0
        n_eng = count - n_sci
        de = round(n_eng * ENGINEER_SPLIT[0])
        ml = round(n_eng * ENGINEER_SPLIT[1])
        ops = n_eng - de - ml
        r = np.array([Role.DATA_SCIENTIST] * n_sci + [Role.DATA_ENGINEER] * de
                     + [Role.ML_ENGINEER] * ml + [Role.MLOPS] * ops, dtype=np.int8)
        return rng.permutation(r)

    embedded_per_unit = np.full(units, n_embedded // units)
    embedded_per_unit[: n_embedded % units] += 1
    sizes = _unit_sizes(n_business, units, rng)

    start = 0
    heads = []
    for u in range(units):
        m = int(sizes[u])
        idx = np.arange(start, start + m)
        unit[idx] = u
        # Reporting tree in breadth-first order: node i reports to (i - 1) // span.
        local_mgr = np.concatenate([[-1], (np.arange(1, m) - 1) // span])
        manager[idx[1:]] = idx[local_mgr[1:]]
        has_reports = np.zeros(m, dtype=bool)
        has_reports[local_mgr[1:]] = True
        role[idx] = np.where(has_reports, Role.MANAGER, Role.FRONTLINE)
        role[idx[0]] = Role.EXECUTIVE
        heads.append(idx[0])
        # Peer ties: small world over the unit in tree order.
        kk = min(k, m - 1) if m > 2 else 1
        if m > 2 and kk >= 2:
            e = small_world_edges(m, kk, rng)
            rows_src.append(idx[e[:, 0]])
            rows_dst.append(idx[e[:, 1]])
        start += m

    # Embedded AI teams: report to their unit's head, tied to each other.
    emb_roles = ai_roles(n_embedded)
    pos = 0
    for u in range(units):
        c = int(embedded_per_unit[u])
        if c == 0:
            continue
        idx = np.arange(start, start + c)
        unit[idx] = u
        role[idx] = emb_roles[pos: pos + c]
        team[idx] = 1 + u
        manager[idx] = heads[u]
        a, b = np.triu_indices(c, 1)
        rows_src.append(idx[a])
        rows_dst.append(idx[b])
        start += c
        pos += c

    # CoE: one lead (the first member), everyone reports to the lead and serves one unit each.
    if n_coe:
        idx = np.arange(start, start + n_coe)
        role[idx] = ai_roles(n_coe)
        team[idx] = 0
        unit[idx] = np.arange(n_coe) % units
        manager[idx[1:]] = idx[0]
        manager[idx[0]] = -1
        # Ties to the head of the unit each member serves, and a small world inside the CoE.
        rows_src.append(idx)
        rows_dst.append(np.asarray(heads)[unit[idx]])
        if n_coe > 3:
            kk = min(4, n_coe - 1)
            e = small_world_edges(n_coe, kk, rng)
            rows_src.append(idx[e[:, 0]])
            rows_dst.append(idx[e[:, 1]])
        start += n_coe
    assert start == n

    # Executive team: unit heads know each other.
    h = np.asarray(heads)
    a, b = np.triu_indices(len(h), 1)
    rows_src.append(h[a])
    rows_dst.append(h[b])

    # Weak ties across units.
    n_weak = int(round(levers["weak_tie_share"] * n))
    if n_weak and units > 1:
        s = rng.integers(0, n, size=n_weak)
        d = rng.integers(0, n, size=n_weak)
        keep = unit[s] != unit[d]
        rows_src.append(s[keep])
        rows_dst.append(d[keep])

    # Reporting ties.
    sub = np.flatnonzero(manager >= 0)
    rows_src.append(sub)
    rows_dst.append(manager[sub])

    src = np.concatenate(rows_src)
    dst = np.concatenate(rows_dst)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    adj = sp.coo_matrix((np.ones(len(src)), (src, dst)), shape=(n, n)).tocsr()
    adj = ((adj + adj.T) > 0).astype(np.float64).tocsr()

    # Influence weights: a manager's pull on a direct report weighs MANAGER_WEIGHT.
    boost = sp.coo_matrix(
        (np.full(len(sub), MANAGER_WEIGHT - 1.0), (sub, manager[sub])), shape=(n, n)
    ).tocsr()
    w = (adj + boost).tocsr()
    deg = np.asarray(w.sum(axis=1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    influence = (sp.diags(inv) @ w).tocsr()

    return Org(unit=unit, role=role, manager=manager, team=team, influence=influence,
               adjacency=adj)


def org_graph(adjacency: sp.csr_matrix, manager: np.ndarray) -> nx.Graph:
    """The org chart as a networkx graph, from the symmetric tie matrix and the manager column.

    Args:
        adjacency: Unweighted symmetric ties (:attr:`Org.adjacency`).
        manager: Row of each employee's manager, -1 for none (:attr:`Org.manager`).

    Returns:
        A graph with nodes ``0 .. n-1`` and every tie once; reporting ties carry
        ``kind="reports_to"``.
    """
    n = adjacency.shape[0]
    sub = np.flatnonzero(manager >= 0)
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    # Each tie once, in two bulk calls: the others with no attribute (row-major order), then
    # the reporting ties with kind="reports_to". A node's neighbours therefore list its other
    # ties in ascending order, then its reporting ties.
    coo = sp.triu(adjacency, 1).tocoo()
    row, col = coo.row.astype(np.int64), coo.col.astype(np.int64)
    boss = manager[sub]
    is_report = np.isin(row * n + col, np.minimum(sub, boss) * n + np.maximum(sub, boss),
                        assume_unique=True)
    peer = ~is_report
    graph.add_edges_from(zip(row[peer].tolist(), col[peer].tolist(), strict=True))
    graph.add_edges_from(zip(sub.tolist(), boss.tolist(), strict=True), kind="reports_to")
    return graph


_ORGS: OrderedDict[tuple, Org] = OrderedDict()


def _stream_key(rng: np.random.Generator) -> tuple | None:
    """What fixes a fresh stream's draws: its seed sequence (None if it has none)."""
    seq = getattr(rng.bit_generator, "seed_seq", None)
    if not isinstance(seq, np.random.SeedSequence):
        return None
    return (type(rng.bit_generator).__name__, repr(seq.entropy), tuple(seq.spawn_key),
            seq.pool_size)


def shared_org(levers: dict, rng: np.random.Generator) -> Org:
    """:func:`build_org` of the organisation levers, shared by runs that would build the same.

    Runs of one seed that differ only in policy levers (a scenario pair, a calibration's panel)
    build the same organisation from the same fresh ``org`` stream; the last
    :data:`ORG_CACHE_SIZE` are kept and handed out again. Their arrays are read-only, so no run
    can change what another reads; each run gets its own :class:`Org` (and so its own graph).
    ``rng`` must be fresh: it is drawn from only when the organisation is built.
    """
    org_levers = {k: levers[k] for k in ORG_LEVERS}
    stream = _stream_key(rng)
    if stream is None:
        return build_org(org_levers, rng)
    key = (stream, tuple((k, repr(v)) for k, v in org_levers.items()))
    org = _ORGS.get(key)
    if org is None:
        org = build_org(org_levers, rng)
        for a in (org.unit, org.role, org.manager, org.team):
            a.flags.writeable = False
        for m in (org.influence, org.adjacency):
            for a in (m.data, m.indices, m.indptr):
                a.flags.writeable = False
        _ORGS[key] = org
        while len(_ORGS) > ORG_CACHE_SIZE:
            _ORGS.popitem(last=False)
    else:
        _ORGS.move_to_end(key)
    return dataclasses.replace(org)
