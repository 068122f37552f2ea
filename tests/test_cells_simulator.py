"""Cell simulator: growth laws, Li inventory, and the asymmetric-cell protocol's findings.

Qualitative findings reproduced (DESIGN.md §1): a mixed-conducting interphase only raises the
polarization of a symmetric cell but depletes the thin electrode of an asymmetric cell; thinner
electrodes deplete sooner (20 um before 50 um); a self-limiting interphase survives both.
"""

from __future__ import annotations

import numpy as np
import pytest

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells import (
    LI_MAH_CM2_PER_UM,
    CellConfig,
    CellProtocol,
    InterphaseGrowth,
    analyze_cell,
    compare_cells,
    simulate_cell,
)

# sigma_e of an electronically percolating (mixed-conducting) interphase and of an insulating
# SEI; any value far above / below the crossover of the linear-parabolic law behaves the same.
MCI = InterphaseGrowth.from_sigma_e(1e-2)
SEI = InterphaseGrowth.from_sigma_e(1e-12)


def _run(kind: str, interphase, *, thin: float = 20.0, cycles: int = 150):
    cfg = CellConfig(
        kind=kind, thin_li_um=thin, interphase=interphase, n_cycles=cycles, points_per_half_cycle=16
    )
    sim = simulate_cell(cfg)
    return sim, analyze_cell(sim.table, cfg.protocol())


def test_li_inventory_from_thickness():
    # DESIGN.md §7: 1 um Li = 0.206 mAh/cm2; §1: 20 um = 4.1, 50 um = 10.25, 100 um = 20.5 mAh/cm2
    assert LI_MAH_CM2_PER_UM == 0.206
    for um, q in ((20, 4.1), (50, 10.25), (100, 20.5)):
        assert um * LI_MAH_CM2_PER_UM == pytest.approx(q, rel=0.01)
    p = CellProtocol(thin_li_um=20, area_cm2=0.785)
    assert p.thin_capacity_mAh == pytest.approx(20 * 0.206 * 0.785)


def test_growth_laws():
    t = np.array([1.0, 4.0, 16.0, 64.0])
    par = InterphaseGrowth(
        kind="parabolic", parabolic_rate_mAh2_cm4_per_h=0.01, initial_thickness_nm=0
    )
    q = par.li_consumed_mAh_cm2(t)
    np.testing.assert_allclose(q[1:] / q[:-1], 2.0)  # X ~ sqrt(t): self-limiting
    np.testing.assert_allclose(q, np.sqrt(0.01 * t))
    lin = InterphaseGrowth(kind="linear", linear_rate_mA_cm2=0.02)
    np.testing.assert_allclose(lin.li_consumed_mAh_cm2(t), 0.02 * t)
    # linear-parabolic: linear (rate k_l) well below the crossover, parabolic (k_p) well above
    lp = InterphaseGrowth(
        kind="linear_parabolic",
        parabolic_rate_mAh2_cm4_per_h=1.0,
        linear_rate_mA_cm2=0.01,
        initial_thickness_nm=0,
    )
    assert lp.crossover_li_mAh_cm2 == pytest.approx(50.0)
    assert lp.li_consumed_mAh_cm2(np.array(10.0)) == pytest.approx(0.1, rel=2e-3)
    late = 1e8
    assert lp.li_consumed_mAh_cm2(np.array(late)) == pytest.approx(np.sqrt(late), rel=1e-2)
    # resistance = thickness / sigma_ion, thickness = L0 + lambda * Q
    assert lin.asr_ohm_cm2(np.array(0.0)) == pytest.approx(
        lin.initial_thickness_nm * 1e-7 / lin.sigma_ion_S_cm
    )


def test_from_sigma_e_rate_tied_to_conductivity():
    a = InterphaseGrowth.from_sigma_e(1e-10)
    b = InterphaseGrowth.from_sigma_e(2e-10)
    assert b.parabolic_rate_mAh2_cm4_per_h == pytest.approx(2 * a.parabolic_rate_mAh2_cm4_per_h)
    # k_p = 2 * 1000 * sigma_e * E / lambda (lambda in cm per mAh/cm2)
    lam_cm = a.thickness_um_per_mAh_cm2 * 1e-4
    assert a.parabolic_rate_mAh2_cm4_per_h == pytest.approx(2e3 * 1e-10 * 1.71 / lam_cm)
    sigmas = [1e-12, 1e-10, 1e-8, 1e-6, 1e-2]
    consumed = [
        InterphaseGrowth.from_sigma_e(s).li_consumed_mAh_cm2(np.array(300.0)) for s in sigmas
    ]
    assert all(np.diff(consumed) > 0)  # more electronic conduction, more Li consumed
    # percolated limit: linear at the front-limited rate
    assert consumed[-1] == pytest.approx(MCI.linear_rate_mA_cm2 * 300.0, rel=1e-3)


def test_config_validation():
    with pytest.raises(InputError, match="ce"):
        CellConfig(ce=1.2)
    with pytest.raises(InputError, match="kind"):
        CellConfig(kind="triangular")
    with pytest.raises(InputError, match="interphase kind"):
        InterphaseGrowth(kind="cubic")
    with pytest.raises(InputError, match="sigma_e"):
        InterphaseGrowth.from_sigma_e(-1.0)
    with pytest.raises(InputError, match="interphase"):
        CellConfig(interphase="not a law")


def test_ce_only_depletion_matches_inventory_arithmetic():
    ce, q_c = 0.9, 0.5
    sim = simulate_cell(CellConfig(kind="asymmetric", ce=ce, n_cycles=200, points_per_half_cycle=8))
    q_t = 20 * LI_MAH_CM2_PER_UM
    loss = (1 - ce) * q_c
    n = int(np.ceil((q_t - q_c) / loss))  # complete cycles while >= Q_c is left to strip
    q_s = q_t - n * loss
    t_expected = 2 * n + q_s / 0.5  # h: n cycles of 2 h, then Q_s at 0.5 mA/cm2
    s = sim.summary
    assert s.depleted
    assert s.depletion_cycle == n + 1
    assert s.depletion_time_h == pytest.approx(t_expected, abs=0.02)
    v = sim.table["voltage_V"].to_numpy()
    assert np.max(np.abs(v)) == pytest.approx(5.0)  # stops at the instrument limit
    assert v[-1] == pytest.approx(5.0)  # stripping the thin side: positive voltage
    assert sim.table["time_s"].iloc[-1] / 3600 == pytest.approx(s.depletion_time_h)


def test_mixed_conducting_interphase_symmetric_vs_asymmetric():
    sym_sim, sym = _run("symmetric", MCI)
    asym_sim, asym = _run("asymmetric", MCI)
    # symmetric (100 um | 100 um): no depletion, only rising polarization
    assert not sym.depleted
    assert not sym_sim.summary.depleted
    assert sym.polarization_trend.label == "rising"
    assert sym.polarization_mV[-1] > 2 * sym.polarization_mV[0]
    # asymmetric (20 um | 100 um), same interphase, same test: the thin side runs out
    assert asym.depleted
    assert asym_sim.summary.failure == "depletion"
    assert asym.depletion_time_h < sym.duration_h
    verdict = compare_cells(sym, asym)
    assert verdict.symmetric_misleading
    assert verdict.li_consumption_detected
    assert "Li-consuming" in verdict.interphase_assessment
    # the rate-based estimate puts the symmetric cell's depletion beyond its test
    assert verdict.predicted_symmetric_depletion_h > sym.duration_h


def test_thinner_electrode_depletes_sooner():
    _, a20 = _run("asymmetric", MCI, thin=20, cycles=300)
    _, a50 = _run("asymmetric", MCI, thin=50, cycles=300)
    assert a20.depleted
    assert a50.depleted
    assert a20.depletion_time_h < a50.depletion_time_h
    # linear consumption: depletion time scales roughly with the Li inventory (4.1 vs 10.3)
    assert 2.0 < a50.depletion_time_h / a20.depletion_time_h < 3.2


def test_self_limiting_interphase_survives_both():
    sym_sim, sym = _run("symmetric", SEI, cycles=300)
    asym_sim, asym = _run("asymmetric", SEI, cycles=300)
    for sim, a in ((sym_sim, sym), (asym_sim, asym)):
        assert not sim.summary.depleted
        assert not a.depleted
        assert a.n_cycles == 300
        assert not a.soft_short
    assert asym.average_ce_lower_bound > 0.97
    verdict = compare_cells(sym, asym)
    assert not verdict.symmetric_misleading
    assert not verdict.li_consumption_detected
    assert "no Li consumption" in verdict.interphase_assessment


def test_soft_short_emulation_is_detected():
    cfg = CellConfig(
        kind="symmetric",
        n_cycles=40,
        soft_short_after_h=50.5,
        noise_V=2e-4,
        points_per_half_cycle=30,
    )
    a = analyze_cell(simulate_cell(cfg).table, cfg.protocol())
    assert a.soft_short
    assert a.soft_short_time_h == pytest.approx(50.5, abs=0.1)
    assert a.failure_mode == "soft short"
    assert a.cycle_life == 25
    clean = analyze_cell(
        simulate_cell(CellConfig(kind="symmetric", n_cycles=40, noise_V=2e-4)).table
    )
    assert not clean.soft_short
    assert clean.failure_mode is None
