"""Network (percolation) barrier, periodic-graph dimensionality and the D(T) estimate."""

from __future__ import annotations

import numpy as np
import pytest
from ase.units import kB

from alloyscreen.errors import InputError
from alloyscreen.properties.migration import (
    diffusion_coefficient,
    network_barrier,
    periodic_dimensionality,
)

X, Y, Z = (1, 0, 0), (0, 1, 0), (0, 0, 1)


@pytest.mark.parametrize(
    ("edges", "dim"),
    [
        ([(0, 0, X)], 1),  # chain
        ([(0, 0, X), (0, 0, Y)], 2),  # square net
        ([(0, 0, X), (0, 0, Y), (0, 0, Z)], 3),  # simple cubic
        ([(0, 0, (1, 1, 0)), (0, 0, (2, 2, 0))], 1),  # parallel translations: still 1D
        ([(0, 1, (0, 0, 0))], 0),  # a dimer: finite
        ([(0, 1, (0, 0, 0)), (1, 0, X)], 1),  # zig-zag chain through two sites
        ([(0, 1, (0, 0, 0)), (0, 1, (-1, 0, 0)), (0, 1, Y), (0, 1, Z)], 3),  # two-site 3D
    ],
)
def test_periodic_dimensionality(edges, dim):
    comps = periodic_dimensionality(2, edges)
    assert max(d for d, _ in comps) == dim


def test_separate_components_are_reported_separately():
    comps = periodic_dimensionality(3, [(0, 0, X), (1, 2, (0, 0, 0))])
    assert sorted((d, sorted(n)) for d, n in comps) == [(0, [1, 2]), (1, [0])]


def _toy_network():
    # one site per cell; hop 0 along x, hop 1 along y, hop 2 along z
    return {
        "n_sites": 1,
        "site_orbit": [0],
        "edges": [[0, 0, list(X), 0], [0, 0, list(Y), 1], [0, 0, list(Z), 2]],
    }


def test_network_barrier_is_the_lowest_percolating_level():
    saddles = {0: 0.1, 1: 0.3, 2: 0.5}
    nb = network_barrier(_toy_network(), saddles, {0: 0.0}, {0: 2.0, 1: 2.0, 2: 2.0})
    assert nb.barrier_eV == pytest.approx(0.1)
    assert nb.dimensionality == 1
    assert (nb.barrier_1d_eV, nb.barrier_2d_eV, nb.barrier_3d_eV) == pytest.approx((0.1, 0.3, 0.5))
    assert nb.hop_ids == (0,)
    assert nb.coordination == pytest.approx(2.0)  # a chain: two neighbours
    assert nb.jump_length_A == pytest.approx(2.0)


def test_missing_hops_do_not_percolate():
    nb = network_barrier(_toy_network(), {}, {0: 0.0})
    assert nb.barrier_eV is None
    assert nb.dimensionality == 0


def test_network_barrier_counts_from_the_lowest_site():
    # sites 0 (low) and 1 (0.2 eV higher) alternate along x; the saddle is 0.3 eV above site 0.
    # Forward barrier 0.3 eV, reverse 0.1 eV: long-range transport needs 0.3 eV, not 0.1.
    net = {
        "n_sites": 2,
        "site_orbit": [0, 1],
        "edges": [[0, 1, [0, 0, 0], 0], [1, 0, list(X), 0]],
    }
    nb = network_barrier(net, {0: -9.7}, {0: -10.0, 1: -9.8})
    assert nb.barrier_eV == pytest.approx(0.3)
    assert nb.dimensionality == 1


def test_bcc_diffusion_estimate_by_hand():
    # D = (1/6) z a^2 nu0 exp(-E/kT) with z = 8, a = 3 Å, nu0 = 1e13 Hz, E = 0.1 eV
    T, E = 298.15, 0.1
    expected = (1 / 6) * 8 * (3e-8) ** 2 * 1e13 * np.exp(-E / (kB * T))
    got = diffusion_coefficient(T, E, dimensionality=3, coordination=8, jump_length_A=3.0)
    assert got == pytest.approx(expected, rel=1e-12)
    half = diffusion_coefficient(
        T, E, dimensionality=3, coordination=8, jump_length_A=3.0, vacancy_fraction=0.5
    )
    assert half == pytest.approx(expected / 2)


def test_arrhenius_slope_is_the_barrier():
    T = np.array([250.0, 300.0, 400.0, 600.0])
    D = diffusion_coefficient(T, 0.25, dimensionality=2, coordination=4, jump_length_A=2.5)
    slope = np.polyfit(1 / T, np.log(D), 1)[0]
    assert -slope * kB == pytest.approx(0.25, rel=1e-9)


def test_dimensionality_must_be_1_to_3():
    with pytest.raises(InputError):
        diffusion_coefficient(300, 0.1, dimensionality=0, coordination=2, jump_length_A=1)
