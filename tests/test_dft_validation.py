"""The validation set: surface energy, vacancy hop, deviation table, store-backed orchestration."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.lj import LennardJones
from typer.testing import CliRunner

from alloyscreen.calculators import CALCULATORS, register_calculator
from alloyscreen.engines import LocalEngine
from alloyscreen.errors import InputError
from alloyscreen.ml_vs_dft import HOP, LI, SLAB, ValidationOptions, run_validation
from alloyscreen.properties.calculator_checks import (
    EV_PER_A2_TO_J_PER_M2,
    QUANTITIES,
    b32_lial,
    bcc_li,
    conventional_cubic_a,
    deviation_table,
    surface_energy,
    vacancy_endpoints,
    vacancy_hop,
)
from alloyscreen.store import ResultStore
from alloyscreen.tasks import TASK_KINDS


def test_b32_lial_is_natl_type():
    atoms = b32_lial(6.364)
    assert atoms.get_chemical_formula() == "Al2Li2"
    assert conventional_cubic_a(atoms) == pytest.approx(6.364)
    # every atom has 4 Li and 4 Al nearest neighbours at a·sqrt(3)/4 (two interpenetrating
    # diamond lattices)
    big = atoms.repeat(2)
    d_nn = 6.364 * math.sqrt(3) / 4
    for i in range(len(big)):
        d = big.get_distances(i, range(len(big)), mic=True)
        near = np.flatnonzero(np.abs(d - d_nn) < 1e-6)
        symbols = [big[j].symbol for j in near]
        assert symbols.count("Li") == 4
        assert symbols.count("Al") == 4


def test_vacancy_endpoints_bcc_nearest_neighbour():
    initial, final, hop, distance = vacancy_endpoints(bcc_li(3.435), (2, 2, 2))
    assert len(initial) == len(final) == 15
    assert distance == pytest.approx(3.435 * math.sqrt(3) / 2)
    moved = np.flatnonzero(np.linalg.norm(final.positions - initial.positions, axis=1) > 1e-9)
    assert moved.tolist() == [hop]
    assert np.linalg.norm(final.positions[hop] - initial.positions[hop]) == pytest.approx(distance)


def test_vacancy_endpoints_bad_input():
    with pytest.raises(InputError, match="supercell"):
        vacancy_endpoints(bcc_li(), (2, 0, 2))
    with pytest.raises(InputError, match="vacancy_index"):
        vacancy_endpoints(bcc_li(), (1, 1, 1), vacancy_index=5)


def test_surface_energy_emt_al100():
    al = bulk("Al", "fcc", a=4.05, cubic=True)
    res = surface_energy(al, EMT(), miller=(1, 0, 0), layers=3, vacuum_A=5.0)
    assert res.converged
    assert res.n_planes == 6
    assert res.n_atoms == 12
    assert res.area_A2 == pytest.approx(4.05**2)
    assert res.surface_energy_J_m2 == pytest.approx(
        res.surface_energy_eV_A2 * EV_PER_A2_TO_J_PER_M2
    )
    # relaxation can only lower the energy of the slab
    assert 0 < res.surface_energy_J_m2 <= res.unrelaxed_surface_energy_J_m2 + 1e-9
    assert res.calculator_settings == {}  # an ML/EMT calculator has no DFT settings to report
    # a thicker slab gives (nearly) the same surface energy: the bulk reference is consistent
    thick = surface_energy(al, EMT(), layers=5, vacuum_A=5.0)
    assert thick.surface_energy_J_m2 == pytest.approx(res.surface_energy_J_m2, abs=0.01)


def test_vacancy_hop_emt_al_is_symmetric():
    al = bulk("Al", "fcc", a=4.05, cubic=True)
    res = vacancy_hop(al, EMT(), supercell=(2, 2, 2), n_images=1, fmax=0.03)
    assert res.converged
    assert res.n_atoms == 31
    assert res.hop_distance_A == pytest.approx(4.05 / math.sqrt(2))
    # equivalent end points: same energy, forward barrier = reverse barrier
    assert res.energies_eV[0] == pytest.approx(res.energies_eV[-1], abs=2e-3)
    assert res.barrier_eV == pytest.approx(res.reverse_barrier_eV, abs=2e-3)
    assert 0.1 < res.barrier_eV < 2.0
    # more images give the same saddle (it is the midpoint by symmetry)
    res3 = vacancy_hop(al, EMT(), supercell=(2, 2, 2), n_images=3, fmax=0.03)
    assert res3.barrier_eV == pytest.approx(res.barrier_eV, abs=0.02)


def test_deviation_table():
    values = {
        "dft": {"li_bcc_a_A": 3.44, "li100_surface_energy_J_m2": 0.46},
        "ml": {"li_bcc_a_A": 3.41, "li100_surface_energy_J_m2": None},
    }
    rows = {r.quantity: r for r in deviation_table(values, "dft")}
    assert len(rows) == len(QUANTITIES)
    assert rows["li_bcc_a_A"].deviation == pytest.approx(-0.03)
    assert rows["li_bcc_a_A"].relative_percent == pytest.approx(-0.03 / 3.44 * 100)
    assert rows["li100_surface_energy_J_m2"].deviation is None
    assert rows["li_vacancy_hop_barrier_eV"].value is None
    with pytest.raises(InputError, match="reference"):
        deviation_table(values, "missing")


def test_validation_task_kinds_are_static_rows_of_the_task_table():
    """Known without importing the DFT package (no import-time registration)."""
    import subprocess
    import sys

    code = (
        "import sys, alloyscreen.tasks as t; "
        "assert {'surface_energy', 'vacancy_hop'} <= set(t.TASK_KINDS); "
        "assert 'alloyscreen.dft' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert TASK_KINDS["surface_energy"].resolve() is surface_energy
    assert TASK_KINDS["vacancy_hop"].resolve() is vacancy_hop


def _lj(sigma: float):
    def factory(**kwargs):
        # Li-Li pair potential with its minimum at the bcc nearest-neighbour distance: a cheap
        # stand-in for a calculator in store/orchestration tests, not a model of Li.
        return LennardJones(sigma=sigma, epsilon=0.1, rc=2.5 * sigma, smooth=True)

    return factory


@pytest.fixture
def toy_calculators(monkeypatch):
    for name, sigma in (("toy-ref", 2.65), ("toy-ml", 2.7)):
        # setitem first, so that monkeypatch removes the entry again after the test
        monkeypatch.setitem(CALCULATORS, name, CALCULATORS["emt"])
        register_calculator(name, _lj(sigma), package="ase", description="test")
    return "toy-ref", "toy-ml"


def test_run_validation_through_the_store(tmp_path, toy_calculators):
    ref, ml = toy_calculators
    store = ResultStore(tmp_path / "v.db")
    options = ValidationOptions(fmax=0.05, slab_layers=2, supercell=(2, 2, 2))
    report = run_validation(store, LocalEngine(1), reference=ref, calculators=[ml], options=options)
    assert report.calculators == (ml,)
    assert not report.failures, report.failures
    for name in (ref, ml):
        vals = report.values[name]
        assert all(vals[q.key] is not None for q in QUANTITIES), vals
    dev = {(d.quantity, d.calculator): d for d in report.deviations}
    a = dev[("li_bcc_a_A", ml)]
    assert a.deviation == pytest.approx(a.value - a.reference_value)
    # the larger sigma gives the larger lattice constant
    assert a.deviation > 0
    kinds = {r.kind for r in store.rows()}
    assert kinds == {"relax", "surface_energy", "vacancy_hop"}
    assert {r.candidate_id for r in store.rows(kind="surface_energy")} == {SLAB}
    assert {r.candidate_id for r in store.rows(kind="vacancy_hop")} == {HOP}
    assert all(t.n_computed == 5 for t in report.timings)
    # second run: everything from the store, same numbers
    again = run_validation(store, LocalEngine(1), reference=ref, calculators=[ml], options=options)
    assert all(t.n_cached == 5 and t.n_computed == 0 for t in again.timings)
    assert again.values == report.values
    assert LI in again.timings[0].per_task_s


def test_cli_calculators_list_json():
    from alloyscreen.cli import build_app

    result = CliRunner().invoke(build_app(), ["calculators", "list", "--presets", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = {c["name"] for c in doc["calculators"]}
    assert {"chgnet", "sevenn", "emt", "gpaw", "vasp", "espresso"} <= names
    assert {p["name"] for p in doc["presets"]} == {"auto", "bulk", "slab", "interface", "neb"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calculators", " "], "at least one"),
        (["--calculators", "gpaw"], "reference"),
        (["--calculators", "no-such-calculator", "--reference", "emt"], "unknown calculator"),
    ],
)
def test_cli_validate_bad_input_exits_2(tmp_path, args, message):
    from alloyscreen.cli import build_app

    result = CliRunner().invoke(
        build_app(), ["calculators", "validate", "--db", str(tmp_path / "x.db"), *args]
    )
    assert result.exit_code == 2
    assert message in result.output
