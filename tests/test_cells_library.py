"""The library calls behind ``cells simulate`` / ``cells analyze`` (the CLI is a thin wrapper)."""

from __future__ import annotations

import pytest

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.protocol import analyze_file
from alloyscreen.interphase.cell_simulation import simulate_cell_file


def test_simulated_file_analyses_back_to_its_ground_truth(tmp_path):
    out = tmp_path / "asym.csv"
    sim = simulate_cell_file(out, config="asymmetric", thin_li_um=20.0, ce=0.95, cycles=200)
    assert out.is_file()
    assert sim.summary["n_records"] == len(sim.result.table)
    assert sim.result.summary.depleted
    got = analyze_file(out, thin_li_um=20.0)
    assert got.summary["file"] == str(out)
    assert got.analysis.depleted
    assert got.analysis.depletion_cycle == sim.result.summary.depletion_cycle
    # Li lost per cycle = (1 - CE) x charge per half cycle (0.5 mAh/cm2)
    assert got.analysis.li_loss_mAh_cm2_per_cycle == pytest.approx(0.05 * 0.5, rel=1e-2)


def test_default_cycle_count_fills_max_hours(tmp_path):
    # 0.5 mAh/cm2 at 0.5 mA/cm2: 2 h per cycle -> 10 h is 5 cycles, none failing at CE 1
    sim = simulate_cell_file(tmp_path / "s.csv", config="symmetric", max_hours=10.0)
    assert sim.result.summary.config["n_cycles"] == 5
    assert sim.result.summary.n_cycles_completed == 5
    assert sim.summary["max_hours"] == 10.0


def test_composition_summary_names_its_interphase_class(tmp_path):
    sim = simulate_cell_file(
        tmp_path / "c.csv", config="symmetric", composition="Li6PS5Cl", cycles=3
    )
    assert sim.summary["composition"] == "Li6PS5Cl"
    assert sim.summary["interphase_class"]
    assert sim.summary["classification_basis"]


@pytest.mark.parametrize(
    "options",
    [
        {"ce": 0.9, "sigma_e_S_cm": 1e-3},
        {"composition": "Li6PS5Cl", "sigma_e_S_cm": 1e-3},
        {"sigma_ion_S_cm": 1e-4},
    ],
)
def test_contradicting_options_are_input_errors(tmp_path, options):
    with pytest.raises(InputError):
        simulate_cell_file(tmp_path / "x.csv", **options)
    assert not (tmp_path / "x.csv").exists()


def test_unwritable_output_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot write"):
        simulate_cell_file(tmp_path, cycles=2)  # a directory, not a file
