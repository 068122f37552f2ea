"""The campaign's interphase step with ``route = "thermo"``: phases relaxed through the store.

The calculator is ``tests.interphase_helpers:FormulaEnergy`` (SYNTHETIC energies by composition,
zero forces), so the phase relaxations converge at once and the test checks the wiring: tasks
through the store and engine, caching shared with ``alloyscreen interphase --route thermo``,
the thermodynamic products in the assessments and the design, and the validation of the route.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ase.build import bulk
from ase.io import write
from typer.testing import CliRunner

from alloyscreen.cli import build_app
from alloyscreen.interphase.reactions import reduce_curated
from alloyscreen.store import ResultStore

CALC = "tests.interphase_helpers:FormulaEnergy"


def invoke(*args: str):
    return CliRunner().invoke(build_app(), list(args))


def _workflow(tmp_path: Path, *, route: str = "thermo", calculator: str = CALC) -> Path:
    structure = tmp_path / "Li.vasp"
    write(structure, bulk("Li", "bcc", a=3.44), format="vasp")
    wf = tmp_path / "thermo.toml"
    wf.write_text(
        f"""[campaign]
name = "thermo-route"
candidates = ["{structure}"]
db = "{tmp_path / "t.db"}"
output = "{tmp_path / "out"}"

[calculator]
name = "{calculator}"

[engine]
kind = "local"
workers = 1

[steps.interphase]
route = "{route}"
compositions = ["Li6PS5Cl", "Li10GeP2S12"]
host = "Li6PS5Cl"
metal_source = "Li10GeP2S12"
"""
    )
    return wf


def test_thermo_route_runs_in_a_campaign_and_shares_tasks_with_the_cli(tmp_path):
    wf = _workflow(tmp_path)
    plan = json.loads(invoke("run", str(wf), "--dry-run", "--json").stdout)
    n_phases = plan["tasks"]["interphase"]["pending"]
    assert n_phases > 0
    assert plan["tasks"]["interphase"]["done"] == 0

    res = invoke("run", str(wf), "--json")
    assert res.exit_code == 0, res.output
    step = json.loads(res.stdout)["steps"]["interphase"]
    assert step["tasks"] == n_phases
    assert step["computed"] == n_phases
    assert step["failed"] == 0

    store = ResultStore(str(tmp_path / "t.db"), create=False, write=False)
    lpsc, lgps = store.get_document("assessments")
    assert lpsc["route"] == "thermo"
    # the synthetic phase diagram gives Li6PS5Cl the curated products (Li2S, Li3P, LiCl)
    curated = reduce_curated("Li6PS5Cl")
    assert {p["formula"]: p["moles"] for p in lpsc["products"]} == pytest.approx(
        {p.formula: p.moles for p in curated.products}
    )
    assert lpsc["classification"] == "SEI"  # no metallic product
    metals = [p["formula"] for p in lgps["products"] if p["metallic"]]
    assert metals == ["Li4Ge"]  # the Li-rich Li-Ge alloy of the synthetic energies
    assert lgps["v_fm"] > 0
    design = store.get_document("design")
    assert 0 < design["recommended_max_fraction"] < 1
    assert (tmp_path / "out" / "interphase_design.png").is_file()

    # a rerun and the CLI's thermo route reuse the stored phase energies (same content keys)
    res = invoke("run", str(wf), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["steps"]["interphase"]["computed"] == 0
    res = invoke(
        *("interphase", "Li10GeP2S12", "--route", "thermo", "-c", CALC),
        *("--db", str(tmp_path / "t.db"), "--v-p", "0.087", "--json"),
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["n_computed"] == 0
    assert doc["n_cached"] > 0
    assert doc["v_fm"] == pytest.approx(lgps["v_fm"])


@pytest.mark.parametrize(
    ("route", "calculator", "expected"),
    [
        ("mp", CALC, "API key"),
        ("guess", CALC, "expected 'curated' or 'thermo'"),
        ("thermo", "emt", "no parameters for element(s)"),
    ],
)
def test_unusable_routes_fail_dry_run(tmp_path, route, calculator, expected):
    wf = _workflow(tmp_path, route=route, calculator=calculator)
    res = invoke("run", str(wf), "--dry-run")
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())  # error messages wrap on the console
    assert str(wf) in text
    assert "route" in text
    assert expected in text
    assert not (tmp_path / "t.db").exists()
