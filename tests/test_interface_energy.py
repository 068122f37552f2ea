"""Termination energetics re-evaluated at fixed geometries (the DFT check of the selection)."""

from __future__ import annotations

import pytest
from ase.calculators.lj import LennardJones
from ase.spacegroup import crystal

from alloyscreen.errors import InputError
from alloyscreen.properties.adhesion import work_of_adhesion
from alloyscreen.properties.interface_energy import termination_energetics_at


def lj():
    return LennardJones(sigma=2.3, epsilon=0.1, rc=6.0, smooth=True)


def b32_lial():
    # B32 LiAl seed a = 6.37 A (P. Villars & L. D. Calvert, Pearson's Handbook of
    # Crystallographic Data for Intermetallic Phases, ASM 1991); not relaxed: LJ only runs it.
    return crystal(
        ["Li", "Al"],
        [(0, 0, 0), (0.5, 0.5, 0.5)],
        spacegroup=227,
        cellpar=[6.37] * 3 + [90] * 3,
        setting=1,
    )


FAST = {
    "millers": [[1, 1, 1]],
    "li_millers": [[1, 0, 0]],
    "substrate_layers": 3,
    "li_layers": 3,
    "fixed_layers": 1,
    "registry_grid": 1,
    "gap_factors": [1.0],
    "n_relax": 1,
    "max_steps": 10,
    "li_lattice_A": 3.44,
    "max_atoms": 40,
    "max_terminations": 0,
}


@pytest.fixture(scope="module")
def lial_run():
    atoms = b32_lial()
    return atoms, work_of_adhesion(atoms, lj(), keep_geometries=True, **FAST)


def test_geometries_are_kept_only_on_request(lial_run):
    atoms, res = lial_run
    assert len(res.geometries) == len(res.terminations) >= 2
    assert sum(t.interface_energy_J_m2 is not None for t in res.terminations) >= 2
    for g, t in zip(res.geometries, res.terminations, strict=True):
        assert (g.miller, g.termination) == (t.miller, t.termination)
        assert len(g.interface) == len(g.substrate) + len(g.film)
        assert len(g.substrate_unrelaxed) == len(g.substrate)
        assert len(g.li_bulk_strained) == 1
    # the reported interface is the selected termination's relaxed geometry
    i = next(i for i, t in enumerate(res.terminations) if t.termination == res.termination)
    assert (res.geometries[i].interface.positions == res.atoms.positions).all()
    plain = work_of_adhesion(atoms, lj(), **FAST)
    assert plain.geometries == ()
    assert plain.w_adh_J_m2 == pytest.approx(res.w_adh_J_m2, abs=1e-12)


def test_same_calculator_at_its_own_geometries_reproduces_every_termination(lial_run):
    # The re-evaluation uses the relaxed route's formulas: with the calculator that relaxed the
    # geometries, every W_ad, gamma and interface energy and the selection must come back.
    atoms, res = lial_run
    check = termination_energetics_at(res.geometries, atoms, lj(), li_lattice_A=res.li_lattice_A)
    assert check.n_force_calls > 0
    assert set(check.mu_eV) == {"Li", "Al"}
    for a, b in zip(check.terminations, res.terminations, strict=True):
        assert a.termination == b.termination
        assert a.w_adh_J_m2 == pytest.approx(b.w_adh_J_m2, abs=1e-9)
        assert a.li_surface_energy_J_m2 == pytest.approx(b.li_surface_energy_J_m2, abs=1e-9)
        assert (a.interface_energy_J_m2 is None) == (b.interface_energy_J_m2 is None)
        if b.interface_energy_J_m2 is not None:
            assert a.interface_energy_J_m2 == pytest.approx(b.interface_energy_J_m2, abs=1e-9)
    assert check.terminations[check.selected].termination == res.termination
    strongest = max(res.terminations, key=lambda t: t.w_adh_J_m2)
    assert check.terminations[check.strongest].termination == strongest.termination


def test_another_calculator_changes_the_numbers(lial_run):
    atoms, res = lial_run
    other = LennardJones(sigma=2.3, epsilon=0.2, rc=6.0, smooth=True)
    check = termination_energetics_at(res.geometries, atoms, other, li_lattice_A=res.li_lattice_A)
    # LJ energies scale with epsilon: W_ad doubles at fixed geometry
    for a, b in zip(check.terminations, res.terminations, strict=True):
        assert a.w_adh_J_m2 == pytest.approx(2 * b.w_adh_J_m2, rel=1e-9)


def test_no_geometries_is_an_input_error():
    with pytest.raises(InputError, match="keep_geometries=True"):
        termination_energetics_at((), b32_lial(), lj(), li_lattice_A=3.44)
