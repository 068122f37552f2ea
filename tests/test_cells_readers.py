"""Cycler-file readers: real Neware/BioLogic files, CSV, truncated and wrong-format files."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.experiments.cells import (
    NORMALISED_COLUMNS,
    CellConfig,
    normalise,
    read_csv,
    read_cycler_file,
    simulate_cell,
    write_csv,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "cycler"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/cycler is absent")

# Row counts from ../shared/data/cycler/README.md (as read by NewareNDA / galvani).
README_ROWS = {
    "neware_new_nda_file.nda": 439,
    "neware_ZZZZZZZZTEST.ndax": 301,
    "navani_test.ndax": 1464,
    "biologic_gcpl_5cycles.mpr": 46102,
    "biologic_MB_C01.mpr": 1501,
}


def _check_normalised(table) -> None:
    assert tuple(table.columns) == NORMALISED_COLUMNS
    assert np.all(np.diff(table["time_s"].to_numpy()) >= 0)
    hc = table["half_cycle"].to_numpy()
    assert np.all(np.diff(hc) >= 0)  # half cycles only count up
    assert np.array_equal(table["cycle"].to_numpy(), (hc + 1) // 2)
    assert np.all(np.diff(table["step"].to_numpy()) >= 0)


def _half_cycle_signs(table) -> list[int]:
    active = table[(table.half_cycle > 0) & (table.current_mA.abs() > 0)]
    return [int(np.sign(g.current_mA.median())) for _, g in active.groupby("half_cycle")]


@needs_data
@pytest.mark.parametrize("name", sorted(README_ROWS))
def test_real_files_row_counts(name):
    table = read_cycler_file(DATA / name)
    assert len(table) == README_ROWS[name]
    _check_normalised(table)
    assert table.attrs["source"].endswith(name)
    signs = _half_cycle_signs(table)
    # consecutive half cycles alternate in sign by construction
    assert all(a == -b for a, b in itertools.pairwise(signs))


@needs_data
def test_neware_nda_half_cycles_match_tester_states():
    nda = pytest.importorskip("NewareNDA.NewareNDA")
    raw = nda.read_nda(str(DATA / "neware_new_nda_file.nda"), False)
    table = read_cycler_file(DATA / "neware_new_nda_file.nda")
    np.testing.assert_allclose(table["voltage_V"], raw["Voltage"].astype(float), rtol=0, atol=0)
    # steps: CC_DChg, Rest, CC_Chg, Rest, CC_DChg, Rest -> half cycles -, +, -
    assert _half_cycle_signs(table) == [-1, 1, -1]
    assert table["half_cycle"].max() == 3
    assert sorted(table["cycle"].unique()) == [1, 2]  # README: 2 cycles
    assert table["step"].max() == 6
    # the per-step clocks are accumulated: 5+25+50+100+500+41.6 s
    assert table["time_s"].iloc[-1] == pytest.approx(721.6, abs=0.05)
    # capacity = charge since the half cycle started, from Neware's own counters
    for hc in (1, 2, 3):
        sel = raw.loc[(table["half_cycle"] == hc).to_numpy()]
        q = (sel["Charge_Capacity(mAh)"] + sel["Discharge_Capacity(mAh)"]).max()
        assert table.loc[table.half_cycle == hc, "capacity_mAh"].max() == pytest.approx(q, rel=1e-6)


@needs_data
def test_neware_ndax_cycles():
    table = read_cycler_file(DATA / "navani_test.ndax")
    # rest, CCCV charge, CCCV discharge, rest -> one cycle of two half cycles
    assert _half_cycle_signs(table) == [1, -1]
    assert table["cycle"].max() == 1
    assert (table.loc[table.time_s < 299, "half_cycle"] == 0).all()  # initial rest
    assert table.loc[table.half_cycle == 1, "capacity_mAh"].max() == pytest.approx(0.593, abs=1e-3)
    rest_only = read_cycler_file(DATA / "neware_ZZZZZZZZTEST.ndax")
    assert (rest_only["half_cycle"] == 0).all()  # a rest-only record has no half cycle


@needs_data
def test_biologic_gcpl_half_cycles_match_eclab():
    galvani = pytest.importorskip("galvani.BioLogic")
    raw = galvani.MPRfile(str(DATA / "biologic_gcpl_5cycles.mpr")).data
    table = read_cycler_file(DATA / "biologic_gcpl_5cycles.mpr")
    # one initial discharge, then 6 charge/discharge pairs: 13 alternating half cycles, 7 cycles
    signs = _half_cycle_signs(table)
    assert len(signs) == 13
    assert signs[0] == -1
    assert table["cycle"].max() == 7
    # our half-cycle boundaries are EC-Lab's (half cycle / Ns changes)
    ours = np.flatnonzero(np.diff(table["half_cycle"].to_numpy()))
    theirs = np.flatnonzero(np.diff(raw["half cycle"]) | np.diff(raw["Ns"]))
    assert set(ours) <= set(theirs)
    # charge per half cycle equals the sum of EC-Lab's dq over it
    hc = table["half_cycle"].to_numpy()
    for k in range(1, 14):
        dq = abs(raw["dq/mA.h"][hc == k].sum())
        assert table.loc[hc == k, "capacity_mAh"].max() == pytest.approx(dq, rel=1e-3, abs=1e-6)
    # current derived from dq/dt matches the control current of the galvanostatic steps (mA)
    active = np.abs(raw["control/V/mA"]) > 0
    np.testing.assert_allclose(
        table["current_mA"].to_numpy()[active][10:100],
        raw["control/V/mA"][active][10:100],
        rtol=5e-3,
    )


@needs_data
@pytest.mark.parametrize("name", sorted(README_ROWS))
@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.997])
def test_truncated_real_files_raise_naming_the_file(tmp_path, name, fraction):
    data = (DATA / name).read_bytes()
    cut = tmp_path / f"cut_{name}"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(InputError, match=f"cut_{name}"):
        read_cycler_file(cut)


@needs_data
@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("biologic_MB_C01.mpr", "wrong.nda"),
        ("biologic_MB_C01.mpr", "wrong.ndax"),
        ("neware_new_nda_file.nda", "wrong.mpr"),
        ("navani_test.ndax", "wrong.csv"),
    ],
)
def test_wrong_format_raises_naming_the_file(tmp_path, source, target):
    bad = tmp_path / target
    bad.write_bytes((DATA / source).read_bytes())
    with pytest.raises(InputError, match=target):
        read_cycler_file(bad)


@pytest.mark.parametrize("target", ["text.nda", "text.ndax", "text.mpr"])
def test_text_file_with_binary_extension(tmp_path, target):
    bad = tmp_path / target
    bad.write_text("time_s,voltage_V,current_mA\n0,0.1,1\n")
    with pytest.raises(InputError, match=target):
        read_cycler_file(bad)


def test_unknown_extension_and_missing_file(tmp_path):
    odd = tmp_path / "cell.xyz"
    odd.write_text("x\n")
    with pytest.raises(InputError, match=r"cell\.xyz"):
        read_cycler_file(odd)
    with pytest.raises(InputError, match="not found"):
        read_cycler_file(tmp_path / "absent.csv")


def test_missing_extra_names_the_extra(tmp_path, monkeypatch):
    f = tmp_path / "x.nda"
    f.write_bytes(b"NEWARE" + b"\0" * 200)
    monkeypatch.setitem(sys.modules, "NewareNDA", None)  # import fails
    with pytest.raises(MissingExtraError, match=r"alloyscreen\[cells\]"):
        read_cycler_file(f)
    g = tmp_path / "x.mpr"
    g.write_bytes(b"BIO-LOGIC")
    monkeypatch.setitem(sys.modules, "galvani", None)
    monkeypatch.setitem(sys.modules, "galvani.BioLogic", None)
    with pytest.raises(MissingExtraError, match=r"alloyscreen\[biologic\]"):
        read_cycler_file(g)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_sim():
    return simulate_cell(
        CellConfig(kind="asymmetric", ce=0.9, n_cycles=30, points_per_half_cycle=12)
    )


def test_csv_round_trip_recovers_labels_and_capacity(tmp_path, small_sim):
    path = write_csv(small_sim.table, tmp_path / "sim.csv", header_lines=("metadata line",))
    back = read_csv(path)
    assert len(back) == len(small_sim.table)
    _check_normalised(back)
    # half cycles, cycles and capacities are recomputed from the current, not copied
    for col in ("half_cycle", "cycle", "step"):
        assert np.array_equal(back[col].to_numpy(), small_sim.table[col].to_numpy())
    np.testing.assert_allclose(
        back["capacity_mAh"], small_sim.table["capacity_mAh"], rtol=1e-6, atol=1e-9
    )


def test_csv_column_mapping_and_units(tmp_path, small_sim):
    t = small_sim.table
    path = tmp_path / "arbin_like.csv"
    frame = t.assign(
        **{"Test_Time(h)": t.time_s / 3600.0, "Volts": t.voltage_V, "Amps": t.current_mA / 1000.0}
    )[["Test_Time(h)", "Volts", "Amps"]]
    frame.to_csv(path, index=False, sep=";")
    back = read_csv(
        path,
        {"time_s": "Test_Time(h)", "voltage_V": "Volts", "current_mA": "Amps"},
        time_unit="h",
        current_unit="A",
    )
    np.testing.assert_allclose(back["time_s"], t["time_s"], rtol=1e-9)
    np.testing.assert_allclose(back["current_mA"], t["current_mA"], rtol=1e-9)
    assert back["half_cycle"].max() == t["half_cycle"].max()
    # aliases: Arbin's own names and units are recognised without a mapping
    arbin = tmp_path / "arbin.csv"
    t.assign(
        **{"Test_Time(s)": t.time_s, "Voltage(V)": t.voltage_V, "Current(A)": t.current_mA / 1e3}
    )[["Test_Time(s)", "Voltage(V)", "Current(A)"]].to_csv(arbin, index=False)
    np.testing.assert_allclose(read_csv(arbin)["current_mA"], t["current_mA"], rtol=1e-9)


def test_csv_errors_name_the_file(tmp_path, small_sim):
    path = write_csv(small_sim.table, tmp_path / "full.csv")
    text = path.read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(text[: len(text) // 2])  # cut inside a line, no final line break
    with pytest.raises(InputError, match=r"cut\.csv.*truncated"):
        read_csv(cut)
    partial = tmp_path / "partial.csv"
    lines = text.decode().splitlines()
    partial.write_text("\n".join([*lines[:50], lines[50].split(",")[0]]) + "\n")
    with pytest.raises(InputError, match=r"partial\.csv.*line 51"):
        read_csv(partial)
    nocols = tmp_path / "nocols.csv"
    nocols.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match=r"nocols\.csv.*--columns"):
        read_csv(nocols)
    back = tmp_path / "backwards.csv"
    back.write_text("time_s,voltage_V,current_mA\n0,0.1,1\n10,0.1,1\n5,0.1,1\n")
    with pytest.raises(InputError, match=r"backwards\.csv.*backwards"):
        read_csv(back)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02garbage\n")
    with pytest.raises(InputError, match=r"binary\.csv"):
        read_csv(binary)


def test_normalise_rules():
    # rest, +, rest, +, -, -, rest: the rest between two + steps does not start a half cycle
    i = np.array([0, 0, 1, 1, 0, 1, 1, -1, -1, -1, 0, 0], dtype=float)
    step = np.array([1, 1, 2, 2, 3, 4, 4, 5, 5, 6, 7, 7])
    t = np.arange(len(i)) * 3600.0
    table = normalise(t, np.sign(i) * 0.05, i, step=step)
    assert table["half_cycle"].tolist() == [0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    assert table["cycle"].tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    # 1 mA over the + half cycle: trapezoids give 0.5 + 1 + 0.5 (ramps to rest) + 1 mAh
    cap = table["capacity_mAh"].to_numpy()
    assert cap[1] == 0.0
    assert cap[6] == pytest.approx(3.0)
    assert cap[9] == pytest.approx(2.0)
