"""Cycling analysis: CE round trip, polarization definitions, depletion rules, verdict, plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells import (
    LI_MAH_CM2_PER_UM,
    CellConfig,
    CellProtocol,
    analyze_cell,
    compare_cells,
    normalise,
    read_cycler_file,
    simulate_cell,
    summary_dict,
    write_csv,
)


@pytest.mark.parametrize(("ce", "noise_V"), [(0.95, 0.0), (0.98, 0.002)])
def test_round_trip_ce_and_depletion_time(tmp_path, ce, noise_V):
    """Acceptance: simulated asymmetric cell -> CSV -> analysis returns CE within 1 % and the
    depletion time within one half cycle."""
    cfg = CellConfig(
        kind="asymmetric", ce=ce, n_cycles=500, noise_V=noise_V, points_per_half_cycle=20
    )
    sim = simulate_cell(cfg)
    assert sim.summary.depleted
    path = write_csv(sim.table, tmp_path / "asym.csv")
    result = analyze_cell(read_cycler_file(path), cfg.protocol())
    half_cycle_h = cfg.capacity_mAh_cm2 / cfg.current_mA_cm2
    assert result.depleted
    assert abs(result.average_ce - ce) / ce < 0.01  # Adams relation
    assert abs(result.depletion_time_h - sim.summary.depletion_time_h) < half_cycle_h
    assert result.depletion_cycle == sim.summary.depletion_cycle
    # the inventory balance carries no foil bias: much tighter
    assert result.ce_from_li_balance == pytest.approx(ce, abs=1e-4)
    assert result.li_loss_mAh_cm2_per_cycle == pytest.approx((1 - ce) * 0.5, rel=2e-3)
    # Adams' relation, applied to a foil, underestimates 1 - CE by n Q_c / (n Q_c + Q_T)
    n, q_c = result.n_cycles_before_depletion, 0.5 * cfg.area_cm2
    bias = n * q_c / (n * q_c + result.thin_capacity_mAh)
    assert (1 - result.average_ce) == pytest.approx((1 - ce) * bias, rel=2e-3)


def test_ce_relation_by_hand():
    # three cycles of 0.5 mAh then 0.2 mAh in the depleting strip, Q_T from 5 um on 1 cm2
    q_t = 5 * LI_MAH_CM2_PER_UM
    n, q_c, q_s = 3, 0.5, 0.2
    rows = []
    t = 0.0
    for k in range(2 * n + 1):
        sign = 1 if k % 2 == 0 else -1
        dur = (q_s if k == 2 * n else q_c) / 0.5
        for f in np.linspace(0, 1, 11):
            rows.append((t + f * dur, sign * 0.02, sign * 0.5))
        t += dur
    rows.append((t, 5.0, 0.5))
    arr = np.array(rows)
    table = normalise(arr[:, 0] * 3600, arr[:, 1], arr[:, 2])
    result = analyze_cell(table, CellProtocol(thin_li_um=5, area_cm2=1.0))
    assert result.depleted
    assert result.last_strip_mAh == pytest.approx(q_s)
    assert result.average_ce == pytest.approx((n * q_c + q_s) / (n * q_c + q_t))
    assert result.li_loss_mAh_cm2_per_cycle == pytest.approx((q_t - q_s) / n)


def _one_half_cycle(v_of_frac) -> pd.DataFrame:
    f = np.linspace(0, 1, 201)
    return normalise(f * 3600.0, v_of_frac(f), np.full_like(f, 0.4))


def test_polarization_is_median_over_middle_and_nucleation_peak():
    def v(f):
        out = np.full_like(f, 0.020)
        out[f < 0.03] = 0.100  # nucleation overshoot
        out[f > 0.8] = 0.060  # end-of-half-cycle rise, outside the middle window
        return out

    result = analyze_cell(_one_half_cycle(v))
    assert result.half_cycles.polarization_mV[0] == pytest.approx(20.0)
    assert result.half_cycles.nucleation_mV[0] == pytest.approx(100.0)
    assert result.polarization_mV == pytest.approx((20.0,))


def test_half_cycle_ending_early_counts_as_depletion():
    # a tester limit of 1 V: the strip half cycle stops early on a spike and cycling goes on
    cfg = CellConfig(kind="asymmetric", ce=0.8, n_cycles=50, cutoff_V=1.0, points_per_half_cycle=12)
    sim = simulate_cell(cfg)
    t = sim.table
    t_end = t["time_s"].iloc[-1]
    extra = pd.DataFrame(
        {
            "time_s": t_end + np.linspace(0, 3600, 12),
            "voltage_V": -0.03,
            "current_mA": -0.5 * cfg.area_cm2,
        }
    )
    raw = pd.concat([t[["time_s", "voltage_V", "current_mA"]], extra], ignore_index=True)
    table = normalise(raw.time_s, raw.voltage_V, raw.current_mA)
    result = analyze_cell(table, CellProtocol(cutoff_V=5.0))  # the analysis does not know 1 V
    assert result.depleted
    assert result.depletion_reason == "half cycle ended early"
    assert result.depletion_time_h == pytest.approx(sim.summary.depletion_time_h, abs=1e-6)
    # without the spike (a half cycle simply shorter than nominal) nothing is flagged
    flat = raw.copy()
    flat.loc[flat.voltage_V.abs() > 0.1, "voltage_V"] = 0.03
    plain = analyze_cell(normalise(flat.time_s, flat.voltage_V, flat.current_mA))
    assert not plain.depleted


def test_no_depletion_gives_bounds_and_json_keys():
    cfg = CellConfig(kind="asymmetric", ce=1.0, n_cycles=20, points_per_half_cycle=10)
    result = analyze_cell(simulate_cell(cfg).table, cfg.protocol())
    assert not result.depleted
    assert result.average_ce is None
    q_c, q_t = 0.5 * cfg.area_cm2, result.thin_capacity_mAh
    assert result.average_ce_lower_bound == pytest.approx(20 * q_c / (20 * q_c + q_t), rel=1e-6)
    assert result.li_loss_mAh_cm2_per_cycle_upper_bound == pytest.approx(20 * 0.206 / 20)
    d = summary_dict(result)
    for key in (
        "n_cycles",
        "depleted",
        "depletion_time_h",
        "depletion_cycle",
        "polarization_mV",
        "average_ce",
        "li_loss_mAh_cm2_per_cycle",
        "assumptions",
    ):
        assert key in d
    assert d["n_cycles"] == 20
    assert len(d["polarization_mV"]) == 20
    assert any("Adams" in a for a in d["assumptions"])


def test_verdict_both_fail_is_not_misleading():
    cfg = CellConfig(kind="asymmetric", ce=0.8, n_cycles=60, points_per_half_cycle=8)
    a = analyze_cell(simulate_cell(cfg).table, cfg.protocol())
    sym_cfg = CellConfig(kind="symmetric", ce=0.8, n_cycles=300, points_per_half_cycle=8)
    s = analyze_cell(simulate_cell(sym_cfg).table, sym_cfg.protocol())
    assert a.depleted
    assert s.depleted
    assert s.depletion_time_h > a.depletion_time_h  # 100 um lasts longer than 20 um
    v = compare_cells(s, a)
    assert v.li_consumption_detected
    assert not v.symmetric_misleading


def test_analysis_rejects_non_normalised_tables():
    with pytest.raises(InputError, match="normalised"):
        analyze_cell(pd.DataFrame({"time_s": [0.0], "voltage_V": [0.0]}))
    with pytest.raises(InputError, match="thin_li_um"):
        CellProtocol(thin_li_um=-1)


def test_plots_write_png(tmp_path):
    from matplotlib.figure import Figure

    from alloyscreen.experiments.cells.plots import (
        plot_analysis,
        plot_polarization,
        plot_symmetric_vs_asymmetric,
        plot_voltage_profiles,
        save_figure,
    )

    sym_cfg = CellConfig(kind="symmetric", ce=0.99, n_cycles=30, points_per_half_cycle=8)
    asym_cfg = CellConfig(kind="asymmetric", ce=0.8, n_cycles=60, points_per_half_cycle=8)
    sym_t, asym_t = simulate_cell(sym_cfg).table, simulate_cell(asym_cfg).table
    sym, asym = analyze_cell(sym_t, sym_cfg.protocol()), analyze_cell(asym_t, asym_cfg.protocol())
    assert asym.depleted
    assert not sym.depleted
    figs = {
        "profiles": plot_voltage_profiles(
            {"symmetric": (sym_t, sym), "asymmetric": (asym_t, asym)}
        ),
        "polarization": plot_polarization({"symmetric": sym, "asymmetric": asym}),
        "one": plot_analysis(asym_t, asym),
        "both": plot_symmetric_vs_asymmetric((sym_t, sym), (asym_t, asym)),
    }
    for name, fig in figs.items():
        assert isinstance(fig, Figure)
        path = save_figure(fig, tmp_path / f"{name}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figs["profiles"].axes) == 2
    # depletion is marked on the asymmetric profile (a vertical line at the depletion time)
    ax = figs["profiles"].axes[1]
    xs = [line.get_xdata()[0] for line in ax.get_lines() if len(set(line.get_xdata())) == 1]
    assert any(abs(x - asym.depletion_time_h) < 1e-6 for x in xs)
