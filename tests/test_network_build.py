"""Building the org: the vectorised small world, the graph's tie kinds and the Mesa space."""

from __future__ import annotations

import math
import random

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from mesa.discrete_space import Network

from aiscale_sim.levers import validate_levers
from aiscale_sim.network import REWIRE_P, OrgNetwork, build_org, small_world_edges


def merged_graph(m: int, edges: np.ndarray) -> nx.Graph:
    """The simple graph the edges make once duplicates merge (as build_org does)."""
    g = nx.Graph()
    g.add_nodes_from(range(m))
    g.add_edges_from(edges.tolist())
    return g


def lattice(m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ring lattice in the row order small_world_edges documents."""
    u = np.concatenate([np.arange(m)] * (k // 2))
    v = np.concatenate([(np.arange(m) + j) % m for j in range(1, k // 2 + 1)])
    if k % 2 and m > k + 1:
        a = np.arange(0, m, 2)
        u = np.concatenate([u, a])
        v = np.concatenate([v, (a + k // 2 + 1) % m])
    return u, v


# --- the small-world generator --------------------------------------------------------------


@pytest.mark.parametrize(("m", "k"), [(2000, 4), (2000, 6), (2000, 5), (2001, 7), (3, 2)])
def test_small_world_mean_degree_is_k(m, k):
    e = small_world_edges(m, k, np.random.default_rng(1))
    g = merged_graph(m, e)
    mean_degree = 2 * g.number_of_edges() / m
    assert mean_degree == pytest.approx(k, abs=0.05)


@pytest.mark.parametrize(("m", "k"), [(3, 2), (4, 3), (5, 4), (10, 9), (12, 5), (300, 6)])
def test_small_world_has_no_self_loops_and_stays_in_range(m, k):
    for seed in range(20):
        e = small_world_edges(m, k, np.random.default_rng(seed))
        assert e.dtype == np.int64 and e.shape[1] == 2
        assert (e[:, 0] != e[:, 1]).all()
        assert e.min() >= 0 and e.max() < m


def test_small_world_rejects_impossible_degrees():
    with pytest.raises(ValueError, match="2 <= k < m"):
        small_world_edges(5, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="2 <= k < m"):
        small_world_edges(5, 1, np.random.default_rng(0))


def test_small_world_is_clustered_with_short_paths():
    m, k = 1000, 6
    g = merged_graph(m, small_world_edges(m, k, np.random.default_rng(3)))
    assert nx.is_connected(g)
    # Clustering: a ring lattice with k = 6 has 0.6, rewiring 10% keeps most of it
    # (about 0.6 * 0.9**3); a random graph of equal density has about k / m.
    clustering = nx.average_clustering(g)
    assert 0.3 < clustering < 0.6
    assert clustering > 20 * k / (m - 1)
    # Paths: the ring lattice needs about m / (2k) = 83 steps on average; a few shortcuts bring
    # that to within a small multiple of a random graph's ln(m) / ln(k) = 3.9.
    sources = np.random.default_rng(0).choice(m, size=40, replace=False)
    lengths = [d for s in sources.tolist()
               for d in nx.single_source_shortest_path_length(g, s).values() if d]
    assert np.mean(lengths) < 2 * math.log(m) / math.log(k)


def test_small_world_is_deterministic_for_a_seed():
    a = small_world_edges(500, 6, np.random.default_rng(42))
    b = small_world_edges(500, 6, np.random.default_rng(42))
    c = small_world_edges(500, 6, np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("k", [5, 6])
def test_small_world_rewires_share_rewire_p_to_uniform_ends(k):
    m = 50_000
    e = small_world_edges(m, k, np.random.default_rng(7))
    u, v = lattice(m, k)
    # Every lattice tie is there, kept by its first node.
    np.testing.assert_array_equal(e[:, 0], u)
    rewired = e[:, 1] != v
    # A rewired tie lands back on its old end with probability 1 / (m - 1): negligible here.
    assert rewired.mean() == pytest.approx(REWIRE_P, abs=0.005)
    # New ends are uniform over the ring, so their mean ring distance is about m / 4,
    # far from the lattice's k // 2.
    d = (e[rewired, 1] - e[rewired, 0]) % m
    ring_distance = np.minimum(d, m - d)
    assert ring_distance.mean() == pytest.approx(m / 4, rel=0.05)


# --- the org graph --------------------------------------------------------------------------


@pytest.mark.parametrize("centralisation", [0.0, 0.5, 1.0])
def test_org_graph_marks_exactly_the_reporting_ties(centralisation):
    levers = validate_levers({"employees": 600, "business_units": 4, "tie_density": 5,
                              "ai_staff_per_1000": 25.0, "centralisation": centralisation})
    org = build_org(levers, np.random.default_rng(5))
    g = org.graph
    n = levers["employees"]
    assert list(g.nodes) == list(range(n))
    # The graph holds exactly the ties of the adjacency matrix.
    upper = np.triu(org.adjacency.toarray(), 1)
    ties = {frozenset(p) for p in zip(*np.nonzero(upper), strict=True)}
    assert {frozenset(e) for e in g.edges} == ties
    assert nx.number_of_selfloops(g) == 0
    # kind="reports_to" on every tie between an employee and their manager, nothing elsewhere.
    sub = np.flatnonzero(org.manager >= 0)
    reporting = {frozenset((int(i), int(org.manager[i]))) for i in sub}
    assert len(reporting) == len(sub) > 0
    marked = {frozenset((a, b)) for a, b, kind in g.edges(data="kind") if kind is not None}
    assert marked == reporting
    for a, b, data in g.edges(data=True):
        assert data == ({"kind": "reports_to"} if frozenset((a, b)) in reporting else {})


# --- the Mesa space -------------------------------------------------------------------------


def connections(space) -> list[tuple[object, list[object], list[object]]]:
    """Per cell, in cell order: its coordinate, its connection keys, its neighbours' coords."""
    return [(coord, list(cell.connections), [c.coordinate for c in cell.connections.values()])
            for coord, cell in space._cells.items()]


def org_graph() -> nx.Graph:
    levers = validate_levers({"employees": 2000, "centralisation": 0.5})
    return build_org(levers, np.random.default_rng(11)).graph


@pytest.mark.parametrize("graph", [
    pytest.param(org_graph, id="org"),
    # Isolated nodes, unsorted neighbour order and non-integer node ids.
    pytest.param(lambda: nx.relabel_nodes(nx.gnm_random_graph(80, 60, seed=2),
                                          lambda i: f"p{(i * 37) % 80}"), id="generic"),
])
def test_org_network_connects_cells_like_mesa(graph):
    g = graph()
    mesa_space = Network(g, capacity=1, random=random.Random(0), layout=None)
    ours = OrgNetwork(g, capacity=1, random=random.Random(0), layout=None)
    assert connections(ours) == connections(mesa_space)
    assert sum(len(c.connections) for c in ours._cells.values()) == 2 * g.number_of_edges()
    # Connections point at this space's own cells, and neighbourhoods follow them.
    for coord, cell in ours._cells.items():
        assert all(other is ours[key] for key, other in cell.connections.items())
        assert [c.coordinate for c in cell.neighborhood] == list(g.adj[coord])
    assert ours.capacity == 1 and ours[next(iter(g.nodes))].capacity == 1


def test_runs_of_one_seed_share_their_organisation_and_their_numbers():
    """A scenario pair of one seed builds the organisation once; it reads the same either way."""
    from aiscale_sim import network
    from aiscale_sim.simulate import simulate

    levers = {"employees": 400, "business_units": 3}
    network._ORGS.clear()
    first = simulate(levers, seed=9, steps=40)
    shared = simulate({**levers, "training_hours": 0.0}, seed=9, steps=40)
    assert shared.model.org.influence is first.model.org.influence  # built once
    assert shared.model.org is not first.model.org  # each run its own Org (and graph)
    assert not first.model.emp["unit"].flags.writeable  # no run can change another's
    network._ORGS.clear()
    alone = simulate({**levers, "training_hours": 0.0}, seed=9, steps=40)
    assert alone.model.org.influence is not first.model.org.influence
    pd.testing.assert_frame_equal(shared.timeseries, alone.timeseries)
    other = simulate(levers, seed=10, steps=40)
    assert other.model.org.influence is not alone.model.org.influence  # another seed
    bigger = simulate({**levers, "employees": 401}, seed=9, steps=2)
    assert bigger.model.org.influence.shape == (401, 401)
