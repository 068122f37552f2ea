"""``alloyscreen adhesion``: relax + adhesion through the store, JSON records, cache, failures."""

from __future__ import annotations

import json

import pytest
from ase.build import bulk
from ase.spacegroup import crystal
from typer.testing import CliRunner

from alloyscreen.cli import build_app
from alloyscreen.structures.candidates import Candidate, CandidateSet, save_candidates
from tests.conftest import needs_chgnet

runner = CliRunner()
APP = build_app()


def invoke(*args: str):
    return runner.invoke(APP, list(args), catch_exceptions=False)


@pytest.fixture
def candidates(tmp_path):
    li = Candidate.from_atoms(bulk("Li", "bcc", a=3.44, cubic=True), "li", category="li_metal")
    # B2 LiAg, a = 3.17 Å (Villars & Calvert, Pearson's Handbook, ASM 1991)
    liag_atoms = crystal(
        ["Li", "Ag"], [(0, 0, 0), (0.5, 0.5, 0.5)], spacegroup=221, cellpar=[3.17] * 3 + [90] * 3
    )
    liag = Candidate.from_atoms(liag_atoms, "liag", category="alloy")
    path = tmp_path / "cands.json"
    save_candidates(CandidateSet((li, liag)), path)
    return path


def test_help_lists_the_options():
    res = invoke("adhesion", "--help")
    assert res.exit_code == 0
    for opt in ("--ids", "--calculator", "--max-atoms", "--db", "--workers", "--json"):
        assert opt in res.output


def test_bad_input_exits_2(tmp_path, candidates):
    res = invoke("adhesion", str(tmp_path / "missing.json"), "--db", str(tmp_path / "r.db"))
    assert res.exit_code == 2
    res = invoke("adhesion", str(candidates), "--ids", "nope", "--db", str(tmp_path / "r.db"))
    assert res.exit_code == 2
    res = invoke("adhesion", str(candidates), "--calculator", "emt", "--db", str(tmp_path / "r.db"))
    assert res.exit_code == 2  # EMT has no Li


@needs_chgnet
@pytest.mark.ml
def test_adhesion_records_cache_and_failure(tmp_path, candidates):
    db = str(tmp_path / "r.db")
    # Li on Li matches without strain; Li on LiAg (6% misfit) cannot within 1% and 12 atoms
    args = (
        "adhesion",
        str(candidates),
        "-c",
        "chgnet",
        "--max-atoms",
        "12",
        "--max-strain-pct",
        "1",
        "--db",
        db,
    )
    res = invoke(*args, "--json")
    assert res.exit_code == 1  # one candidate failed (stored as failed, not a crash)
    records = {r["id"]: r for r in json.loads(res.stdout)}
    li, liag = records["li"], records["liag"]
    for key in (
        "id",
        "formula",
        "w_adh_J_m2",
        "predicted_contact_angle_deg",
        "converged",
        "status",
    ):
        assert key in li
        assert key in liag
    assert li["status"] == "done"
    assert li["formula"] == "Li"
    assert li["w_adh_J_m2"] > 0
    assert li["converged"] is True
    assert li["li_strain_pct"] == pytest.approx(0.0, abs=1e-6)
    assert liag["status"] == "failed"
    assert "no Li/substrate interface" in liag["error"]
    assert liag["w_adh_J_m2"] is None
    # rerun: everything comes from the store
    res = invoke(*args, "--json", "--ids", "li")
    assert res.exit_code == 0
    (again,) = json.loads(res.stdout)
    assert again["cached"] is True
    assert again["w_adh_J_m2"] == pytest.approx(li["w_adh_J_m2"])
    # human table on stdout, store summary on stderr
    res = invoke(*args, "--ids", "li")
    assert res.exit_code == 0
    assert "Li work of adhesion" in res.stdout
