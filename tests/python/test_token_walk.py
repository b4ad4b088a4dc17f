"""Token random walks (SA-SRRW) through the CLI, against independent references:
the graphs `exprun graph` exports against networkx (edge sets of the deterministic kinds,
degrees, connectivity, regularity) and the base chains' spectra against numpy's general
eigenvalue solver on P built here from networkx's adjacency (and, for the simple walk,
networkx's normalized Laplacian spectrum); the SA-SRRW recursion of a run against a numpy
re-implementation driven by the walk the run recorded (its `node` series)."""
import json

import h5py
import networkx as nx
import numpy as np
import pytest

from conftest import run_exprun

GRAPHS = """
name: graphs
run: {steps: 10}
graphs:
  ring: {kind: ring, nodes: 12}
  grid: {kind: grid, rows: 4, cols: 5}
  torus: {kind: grid, rows: 4, cols: 5, periodic: true}
  regular: {kind: random_regular, nodes: 30, degree: 4, seed: 3}
  er: {kind: erdos_renyi, nodes: 40, p: 0.15, seed: 2}
  karate: {kind: karate_club}
datasets:
  d: {kind: synthetic_regression, n: 200, dim: 3, seed: 1}
walks:
  w: {kind: mhrw, dataset: d}
sweep:
  graph: [ring, grid, torus, regular, er, karate]
"""


def relabelled_grid(rows, cols, periodic):
    g = nx.grid_2d_graph(rows, cols, periodic=periodic)
    return nx.relabel_nodes(g, {(r, c): r * cols + c for r, c in g.nodes})


def edge_set(g):
    return {tuple(sorted(e)) for e in g.edges}


def chain_matrix(g, kind):
    """P from networkx's adjacency: Metropolis-Hastings to uniform, or the simple random walk."""
    n = g.number_of_nodes()
    a = nx.to_numpy_array(g, nodelist=range(n))
    d = a.sum(axis=1)
    if kind == "srw":
        return a / d[:, None]
    p = a * np.minimum(1 / d[:, None], 1 / d[None, :])
    return p + np.diag(1 - p.sum(axis=1))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    config = tmp_path_factory.mktemp("graphs") / "g.yaml"
    config.write_text(GRAPHS)
    out = run_exprun("graph", config).stdout
    return {g["name"]: g for g in json.loads(out)["graphs"]}


def test_exported_graphs_match_networkx(exported):
    assert set(exported) == {"ring", "grid", "torus", "regular", "er", "karate"}
    expected_edges = {
        "ring": nx.cycle_graph(12),
        "grid": relabelled_grid(4, 5, False),
        "torus": relabelled_grid(4, 5, True),
        "karate": nx.karate_club_graph(),
    }
    for name, e in exported.items():
        g = nx.Graph()
        g.add_nodes_from(range(e["nodes"]))
        g.add_edges_from(map(tuple, e["edges"]))
        assert nx.number_of_selfloops(g) == 0 and g.number_of_edges() == len(e["edges"])   # simple
        assert e["degrees"] == [g.degree(i) for i in range(e["nodes"])]
        assert e["connected"] == nx.is_connected(g) is True
        if name in expected_edges:
            assert edge_set(g) == edge_set(expected_edges[name])
    regular = exported["regular"]
    assert regular["nodes"] == 30 and set(regular["degrees"]) == {4}
    assert len(exported["er"]["edges"]) > 0


@pytest.mark.parametrize("kind", ["mhrw", "srw"])
def test_base_chain_spectra_and_targets_match_numpy(exported, kind):
    for name, e in exported.items():
        g = nx.Graph()
        g.add_nodes_from(range(e["nodes"]))
        g.add_edges_from(map(tuple, e["edges"]))
        p = chain_matrix(g, kind)
        # The general (non-symmetric) eigensolver on P itself: independent of exprun's
        # symmetrisation D^1/2 P D^-1/2 and LAPACK dsyev.
        w = np.sort(np.linalg.eigvals(p).real)
        chain = e["chains"][kind]
        np.testing.assert_allclose(chain["eigenvalues"], w, atol=1e-9)
        assert chain["spectral_gap"] == pytest.approx(1 - w[-2], abs=1e-9)
        assert chain["absolute_spectral_gap"] == pytest.approx(1 - max(w[-2], abs(w[0])), abs=1e-9)
        if kind == "srw":
            # networkx: the normalized Laplacian I - D^-1/2 A D^-1/2 has eigenvalues 1 - eig(P_srw).
            lap = np.sort(nx.normalized_laplacian_spectrum(g))
            assert chain["spectral_gap"] == pytest.approx(lap[1], abs=1e-9)
        # The target is P's stationary law: mu P = mu.
        mu = np.array(chain["target"])
        np.testing.assert_allclose(mu @ p, mu, atol=1e-14)
        assert mu.sum() == pytest.approx(1)
    # Periodic chains: the SRW of a bipartite graph (even ring, grid) has eigenvalue -1.
    assert exported["ring"]["chains"]["srw"]["absolute_spectral_gap"] == pytest.approx(0, abs=1e-9)
    assert exported["karate"]["chains"]["mhrw"]["spectral_gap"] > 0


SA = """
name: sa
seeds: 2
run:
  steps: 400
  log: {every: 1}
  metrics: [node, theta_error, scaled_error, visit_tv, visit_error, lr, gamma, self_transitions]
graphs:
  grid: {kind: grid, rows: 3, cols: 3}
datasets:
  rows: {kind: csv, path: rows.csv, header: "no"}
walks:
  srrw: {kind: srrw, base: BASE, alpha: ALPHA, dataset: rows, gamma_exponent: 0.7, beta_exponent: 0.9, beta_scale: 0.3, l2: 0.1}
"""


@pytest.mark.parametrize("base,alpha", [("mhrw", 4.0), ("srw", 2.0), ("mhrw", 0.0)])
def test_sa_srrw_recursion_matches_numpy(tmp_path, base, alpha):
    rng = np.random.default_rng(0)
    n_nodes, per_node, d = 9, 3, 4
    a = rng.normal(size=(n_nodes * per_node, d))
    b = rng.normal(size=n_nodes * per_node)
    np.savetxt(tmp_path / "rows.csv", np.column_stack([a, b]), delimiter=",", fmt="%.17g")
    (tmp_path / "c.yaml").write_text(SA.replace("BASE", base).replace("ALPHA", str(alpha)))
    run_exprun(tmp_path / "c.yaml", "--out", tmp_path / "out", "--quiet")

    g = relabelled_grid(3, 3, False)
    p = chain_matrix(g, base)
    deg = np.array([g.degree(i) for i in range(n_nodes)], float)
    mu = np.full(n_nodes, 1 / n_nodes) if base == "mhrw" else deg / deg.sum()
    # Row r on node r mod N (strided); f_i = 1/2 ||A_i θ - b_i||² + (λ/2)||θ||², F their mean.
    owner = np.arange(len(b)) % n_nodes
    lam = 0.1
    theta_star = np.linalg.solve(a.T @ a + n_nodes * lam * np.eye(d), a.T @ b)

    with h5py.File(tmp_path / "out" / "results.h5", "r") as f:
        assert len(f["runs"]) == 2
        for run_id in f["runs"]:
            r = f["runs"][run_id]
            nodes = r["node"][()].astype(int)
            assert list(r["step"][()]) == list(range(401))
            x = np.full(n_nodes, 1 / n_nodes)
            theta = np.zeros(d)
            errors, stays = [np.sum(theta_star ** 2)], 0
            tvs, visit_errors = [0.5 * np.abs(x - mu).sum()], [np.sum((x - mu) ** 2)]
            for n in range(1, 401):
                i = nodes[n]
                assert p[nodes[n - 1], i] > 0            # every move is on the base chain's support
                stays += nodes[n - 1] == i
                gamma, beta = (n + 1) ** -0.7, 0.3 * (n + 1) ** -0.9
                x = x + gamma * (np.eye(n_nodes)[i] - x)
                ai, bi = a[owner == i], b[owner == i]
                grad = ai.T @ (ai @ theta - bi) + lam * theta
                theta = theta - beta * (1 / n_nodes) / mu[i] * grad
                errors.append(np.sum((theta - theta_star) ** 2))
                tvs.append(0.5 * np.abs(x - mu).sum())
                visit_errors.append(np.sum((x - mu) ** 2))
            np.testing.assert_allclose(r["theta_error"][()], errors, rtol=1e-9)
            np.testing.assert_allclose(r["visit_tv"][()], tvs, rtol=1e-9, atol=1e-15)
            np.testing.assert_allclose(r["visit_error"][()], visit_errors, rtol=1e-9, atol=1e-15)
            steps = np.arange(1, 401)
            np.testing.assert_allclose(r["lr"][()][1:], 0.3 * (steps + 1.0) ** -0.9, rtol=1e-14)
            np.testing.assert_allclose(r["scaled_error"][()][1:], np.array(errors[1:]) / (0.3 * (steps + 1.0) ** -0.9),
                                       rtol=1e-9)
            assert r["self_transitions"][()][-1] == stays
            if base == "srw":
                assert stays == 0                        # the simple walk never holds
            assert r.attrs["f_star"] == pytest.approx(
                np.mean([0.5 * np.sum((a[owner == i] @ theta_star - b[owner == i]) ** 2) for i in range(n_nodes)])
                + 0.5 * lam * theta_star @ theta_star, rel=1e-12)


def test_disconnected_erdos_renyi_is_a_located_error(tmp_path):
    text = GRAPHS.replace("er: {kind: erdos_renyi, nodes: 40, p: 0.15, seed: 2}",
                          "er: {kind: erdos_renyi, nodes: 40, p: 0.01, attempts: 3}")
    (tmp_path / "c.yaml").write_text(text)
    proc = run_exprun(tmp_path / "c.yaml", "--out", tmp_path / "out", check=False)
    assert proc.returncode == 2
    assert "c.yaml:9:41:" in proc.stderr and "disconnected in all 3 samples" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_srrw_config_graph_is_the_karate_club(root):
    out = json.loads(run_exprun("graph", root / "configs" / "srrw.yaml").stdout)["graphs"]
    assert [g["name"] for g in out] == ["karate"] and out[0]["nodes"] == 34
    assert edge_set(nx.Graph([tuple(e) for e in out[0]["edges"]])) == edge_set(nx.karate_club_graph())
