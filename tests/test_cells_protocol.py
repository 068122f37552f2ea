"""The asymmetric-cell protocol as commands: ``cells compare``, ``interphase calibrate --cells``,
``cells simulate`` until depletion, and the simulated Fig. 2 grid (issue 15).

Cell files are generated with the simulator (growth law from the calibrated interphase class) and
written as CSV, as a user's cycler exports would be."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alloyscreen.errors import InputError
from alloyscreen.experiments.cells.protocol import compare_files
from alloyscreen.experiments.cells.readers import write_csv
from alloyscreen.experiments.cells.simulator import CellConfig, header_lines, simulate_cell
from alloyscreen.interphase.calibration import calibrate_by_metal, shipped_observations
from alloyscreen.interphase.growth import calibrated_growth_law

FOUR = "Li6PS5Cl:Li10GeP2S12=4:1"
SIXTEEN = "Li6PS5Cl:Li10GeP2S12=16:1"
HOURS = 600.0


def run(*args: str):
    from alloyscreen.cli import build_app

    return CliRunner().invoke(build_app(), list(args))


def write_cells(directory, composition: str, tag: str, *, metadata: bool = True):
    """Symmetric 100|100 and asymmetric 100|20, 100|50 cells of ``composition`` as CSV files."""
    law, _ = calibrated_growth_law(composition)
    paths = {}
    for kind, thin in (("symmetric", 100.0), ("asymmetric", 20.0), ("asymmetric", 50.0)):
        cfg = CellConfig(kind=kind, thin_li_um=thin, n_cycles=int(HOURS / 2), interphase=law,
                         points_per_half_cycle=8, max_hours=HOURS)  # fmt: skip
        res = simulate_cell(cfg)
        path = directory / f"{tag}_{kind}_{thin:g}.csv"
        write_csv(res.table, path, header_lines=header_lines(res.summary) if metadata else ())
        paths[(kind, thin)] = path
    return paths


@pytest.fixture(scope="module")
def cells(tmp_path_factory):
    d = tmp_path_factory.mktemp("cells")
    return {"4:1": write_cells(d, FOUR, "four"), "16:1": write_cells(d, SIXTEEN, "sixteen"),
            "dir": d}  # fmt: skip


def test_compare_four_to_one_is_detrimental_and_symmetric_misleading(cells):
    p = cells["4:1"]
    verdict, records = compare_files(
        p[("symmetric", 100.0)], [p[("asymmetric", 20.0)], p[("asymmetric", 50.0)]]
    )
    assert verdict.label == "detrimental, symmetric misleading"
    assert "the symmetric test misleads" in verdict.verdict
    a20, a50 = records[1].analysis, records[2].analysis
    assert a20.protocol.thin_li_um == 20.0  # read from the file's metadata
    assert a20.depleted
    assert a50.depleted
    assert a20.depletion_time_h < a50.depletion_time_h  # thinner foil depletes first
    assert not records[0].analysis.depleted
    assert not verdict.notes


def test_compare_sixteen_to_one_is_benign(cells):
    p = cells["16:1"]
    verdict, _ = compare_files(
        p[("symmetric", 100.0)], [p[("asymmetric", 20.0)], p[("asymmetric", 50.0)]]
    )
    assert verdict.label == "benign"
    assert not verdict.symmetric_misleading


def test_cli_compare_json_and_figure(cells, tmp_path):
    p = cells["4:1"]
    png = tmp_path / "cmp.png"
    res = run("cells", "compare", str(p[("symmetric", 100.0)]), str(p[("asymmetric", 20.0)]),
              str(p[("asymmetric", 50.0)]), "-o", str(png), "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["label"] == "detrimental, symmetric misleading"
    assert [c["thin_li_um"] for c in doc["cells"]] == [20.0, 50.0]
    assert png.stat().st_size > 10_000


def test_compare_needs_the_thin_thickness_or_metadata(tmp_path):
    p = write_cells(tmp_path, SIXTEEN, "bare", metadata=False)
    with pytest.raises(InputError, match="thin Li thickness unknown"):
        compare_files(p[("symmetric", 100.0)], [p[("asymmetric", 20.0)]])
    verdict, records = compare_files(
        p[("symmetric", 100.0)], [p[("asymmetric", 20.0)]], thin_li_um=[20.0]
    )
    assert records[1].analysis.protocol.thin_li_um == 20.0
    assert verdict.outcome == "benign"


def test_compare_rejects_unparseable_files(cells, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_text("this is not,a cycler export\n1,2\n")
    res = run("cells", "compare", str(cells["4:1"][("symmetric", 100.0)]), str(junk),
              "--thin-li-um", "20")  # fmt: skip
    assert res.exit_code == 2
    assert "junk.csv" in res.output


def experiments_file(cells, path, entries):
    lines = ["[protocol]", "thick_li_um = 100", ""]
    for comp, key in entries:
        p = cells[key]
        lines += [
            "[[experiment]]",
            f'composition = "{comp}"',
            f'symmetric = "{p[("symmetric", 100.0)].name}"',
            f'asymmetric = ["{p[("asymmetric", 20.0)].name}", "{p[("asymmetric", 50.0)].name}"]',
            "",
        ]
    path.write_text("\n".join(lines))
    return path


def test_calibration_from_cell_files_reproduces_the_window(cells):
    toml = experiments_file(cells, cells["dir"] / "exp.toml", [(FOUR, "4:1"), (SIXTEEN, "16:1")])
    res = run("interphase", "calibrate", "--cells", str(toml), "--no-morphologies", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    shipped = calibrate_by_metal(shipped_observations())[("Li17Ge4",)].window
    assert doc["by_metal"]["Li17Ge4"]["v_p_window"] == pytest.approx(list(shipped))
    assert {e["composition"]: e["label"] for e in doc["experiments"]} == {
        FOUR: "detrimental, symmetric misleading",
        SIXTEEN: "benign",
    }
    # the design follows from the cells alone (host and source inferred from the blends)
    design = doc["design"]
    assert design["host"] == "Li6PS5Cl"
    assert design["metal_source"] == "Li10GeP2S12"
    assert design["basis"] == "observations"
    assert 1 / 17 < design["recommended_max_fraction"] < 0.2
    # and the families that explain it: AR-20 and AR-30 needles are tabulated inside the window
    needles = next(
        f for f in doc["families"]["Li17Ge4"] if f["family"].startswith("random needles")
    )
    inside = {r["value"] for r in needles["rows"] if r["consistent"]}
    assert {20.0, 30.0} <= inside
    assert 10.0 not in inside


def test_calibration_rejects_bad_experiments(cells, tmp_path):
    bad = cells["dir"] / "bad.toml"
    bad.write_text('[[experiment]]\ncomposition = "Li6PS5Cl"\nsymmetric = "x.csv"\n')
    res = run("interphase", "calibrate", "--cells", str(bad), "--no-morphologies")
    assert res.exit_code == 2
    assert "asymmetric" in res.output
    missing = cells["dir"] / "missing.toml"
    missing.write_text('[[experiment]]\ncomposition = "Li6PS5Cl"\nasymmetric = ["nope.csv"]\n')
    res = run("interphase", "calibrate", "--cells", str(missing), "--no-morphologies")
    assert res.exit_code == 2
    assert "nope.csv" in res.output
    res = run("interphase", "calibrate", "--cells", str(tmp_path / "absent.toml"))
    assert res.exit_code == 2


def test_soft_short_is_inconclusive_and_cannot_calibrate(cells):
    from alloyscreen.experiments.cells.protocol import analyze_protocol_file
    from alloyscreen.experiments.cells.verdict import compare_protocol

    d = cells["dir"]
    res = simulate_cell(CellConfig(kind="asymmetric", thin_li_um=20.0, n_cycles=60,
                                   soft_short_after_h=40.0, points_per_half_cycle=10))  # fmt: skip
    path = d / "short.csv"
    write_csv(res.table, path, header_lines=header_lines(res.summary))
    rec = analyze_protocol_file(path, "asymmetric")
    assert rec.analysis.soft_short
    assert compare_protocol(None, [rec.analysis]).outcome == "inconclusive"
    toml = d / "short.toml"
    toml.write_text(f'[[experiment]]\ncomposition = "{SIXTEEN}"\nasymmetric = ["short.csv"]\n')
    out = run("interphase", "calibrate", "--cells", str(toml), "--no-morphologies")
    assert out.exit_code == 2
    assert "inconclusive" in out.output


def test_simulate_runs_until_depletion_by_default(tmp_path):
    """A 20 um thin electrode at CE 0.96 loses 0.02 mAh/cm2 per 2-h cycle of its 4.12 mAh/cm2:
    it must deplete (the old 100-cycle default stopped the run before)."""
    out = tmp_path / "ce.csv"
    res = run("cells", "simulate", "--ce", "0.96", "-o", str(out), "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["depleted"]
    assert doc["depletion_cycle"] > 100
    res = run("cells", "simulate", "--ce", "0.96", "-o", str(out), "--json", "--max-hours", "100")
    doc = json.loads(res.stdout)
    assert not doc["depleted"]
    assert doc["duration_h"] == pytest.approx(100.0)


def test_simulate_growth_law_from_the_calibrated_class(tmp_path):
    out = tmp_path / "c.csv"
    four = json.loads(run("cells", "simulate", "--composition", FOUR, "-o", str(out),
                          "--json").stdout)  # fmt: skip
    assert four["interphase_class"] == "MCI"
    assert four["classification_basis"] == "observations"
    assert four["depleted"]
    sixteen = json.loads(run("cells", "simulate", "--composition", SIXTEEN, "-o", str(out),
                             "--json", "--max-hours", "1000").stdout)  # fmt: skip
    assert sixteen["interphase_class"] == "MI-SEI"
    assert not sixteen["depleted"]


def test_fig2_grid_reproduces_the_papers_findings(tmp_path):
    from alloyscreen.interphase.protocol_grid import plot_grid, simulate_grid

    grid = simulate_grid(points_per_half_cycle=6)
    cell = {(g.interphase, g.cell): g.result.summary for g in grid}
    sym, a50, a20 = "symmetric 100|100 um", "asymmetric 100|50 um", "asymmetric 100|20 um"
    for inter in ("LPSC", "LPSC:LGPS 16:1"):
        for c in (sym, a50, a20):
            assert not cell[(inter, c)].depleted, (inter, c)
    for inter in ("LGPS", "LPSC:LGPS 4:1"):
        assert cell[(inter, a20)].depleted
        assert cell[(inter, a50)].depleted
        assert cell[(inter, a20)].depletion_time_h < cell[(inter, a50)].depletion_time_h
        assert not cell[(inter, sym)].depleted
    s = cell[("LPSC:LGPS 4:1", sym)]
    assert s.polarization_last_mV > s.polarization_first_mV  # it rises ...
    assert s.polarization_last_mV < 1.5 * s.polarization_first_mV  # ... modestly
    png = plot_grid(grid, tmp_path / "fig2.png")
    assert png.stat().st_size > 50_000
