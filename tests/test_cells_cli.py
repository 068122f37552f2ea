"""``alloyscreen cells simulate`` / ``cells analyze``: JSON output, round trip, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from alloyscreen.cli import cells

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "cycler"


@pytest.fixture(scope="module")
def app():
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    cells.register(app)
    return app


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_simulate_then_analyze(app, runner, tmp_path):
    out = tmp_path / "asym.csv"
    res = runner.invoke(
        app,
        ["cells", "simulate", "--config", "asymmetric", "--thin-li-um", "20", "--ce", "0.96",
         "--cycles", "300", "-o", str(out), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    sim = json.loads(res.stdout)
    assert sim["depleted"]
    assert out.is_file()
    png = tmp_path / "asym.png"
    res = runner.invoke(
        app,
        ["cells", "analyze", str(out), "--thin-li-um", "20", "--json", "-o", str(png)],
    )
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    for key in (
        "n_cycles",
        "depleted",
        "depletion_time_h",
        "depletion_cycle",
        "polarization_mV",
        "average_ce",
        "li_loss_mAh_cm2_per_cycle",
    ):
        assert key in got
    assert got["depleted"] is True
    assert got["depletion_cycle"] == sim["depletion_cycle"]
    assert abs(got["depletion_time_h"] - sim["depletion_time_h"]) < 1.0
    assert abs(got["average_ce"] - 0.96) / 0.96 < 0.01
    assert got["li_loss_mAh_cm2_per_cycle"] == pytest.approx(0.04 * 0.5, rel=1e-2)
    assert len(got["polarization_mV"]) == got["n_cycles"]
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_simulate_with_interphase_conductivity(app, runner, tmp_path):
    out = tmp_path / "sym.csv"
    res = runner.invoke(
        app,
        ["cells", "simulate", "--config", "symmetric", "--interphase-sigma-S-cm", "1e-2",
         "--cycles", "60", "-o", str(out), "--json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["depleted"] is False
    assert summary["polarization_last_mV"] > summary["polarization_first_mV"]
    assert summary["config"]["interphase"]["sigma_e_S_cm"] == 1e-2


@pytest.mark.parametrize(
    "args",
    [
        ["cells", "simulate", "--ce", "0.9", "--interphase-sigma-S-cm", "1e-3", "-o", "x.csv"],
        ["cells", "simulate", "--config", "triangular", "-o", "x.csv"],
        ["cells", "simulate", "--ce", "1.5", "-o", "x.csv"],
    ],
)
def test_simulate_bad_options_exit_2(app, runner, args):
    res = runner.invoke(app, args)
    assert res.exit_code == 2


def test_analyze_bad_files_exit_2_naming_the_file(app, runner, tmp_path):
    bad = tmp_path / "garbage.ndax"
    bad.write_text("not a zip archive\n")
    res = runner.invoke(app, ["cells", "analyze", str(bad)])
    assert res.exit_code == 2
    assert "garbage.ndax" in res.stderr
    odd = tmp_path / "cell.xyz"
    odd.write_text("1,2\n")
    res = runner.invoke(app, ["cells", "analyze", str(odd), "--json"])
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "cell.xyz" in res.stderr
    res = runner.invoke(app, ["cells", "analyze", str(tmp_path / "none.csv")])
    assert res.exit_code == 2


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/cycler is absent")
def test_analyze_real_file_and_truncated_copy(app, runner, tmp_path):
    res = runner.invoke(app, ["cells", "analyze", str(DATA / "navani_test.ndax"), "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["n_cycles"] == 1
    assert got["format"] == "neware-ndax"
    cut = tmp_path / "cut.nda"
    data = (DATA / "neware_new_nda_file.nda").read_bytes()
    cut.write_bytes(data[: len(data) - 40])
    res = runner.invoke(app, ["cells", "analyze", str(cut), "--json"])
    assert res.exit_code == 2
    assert "cut.nda" in res.stderr
    assert "truncated" in res.stderr
