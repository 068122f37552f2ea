"""Slabs, terminations, lattice matching and interface geometry (no calculator needed).

Lattice constants of the test crystals (experimental, room temperature):
- Cu fcc a = 3.615 Å and Li bcc a = 3.51 Å: C. Kittel, Introduction to Solid State Physics,
  8th ed. (Wiley, 2005), Table 1.3 (via ``ase.data.reference_states``; Li: DESIGN.md §7).
- Li2S antifluorite a = 5.71 Å: the issue's value; cf. 5.708 Å in R. W. G. Wyckoff,
  Crystal Structures, Vol. 1 (Interscience, 1963).
- LiAg B2 (CsCl type) a = 3.17 Å: the issue's value (B2 LiAg, Pearson's Handbook of
  Crystallographic Data for Intermetallic Phases, P. Villars & L. D. Calvert, ASM 1991).
The exact values do not matter for these geometric tests.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from ase.build import bulk
from ase.constraints import FixAtoms
from ase.spacegroup import crystal

from alloyscreen.errors import InputError
from alloyscreen.structures.interfaces import (
    FILM_TAG,
    SUBSTRATE_TAG,
    li_film_slab,
    make_template,
    match_lattices,
    registry_grid,
    strained_li_bulk,
)
from alloyscreen.structures.slabs import (
    find_terminations,
    formal_charges,
    is_polar,
    layer_indices,
    substrate_slabs,
    surface_cell,
)


def cu():
    return bulk("Cu", "fcc", a=3.615, cubic=True)


def li(a=3.51):
    return bulk("Li", "bcc", a=a, cubic=True)


def li2s():
    return crystal(
        ["S", "Li"], [(0, 0, 0), (0.25, 0.25, 0.25)], spacegroup=225, cellpar=[5.71] * 3 + [90] * 3
    )


def liag():
    return crystal(
        ["Li", "Ag"], [(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=221, cellpar=[3.17] * 3 + [90] * 3
    )


def _labels(slabs, hkl):
    return [s.termination.top_species for s in slabs if s.termination.miller == hkl]


def test_fcc_planes_have_one_termination_and_primitive_cells():
    slabs = substrate_slabs(cu(), n_layers=4)
    assert [s.termination.miller for s in slabs] == [(1, 0, 0), (1, 1, 0), (1, 1, 1)]
    a = 3.615
    areas = {s.termination.miller: s.area_A2 for s in slabs}
    # one atom per plane in the primitive surface cells
    assert areas[(1, 0, 0)] == pytest.approx(a * a / 2, rel=1e-6)
    assert areas[(1, 1, 0)] == pytest.approx(a * a / math.sqrt(2), rel=1e-6)
    assert areas[(1, 1, 1)] == pytest.approx(a * a * math.sqrt(3) / 4, rel=1e-6)
    for s in slabs:
        assert len(s.atoms) == s.n_layers == 4
        assert s.symmetric
        assert s.stoichiometric
    d111 = a / math.sqrt(3)
    assert slabs[2].thickness_A == pytest.approx(3 * d111, rel=1e-6)


def test_inequivalent_terminations_are_kept_apart():
    """The known pymatgen pitfall: get_slabs() groups the Li- and Ag-topped B2 (100) slabs."""
    from pymatgen.core.surface import SlabGenerator
    from pymatgen.io.ase import AseAtomsAdaptor

    gen = SlabGenerator(AseAtomsAdaptor.get_structure(liag()), (1, 0, 0), 8, 10)
    assert len(gen.get_slabs()) == 1  # pymatgen keeps one of the two faces

    slabs = substrate_slabs(liag(), n_layers=4)
    assert sorted(_labels(slabs, (1, 0, 0))) == [("Ag",), ("Li",)]
    assert sorted(_labels(slabs, (1, 1, 1))) == [("Ag",), ("Li",)]
    assert _labels(slabs, (1, 1, 0)) == [("Ag", "Li")]
    # Li2S(111): S-topped, Li-topped over S (stoichiometric) and Li-topped over Li
    t111 = [s for s in substrate_slabs(li2s(), millers=[(1, 1, 1)])]
    assert len(t111) == 3
    assert sorted(s.termination.top_species for s in t111) == [("Li",), ("Li",), ("S",)]
    assert sum(s.stoichiometric for s in t111) == 1


def test_symmetric_slabs_have_the_same_face_on_both_sides():
    for slab in substrate_slabs(liag(), n_layers=4) + substrate_slabs(li2s(), n_layers=4):
        if not slab.symmetric:
            continue
        idx, _ = layer_indices(slab.atoms)
        symbols = np.array(slab.atoms.get_chemical_symbols())
        per_layer = [tuple(sorted(symbols[idx == k])) for k in range(slab.n_layers)]
        assert per_layer == per_layer[::-1], slab.termination.label
        assert set(per_layer[-1]) == set(slab.termination.top_species)


def test_stoichiometric_mode_and_polarity():
    charges = formal_charges(li2s())
    assert charges == {"Li": 1.0, "S": -2.0}
    assert formal_charges(liag()) is None
    assert formal_charges(cu()) is None
    slabs = substrate_slabs(li2s(), stoichiometric=True)
    assert all(s.stoichiometric for s in slabs)
    polar = {s.termination.label: is_polar(s, charges) for s in slabs}
    # (100) is Tasker type 3; (110) and Li-terminated stoichiometric (111) are non-polar
    assert all(v for k, v in polar.items() if k.startswith("(100)"))
    assert not polar["(110) t0 [Li+S]"]
    assert sum(not v for k, v in polar.items() if k.startswith("(111)")) == 1
    # the non-stoichiometric symmetric (100) slab is charged
    sym = [s for s in substrate_slabs(li2s(), millers=[(1, 0, 0)]) if not s.stoichiometric]
    assert sym
    assert all(is_polar(s, charges) for s in sym)


def test_slab_thickness_in_layers_and_rotated_input():
    thin = substrate_slabs(cu(), millers=[(1, 1, 1)], n_layers=3)[0]
    thick = substrate_slabs(cu(), millers=[(1, 1, 1)], n_layers=5)[0]
    assert (thin.n_layers, thick.n_layers) == (3, 5)
    # primitive-cell input gives the same surface cell as the conventional cell
    prim = bulk("Cu", "fcc", a=3.615)
    assert surface_cell(prim, (1, 1, 1)).area_A2 == pytest.approx(
        surface_cell(cu(), (1, 1, 1)).area_A2
    )


def test_bad_miller_index_is_input_error():
    with pytest.raises(InputError):
        find_terminations(cu(), (0, 0, 0))


def test_li_on_li_matches_without_strain():
    film = li_film_slab(li(), (1, 0, 0))
    sub = substrate_slabs(li(), millers=[(1, 0, 0)])[0]
    best = match_lattices(sub.cell, film.cell, max_area_A2=20, max_strain_pct=1)[0]
    assert best.li_strain_pct == pytest.approx(0.0, abs=1e-9)
    assert best.n_substrate_cells == best.n_film_cells == 1


def test_li_on_cu_strain_is_recorded_and_maps_the_cells():
    film = li_film_slab(li(), (1, 1, 0))
    sub = substrate_slabs(cu(), millers=[(1, 1, 1)])[0]
    matches = match_lattices(sub.cell, film.cell, max_area_A2=80, max_strain_pct=6)
    assert matches
    for m in matches:
        assert m.li_strain_pct <= 6 + 1e-9
        assert m.area_A2 <= 80 + 1e-9
        assert m.li_strain_pct == pytest.approx(max(abs(x) for x in m.li_strain_principal_pct))
        F = np.array(m.deformation)
        f = np.array(m.film_matrix) @ film.cell.inplane_vectors
        s = np.array(m.substrate_matrix) @ sub.cell.inplane_vectors
        assert np.allclose(f @ F.T, s, atol=1e-8)  # F maps the Li supercell onto the substrate's
        assert m.area_A2 == pytest.approx(abs(np.linalg.det(s)))
    assert [m.area_A2 for m in matches] == sorted(m.area_A2 for m in matches)
    # nothing fits a cell smaller than the Li(110) primitive cell
    assert match_lattices(sub.cell, film.cell, max_area_A2=7.0, max_strain_pct=6) == []


def test_li_on_b2_liag_is_compressed():
    film = li_film_slab(li(3.51), (1, 0, 0))
    sub = substrate_slabs(liag(), millers=[(1, 0, 0)])[0]
    m = match_lattices(sub.cell, film.cell, max_area_A2=20, max_strain_pct=12)[0]
    # cube on cube: both principal strains = 3.17/3.51 - 1
    assert m.li_strain_principal_pct == pytest.approx((100 * (3.17 / 3.51 - 1),) * 2, abs=1e-6)


def test_registry_grid_contains_the_high_symmetry_sites():
    hexa = registry_grid(surface_cell(cu(), (1, 1, 1)))
    assert (1 / 3, 1 / 3) in hexa
    assert (2 / 3, 2 / 3) in hexa
    square = registry_grid(surface_cell(li(), (1, 0, 0)))
    assert (0.5, 0.5) in square
    assert (0.5, 0.0) in square
    assert len(registry_grid(surface_cell(li(), (1, 0, 0)), grid=5)) == 25


def test_interface_template_geometry():
    film = li_film_slab(li(), (1, 1, 0), n_layers=4)
    sub = substrate_slabs(cu(), millers=[(1, 1, 1)], n_layers=4)[0]
    match = match_lattices(sub.cell, film.cell, max_area_A2=80, max_strain_pct=8)[0]
    t = make_template(sub, film, match, fixed_layers=2, vacuum_A=10.0)
    contact = {"Cu": 2.7}
    for shift in [(0.0, 0.0), (1 / 3, 1 / 3), (0.5, 0.0)]:
        gap = t.contact_gap(shift, contact)
        atoms = t.build(shift, gap)
        tags = atoms.get_tags()
        assert (tags == SUBSTRATE_TAG).sum() == len(sub.atoms) * match.n_substrate_cells
        assert (tags == FILM_TAG).sum() == len(film.atoms) * match.n_film_cells
        # closest Li–Cu pair sits exactly at the contact distance
        sub_idx = np.where(tags == SUBSTRATE_TAG)[0]
        film_idx = np.where(tags == FILM_TAG)[0]
        dmin = min(atoms.get_distances(i, film_idx, mic=True).min() for i in sub_idx)
        assert dmin == pytest.approx(2.7, abs=1e-6)
        # bottom two Cu planes are fixed
        (constraint,) = atoms.constraints
        assert isinstance(constraint, FixAtoms)
        li_idx, _ = layer_indices(atoms[sub_idx])
        assert sorted(constraint.index.tolist()) == sorted(sub_idx[li_idx < 2].tolist())
        # vacuum above the film
        assert atoms.cell[2, 2] - atoms.positions[:, 2].max() >= 10.0 / 2
    # the parts live in the same cell
    parts = [t.build((0, 0), 2.0, part=p) for p in ("interface", "substrate", "film")]
    assert all(np.allclose(p.cell.array, parts[0].cell.array) for p in parts)
    assert len(parts[1]) + len(parts[2]) == len(parts[0])
    assert not parts[2].constraints
    with pytest.raises(InputError):
        make_template(sub, film, match, fixed_layers=4)


def test_strained_li_bulk_without_strain_is_bulk_li():
    film = li_film_slab(li(), (1, 0, 0))
    sub = substrate_slabs(li(), millers=[(1, 0, 0)])[0]
    m = match_lattices(sub.cell, film.cell, max_area_A2=20, max_strain_pct=1)[0]
    cell = strained_li_bulk(film, m)
    assert cell.get_volume() / len(cell) == pytest.approx(3.51**3 / 2, rel=1e-9)
