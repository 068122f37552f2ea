"""Shipped observations (Su, Fu et al. 2025 asymmetric cells + XPS/EIS rows), per-metal V_p windows
and the calibrated verdicts of ``alloyscreen interphase`` (issue 15)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.interphase.calibration import (
    EVIDENCE_RANK,
    calibrate_by_metal,
    calibrated_verdict,
    load_observations,
    shipped_observations,
)
from alloyscreen.interphase.reactions import reduce_curated
from alloyscreen.interphase.volumes import interphase_volumes

SU_FU_DOI = "10.1039/d5eb00024f"  # Su, Fu et al., EES Batteries 1, 242 (2025)


def v_fm(composition: str) -> float:
    return interphase_volumes(reduce_curated(composition)).v_fm


def run(*args: str):
    from alloyscreen.cli import build_app

    return CliRunner().invoke(build_app(), list(args))


def interphase_json(*args: str) -> dict:
    res = run("interphase", *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_the_papers_four_rows_are_shipped_with_citation_and_evidence():
    obs = shipped_observations()
    paper = {o.composition: o for o in obs if o.doi == SU_FU_DOI}
    assert set(paper) == {
        "Li6PS5Cl",
        "Li10GeP2S12",
        "Li6PS5Cl:Li10GeP2S12=4:1",
        "Li6PS5Cl:Li10GeP2S12=16:1",
    }
    assert {c: o.outcome for c, o in paper.items()} == {
        "Li6PS5Cl": "benign",
        "Li10GeP2S12": "detrimental",
        "Li6PS5Cl:Li10GeP2S12=4:1": "detrimental",
        "Li6PS5Cl:Li10GeP2S12=16:1": "benign",
    }
    for o in paper.values():
        assert o.evidence_kind == "asymmetric_cell"
        for fragment in ("100|20", "100|50", "0.5 mA/cm2", "0.5 mAh/cm2"):
            assert fragment in o.evidence
    # the XPS/impedance rows stay next to them, ranked below the asymmetric cells
    xps = [o for o in obs if o.evidence_kind == "xps_eis"]
    assert {o.composition for o in xps} >= {"Li6PS5Cl", "Li10GeP2S12", "Li3InCl6"}
    assert EVIDENCE_RANK["asymmetric_cell"] > EVIDENCE_RANK["symmetric_cell"]
    assert EVIDENCE_RANK["symmetric_cell"] > EVIDENCE_RANK["xps_eis"]
    assert all(o.citation and o.doi for o in obs)


def test_li_ge_window_is_between_16_to_1_and_4_to_1():
    by_metal = calibrate_by_metal(shipped_observations())
    li_ge = by_metal[("Li17Ge4",)]
    assert li_ge.consistent
    lo, hi = li_ge.window
    assert lo == pytest.approx(v_fm("Li6PS5Cl:Li10GeP2S12=16:1"))
    assert hi == pytest.approx(v_fm("Li6PS5Cl:Li10GeP2S12=4:1"))
    assert 0.0 < lo < hi < v_fm("Li10GeP2S12")
    # other metals keep their own windows: In is bounded only by Li3InCl6 (no benign In row)
    assert by_metal[("In",)].window == (0.0, pytest.approx(v_fm("Li3InCl6")))


@pytest.mark.parametrize(
    ("composition", "expected"),
    [
        ("Li6PS5Cl", "SEI"),
        ("Li10GeP2S12", "MCI"),
        ("Li6PS5Cl:Li10GeP2S12=4:1", "MCI"),
        ("Li6PS5Cl:Li10GeP2S12=16:1", "MI-SEI"),
    ],
)
def test_cli_calibrated_classes(composition, expected):
    doc = interphase_json(composition)
    assert doc["classification"] == expected
    assert doc["classification_basis"] == "observations"
    assert doc["v_p"] is not None  # the morphology model's V_p is still reported beside
    assert "model_classification" in doc


def test_cli_pure_model_with_no_observations_or_v_p():
    doc = interphase_json("Li6PS5Cl:Li10GeP2S12=4:1", "--no-observations")
    assert doc["classification_basis"] == "morphology model"
    assert doc["v_p_window"] is None
    # the AR-10 needle model puts the 4:1 blend below its V_p: the contradiction the issue reports
    assert doc["v_fm"] < doc["v_p"]
    assert doc["classification"] == doc["model_classification"] == "MI-SEI"
    doc = interphase_json("Li6PS5Cl:Li10GeP2S12=4:1", "--v-p", "0.03")
    assert doc["classification_basis"] == "morphology model"
    assert doc["classification"] == "MCI"  # V_FM 0.0405 > 0.03 + band


def test_inside_the_window_is_untested():
    doc = interphase_json("Li6PS5Cl:Li10GeP2S12=8:1")
    lo, hi = doc["v_p_window"]
    assert lo < doc["v_fm"] < hi
    assert doc["classification"] == "untested"
    assert "asymmetric cell" in doc["advice"]
    # a blend leaner than 16:1 lies below a V_FM observed benign
    doc = interphase_json("Li6PS5Cl:Li10GeP2S12=30:1")
    assert doc["v_fm"] < lo
    assert doc["classification"] == "MI-SEI"
    assert doc["classification_basis"] == "observations"


def test_contradictory_user_observation_is_reported_not_silently_resolved(tmp_path):
    bad = tmp_path / "obs.csv"
    bad.write_text(
        "composition,outcome,evidence_kind,citation\n"
        "Li6PS5Cl:Li10GeP2S12=16:1,detrimental,asymmetric_cell,my cells\n"
    )
    doc = interphase_json("Li6PS5Cl:Li10GeP2S12=8:1", "--observations", str(bad))
    assert doc["classification_basis"] == "morphology model"
    assert doc["v_p_window"] is None
    assert doc["observation_contradictions"]
    assert "contradict" in doc["advice"]
    doc = interphase_json("Li6PS5Cl:Li10GeP2S12=16:1", "--observations", str(bad))
    assert any("both benign and detrimental" in c for c in doc["observation_contradictions"])


def test_lower_ranked_evidence_is_overruled_and_reported(tmp_path):
    weak = tmp_path / "obs.csv"
    weak.write_text(
        "composition,outcome,evidence_kind,citation\n"
        "Li6PS5Cl:Li10GeP2S12=4:1,benign,xps_eis,an XPS study\n"
    )
    obs = load_observations([weak])
    cal = calibrate_by_metal(obs)[("Li17Ge4",)]
    assert cal.consistent
    assert cal.window[1] == pytest.approx(v_fm("Li6PS5Cl:Li10GeP2S12=4:1"))
    assert cal.overruled
    assert "asymmetric_cell detrimental kept" in cal.summary()["overruled"][0]
    a = reduce_curated("Li6PS5Cl:Li10GeP2S12=4:1")
    verdict = calibrated_verdict(
        a.label, v_fm("Li6PS5Cl:Li10GeP2S12=4:1"), ("Li17Ge4",), "MI-SEI", obs
    )
    assert verdict.classification == "MCI"  # the asymmetric cell outranks XPS


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("composition,outcome,evidence_kind\nLi6PS5Cl,benign,rumour\n", "evidence_kind"),
        ("composition,outcome\nLiLaO2,benign\n", "line 2"),  # no reduction products
    ],
)
def test_bad_observation_files(tmp_path, content, fragment):
    p = tmp_path / "obs.csv"
    p.write_text(content)
    with pytest.raises(InputError, match=fragment):
        load_observations([p])
    res = run("interphase", "Li6PS5Cl", "--observations", str(p))
    assert res.exit_code == 2


def test_composition_without_products_is_an_error():
    res = run("interphase", "LiLaO2", "--json")
    assert res.exit_code == 2
