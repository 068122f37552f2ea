"""``alloyscreen percolation ...`` commands: JSON keys, files written, exit codes."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alloyscreen.cli import build_app

runner = CliRunner()


def _run(args):
    return runner.invoke(build_app(), ["percolation", *args])


def test_lattice_json():
    r = _run(["lattice", "--lattice", "sc", "--kind", "site", "--sizes", "8,12", "--samples",
              "200", "--seed", "1", "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"p_c", "p_c_err", "lattice", "kind", "sizes", "samples", "seed"} <= set(doc)
    assert abs(doc["p_c"] - 0.3116) < 0.01


def test_particles_json():
    r = _run(["particles", "--shape", "sphere", "--boxes", "8,11", "--samples", "100", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"phi_c", "phi_c_err", "shape", "distribution", "boxes", "seed"} <= set(doc)
    assert 0.2 < doc["phi_c"] < 0.4


def test_fit_json(tmp_path):
    p = tmp_path / "d.csv"
    rows = ["v_f,sigma_S_cm"] + [f"{v:.3f},{10 * (v - 0.3) ** 2:.6e}" for v in
                                 (0.35, 0.4, 0.45, 0.5, 0.6, 0.7)]  # fmt: skip
    p.write_text("\n".join(rows) + "\n")
    r = _run(["fit", str(p), "--bootstrap", "20", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["n"] == pytest.approx(2.0, abs=0.01)
    assert doc["v_p"] == pytest.approx(0.3, abs=1e-3)
    assert "n_err" in doc
    assert "v_p_err" in doc


def test_conductivity_json(tmp_path):
    out = tmp_path / "curve.csv"
    r = _run(["conductivity", "--vf", "0.4,0.5,0.6,0.7,0.8", "--n", "12", "--samples", "1",
              "--csv", str(out), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {"n", "n_err", "v_p", "v_p_err", "curve", "settings"} <= set(doc)
    assert out.is_file()


def test_map_writes_png_and_csv(tmp_path):
    png = tmp_path / "map.png"
    csv = tmp_path / "map.csv"
    r = _run(["map", "--vary", "aspect-ratio", "--values", "1,3", "--preset", "fast",
              "-o", str(png), "--csv", str(csv), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert png.stat().st_size > 1000
    assert csv.is_file()
    rows = doc["rows"]
    assert len(rows) == 2
    assert rows[1]["phi_c"] < rows[0]["phi_c"]


def test_bad_input_exit_code_2(tmp_path):
    assert _run(["lattice", "--lattice", "hex", "--json"]).exit_code == 2
    assert _run(["particles", "--shape", "sphere", "--aspect-ratio", "3"]).exit_code == 2
    assert _run(["fit", str(tmp_path / "nope.csv")]).exit_code == 2
    assert _run(["map", "--vary", "colour"]).exit_code == 2
