"""Calibration of V_p against benign/detrimental observations; contradictions are reported."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.interphase.calibration import (
    Observation,
    calibrate,
    calibrate_file,
    read_observations,
)
from alloyscreen.interphase.coupling import morphology_grid
from alloyscreen.interphase.reactions import reduce_curated
from alloyscreen.interphase.volumes import interphase_volumes
from tests.interphase_helpers import OBSERVATIONS, StubPercolation


def test_literature_observations_give_a_window():
    result = calibrate_file(OBSERVATIONS)
    assert result.consistent
    assert not result.contradictions
    lgps = interphase_volumes(reduce_curated("Li10GeP2S12")).v_fm
    # Li6PS5Cl benign without metal bounds nothing; Li10GeP2S12 (lowest detrimental V_FM) bounds
    assert result.window == (0.0, pytest.approx(lgps))
    assert {o.composition for o in result.observations} >= {"Li6PS5Cl", "Li10GeP2S12"}
    for o in result.observations:
        assert o.citation
        assert o.doi


def test_consistent_morphologies():
    model = StubPercolation()
    morphs = morphology_grid((0.1, 1.0, 10.0), ("random",))
    result = calibrate_file(OBSERVATIONS, morphologies=morphs, model=model)
    ok = {m.morphology.aspect_ratio: m.consistent for m in result.morphologies}
    # spheres (0.2896) lie above V_FM(LGPS) ~ 0.11: excluded; needles/plates are consistent
    assert ok == {0.1: True, 1.0: False, 10.0: True}


def test_contradictory_observations_report_no_window():
    obs = [
        Observation("A", "benign", 0.15),
        Observation("B", "detrimental", 0.10),
        Observation("C", "detrimental", 0.20),
        Observation("D", "benign", 0.05),
    ]
    model = StubPercolation()
    result = calibrate(obs, morphologies=morphology_grid((1.0,)), model=model)
    assert not result.consistent
    assert result.window is None
    assert result.v_p_min is None
    assert result.v_p_max is None
    pairs = {(c.benign.composition, c.detrimental.composition) for c in result.contradictions}
    assert pairs == {("A", "B")}
    assert "no single V_p" in result.contradictions[0].message()
    assert result.morphologies == ()  # nothing checked without a window
    assert model.calls == 0
    summary = result.summary()
    assert summary["window"] is None
    assert summary["contradictions"]


def test_detrimental_without_metal_is_unexplained_not_a_bound():
    obs = [Observation("Li6PS5Cl", "detrimental", 0.0), Observation("X", "benign", 0.05)]
    result = calibrate(obs)
    assert result.consistent
    assert result.window == (0.05, None)
    assert [o.composition for o in result.unexplained] == ["Li6PS5Cl"]


def test_contradiction_from_a_csv(tmp_path):
    csv = tmp_path / "obs.csv"
    csv.write_text(
        "composition,outcome\n"
        "Li10GeP2S12,benign\n"  # V_FM 0.11 benign...
        "Li6PS5Cl:Li10GeP2S12=1:1,detrimental\n"  # ...but a smaller V_FM detrimental
    )
    result = calibrate_file(csv)
    assert not result.consistent
    assert result.window is None
    assert len(result.contradictions) == 1


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("composition,result\nLi6PS5Cl,benign\n", "missing column"),
        ("composition,outcome\nLi6PS5Cl,good\n", "benign or detrimental"),
        ("composition,outcome\n", "no observation rows"),
        ("# only a comment\n", "no observations"),
        ("composition,outcome\nLiLaO2,benign\n", "line 2"),
    ],
)
def test_bad_csv(tmp_path, content, fragment):
    p = tmp_path / "obs.csv"
    p.write_text(content)
    with pytest.raises(InputError, match=fragment):
        calibrate_file(p)


def test_read_observations_skips_comments():
    rows = read_observations(OBSERVATIONS)
    assert rows[0]["composition"] == "Li6PS5Cl"
    assert all(r["outcome"] in ("benign", "detrimental") for r in rows)


def test_cli_calibrate(tmp_path):
    from alloyscreen.cli import build_app

    runner = CliRunner()
    res = runner.invoke(
        build_app(), ["interphase", "calibrate", str(OBSERVATIONS), "--no-morphologies", "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["consistent"] is True
    assert doc["window"]["v_p_max_inclusive"] == pytest.approx(0.1101, abs=1e-3)
    bad = tmp_path / "c.csv"
    bad.write_text(
        "composition,outcome\nLi10GeP2S12,benign\nLi3InCl6,detrimental\nLi3YCl6,benign\n"
    )
    res = runner.invoke(build_app(), ["interphase", "calibrate", str(bad), "--no-morphologies"])
    assert res.exit_code == 0, res.output
    assert "contradictory" in res.stdout
    res = runner.invoke(build_app(), ["interphase", "calibrate", str(tmp_path / "missing.csv")])
    assert res.exit_code == 2
