"""DFT presets and per-structure rules (no DFT code needed)."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, surface
from ase.calculators.lj import LennardJones

from alloyscreen.calculators import calculator_identity, get_calculator
from alloyscreen.dft import (
    CODE_CUTOFF_EV,
    PRESETS,
    GPAWCalculator,
    PresetDFTCalculator,
    StructureSettings,
    center_slab,
    is_symmetric_slab,
    kpoint_grid,
    make_preset,
    resolve_structure,
    vacuum_axes,
    vacuum_gaps,
)
from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.tasks import CalculatorSpec, make_task


def li_bcc(a: float = 3.435) -> Atoms:
    return bulk("Li", "bcc", a=a, cubic=True)


def li_slab(layers: int = 3, vacuum: float = 5.0, pbc: bool = True) -> Atoms:
    slab = surface(li_bcc(), (1, 0, 0), layers, vacuum=vacuum)
    if pbc:
        slab.pbc = True
    return slab


def test_kpoint_density_gives_8_for_bcc_li_cubic_cell():
    # 2π · 4.0 Å · (1 / 3.435 Å) = 7.32 -> 8
    assert kpoint_grid(li_bcc(), 4.0) == (8, 8, 8)
    # the same density in a 2x2x2 supercell samples the same points: 4 per direction
    assert kpoint_grid(li_bcc().repeat(2), 4.0) == (4, 4, 4)


@pytest.mark.parametrize("periodic_z", [True, False])
def test_slab_gets_one_kpoint_along_its_normal(periodic_z):
    slab = li_slab(pbc=periodic_z)
    settings = resolve_structure(slab, PRESETS["auto"])
    assert settings.vacuum_axes == (False, False, True)
    assert settings.surface_axis == 2
    assert settings.preset == "slab"
    # in-plane grid identical to the bulk cell's: slab - bulk energies are consistent
    assert settings.kpts == (8, 8, 1)
    assert kpoint_grid(li_bcc(), 4.0)[:2] == settings.kpts[:2]


def test_vacuum_detection_bulk_and_gap_sizes():
    assert vacuum_axes(li_bcc(), 5.0) == (False, False, False)
    lial = bulk("Al", "fcc", a=4.05)
    assert not any(vacuum_axes(lial, 5.0))
    gaps = vacuum_gaps(li_slab(layers=3, vacuum=5.0))
    assert gaps[2] == pytest.approx(10.0, abs=1e-6)  # 5 Å on each side
    # in-plane, the alternating bcc(100) planes project onto x = 0 and x = a/2
    assert gaps[0] == pytest.approx(3.435 / 2, abs=1e-6)


def test_symmetric_slab_has_no_dipole_correction_asymmetric_has():
    slab = li_slab()
    assert is_symmetric_slab(slab, 2)
    assert not resolve_structure(slab, PRESETS["auto"]).dipole_correction
    asym = slab.copy()
    top = int(np.argmax(asym.positions[:, 2]))
    asym[top].symbol = "Al"  # Al on one face only
    assert not is_symmetric_slab(asym, 2)
    settings = resolve_structure(asym, PRESETS["auto"])
    assert settings.dipole_correction
    assert settings.symmetric_slab is False
    # the interface and neb presets decide the same way; bulk switches it off
    assert resolve_structure(asym, PRESETS["interface"]).dipole_correction
    assert not resolve_structure(asym, PRESETS["bulk"]).dipole_correction
    assert resolve_structure(slab, make_preset("slab", dipole_correction="on")).dipole_correction


def test_dipole_on_for_bulk_is_an_input_error():
    with pytest.raises(InputError, match="needs a slab"):
        resolve_structure(li_bcc(), make_preset("auto", dipole_correction="on"))


def test_no_periodicity_at_all_is_rejected():
    molecule = Atoms("Li2", positions=[[0, 0, 0], [0, 0, 2.7]], cell=[10, 10, 10], pbc=False)
    with pytest.raises(InputError, match="all three directions"):
        resolve_structure(molecule, PRESETS["auto"])


def test_hexagonal_cells_get_gamma_centred_grids():
    mg = bulk("Mg", "hcp", a=3.21, c=5.21)
    assert resolve_structure(mg, PRESETS["auto"]).gamma
    assert not resolve_structure(li_bcc(), PRESETS["auto"]).gamma


def test_spin_auto_rules():
    assert not resolve_structure(li_bcc(), PRESETS["auto"]).spin_polarized
    fe = bulk("Fe", "bcc", a=2.83, cubic=True)  # ASE sets 2.3 μB starting moments
    assert resolve_structure(fe, PRESETS["auto"]).initial_magmoms == (2.3, 2.3)
    fe.set_initial_magnetic_moments(None)
    s = resolve_structure(fe, PRESETS["auto"])
    assert s.spin_polarized
    assert s.initial_magmoms == (2.0, 2.0)  # the default guess for Cr/Mn/Fe/Co/Ni
    li = li_bcc()
    li.set_initial_magnetic_moments([0.5, -0.5])
    assert resolve_structure(li, PRESETS["auto"]).initial_magmoms == (0.5, -0.5)
    assert not resolve_structure(fe, make_preset("auto", spin="off")).spin_polarized


def test_presets_share_the_physics_that_energy_differences_need():
    shared = ("xc", "ecut_eV", "kpt_density_A", "smearing", "smearing_width_eV")
    for preset in PRESETS.values():
        for key in shared:
            assert getattr(preset, key) == getattr(PRESETS["auto"], key), (preset.name, key)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "nonsense"}, "unknown DFT preset"),
        ({"spin": "maybe"}, "spin"),
        ({"kpt_density_A": 0}, "kpt_density_A"),
        ({"cutoff": 400}, "unknown option"),
    ],
)
def test_bad_dft_options_are_input_errors(kwargs, message):
    with pytest.raises(InputError, match=message):
        calculator_identity("gpaw", **kwargs)


def test_identity_records_the_full_preset_and_changes_with_it():
    ident = calculator_identity("gpaw").as_dict()
    params = ident["parameters"]
    assert params["preset"] == "auto"
    assert params["ecut_eV"] == CODE_CUTOFF_EV["gpaw"] == 350.0
    assert params["kpt_density_A"] == 4.0
    assert params["smearing"] == "fermi-dirac"
    assert params["presets_version"] >= 1
    assert "gpaw-data" in params["setups"]
    # the log file is not physics
    assert calculator_identity("gpaw", txt="gpaw.txt") == calculator_identity("gpaw")
    # a changed setting changes every content key
    a = make_task("relax", "x", li_bcc(), CalculatorSpec.make("gpaw"))
    b = make_task("relax", "x", li_bcc(), CalculatorSpec.make("gpaw", ecut_eV=400))
    c = make_task("relax", "x", li_bcc(), CalculatorSpec.make("gpaw", preset="neb"))
    assert len({a.key, b.key, c.key}) == 3


def test_vasp_and_espresso_identities_leave_out_locations():
    assert calculator_identity("vasp", command="vasp_std", directory="/tmp/x") == (
        calculator_identity("vasp")
    )
    assert calculator_identity("espresso", pseudo_dir="/pp", command="pw.x") == (
        calculator_identity("espresso")
    )
    assert calculator_identity("vasp").parameters["ecut_eV"] == 520.0


def test_gpaw_parameters_for_bulk_and_asymmetric_slab():
    calc = GPAWCalculator(make_preset("auto", ecut_eV=350.0))
    bulk_settings = resolve_structure(li_bcc(), calc.preset)
    p = calc.gpaw_parameters(bulk_settings)
    assert p["mode"] == {"name": "pw", "ecut": 350.0}
    assert p["kpts"] == {"size": [8, 8, 8], "gamma": False}
    assert p["occupations"] == {"name": "fermi-dirac", "width": 0.1}
    assert "poissonsolver" not in p
    asym = li_slab()
    asym[int(np.argmax(asym.positions[:, 2]))].symbol = "Al"
    s = resolve_structure(asym, calc.preset)
    p = calc.gpaw_parameters(s)
    assert p["poissonsolver"] == {"dipolelayer": "xy"}
    assert p["kpts"]["size"] == [8, 8, 1]
    # the structure GPAW sees: non-periodic along the normal, vacuum at the cell boundary
    work = calc._prepare(asym, s)
    assert list(work.pbc) == [True, True, False]
    z = work.get_scaled_positions()[:, 2]
    assert z.min() > 0.2
    assert z.max() < 0.8
    np.testing.assert_allclose(
        np.sort(np.diff(np.sort(work.positions[:, 2]))),
        np.sort(np.diff(np.sort(asym.positions[:, 2]))),
        atol=1e-8,
    )


def test_center_slab_moves_a_wrapped_slab_into_one_piece():
    slab = li_slab()
    slab.translate([0, 0, -7.0])
    slab.wrap()  # now the slab straddles the boundary
    centred = center_slab(slab, 2)
    z = np.sort(centred.positions[:, 2])
    assert z[-1] - z[0] == pytest.approx(5 * 3.435 / 2, abs=1e-6)  # 6 planes, 5 spacings


class _ToyDFT(PresetDFTCalculator):
    """Preset calculator over Lennard-Jones: records the settings each inner calculator got."""

    code = "gpaw"

    def __init__(self):
        super().__init__(make_preset("auto", ecut_eV=1.0))
        self.built: list[StructureSettings] = []

    def _make_inner(self, settings, atoms):
        self.built.append(settings)
        return LennardJones(sigma=2.8, epsilon=0.01, rc=7.0)


def test_kpoints_frozen_for_one_atoms_object_fresh_for_a_new_one():
    calc = _ToyDFT()
    li = li_bcc(3.45)  # 2π·4/3.45 = 7.28 -> 8
    li.calc = calc
    li.get_potential_energy()
    assert calc.structure_settings(li).kpts == (8, 8, 8)
    # the same object shrinks past the rounding threshold (2π·4/3.10 = 8.1): grid kept
    li.set_cell(li.cell * (3.10 / 3.45), scale_atoms=True)
    li.get_potential_energy()
    assert calc.structure_settings(li).kpts == (8, 8, 8)
    assert len(calc.built) == 1
    # a new structure with that cell gets its own grid, whatever was computed before
    other = li_bcc(3.11)  # 2π·4/3.11 = 8.08 -> 9
    other.calc = calc
    other.get_potential_energy()
    assert calc.structure_settings(other).kpts == (9, 9, 9)
    assert len(calc.built) == 2
    fresh = _ToyDFT()
    other2 = li_bcc(3.11)
    other2.calc = fresh
    assert fresh.structure_settings(other2).kpts == (9, 9, 9)


def test_results_are_those_of_the_code():
    calc = _ToyDFT()
    li = li_bcc()
    li.calc = calc
    ref = li_bcc()
    ref.calc = LennardJones(sigma=2.8, epsilon=0.01, rc=7.0)
    assert li.get_potential_energy() == pytest.approx(ref.get_potential_energy())
    np.testing.assert_allclose(li.get_stress(), ref.get_stress(), atol=1e-10)


def test_missing_gpaw_names_the_dft_extra_and_make_target(monkeypatch):
    monkeypatch.setitem(sys.modules, "gpaw", None)  # import gpaw -> ImportError
    with pytest.raises(MissingExtraError) as info:
        get_calculator("gpaw")
    assert info.value.extra == "dft"
    assert "make dft" in str(info.value)


def test_cutoffs_are_positive_and_qe_in_rydberg_units():
    assert CODE_CUTOFF_EV["espresso"] / 13.605693122994 == pytest.approx(50.0)
    assert all(v > 0 and math.isfinite(v) for v in CODE_CUTOFF_EV.values())
