"""Newman–Ziff lattice percolation: kernel correctness and thresholds against the literature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from alloyscreen.errors import InputError
from alloyscreen.percolation import (
    REFERENCE_THRESHOLDS,
    lattice_threshold,
    percolation_curves,
    sample_events,
)
from alloyscreen.percolation._rng import sample_seeds

MASK = (1 << 64) - 1


def _splitmix_order(seed: int, n_total: int, steps: int) -> list[int]:
    """Pure-Python replica of the kernel's partial Fisher–Yates with SplitMix64."""
    state = int(seed)
    order = list(range(n_total))
    for n in range(steps):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        r = n + int((z >> 11) * (1.0 / 9007199254740992.0) * (n_total - n))
        order[n], order[r] = order[r], order[n]
    return order[:steps]


def _wraps(occ: np.ndarray, axis: int) -> bool:
    """A cluster wraps along ``axis`` iff, in the periodic doubled box, a site and its image one
    period away share a cluster (brute force with scipy.ndimage)."""
    big = np.concatenate([occ, occ], axis=axis)
    lab, n = ndimage.label(big)
    # periodic merge of the doubled box along all axes by a label union-find
    parent = np.arange(n + 1)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for ax in range(3):
        a = np.take(lab, 0, axis=ax)
        b = np.take(lab, -1, axis=ax)
        m = (a > 0) & (b > 0)
        for x, y in zip(a[m], b[m], strict=True):
            parent[find(x)] = find(y)
    L = occ.shape[axis]
    first = np.take(lab, range(L), axis=axis)
    second = np.take(lab, range(L, 2 * L), axis=axis)
    m = first > 0
    roots1 = np.array([find(x) for x in first[m]])
    roots2 = np.array([find(x) for x in second[m]])
    return bool(np.any(roots1 == roots2))


def _spans(occ: np.ndarray) -> bool:
    lab, n = ndimage.label(occ)
    parent = np.arange(n + 1)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for ax in (0, 1):
        a = np.take(lab, 0, axis=ax)
        b = np.take(lab, -1, axis=ax)
        m = (a > 0) & (b > 0)
        for x, y in zip(a[m], b[m], strict=True):
            parent[find(x)] = find(y)
    bottom = {find(x) for x in lab[:, :, 0].ravel() if x}
    top = {find(x) for x in lab[:, :, -1].ravel() if x}
    return bool(bottom & top)


def test_events_match_brute_force_relabelling():
    """The union-find events equal what scipy.ndimage finds on the same occupation sequence."""
    L = 6
    seeds = sample_seeds(5, 6, 0, 0, L)  # the seeds sample_events uses for sc site, seed 5
    ev = sample_events("sc", "site", L, 6, seed=5)
    for s in range(6):
        order = _splitmix_order(int(seeds[s]), L**3, L**3)
        for col, check in ((0, _spans), (1, lambda o: _wraps(o, 0)), (3, lambda o: _wraps(o, 2))):
            n = int(ev[s, col])
            occ = np.zeros(L**3, bool)
            occ[order[:n]] = True
            assert check(occ.reshape(L, L, L)), (s, col, n)
            occ[order[n - 1]] = False
            assert not check(occ.reshape(L, L, L)), (s, col, n)


def test_events_are_deterministic_and_thread_independent():
    a = sample_events("fcc", "bond", 6, 20, seed=3, threads=1)
    b = sample_events("fcc", "bond", 6, 20, seed=3, threads=2)
    assert np.array_equal(a, b)
    assert np.all(a[:, :4] > 0)


def test_curves_are_probabilities_in_the_right_order():
    p = np.linspace(0.2, 0.45, 26)
    c = percolation_curves("sc", "site", 10, 300, p, seed=1)
    for r in (c.span, c.wrap_x, c.wrap_any, c.wrap_all):
        assert np.all((r >= 0) & (r <= 1))
        assert np.all(np.diff(r) >= -1e-12)
    assert np.all(c.wrap_all <= c.wrap_x + 1e-12)
    assert np.all(c.wrap_x <= c.wrap_any + 1e-12)
    assert c.wrap_any[0] < 0.01
    assert c.wrap_all[-1] > 0.99


def test_sc_site_threshold_quick():
    """Small sizes: within 1.5e-3 of 0.3116077 (Wang et al. 2013, doi:10.1103/PhysRevE.87.052107)."""
    r = lattice_threshold("sc", "site", (10, 14, 20), 1500, seed=4)
    assert abs(r.p_c - 0.3116077) < 1.5e-3
    assert abs(r.p_c - 0.3116077) < 3 * r.p_c_err + 2e-4


@pytest.mark.slow
def test_sc_site_threshold_matches_wang_2013():
    """p_c(sc site) = 0.3116077(2), Wang et al., PRE 87, 052107 (2013),
    doi:10.1103/PhysRevE.87.052107: within 5e-4 and inside the 2-sigma error bar."""
    r = lattice_threshold("sc", "site", (16, 24, 32, 48), (4000, 4000, 3000, 1500), seed=0)
    ref = 0.3116077
    assert abs(r.p_c - ref) < 5e-4
    assert abs(r.p_c - ref) < 2 * r.p_c_err
    assert r.p_c_err < 5e-4
    assert 0.2 < r.r_star < 0.32  # wrapping probability along one axis at p_c


# Literature values (see lattice.REFERENCE_THRESHOLDS for the full citations):
# sc bond 0.24881182 (Wang et al. 2013, doi:10.1103/PhysRevE.87.052107); bcc site 0.2459615,
# fcc site 0.1992365 (Lorenz & Ziff, J. Phys. A 31, 8147 (1998), doi:10.1088/0305-4470/31/40/009);
# bcc bond 0.1802875, fcc bond 0.1201635 (Lorenz & Ziff, PRE 57, 230 (1998),
# doi:10.1103/PhysRevE.57.230).
@pytest.mark.parametrize(
    ("lattice", "kind", "sizes", "samples"),
    [
        ("sc", "bond", (12, 16, 24), 1500),
        ("bcc", "site", (12, 16, 24), 1500),
        ("bcc", "bond", (8, 12, 16), 1500),
        ("fcc", "site", (10, 14, 20), 1000),
        ("fcc", "bond", (8, 12, 16), 1500),
    ],
)
def test_other_lattices_match_literature(lattice, kind, sizes, samples):
    ref = REFERENCE_THRESHOLDS[(lattice, kind)][0]
    r = lattice_threshold(lattice, kind, sizes, samples, seed=2)
    assert abs(r.p_c - ref) < 2e-3, (r.p_c, r.p_c_err)
    assert abs(r.p_c - ref) < 3 * r.p_c_err + 2e-4


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lattice", "kind", "sizes"),
    [
        ("sc", "bond", (16, 24, 32)),
        ("bcc", "site", (16, 24, 32)),
        ("bcc", "bond", (16, 24, 32)),
        ("fcc", "site", (16, 24, 32)),
        ("fcc", "bond", (12, 16, 24)),
    ],
)
def test_other_lattices_precise(lattice, kind, sizes):
    """Larger sizes: error bars of 2-5e-4; within 1.5e-3 and 3 sigma of the literature."""
    ref = REFERENCE_THRESHOLDS[(lattice, kind)][0]
    r = lattice_threshold(lattice, kind, sizes, 2000, seed=0)
    assert r.p_c_err < 6e-4
    assert abs(r.p_c - ref) < 1.5e-3, (r.p_c, r.p_c_err)
    assert abs(r.p_c - ref) < 3 * r.p_c_err + 1e-4


def test_threshold_ordering_by_coordination():
    """Site thresholds fall with coordination number: sc (6) > bcc (8) > fcc (12); bond < site."""
    ref = REFERENCE_THRESHOLDS
    assert ref[("sc", "site")][0] > ref[("bcc", "site")][0] > ref[("fcc", "site")][0]
    for lat in ("sc", "bcc", "fcc"):
        assert ref[(lat, "bond")][0] < ref[(lat, "site")][0]


def test_bad_input():
    with pytest.raises(InputError):
        lattice_threshold("hcp", "site", (8, 12), 10)
    with pytest.raises(InputError):
        lattice_threshold("sc", "site", (8,), 10)
    with pytest.raises(InputError):
        sample_events("sc", "site", 2, 10)
    with pytest.raises(InputError):
        lattice_threshold("sc", "site", (8, 12), 10, event="percolates")
