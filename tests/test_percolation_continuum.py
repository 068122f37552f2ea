"""Continuum percolation of spheres and spheroids: overlap test, thresholds, distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alloyscreen.errors import InputError
from alloyscreen.percolation import (
    GARBOCZI_1995,
    PHI_C_SPHERES,
    critical_volume_fraction,
    lookup_critical_volume_fraction,
)
from alloyscreen.percolation._continuum_kernels import _overlap, pw_contact
from alloyscreen.percolation.continuum import spheroid_axes

X = np.array([1.0, 0.0, 0.0])
Y = np.array([0.0, 1.0, 0.0])
Z = np.array([0.0, 0.0, 1.0])


def _touch_distance(direction, u1, u2, a, b):
    """Centre distance at which the Perram–Wertheim function reaches 1 (bisection)."""
    lo, hi = 0.0, 2 * max(a, b) + 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        r = mid * direction
        if pw_contact(r[0], r[1], r[2], u1, a, b, u2, a, b) < 1.0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def test_perram_wertheim_analytic_contacts():
    a, b = 3.0, 0.5
    # spheres: contact at r1 + r2
    assert pw_contact(1.7, 0.0, 0.0, X, 1.0, 1.0, Y, 0.7, 0.7) == pytest.approx(1.0)
    # coaxial prolate spheroids along the axis: tip to tip at 2a
    assert _touch_distance(X, X, X, a, b) == pytest.approx(2 * a, rel=1e-6)
    # parallel, side by side: 2b
    assert _touch_distance(Y, X, X, a, b) == pytest.approx(2 * b, rel=1e-6)
    # crossed (u1 = x, u2 = y) along z: b + b; along x: a + b (T configuration)
    assert _touch_distance(Z, X, Y, a, b) == pytest.approx(2 * b, rel=1e-6)
    assert _touch_distance(X, X, Y, a, b) == pytest.approx(a + b, rel=1e-6)
    # oblate discs face to face: 2a (a is the short semi-axis along the symmetry axis)
    assert _touch_distance(Z, Z, Z, 0.2, 2.0) == pytest.approx(0.4, rel=1e-6)


def test_overlap_agrees_with_point_sampling():
    """Random spheroid pairs: the contact-function verdict equals a Monte Carlo search for a
    common point (pairs with 0.97 < F < 1.03 are skipped as too close to call)."""
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(60):
        ar = rng.choice([10.0, 0.1, 3.0])
        a, b = spheroid_axes(ar)
        u1, u2 = (v / np.linalg.norm(v) for v in rng.normal(size=(2, 3)))
        r = rng.normal(size=3)
        r *= rng.uniform(0, 2 * max(a, b)) / np.linalg.norm(r)
        F = pw_contact(r[0], r[1], r[2], u1, a, b, u2, a, b)
        if 0.97 < F < 1.03:
            continue
        # points uniformly inside spheroid 1
        z = rng.normal(size=(100_000, 3))
        z *= (rng.uniform(size=(100_000, 1)) ** (1 / 3)) / np.linalg.norm(z, axis=1, keepdims=True)
        e2 = np.cross(u1, [1.0, 0, 0] if abs(u1[0]) < 0.9 else [0, 1.0, 0])
        e2 /= np.linalg.norm(e2)
        e3 = np.cross(u1, e2)
        pts = a * z[:, :1] * u1 + b * z[:, 1:2] * e2 + b * z[:, 2:3] * e3
        d = pts - r
        s = d @ u2
        inside2 = s**2 / a**2 + ((d * d).sum(1) - s**2) / b**2 <= 1
        assert bool(inside2.any()) == (F < 1.0)
        assert _overlap(r[0], r[1], r[2], u1, a, b, u2, a, b) == (F < 1.0)
        checked += 1
    assert checked > 40


def test_overlapping_spheres_threshold():
    """phi_c = 0.2896 within 0.005 (Rintoul & Torquato 1997, doi:10.1088/0305-4470/30/16/005:
    0.2895(5); Lorenz & Ziff 2001, doi:10.1063/1.1338506: 0.289573)."""
    r = critical_volume_fraction("sphere", preset="standard", seed=0)
    assert abs(r.phi_c - PHI_C_SPHERES) < 0.005
    assert abs(r.phi_c - PHI_C_SPHERES) < 3 * r.phi_c_err + 1e-3
    assert r.eta_c == pytest.approx(-math.log(1 - r.phi_c))
    assert 0.2 < r.r_star < 0.32  # same universal wrapping probability as on lattices


@pytest.fixture(scope="module")
def spheroids():
    return {
        ar: critical_volume_fraction("spheroid", ar, preset="fast", seed=1) for ar in (10.0, 0.1)
    }


def test_spheroids_follow_the_garboczi_trend(spheroids):
    """Garboczi et al., PRE 52, 819 (1995), doi:10.1103/PhysRevE.52.819: AR = 10 and AR = 1/10
    percolate far below spheres, oblate 1/10 above prolate 10."""
    pro, obl = spheroids[10.0].phi_c, spheroids[0.1].phi_c
    assert pro < 0.5 * PHI_C_SPHERES
    assert obl < 0.5 * PHI_C_SPHERES
    assert obl > pro


def test_spheroids_against_garboczi_loose(spheroids):
    """Within 25 % of Garboczi's Table 1 and below it. Our finite-size-scaled values are lower
    (0.067 vs 0.08703, 0.087 vs 0.1058); they agree with an independent brute-force cluster
    check (test below) and keep the total excluded volume at threshold below the sphere value;
    see docs/percolation.md."""
    for ar in (10.0, 0.1):
        ref = GARBOCZI_1995[ar]
        assert 0.75 * ref < spheroids[ar].phi_c < ref


#: Independent reference thresholds of overlapping, randomly oriented spheroids (DESIGN.md §7):
#: a periodic-wrapping simulation with the exact Perram-Wertheim overlap, checked against the
#: exact excluded volumes (26.38 V for a/b = 10, 8 V for spheres), finite-size extrapolated
#: (spheres 0.2889 vs 0.2896): a/b = 10 -> 0.0675(5), a/b = 1/10 -> 0.0865(7). Garboczi et al.
#: 1995 Table 1 (0.08703, 0.1058) could not be reproduced by it.
INDEPENDENT_SPHEROIDS = {10.0: (0.0675, 0.0005), 0.1: (0.0865, 0.0007)}


def test_spheroids_against_independent_reference_within_three_percent(spheroids):
    """The engine's finite-size-scaled thresholds agree with the independent values of
    DESIGN.md §7 within 3 % (the issue-15 acceptance)."""
    for ar, (ref, _err) in INDEPENDENT_SPHEROIDS.items():
        assert abs(spheroids[ar].phi_c / ref - 1) < 0.03, (ar, spheroids[ar].phi_c, ref)


def test_kernel_spanning_agrees_with_brute_force_graph():
    """Spanning probability at a fixed number of AR = 10 spheroids: the cell-list/union-find
    kernel equals an all-pairs graph built independently."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from alloyscreen.percolation import _continuum_kernels as K
    from alloyscreen.percolation._rng import sample_seeds

    a, b = spheroid_axes(10.0)
    box, n, S = 20.0, 150, 160
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(S):
        pos = rng.uniform(0, box, (n, 3))
        u = rng.normal(size=(n, 3))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        rows, cols = [], []
        for i in range(n):
            d = pos[i + 1 :] - pos[i]
            d -= box * np.round(d / box)
            near = np.nonzero((d * d).sum(1) < (2 * a) ** 2)[0]
            for k in near:
                j = i + 1 + k
                if not 0 <= pos[i, 2] + d[k, 2] < box:
                    continue  # pair across the opened z boundary
                if _overlap(d[k, 0], d[k, 1], d[k, 2], u[i], a, b, u[j], a, b):
                    rows.append(i)
                    cols.append(j)
        hz = np.sqrt(b * b + (a * a - b * b) * u[:, 2] ** 2)
        for i in np.nonzero(pos[:, 2] - hz < 0)[0]:
            rows.append(i)
            cols.append(n)
        for i in np.nonzero(pos[:, 2] + hz > box)[0]:
            rows.append(i)
            cols.append(n + 1)
        g = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 2, n + 2))
        lab = connected_components(g, directed=False)[1]
        hits += lab[n] == lab[n + 1]
    p_brute = hits / S
    ev, _ = K.run_samples(
        box=box, a0=a, b0=b, sigma_ln=0.0, overlapping=True, exclusion=0.0, connection=0.0,
        n_seeds=0, seed_exclusion=0.0, boundary_halfwidth=0.0, max_particles=4000,
        max_fail=100, track_span=True, n_test=0, seeds=sample_seeds(9, 1500), threads=None,
    )  # fmt: skip
    p_kernel = float(np.mean(ev[:, 0] <= n))
    sd = math.sqrt(p_brute * (1 - p_brute) / S + p_kernel * (1 - p_kernel) / 1500)
    assert abs(p_brute - p_kernel) < 4 * sd + 0.01


def test_covered_fraction_of_overlapping_particles_is_boolean_model():
    """Test points: the covered fraction after n overlapping spheroids is 1 - (1 - v/V)^n."""
    from alloyscreen.percolation import _continuum_kernels as K
    from alloyscreen.percolation._rng import sample_seeds

    a, b = spheroid_axes(4.0)
    box = 16.0
    ev, cov = K.run_samples(
        box=box, a0=a, b0=b, sigma_ln=0.0, overlapping=True, exclusion=0.0, connection=0.0,
        n_seeds=0, seed_exclusion=0.0, boundary_halfwidth=0.0, max_particles=5000,
        max_fail=100, track_span=False, n_test=2000, seeds=sample_seeds(4, 40), threads=None,
    )  # fmt: skip
    n = int(ev[:, 4].min())
    phi = float((cov < n).mean())
    expected = 1 - (1 - 4 / 3 * math.pi / box**3) ** n
    assert phi == pytest.approx(expected, abs=0.01)


def test_enveloped_raises_vp_above_random():
    """Insulating shells (thickness s) around hard-core metal raise V_p at the same tunnelling
    distance d; s >= d never percolates."""
    rnd = critical_volume_fraction(tunnelling_distance=1.0, preset="fast", seed=3)
    env = critical_volume_fraction(
        distribution="enveloped",
        shell_thickness=0.4,
        tunnelling_distance=1.0,
        preset="fast",
        seed=3,
    )
    assert rnd.percolates
    assert env.percolates
    assert env.phi_c - rnd.phi_c > 3 * math.hypot(env.phi_c_err, rnd.phi_c_err)
    never = critical_volume_fraction(
        distribution="enveloped", shell_thickness=1.0, tunnelling_distance=0.5
    )
    assert not never.percolates
    assert math.isnan(never.phi_c)


def test_segregated_lowers_vp_and_scales_with_size_ratio():
    """Metal confined to grain boundaries percolates at a lower total metal fraction, the lower
    the smaller the metal relative to the grains."""
    small = critical_volume_fraction(
        distribution="segregated", size_ratio=0.15, boxes=(28.0, 34.0), samples=150, seed=1
    )
    large = critical_volume_fraction(
        distribution="segregated", size_ratio=0.4, boxes=(12.0, 16.0), samples=150, seed=1
    )
    assert small.phi_c < large.phi_c < PHI_C_SPHERES


def test_tunnelling_lowers_hard_core_vp():
    near = critical_volume_fraction(tunnelling_distance=0.5, preset="fast", seed=5)
    far = critical_volume_fraction(tunnelling_distance=2.0, preset="fast", seed=5)
    assert far.phi_c < near.phi_c


def test_lookup_table_and_interpolation():
    exact = lookup_critical_volume_fraction("spheroid", 10.0)
    assert exact.source == "table"
    assert exact.percolates
    mid = lookup_critical_volume_fraction("spheroid", 7.0)
    assert mid.source == "interpolated"
    assert mid.interpolated_in == "aspect_ratio"
    lo = lookup_critical_volume_fraction("spheroid", 5.0).phi_c
    assert exact.phi_c < mid.phi_c < lo
    sph = lookup_critical_volume_fraction()
    assert abs(sph.phi_c - PHI_C_SPHERES) < 0.005
    with pytest.raises(InputError):
        lookup_critical_volume_fraction("spheroid", 200.0, compute_missing=False)
    env = lookup_critical_volume_fraction(
        distribution="enveloped", shell_thickness=0.3, tunnelling_distance=0.2
    )
    assert not env.percolates


def test_bad_input():
    with pytest.raises(InputError):
        critical_volume_fraction("cube")
    with pytest.raises(InputError):
        critical_volume_fraction("sphere", 2.0)
    with pytest.raises(InputError):
        critical_volume_fraction(distribution="enveloped", shell_thickness=0.2, overlapping=True)
    with pytest.raises(InputError):
        critical_volume_fraction(distribution="segregated", size_ratio=1.0)
    with pytest.raises(InputError):
        critical_volume_fraction(boxes=(3.0, 4.0))
    with pytest.raises(InputError):
        critical_volume_fraction(polydispersity=1.5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kwargs",
    [
        {"shape": "sphere"},
        {"shape": "spheroid", "aspect_ratio": 2.0},
        {"shape": "sphere", "tunnelling_distance": 1.0},
    ],
)
def test_shipped_table_rows_are_reproducible(kwargs):
    """Rows of data/vp_table.csv are recomputed exactly with the stored preset and seed."""
    import csv

    from alloyscreen.percolation.table import TABLE_PATH

    r = critical_volume_fraction(preset="standard", seed=0, **kwargs)
    rows = list(csv.DictReader(TABLE_PATH.open()))
    match = [
        row
        for row in rows
        if row["shape"] == r.shape
        and float(row["aspect_ratio"]) == r.aspect_ratio
        and row["distribution"] == r.distribution
        and float(row["tunnelling_distance"]) == r.tunnelling_distance
        and row["overlapping"] == str(r.overlapping)
        and float(row["polydispersity"]) == 0.0
    ]
    assert len(match) == 1
    assert f"{r.phi_c:.5f}" == match[0]["phi_c"]
    assert f"{r.phi_c_err:.5f}" == match[0]["phi_c_err"]
