"""MI-SEI design calibrated by the observations: recommendation, plot markers, report, workflow
step and ranking margins (issue 15)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alloyscreen.interphase.calibration import calibrate_by_metal, shipped_observations
from alloyscreen.interphase.design import (
    alloy_margins,
    calibrate_design,
    default_design_morphologies,
    design_document,
    design_mixture,
    interphase_step,
    plot_design,
)
from tests.interphase_helpers import StubPercolation

STUB = StubPercolation(table={1.0: 0.2896, 2.0: 0.25, 5.0: 0.14, 10.0: 0.08703, 0.1: 0.1058})


def run(*args: str):
    from alloyscreen.cli import build_app

    return CliRunner().invoke(build_app(), list(args))


def test_cli_design_recommendation_inside_the_papers_bounds(tmp_path):
    res = run(
        "design",
        "--host",
        "Li6PS5Cl",
        "--metal-source",
        "Li10GeP2S12",
        "--json",
        "-o",
        str(tmp_path / "d.png"),
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["basis"] == "observations"
    # 16:1 (x = 1/17) observed benign, 4:1 (x = 0.2) observed detrimental
    assert 1 / 17 < doc["recommended_max_fraction"] < 0.2
    cal = doc["calibration"]
    assert cal["tested_benign_fraction"] == pytest.approx(1 / 17)
    assert cal["first_detrimental_fraction"] == pytest.approx(0.2)
    assert "untested" in doc["summary"]
    assert (tmp_path / "d.png").stat().st_size > 10_000
    pure = json.loads(
        run(
            "design",
            "--host",
            "Li6PS5Cl",
            "--metal-source",
            "Li10GeP2S12",
            "--json",
            "--no-observations",
        ).stdout
    )
    assert pure["basis"] == "morphology model"
    assert pure["recommended_max_fraction"] == pytest.approx(pure["table"][0]["max_fraction"])
    assert pure["v_p_window"] is None


def test_design_places_the_four_observations_on_the_blend_line():
    result = design_mixture("Li6PS5Cl", "Li10GeP2S12", morphologies=[], model=STUB)
    result = calibrate_design(result, shipped_observations())
    on_line = {(o["composition"], o["evidence_kind"]): o for o in result.calibration.observations}
    fractions = {c: o["fraction"] for (c, k), o in on_line.items() if k == "asymmetric_cell"}
    assert fractions == pytest.approx(
        {
            "Li6PS5Cl": 0.0,
            "Li10GeP2S12": 1.0,
            "Li6PS5Cl:Li10GeP2S12=4:1": 0.2,
            "Li6PS5Cl:Li10GeP2S12=16:1": 1 / 17,
        }
    )
    for o in on_line.values():  # each marker sits on the V_FM(x) curve
        assert float(result.line.v_fm(o["fraction"])) == pytest.approx(o["v_fm"], abs=1e-9)
    lo, hi = result.calibration.v_p_window
    target = result.calibration.target_v_fm
    assert target == pytest.approx(hi * (1 - result.margin))
    assert float(result.line.v_fm(result.recommended_max_fraction)) == pytest.approx(target)
    assert lo < target < hi


def test_margin_never_recommends_less_than_the_tested_benign_fraction():
    result = design_mixture("Li6PS5Cl", "Li10GeP2S12", margin=0.9, morphologies=[], model=STUB)
    result = calibrate_design(result, shipped_observations())
    assert result.recommended_max_fraction == pytest.approx(1 / 17)


def test_design_without_observations_for_the_metal_falls_back_and_says_so():
    result = design_mixture("Li6PS5Cl", "Cu", max_fraction=2.0, morphologies=[], model=STUB)
    result = calibrate_design(result, shipped_observations())
    assert result.basis == "morphology model"
    assert "no observations bound V_p for Cu" in result.calibration.note
    assert result.recommended_max_fraction == result.limits[0].max_fraction


def test_report_design_section_shows_window_and_observations(tmp_path):
    from alloyscreen.report import write_report

    result = design_mixture("Li6PS5Cl", "Li10GeP2S12", morphologies=[], model=STUB)
    result = calibrate_design(result, shipped_observations())
    plot = plot_design(result, tmp_path / "design.png")
    files = write_report([], tmp_path / "report", design=design_document(result, plot))
    md = files.markdown.read_text()
    assert "Observations behind the design" in md
    assert "basis: observations" in md
    assert "0.0140 < V_p <= 0.0405" in md
    for comp in ("Li6PS5Cl:Li10GeP2S12=4:1", "Li6PS5Cl:Li10GeP2S12=16:1", "10.1039/d5eb00024f"):
        assert comp in md


def test_workflow_step_is_calibrated(tmp_path):
    options = {
        "compositions": ["Li6PS5Cl:Li10GeP2S12=4:1", "Li6PS5Cl:Li10GeP2S12=16:1"],
        "host": "Li6PS5Cl",
        "metal_source": "Li10GeP2S12",
        "aspect_ratio": 10.0,
    }
    out = interphase_step(options, tmp_path, model=STUB)
    classes = {a["composition"]: a["classification"] for a in out["assessments"]}
    assert classes == {"Li6PS5Cl:Li10GeP2S12=4:1": "MCI", "Li6PS5Cl:Li10GeP2S12=16:1": "MI-SEI"}
    assert all(a["classification_basis"] == "observations" for a in out["assessments"])
    assert out["design"]["basis"] == "observations"
    assert 1 / 17 < out["design"]["recommended_max_fraction"] < 0.2
    assert out["v_p_window"] == out["design"]["v_p_window"]


def test_alloy_margins_use_the_windows_upper_bound():
    window = calibrate_by_metal(shipped_observations())[("Li17Ge4",)].window
    m_obs = alloy_margins({"a": "Li17Ge4"}, "Li6PS5Cl", fraction=0.05, v_p_window=window)
    m_model = alloy_margins(
        {"a": "Li17Ge4"},
        "Li6PS5Cl",
        fraction=0.05,
        model=STUB,
        morphology=default_design_morphologies()[0],
    )
    # same V_FM, different V_p: the difference is V_p(model) - V_p(window upper bound)
    assert m_model["a"] - m_obs["a"] == pytest.approx(0.08703 - window[1])
