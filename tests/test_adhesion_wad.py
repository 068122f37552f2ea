"""Work of adhesion: internal consistency, any-calculator pipeline, failure paths, the store.

The acceptance check "Li(100) on Li(100) without strain gives W_ad = 2 gamma_Li(100) within 5%"
uses CHGNet for both numbers; gamma is computed here independently of the adhesion code (a
symmetric relaxed Li(100) slab against relaxed bulk Li).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.lj import LennardJones

from alloyscreen.errors import CalculationError, InputError
from alloyscreen.properties.adhesion import EV_PER_A2_IN_J_PER_M2, work_of_adhesion
from alloyscreen.properties.counting import count_calls
from alloyscreen.serialization import to_jsonable
from alloyscreen.structures.interfaces import li_film_slab


def lj():
    # A generic pair potential for every element: any ASE calculator must run the pipeline.
    return LennardJones(sigma=2.3, epsilon=0.1, rc=6.0, smooth=True)


FAST = {
    "millers": [[1, 1, 1]],
    "li_millers": [[1, 1, 0]],
    "substrate_layers": 3,
    "li_layers": 3,
    "fixed_layers": 1,
    "registry_grid": 1,
    "gap_factors": [1.0],
    "n_relax": 1,
    "max_steps": 15,
    "li_lattice_A": 3.44,
    "max_atoms": 60,
}


def test_pipeline_runs_with_a_plain_ase_calculator():
    calc = lj()
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    with count_calls(calc) as outer:
        res = work_of_adhesion(cu, calc, **FAST)
    assert res.n_force_calls == outer.n_calls > 0
    assert res.formula == res.substrate_formula == "Cu"
    assert res.miller == (1, 1, 1)
    assert res.li_miller == (1, 1, 0)
    assert res.n_atoms == len(res.atoms) <= 60
    assert 0 <= res.li_strain_pct <= 8.0
    stages = [r.stage for r in res.records]
    assert stages.count("relaxed") == 1
    assert stages.count("scan") >= 1
    relaxed = next(r for r in res.records if r.stage == "relaxed")
    assert relaxed.w_adh_J_m2 == pytest.approx(res.w_adh_J_m2)
    assert not res.converged or relaxed.converged  # converged means every relaxation did
    tags = set(res.atoms.get_tags().tolist())
    assert tags == {1, 2}
    # contact angle from Young–Dupré with the Davison gamma at the melting point
    gamma = 0.447 - 1.07e-4 * 453.65 - 1.351e-8 * 453.65**2
    assert res.gamma_li_liquid_J_m2 == pytest.approx(gamma)
    cos_t = min(1.0, max(-1.0, res.w_adh_J_m2 / gamma - 1.0))
    assert res.predicted_contact_angle_deg == pytest.approx(math.degrees(math.acos(cos_t)))
    assert res.contact_angle_clipped == (abs(res.w_adh_J_m2 / gamma - 1.0) > 1.0)
    # the result serialises (the store keeps it as JSON)
    json.dumps(to_jsonable(res))


def test_no_lattice_match_is_a_calculation_error_with_reason():
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    with pytest.raises(CalculationError) as info:
        work_of_adhesion(cu, lj(), **{**FAST, "max_area_A2": 3.0})
    assert "no Li/substrate interface" in info.value.reason
    assert "max_strain_pct" in info.value.reason
    surfaces = info.value.partial["surfaces"]
    assert surfaces
    assert all(s.status == "no_match" for s in surfaces)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("fixed_layers", 5),
        ("gap_factors", []),
        ("millers", [[0, 0, 0]]),
        ("optimizer", "SD"),
        ("max_strain_pct", 0.0),
    ],
)
def test_bad_options_are_input_errors(option, value):
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    with pytest.raises(InputError, match=option.split("_")[0]):
        work_of_adhesion(cu, lj(), **{**FAST, option: value})


def test_failed_task_is_stored_with_its_reason(tmp_path):
    from alloyscreen.engines import LocalEngine
    from alloyscreen.runner import run_tasks
    from alloyscreen.store import ResultStore
    from alloyscreen.tasks import CalculatorSpec, make_task

    spec = CalculatorSpec.make("ase.calculators.lj:LennardJones", sigma=2.3, epsilon=0.1, rc=6.0)
    cu = bulk("Cu", "fcc", a=3.615, cubic=True)
    task = make_task("adhesion", "cu", cu, spec, {**FAST, "max_area_A2": 3.0})
    store = ResultStore(tmp_path / "r.db")
    summary = run_tasks([task], store, LocalEngine(1))
    (row,) = summary.results
    assert row.status == "failed"
    assert "no Li/substrate interface" in row.error
    assert store.get(task.key).status == "failed"


@pytest.mark.ml
def test_li_on_li_gives_twice_the_li_surface_energy(chgnet_calc):
    """W_ad(Li(100)/Li(100), no strain) = 2 gamma_Li(100) within 5% (same calculator)."""
    from alloyscreen.properties.bulk import relax_bulk

    calc = chgnet_calc
    rel = relax_bulk(bulk("Li", "bcc", a=3.44, cubic=True), calc)
    res = work_of_adhesion(rel.atoms, calc, millers=[[1, 0, 0]], li_millers=[[1, 0, 0]])
    assert res.li_strain_pct == pytest.approx(0.0, abs=1e-6)
    assert res.converged
    # independent gamma: relaxed symmetric 4-layer Li(100) slab against relaxed bulk
    slab = li_film_slab(rel.atoms, (1, 0, 0), n_layers=4).atoms
    slab.calc = calc
    from ase.optimize import BFGS

    BFGS(slab, logfile=None).run(fmax=0.05, steps=200)
    area = abs(np.linalg.det(slab.cell.array[:2, :2]))
    gamma = (
        (slab.get_potential_energy() - len(slab) * rel.energy_per_atom_eV)
        / (2 * area)
        * EV_PER_A2_IN_J_PER_M2
    )
    assert 0.1 < gamma < 1.0
    assert res.w_adh_J_m2 == pytest.approx(2 * gamma, rel=0.05)
    assert res.li_surface_energy_J_m2 == pytest.approx(gamma, rel=0.05)
    # the best registry continues the bcc stacking: film at the bulk interplanar distance a/2
    a = rel.lattice_abc_A[0]
    assert res.interlayer_distance_A == pytest.approx(a / 2, abs=0.05)
    # self-consistent Young–Dupré: W_ad ~ 2 gamma_Li(calc), Li (nearly) wets Li completely
    # (acos is steep near 1: cos theta = 0.98 already reads 11 degrees)
    assert math.cos(math.radians(res.contact_angle_self_consistent_deg)) > 0.9
