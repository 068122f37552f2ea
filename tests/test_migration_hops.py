"""Hops, supercells and NEB endpoints (pure geometry, no calculator)."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from alloyscreen.errors import InputError
from alloyscreen.structures.hops import (
    find_hops,
    hop_endpoints,
    hop_supercell,
    interstitial_sites,
    migration_supercell,
    shortest_lattice_vector,
    supercell_matrix,
)


def b32_lial(a: float = 6.364) -> Atoms:
    """B32 (NaTl-type, Fd-3m) LiAl, Li 8a / Al 8b: AFLOW prototype AB_cF16_227_a_b (Mehl et al.,
    Comput. Mater. Sci. 136, S1 (2017), doi:10.1016/j.commatsci.2017.01.017); a = 6.364 Å is the
    PBE value of DESIGN.md §5."""
    cell = 0.5 * a * np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])
    frac = np.array([[1 / 8] * 3, [7 / 8] * 3, [3 / 8] * 3, [5 / 8] * 3])
    return Atoms("Li2Al2", scaled_positions=frac, cell=cell, pbc=True)


def d03_li3sb(a: float = 6.56) -> Atoms:
    """D03 (BiF3-type, Fm-3m) Li3Sb: Sb 4a, Li 4b and 8c (conventional cell); a is arbitrary
    here (geometry test)."""
    fcc = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    frac = np.vstack([fcc, fcc + 0.5, fcc + 0.25, fcc + 0.75]) % 1.0
    return Atoms("Sb4Li4Li8", scaled_positions=frac, cell=np.eye(3) * a, pbc=True)


@pytest.mark.parametrize(
    ("atoms", "species", "length", "coordination"),
    [
        # nearest neighbours: bcc 8 at a*sqrt(3)/2, fcc 12 at a/sqrt(2), diamond (Li sublattice of
        # B32) 4 at a*sqrt(3)/4, simple cubic (Li sublattice of B2) 6 at a
        (bulk("Li", "bcc", a=3.43, cubic=True), "Li", 3.43 * np.sqrt(3) / 2, 8),
        (bulk("Cu", "fcc", a=3.6, cubic=True), "Cu", 3.6 / np.sqrt(2), 12),
        (b32_lial(), "Li", 6.364 * np.sqrt(3) / 4, 4),
        (
            Atoms("LiAg", scaled_positions=[[0, 0, 0], [0.5] * 3], cell=np.eye(3) * 3.2, pbc=True),
            "Li",
            3.2,
            6,
        ),
    ],
)
def test_single_site_lattices_have_one_distinct_hop(atoms, species, length, coordination):
    hs = find_hops(atoms, species=species)
    assert len(hs.hops) == 1
    hop = hs.hops[0]
    assert hop.length_A == pytest.approx(length, abs=1e-3)
    # each undirected hop joins two sites: z = 2 * hops per cell / sites per cell
    assert 2 * hop.multiplicity / len(hs.site_frac) == coordination
    assert len(hs.edges) == hop.multiplicity
    assert hop.orbit_from == hop.orbit_to == 0


def test_b32_li_site_is_8a_in_fd3m():
    hs = find_hops(b32_lial())
    assert hs.space_group == "Fd-3m (227)"
    assert [o.wyckoff for o in hs.orbits] == ["8a"]
    assert len(hs.primitive) == 4  # primitive cell of the 16-atom conventional cell


def test_d03_hop_between_inequivalent_sites():
    hs = find_hops(d03_li3sb())
    wy = {o.orbit: o.wyckoff for o in hs.orbits}
    assert sorted(wy.values()) == ["4b", "8c"]
    # shortest Li-Li distance is 4b-8c at a*sqrt(3)/4; 8c-8c (a/2) is outside the 10 % shell
    assert len(hs.hops) == 1
    hop = hs.hops[0]
    assert {wy[hop.orbit_from], wy[hop.orbit_to]} == {"4b", "8c"}
    assert hop.length_A == pytest.approx(6.56 * np.sqrt(3) / 4, abs=1e-3)
    # every 4b site has 8 such neighbours: 8 hops per primitive cell (one 4b site)
    assert hop.multiplicity == 8
    longer = find_hops(d03_li3sb(), max_length_A=3.4)
    assert len(longer.hops) == 2
    assert longer.hops[1].length_A == pytest.approx(6.56 / 2, abs=1e-3)


def test_hop_is_found_from_any_cell_choice():
    conventional = find_hops(b32_lial() * (1, 1, 1))
    supercell = find_hops(b32_lial() * (2, 1, 1))
    assert len(supercell.primitive) == len(conventional.primitive) == 4
    assert supercell.hops[0].length_A == pytest.approx(conventional.hops[0].length_A)


def test_no_species_is_an_input_error():
    with pytest.raises(InputError, match="contains no Li"):
        find_hops(bulk("Cu", "fcc", a=3.6))


@pytest.mark.parametrize(
    "atoms",
    [
        bulk("Li", "bcc", a=3.43),
        bulk("Cu", "fcc", a=3.6),
        b32_lial(),
        Atoms("LiAg", scaled_positions=[[0, 0, 0], [0.5] * 3], cell=np.eye(3) * 3.2, pbc=True),
        bulk("Mg", "hcp", a=3.21, c=5.21),
    ],
)
@pytest.mark.parametrize("length", [8.0, 10.0])
def test_supercell_vectors_are_all_long_enough_and_minimal(atoms, length):
    sc, M = migration_supercell(atoms, length)
    lengths = np.linalg.norm(sc.cell.array, axis=1)
    assert lengths.min() >= length - 1e-9
    assert shortest_lattice_vector(sc.cell.array) >= length - 1e-9
    assert np.allclose(M @ atoms.cell.array, sc.cell.array, atol=1e-8)
    n_cells = round(abs(np.linalg.det(M)))
    assert len(sc) == n_cells * len(atoms)
    # never larger than the plain diagonal repetition of the same cell
    diag = np.ceil(length / np.linalg.norm(atoms.cell.array, axis=1)).astype(int)
    assert n_cells <= int(np.prod(diag))
    # and no supercell with one cell fewer exists
    if n_cells > 1:
        from alloyscreen.structures.hops import _COMBOS, _hnf_matrices, _pair_reduce

        smaller = _pair_reduce(_hnf_matrices(n_cells - 1) @ atoms.cell.array)
        # any lattice vector bounds the shortest one from above: only bases whose +-1
        # combinations are all long enough need the exact (Minkowski) check
        upper = np.linalg.norm(np.einsum("ci,kij->kcj", _COMBOS, smaller), axis=-1).min(axis=1)
        assert all(shortest_lattice_vector(c) < length for c in smaller[upper >= length])


def test_supercell_of_simple_cubic_is_fcc_shaped():
    # fcc-shaped supercells pack a given image distance into the smallest volume:
    # 16 cells of a = 3.2 Å have all images 2*sqrt(2)*a = 9.05 Å apart (a 3x3x3 cube needs 27)
    M = supercell_matrix(np.eye(3) * 3.2, 8.0)
    assert round(abs(np.linalg.det(M))) == 16


def test_hop_supercell_grows_only_for_hops_that_do_not_fit():
    """L1_2 LiAl3 (a = 4.03 Å): the Li sublattice is simple cubic, its shortest Li-Li hop is a.
    The 8 Å supercell puts images 2a = 8.06 Å apart, no more than twice the hop: refused (the
    li_alloys campaign failed so on 17 L1_2/D0_3 candidates); hop_supercell makes room."""
    a = 4.03
    l12 = Atoms(
        "LiAl3",
        scaled_positions=[[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]],
        cell=np.eye(3) * a,
        pbc=True,
    )
    hs = find_hops(l12)
    hop = hs.hops[0]
    assert hop.length_A == pytest.approx(a, abs=1e-6)
    small, _ = migration_supercell(hs.primitive, 8.0)
    with pytest.raises(InputError, match="too long"):
        hop_endpoints(small, hs, hop)
    sc, _ = hop_supercell(hs.primitive, [h.length_A for h in hs.hops], 8.0)
    assert shortest_lattice_vector(sc.cell.array) > 2 * max(h.length_A for h in hs.hops)
    ends = hop_endpoints(sc, hs, hop)
    assert len(ends.initial) == len(sc) - 1
    # hops that fit keep the plain supercell (results already computed stay valid)
    lial = find_hops(b32_lial())
    _, m_plain = migration_supercell(lial.primitive, 8.0)
    _, m_same = hop_supercell(lial.primitive, [h.length_A for h in lial.hops[:6]], 8.0)
    assert np.array_equal(m_plain, m_same)


def test_endpoints_keep_atom_order_and_move_one_atom():
    hs = find_hops(b32_lial())
    sc, _ = migration_supercell(hs.primitive, 8.0)
    ends = hop_endpoints(sc, hs, hs.hops[0])
    ini, fin, k = ends.initial, ends.final, ends.moving_index
    assert len(ini) == len(fin) == len(sc) - 1
    assert ini.get_chemical_symbols() == fin.get_chemical_symbols()
    assert ini.get_chemical_symbols()[k] == "Li"
    moved = np.linalg.norm(fin.positions - ini.positions, axis=1)
    assert np.count_nonzero(moved > 1e-9) == 1
    assert moved[k] == pytest.approx(hs.hops[0].length_A)
    # the moving atom ends on the vacant site: a lattice site of the perfect supercell
    d = sc.positions - fin.positions[k]
    frac = d @ np.linalg.inv(sc.cell.array)
    frac -= np.round(frac)
    assert np.linalg.norm(frac @ sc.cell.array, axis=1).min() < 1e-6
    # ... which no atom of the initial state occupies
    d = ini.positions - fin.positions[k]
    frac = d @ np.linalg.inv(ini.cell.array)
    frac -= np.round(frac)
    assert np.linalg.norm(frac @ ini.cell.array, axis=1).min() > 2.0


def test_interstitial_sites_of_bcc_are_the_tetrahedral_sites():
    # Voronoi vertices of bcc are its tetrahedral interstices: 12 per conventional (two-atom)
    # cell, i.e. 6 per primitive cell, each a*sqrt(5)/4 from the nearest atom
    a = 3.43
    prim = bulk("Li", "bcc", a=a)
    sites = interstitial_sites(prim, min_distance_A=1.2)
    assert len(sites) == 6
    cart = sites @ prim.cell.array
    for r in cart:
        d = prim.positions - r
        frac = d @ np.linalg.inv(prim.cell.array)
        frac -= np.round(frac)
        assert np.linalg.norm(frac @ prim.cell.array, axis=1).min() == pytest.approx(
            a * np.sqrt(5) / 4, abs=1e-6
        )
    hs = find_hops(prim, mechanism="interstitial", min_interstitial_distance_A=1.2)
    assert hs.hops[0].length_A == pytest.approx(a * np.sqrt(2) / 4, abs=1e-6)  # tet-tet
    sc, _ = migration_supercell(hs.primitive, 8.0)
    ends = hop_endpoints(sc, hs, hs.hops[0])
    assert len(ends.initial) == len(sc) + 1
    assert ends.moving_index == len(sc)


def test_interstitial_sites_too_close_are_an_input_error():
    with pytest.raises(InputError, match="no interstitial sites"):
        find_hops(
            bulk("Li", "bcc", a=3.43), mechanism="interstitial", min_interstitial_distance_A=3
        )
