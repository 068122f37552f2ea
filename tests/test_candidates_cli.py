"""``alloyscreen candidates generate|list``: determinism, file errors, JSON output."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from alloyscreen.cli import build_app

runner = CliRunner()


@pytest.fixture(scope="module")
def app():
    return build_app()


def _strip_created(text):
    doc = json.loads(text)
    doc.pop("created", None)
    return json.dumps(doc, sort_keys=True)


def test_generate_is_byte_identical_apart_from_timestamp(app, tmp_path):
    args = [
        "candidates",
        "generate",
        "--elements",
        "Al,Bi",
        "--prototypes",
        "B2,B32,D03",
        "--solid-solutions",
        "Mg:0.1",
    ]
    r1 = runner.invoke(app, [*args, "-o", str(tmp_path / "a.json")])
    r2 = runner.invoke(app, [*args, "-o", str(tmp_path / "b.json")])
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    a = (tmp_path / "a.json").read_text().splitlines()
    b = (tmp_path / "b.json").read_text().splitlines()
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    assert all('"created"' in x for x, _ in diff)
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["schema"] == "alloyscreen.candidates"
    ids = [c["id"] for c in doc["candidates"]]
    assert ids[:2] == ["Li-bcc", "Li3Bi-D03"]
    assert ids.count("Li3Bi-D03") == 1  # prototype duplicate removed
    assert "Cu-fcc" in ids
    assert "LiF-B1" in ids


def test_candidate_file_is_readable_by_pymatgen(app, tmp_path):
    from monty.serialization import loadfn
    from pymatgen.core import Structure

    out = tmp_path / "c.json"
    r = runner.invoke(
        app,
        [
            "candidates",
            "generate",
            "--elements",
            "Ag",
            "--prototypes",
            "B2",
            "--no-references",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    doc = loadfn(out)
    assert all(isinstance(c["structure"], Structure) for c in doc["candidates"])


def test_malformed_cif_exit_1_names_file_rest_imported(app, tmp_path):
    from alloyscreen.structures.prototypes import prototype_candidate

    d = tmp_path / "in"
    d.mkdir()
    prototype_candidate("B2", "Ag").structure.to(filename=str(d / "good.cif"))
    (d / "broken.cif").write_text("data_broken\n_cell_length_a 3.0\nloop_\n_atom_site_label\nLi1\n")
    out = tmp_path / "f.json"
    r = runner.invoke(
        app,
        [
            "candidates",
            "generate",
            "--elements",
            "Ag",
            "--prototypes",
            "",
            "--no-known",
            "--no-references",
            "--source",
            "files",
            str(d),
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 1
    assert "broken.cif" in r.output
    doc = json.loads(out.read_text())
    assert [c["id"] for c in doc["candidates"]] == ["good"]
    assert doc["generator"]["file_errors"][0]["path"].endswith("broken.cif")


def test_list_json_rows(app, tmp_path):
    out = tmp_path / "l.json"
    runner.invoke(
        app, ["candidates", "generate", "--elements", "Al", "--prototypes", "B32", "-o", str(out)]
    )
    r = runner.invoke(app, ["candidates", "list", str(out), "--json"])
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert rows[0] == {
        "id": "Li-bcc",
        "formula": "Li",
        "prototype": "bcc",
        "source": "known",
        "category": "li_metal",
        "natoms": 2,
    }
    assert {"id", "formula", "prototype", "source", "natoms"} <= set(rows[-1])


def test_bad_input_exit_2(app, tmp_path):
    r = runner.invoke(
        app, ["candidates", "generate", "--elements", "Xx", "-o", str(tmp_path / "x.json")]
    )
    assert r.exit_code == 2
    assert "unknown element" in r.output
    r = runner.invoke(app, ["candidates", "list", str(tmp_path / "missing.json")])
    assert r.exit_code == 2


def test_shipped_candidate_sets_load():
    from pathlib import Path

    from alloyscreen.structures.candidates import load_candidates

    root = Path(__file__).resolve().parents[1] / "candidates"
    demo = load_candidates(root / "demo.json")
    assert {c.id for c in demo} == {"Li-bcc", "LiAl-B32", "LiAg-B2", "Cu-fcc", "Li2S-C1"}
    assert max(c.natoms for c in demo) <= 16
    full = load_candidates(root / "li_binary_alloys.json")
    assert {"Li3Bi-D03", "LiAl-B32", "Cu-fcc", "LiF-B1"} <= {c.id for c in full}
