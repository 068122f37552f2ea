"""SEI / MI-SEI / borderline / MCI classification, sigma_e, and the growth law for the simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.simulator import CellConfig, InterphaseLaw, simulate_cell
from alloyscreen.interphase.classification import assess_interphase, classify
from alloyscreen.interphase.coupling import FixedThreshold, Morphology, Threshold
from alloyscreen.interphase.growth import growth_law
from alloyscreen.serialization import to_jsonable
from tests.interphase_helpers import StubPercolation

SPHERES = Morphology(aspect_ratio=1.0)
NEEDLES = Morphology(aspect_ratio=10.0)


def th(v_p, err=0.0):
    return Threshold(v_p, err, None, "test")


def test_classify_bands():
    assert classify(0.0, th(0.1)) == "SEI"
    assert classify(0.05, th(0.1)) == "MI-SEI"
    assert classify(0.095, th(0.1)) == "borderline"  # inside the minimum band 0.01
    assert classify(0.105, th(0.1)) == "borderline"
    assert classify(0.15, th(0.1)) == "MCI"
    # the band widens with the threshold's uncertainty (2 sigma)
    assert classify(0.07, th(0.1, err=0.02)) == "borderline"
    assert classify(0.07, th(0.1, err=0.001)) == "MI-SEI"
    # a morphology that never percolates keeps any metal fraction isolated
    assert classify(0.6, th(math.inf)) == "MI-SEI"
    with pytest.raises(InputError):
        classify(-0.1, th(0.1))


def test_lpsc_is_sei_for_any_morphology():
    model = StubPercolation()
    for m in (SPHERES, NEEDLES):
        a = assess_interphase("Li6PS5Cl", m, model=model)
        assert a.v_fm == 0.0
        assert a.classification == "SEI"
        assert a.margin == pytest.approx(a.v_p)
        assert a.sigma_e_S_cm == pytest.approx(a.sigma_insulator_S_cm)


def test_lgps_class_depends_on_morphology():
    model = StubPercolation()
    needles = assess_interphase("Li10GeP2S12", NEEDLES, model=model)
    spheres = assess_interphase("Li10GeP2S12", SPHERES, model=model)
    assert needles.v_fm == pytest.approx(spheres.v_fm)
    # Garboczi 1995: AR 10 -> 0.087 < V_FM ~ 0.11 -> percolating; spheres 0.29 -> isolated
    assert needles.classification == "MCI"
    assert needles.margin < 0
    assert spheres.classification == "MI-SEI"
    assert spheres.margin > 0
    assert needles.sigma_e_S_cm > 1e3 * spheres.sigma_e_S_cm
    # the blend 4:1 stays an MI-SEI even for needles
    blend = assess_interphase("Li6PS5Cl:Li10GeP2S12=4:1", NEEDLES, model=model)
    assert blend.classification == "MI-SEI"
    record = blend.summary()
    for key in ("products", "li_consumed_per_fu", "v_fm", "v_p", "margin", "classification"):
        assert key in record
    assert {"formula", "moles", "volume_fraction", "metallic"} <= set(record["products"][0])
    to_jsonable(blend)  # serialisable


def test_fixed_threshold_and_validation():
    a = assess_interphase("Li3InCl6", NEEDLES, model=FixedThreshold(0.2, 0.01))
    assert a.v_p == 0.2
    assert a.threshold_source == "user value"
    assert a.classification == "MI-SEI"
    with pytest.raises(InputError):
        FixedThreshold(1.5)
    with pytest.raises(InputError):
        Morphology(aspect_ratio=-1)
    with pytest.raises(InputError):
        Morphology(distribution="clustered")


def test_growth_law_parabolic_for_sei_linear_for_mci():
    model = StubPercolation()
    sei = assess_interphase("Li6PS5Cl", NEEDLES, model=model)
    mci = assess_interphase("Li10GeP2S12", NEEDLES, model=model)
    law_sei = growth_law(sei)
    assert law_sei.kind == "parabolic"
    assert law_sei.thickness_um_per_mAh_cm2 == pytest.approx(sei.thickness_um_per_mAh_cm2)
    law_mci = growth_law(mci, max_linear_rate_mA_cm2=None)
    assert law_mci.kind == "linear"
    assert isinstance(law_mci, InterphaseLaw)
    t = np.array([10.0, 100.0, 1000.0])
    q_sei = law_sei.li_consumed_mAh_cm2(t)
    q_mci = law_mci.li_consumed_mAh_cm2(t)
    assert q_mci[2] / q_mci[1] == pytest.approx(10.0)  # linear in time
    assert q_sei[2] / q_sei[1] < 5.0  # self-limiting
    # linear rate proportional to sigma_e (uncapped)
    doubled = growth_law(
        type(mci)(**{**mci.__dict__, "sigma_e_S_cm": 2 * mci.sigma_e_S_cm}),
        max_linear_rate_mA_cm2=None,
    )
    assert doubled.linear_rate_mA_cm2 == pytest.approx(2 * law_mci.linear_rate_mA_cm2)
    capped = growth_law(mci, max_linear_rate_mA_cm2=0.01)
    assert capped.linear_rate_mA_cm2 == pytest.approx(0.01)
    # borderline -> linear-parabolic law from sigma_e
    border = type(mci)(**{**mci.__dict__, "classification": "borderline"})
    assert growth_law(border).kind == "linear_parabolic"


def test_growth_law_drives_the_cell_simulator():
    model = StubPercolation()
    mci = growth_law(assess_interphase("Li10GeP2S12", NEEDLES, model=model))
    sei = growth_law(assess_interphase("Li6PS5Cl", NEEDLES, model=model))
    runs = {}
    for name, law in (("mci", mci), ("sei", sei)):
        cfg = CellConfig(kind="asymmetric", thin_li_um=20.0, n_cycles=150, interphase=law)
        runs[name] = simulate_cell(cfg).summary
    assert runs["mci"].depleted
    assert not runs["sei"].depleted
    assert (
        runs["mci"].li_consumed_by_interphase_mAh_cm2
        > runs["sei"].li_consumed_by_interphase_mAh_cm2
    )


def test_cli_interphase_json_keys_and_classes():
    from alloyscreen.cli import build_app

    runner = CliRunner()
    app = build_app()
    res = runner.invoke(app, ["interphase", "Li6PS5Cl", "--v-p", "0.087", "--json"])
    assert res.exit_code == 0, res.output
    import json

    doc = json.loads(res.stdout)
    assert doc["classification"] == "SEI"
    assert doc["v_fm"] == 0.0
    for key in ("products", "li_consumed_per_fu", "v_fm", "v_p", "margin", "classification"):
        assert key in doc
    res = runner.invoke(app, ["interphase", "analyse", "Li10GeP2S12", "--v-p", "0.087", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["classification"] == "MCI"
    assert doc["margin"] == pytest.approx(0.087 - doc["v_fm"])
    res = runner.invoke(app, ["interphase", "Li10GeP2S12", "--v-p", "0.087", "--route", "x"])
    assert res.exit_code == 2
