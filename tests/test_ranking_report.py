"""Ranking (Pareto, weighted score, missing descriptors) and shortlist export / report files."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from ase.build import bulk
from PIL import Image

from alloyscreen.engines.worker import execute_task
from alloyscreen.errors import InputError
from alloyscreen.ranking import (
    CandidateDescriptors,
    descriptors_from_store,
    pareto_front,
    parse_weights,
    rank_candidates,
)
from alloyscreen.report import EXPORT_FORMATS, export_shortlist, write_report
from alloyscreen.runner import get_or_compute
from alloyscreen.shortlist_validation import experimental_validation
from alloyscreen.store import ResultStore
from alloyscreen.tasks import CalculatorSpec, TaskOutcome, make_task


def cand(cid, w=None, e=None, hull=None, margin=None, category="alloy", failed=()):
    values = {
        "w_adh_J_m2": w,
        "network_barrier_eV": e,
        "e_above_hull_eV_atom": hull,
        "percolation_margin": margin,
    }
    status = {
        k: ("failed" if k in failed else "ok" if v is not None else "missing")
        for k, v in values.items()
    }
    return CandidateDescriptors(cid, cid, category, values, status)


def test_pareto_front_basic():
    pts = {"a": (1.0, 1.0), "b": (2.0, 0.5), "c": (0.5, 0.5), "d": (2.0, 1.0)}
    assert pareto_front(pts) == {"d"}
    pts["e"] = (3.0, 0.0)
    assert pareto_front(pts) == {"d", "e"}


def test_rank_orders_by_weighted_descriptors_with_directions():
    cands = [
        cand("good", w=1.0, e=0.1, hull=0.0, margin=0.2),
        cand("bad", w=0.2, e=0.6, hull=0.2, margin=-0.1),
        cand("mid", w=0.6, e=0.3, hull=0.05, margin=0.05),
    ]
    ranked = rank_candidates(cands)
    assert [r.id for r in ranked] == ["good", "mid", "bad"]
    assert ranked[0].score == pytest.approx(1.0)
    assert ranked[-1].score == pytest.approx(0.0)
    assert ranked[0].pareto is True
    assert ranked[-1].pareto is False
    # Only mobility counts: lower barrier wins even with worse affinity.
    only_mob = rank_candidates(
        [cand("x", w=1.0, e=0.5, hull=0, margin=0), cand("y", w=0.1, e=0.2, hull=0, margin=0)],
        {"affinity": 0, "mobility": 1, "safety": 0, "stability": 0},
    )
    assert only_mob[0].id == "y"


def test_missing_and_failed_are_kept_flagged_and_scored_worst():
    cands = [
        cand("full", w=0.5, e=0.3, hull=0.0, margin=0.1),
        cand("nobarrier", w=0.9, e=None, hull=0.0, margin=0.1, failed=("network_barrier_eV",)),
        cand("nothing"),
    ]
    ranked = {r.id: r for r in rank_candidates(cands)}
    assert set(ranked) == {"full", "nobarrier", "nothing"}
    assert ranked["nobarrier"].complete is False
    assert ranked["nobarrier"].pareto is None
    assert ranked["nobarrier"].status["network_barrier_eV"] == "failed"
    assert ranked["nobarrier"].normalised["network_barrier_eV"] == 0.0
    assert ranked["nothing"].score == 0.0
    assert ranked["nothing"].rank == 3


@pytest.mark.parametrize(
    "bad",
    ["affinty=1", "affinity=-1", "affinity=abc", "affinity=0,mobility=0,safety=0,stability=0"],
)
def test_bad_weights_are_input_errors(bad):
    with pytest.raises(InputError):
        parse_weights(bad)


def test_weights_by_descriptor_name_map_to_groups():
    assert parse_weights("w_adh_J_m2=0.9")["affinity"] == 0.9


def _outcome(task, status="done", result=None, error=None):
    base = execute_task(make_task("relax", "x", bulk("Cu"), CalculatorSpec.make("emt")))
    return TaskOutcome(
        **{
            **base.__dict__,
            "key": task.key,
            "kind": task.kind,
            "candidate_id": task.candidate_id,
            "formula": task.formula,
            "status": status,
            "result": result,
            "error": error,
            "atoms": None,
        }
    )


@pytest.fixture
def filled_store(tmp_path):
    """EMT relaxations of Cu, Ag, Al, Au, CuAu (L1_0-like) plus elemental refs, and synthetic
    adhesion/migration rows (this tests the ranking machinery, not their physics)."""
    store = ResultStore(tmp_path / "r.db")
    spec = CalculatorSpec.make("emt")
    structures = {
        "Cu": bulk("Cu", "fcc", a=3.6),
        "Ag": bulk("Ag", "fcc", a=4.1),
        "Al": bulk("Al", "fcc", a=4.05),
        "CuAu": bulk("Cu", "fcc", a=3.8, cubic=True),
    }
    structures["CuAu"].symbols[[1, 2]] = "Au"
    meta = {"Cu": "metal", "Ag": "alloy", "Al": "alloy", "CuAu": "alloy"}
    for cid, atoms in structures.items():
        get_or_compute(
            store,
            make_task("relax", cid, atoms, spec, {"keep_symmetry": False}, {"category": meta[cid]}),
        )
    for el, atoms in {"Cu": bulk("Cu"), "Au": bulk("Au")}.items():
        get_or_compute(
            store,
            make_task(
                "relax",
                f"element:{el}",
                atoms,
                spec,
                {"keep_symmetry": False},
                {"category": "element"},
            ),
        )
    w = {"Cu": 0.9, "Ag": 0.7, "Al": 0.5}
    gamma_int = {"Cu": -0.21, "Ag": 0.12, "Al": None}
    for cid, value in w.items():
        t = make_task("adhesion", cid, structures[cid], spec, {}, {"category": meta[cid]})
        store.put(
            _outcome(
                t,
                result={
                    "w_adh_J_m2": value,
                    "interface_energy_J_m2": gamma_int[cid],
                    "predicted_contact_angle_deg": 75.0,
                    "contact_angle_self_consistent_deg": 40.0,
                },
            ),
            meta=dict(t.meta),
        )
    t = make_task("migration", "Ag", structures["Ag"], spec, {}, {"category": "alloy"})
    store.put(
        _outcome(t, result={"network_barrier_eV": 0.25, "D_298K_cm2_s": 1e-9}), meta=dict(t.meta)
    )
    t = make_task("migration", "Al", structures["Al"], spec, {}, {"category": "alloy"})
    store.put(
        _outcome(t, status="failed", error="NEB did not converge in 300 steps"), meta=dict(t.meta)
    )
    return store


def test_descriptors_from_store(filled_store):
    cands = {c.id: c for c in descriptors_from_store(filled_store)}
    assert set(cands) == {"Cu", "Ag", "Al", "CuAu"}  # elemental references hidden
    assert cands["Cu"].category == "metal"
    assert cands["Ag"].values["network_barrier_eV"] == 0.25
    assert cands["Al"].status["network_barrier_eV"] == "failed"
    assert "converge" in cands["Al"].errors["network_barrier_eV"]
    assert cands["CuAu"].status["w_adh_J_m2"] == "missing"
    # Hull from the same calculator: pure Cu is its own reference -> on the hull.
    assert cands["Cu"].values["e_above_hull_eV_atom"] == pytest.approx(0.0, abs=1e-6)
    assert cands["CuAu"].values["e_above_hull_eV_atom"] is not None
    assert cands["Ag"].values["e_above_hull_eV_atom"] == pytest.approx(
        0.0, abs=1e-6
    )  # its own reference


def test_exports_round_trip_and_report_opens(filled_store, tmp_path):
    ranked = rank_candidates(descriptors_from_store(filled_store))
    paths = {fmt: export_shortlist(ranked, tmp_path / f"shortlist.{fmt}") for fmt in EXPORT_FORMATS}
    csv = pd.read_csv(paths["csv"])
    assert list(csv["id"]) == [r.id for r in ranked]
    assert json.loads(paths["json"].read_text())[0]["rank"] == 1
    xlsx = pd.read_excel(paths["xlsx"])
    assert len(xlsx) == len(ranked)
    assert paths["md"].read_text().startswith("| rank")
    files = write_report(ranked, tmp_path / "report", validation=experimental_validation(ranked))
    assert files.html.read_text().startswith("<!DOCTYPE html>")
    assert "Shortlist" in files.markdown.read_text()
    assert files.images
    for img in files.images:
        with Image.open(img) as im:
            im.verify()
    with pytest.raises(InputError, match="format"):
        export_shortlist(ranked, tmp_path / "x.docx")


def test_negative_interface_energy_is_shown_and_flagged_in_the_report(filled_store, tmp_path):
    ranked = rank_candidates(descriptors_from_store(filled_store))
    by_id = {r.id: r for r in ranked}
    assert by_id["Cu"].values["interface_energy_J_m2"] == -0.21
    assert by_id["Al"].status["interface_energy_J_m2"] == "missing"
    assert "interface_energy_J_m2" in by_id["Ag"].as_record()
    text = write_report(ranked, tmp_path / "rep").markdown.read_text()
    flagged = next(line for line in text.splitlines() if "Negative interface energy" in line)
    assert "Cu (-0.21 J/m²)" in flagged
    assert "Ag" not in flagged  # positive: a sharp interface, nothing to flag
    assert "γ_int vs Li" in text  # the shortlist column
    # no negative value among the rows shown: no flag
    text_top = write_report(
        [r for r in ranked if r.id != "Cu"], tmp_path / "rep2"
    ).markdown.read_text()
    assert "Negative interface energy" not in text_top


def test_validation_needs_three_pairs(filled_store):
    ranked = rank_candidates(descriptors_from_store(filled_store))
    wetting, _ = experimental_validation(ranked)
    if wetting.n_matched < 3:
        assert wetting.correlation.reason
        assert wetting.correlation.spearman_rho is None


def test_ordinal_wetting_in_report_and_validate_command(filled_store, tmp_path):
    # Cu at a predicted 40 deg: agrees with Jordan & Lane (1966, zero advancing angle) and
    # disagrees with Wang et al. (2019, "liquid sphere" on Cu); both are shown, as a conflict.
    from typer.testing import CliRunner

    from alloyscreen.cli import build_app
    from alloyscreen.shortlist_validation import wetting_ordinal_validation

    ranked = rank_candidates(descriptors_from_store(filled_store))
    ordinal = wetting_ordinal_validation(ranked)
    cu = [c for c in ordinal.comparisons if c.system == "Cu"]
    assert {c.agrees for c in cu} == {True, False}
    assert "Cu" in ordinal.conflicts
    files = write_report(ranked, tmp_path / "rep", ordinal=ordinal)
    assert "stated molten-Li wetting" in files.markdown.read_text()

    mine = tmp_path / "mine.csv"
    mine.write_text(
        "system,wetting,surface_state,reactive,temperature_K,temperature_max_K,method,source,notes\n"
        "Ag,non-wetting,polished foil,no,500,,sessile drop,My lab notebook 2026 p. 4,q\n"
    )
    res = CliRunner().invoke(
        build_app(),
        ["validate", "--db", str(filled_store.url), "--wetting-statements", str(mine), "--json"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    ag = [c for c in doc["wetting_ordinal"]["comparisons"] if c["system"] == "Ag"]
    assert ag
    assert ag[0]["agrees"] is False  # predicted 40 deg vs the user's non-wetting statement
    assert {"correlations", "wetting_ordinal"} <= set(doc)

    bad = tmp_path / "bad.csv"
    bad.write_text("system,wetting\nAg,wets\n")
    res = CliRunner().invoke(
        build_app(), ["validate", "--db", str(filled_store.url), "--wetting-statements", str(bad)]
    )
    assert res.exit_code == 2
    assert "header must be" in res.output


def test_rank_on_a_missing_store_fails_and_creates_nothing(tmp_path):
    from typer.testing import CliRunner

    from alloyscreen.cli import build_app

    path = tmp_path / "nope.db"
    res = CliRunner().invoke(build_app(), ["rank", "--db", str(path)])
    assert res.exit_code == 2
    assert not path.exists()
