"""ML -> DFT refinement of CI-NEB bands: an expensive calculator starting from a cheaper one's band.

Stand-ins that run in seconds: EMT as the "expensive" calculator and EMT with ASAP's cutoff
(``asap_cutoff=True``, a slightly different potential: its Al vacancy barrier differs by ~4 meV)
as the "cheap" one. The refined barrier must be the expensive calculator's own, with far fewer of
its force calls than a band from scratch.
"""

from __future__ import annotations

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from alloyscreen.engines.worker import execute_task
from alloyscreen.errors import InputError
from alloyscreen.properties.migration import HopSearch, NEBSettings
from alloyscreen.properties.migration.driver import compute_migration
from alloyscreen.properties.migration.neb import run_band
from alloyscreen.tasks import CalculatorSpec, make_task

SEARCH = HopSearch(species="Al", max_hops=1, min_length_A=7.0)


@pytest.fixture(scope="module")
def al():
    return bulk("Al", "fcc", a=4.05, cubic=True)


def test_refined_band_reproduces_the_expensive_barrier_with_a_third_of_the_calls(al):
    plain = compute_migration(al, EMT(), SEARCH, NEBSettings()).hops[0]
    cheap = compute_migration(al, EMT(asap_cutoff=True), SEARCH, NEBSettings()).hops[0]
    refined = compute_migration(
        al, EMT(), SEARCH, NEBSettings(), preconverge=EMT(asap_cutoff=True)
    ).hops[0]
    assert plain.converged
    assert refined.converged
    assert abs(cheap.barrier_eV - plain.barrier_eV) > 1e-3  # the two potentials differ
    assert refined.barrier_eV == pytest.approx(plain.barrier_eV, abs=5e-3)
    assert refined.n_force_calls * 3 <= plain.n_force_calls
    assert refined.n_force_calls_preconverge == cheap.n_force_calls
    assert plain.n_force_calls_preconverge == 0


def test_refinement_through_a_task_builds_the_cheap_calculator_in_the_worker(al):
    params = {"species": "Al", "max_hops": 1, "min_length_A": 7.0, "preconverge": {"name": "emt"}}
    out = execute_task(make_task("migration", "Al", al, CalculatorSpec.make("emt"), params))
    assert out.status == "done", out.error
    hop = out.result["hops"][0]
    assert hop["n_force_calls_preconverge"] > 0
    # the same calculator as its own preconverger: one evaluation per image and endpoint check
    assert hop["n_force_calls"] <= 10


def test_start_images_must_fit_the_band(al):
    a = al.repeat(2)
    a.calc = EMT()
    a.get_potential_energy()
    with pytest.raises(InputError, match="start_images has 2 images"):
        run_band(a, a, EMT(), NEBSettings(n_images=3), start_images=[a, a])


def test_cli_preconverge_option(tmp_path, al):
    import json

    from ase.io import write
    from typer.testing import CliRunner

    from alloyscreen.cli import build_app

    path = tmp_path / "Al.vasp"
    write(path, al, format="vasp")
    db = str(tmp_path / "r.db")
    args = ["migration", "run", str(path), "-c", "emt", "--species", "Al", "--max-hops", "1"]
    args += ["--min-length", "7", "--db", db, "--json"]
    res = CliRunner().invoke(build_app(), [*args, "--preconverge", "emt"])
    assert res.exit_code == 0, res.output
    (rec,) = json.loads(res.stdout)
    assert rec["hops"][0]["n_force_calls_preconverge"] > 0
    bad = CliRunner().invoke(build_app(), [*args, "--preconverge", "no-such-calculator"])
    assert bad.exit_code == 2
    assert "no-such-calculator" in bad.output
