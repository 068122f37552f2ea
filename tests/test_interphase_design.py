"""MI-SEI design: largest blend/doping fraction below the percolation target, per morphology."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.interphase.coupling import FixedThreshold, Morphology
from alloyscreen.interphase.design import (
    alloy_margins,
    default_design_morphologies,
    design_document,
    design_mixture,
    mixture_line,
    plot_design,
)
from alloyscreen.interphase.reactions import reduce_curated
from alloyscreen.interphase.volumes import interphase_volumes
from tests.interphase_helpers import StubPercolation


def test_mixture_line_matches_blend_reduction():
    line, kind, _, metal = mixture_line("Li6PS5Cl", "Li10GeP2S12")
    assert kind == "electrolyte"
    assert metal == ("Li17Ge4",)
    for x in (0.0, 0.1, 0.37, 1.0):
        ratio = f"{1 - x!r}:{x!r}" if 0 < x < 1 else None
        if ratio is None:
            formula = "Li6PS5Cl" if x == 0 else "Li10GeP2S12"
            expected = interphase_volumes(reduce_curated(formula)).v_fm
        else:
            text = f"Li6PS5Cl:Li10GeP2S12={ratio}"
            expected = interphase_volumes(reduce_curated(text)).v_fm
        assert float(line.v_fm(x)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_limit_solves_the_target_exactly_and_grows_with_vp():
    model = StubPercolation()
    morphs = [Morphology(10.0), Morphology(1.0), Morphology(10.0, distribution="segregated")]
    res = design_mixture("Li6PS5Cl", "Li10GeP2S12", margin=0.2, morphologies=morphs, model=model)
    base, spheres, seg = res.limits
    for lim in res.limits:
        assert lim.target_v_fm == pytest.approx((lim.v_p - 2 * lim.v_p_err) * 0.8)
    # AR 10: V_p 0.087 -> target 0.068 < V_FM(LGPS) ~ 0.11: limited, exactly at the target
    assert base.limited_by == "percolation target"
    assert 0 < base.max_fraction < 1
    assert base.v_fm_at_limit == pytest.approx(base.target_v_fm, rel=1e-9)
    assert float(res.line.v_fm(base.max_fraction + 1e-3)) > base.target_v_fm
    # spheres: V_p 0.29 -> even pure LGPS stays below the target
    assert spheres.max_fraction == 1.0
    assert spheres.limited_by.startswith("not limited")
    assert spheres.gain_vs_baseline == pytest.approx(1.0 / base.max_fraction)
    # a larger V_p (segregated in the stand-in) raises the limit
    assert seg.max_fraction > base.max_fraction
    table = res.table()
    assert table[0]["max_fraction"] == pytest.approx(base.max_fraction)
    assert "allows x <=" in res.summary()


def test_absolute_margin_and_errors():
    model = FixedThreshold(0.087)
    res = design_mixture(
        "Li6PS5Cl", "Li10GeP2S12", margin=0.05, margin_mode="absolute",
        morphologies=[Morphology(10.0)], model=model,
    )  # fmt: skip
    assert res.limits[0].target_v_fm == pytest.approx(0.037)
    res = design_mixture(
        "Li6PS5Cl", "Li10GeP2S12", margin=0.2, margin_mode="absolute",
        morphologies=[Morphology(10.0)], model=model,
    )  # fmt: skip
    assert res.limits[0].max_fraction == 0.0
    with pytest.raises(InputError):
        design_mixture("Li6PS5Cl", "Li10GeP2S12", margin=1.5, model=model)
    with pytest.raises(InputError):
        design_mixture("Li6PS5Cl", "Li10GeP2S12", max_fraction=2.0, model=model)
    with pytest.raises(InputError, match="element rule"):
        design_mixture("Li6PS5Cl", "Ag", model=model)


def test_dopant_and_alloy_sources():
    model = FixedThreshold(0.087)
    line, kind, _, metal = mixture_line("Li6PS5Cl", "Cu")
    assert kind == "dopant"
    assert metal == ("Cu",)
    # x = 0.2 reproduces the doped formula Li5.8Cu0.2PS5Cl
    doped = interphase_volumes(reduce_curated("Li5.8Cu0.2PS5Cl"))
    assert float(line.v_fm(0.2)) == pytest.approx(doped.v_fm, rel=1e-9)
    assert line.li0 + 0.2 * line.d_li == pytest.approx(doped.li_consumed_per_fu)
    res = design_mixture(
        "Li6PS5Cl", "Cu", morphologies=[Morphology(10.0)], model=model, max_fraction=6.0
    )
    assert res.source_kind == "dopant"
    assert 0 < res.limits[0].max_fraction < 6.0
    line, kind, _, metal = mixture_line("Li6PS5Cl", "Li17Ge4")
    assert kind == "alloy"
    assert metal == ("Li17Ge4",)
    assert float(line.v_fm(1.0)) == pytest.approx(1.0)
    margins = alloy_margins(
        {"a": "Li17Ge4", "b": "Cu", "c": "Li3Sb"}, "Li6PS5Cl", fraction=0.02, model=model
    )
    assert margins["a"] == pytest.approx(0.087 - float(line.v_fm(0.02)))
    assert margins["b"] > margins["a"]  # Cu is denser per formula unit than Li17Ge4
    assert margins["c"] is None  # no cited volume/class for Li3Sb: reported missing


def test_default_morphologies():
    ms = default_design_morphologies(Morphology(10.0))
    assert ms[0] == Morphology(10.0)
    assert [m.aspect_ratio for m in ms if m.distribution == "random"] == [10.0, 5.0, 2.0, 1.0]
    assert any(m.distribution == "segregated" for m in ms)
    plates = default_design_morphologies(Morphology(0.1))
    assert [m.aspect_ratio for m in plates if m.distribution == "random"] == [0.1, 0.2, 0.5, 1.0]
    env = default_design_morphologies(
        Morphology(10.0, shell_thickness=0.1, tunnelling_distance=0.2)
    )
    assert any(m.distribution == "enveloped" for m in env)


def test_plot_and_report_document(tmp_path):
    res = design_mixture(
        "Li6PS5Cl", "Li10GeP2S12", morphologies=[Morphology(10.0), Morphology(1.0)],
        model=StubPercolation(),
    )  # fmt: skip
    png = plot_design(res, tmp_path / "d" / "design.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = design_document(res, png)
    assert set(doc) >= {"summary", "plot", "table"}  # issue 15 added recommendation keys
    assert len(doc["table"]) == 2
    json.dumps(doc)


def test_cli_design(tmp_path):
    from alloyscreen.cli import build_app

    runner = CliRunner()
    out = tmp_path / "design.png"
    res = runner.invoke(
        build_app(),
        ["design", "--host", "Li6PS5Cl", "--metal-source", "Li10GeP2S12", "--margin", "0.2",
         "--v-p", "0.087", "--json", "-o", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["source_kind"] == "electrolyte"
    assert 0.3 < doc["table"][0]["max_fraction"] < 0.45
    assert out.is_file()
    res = runner.invoke(
        build_app(), ["design", "--host", "Li6PS5Cl", "--metal-source", "Li10GeP2S12",
                      "--v-p", "0.087", "--kind", "bogus"],
    )  # fmt: skip
    assert res.exit_code == 2


def test_alloy_margins_with_relaxed_volumes_and_campaign_step(tmp_path):
    model = FixedThreshold(0.087)
    # a candidate without a product row: missing unless its volume is given and metal assumed
    args = {"fraction": 0.02, "model": model, "molar_volumes": {"x": 40.0}}
    assert alloy_margins({"x": "Li3Sb"}, "Li6PS5Cl", **args) == {"x": None}
    m = alloy_margins({"x": "Li3Sb"}, "Li6PS5Cl", assume_metallic=True, **args)
    line, *_ = mixture_line("Li6PS5Cl", "Cu")  # host volume from the same table
    host_total = line.total0
    expected = 0.087 - 0.02 * 40.0 / (0.98 * host_total + 0.02 * 40.0)
    assert m["x"] == pytest.approx(expected)
    from alloyscreen.interphase.design import interphase_step

    out = interphase_step(
        {"compositions": ["Li6PS5Cl", "Li10GeP2S12"], "host": "Li6PS5Cl",
         "metal_source": "Li10GeP2S12", "aspect_ratio": 10},
        tmp_path,
        model=model,
    )  # fmt: skip
    assert [a["classification"] for a in out["assessments"]] == ["SEI", "MCI"]
    assert set(out["design"]) >= {"summary", "plot", "table"}
    assert (tmp_path / "interphase_design.png").is_file()
    with pytest.raises(InputError, match="route"):
        interphase_step({"route": "thermo"}, tmp_path, model=model)
    with pytest.raises(InputError, match="both host"):
        interphase_step({"host": "Li6PS5Cl"}, tmp_path, model=model)
