"""``alloyscreen migration``: store-backed runs (cached, resumable), JSON output, re-plotting."""

from __future__ import annotations

import json

import pytest
from ase.build import bulk
from typer.testing import CliRunner

from alloyscreen.cli import build_app
from alloyscreen.store import ResultStore
from alloyscreen.structures.candidates import Candidate, CandidateSet, save_candidates


@pytest.fixture(scope="module")
def app():
    return build_app()


@pytest.fixture
def candidates(tmp_path):
    """fcc Al (EMT has Al parameters: fast) and fcc Cu (no Al: skipped)."""
    cands = (
        Candidate.from_atoms(
            bulk("Al", "fcc", a=4.05),
            "Al-fcc",
            prototype="A1",
            source="prototype",
            category="metal",
        ),
        Candidate.from_atoms(
            bulk("Cu", "fcc", a=3.6), "Cu-fcc", prototype="A1", source="prototype", category="metal"
        ),
    )
    path = tmp_path / "cands.json"
    save_candidates(CandidateSet(cands), path)
    return path


def _run(app, args):
    result = CliRunner().invoke(app, args)
    return result


def test_migration_runs_through_the_store_and_replots(app, candidates, tmp_path):
    db = str(tmp_path / "r.db")
    args = ["migration", str(candidates), "--calculator", "emt", "--species", "Al", "--db", db]
    first = _run(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    records = json.loads(first.stdout)
    assert [r["id"] for r in records] == ["Al-fcc"]  # Cu-fcc has no Al: skipped
    rec = records[0]
    assert rec["status"] == "done"
    assert rec["formula"] == "Al"
    (hop,) = rec["hops"]
    for key in ("barrier_eV", "barrier_reverse_eV", "converged", "n_force_calls"):
        assert key in hop
    assert hop["converged"] is True
    assert abs(hop["barrier_eV"] - hop["barrier_reverse_eV"]) < 0.005
    assert rec["network_barrier_eV"] == pytest.approx(hop["barrier_eV"])
    assert rec["network_dimensionality"] == 3
    assert rec["D_298K_cm2_s"] > 0
    assert rec["cached"] is False

    # rerun: everything comes from the store (relax and migration)
    second = _run(app, [*args, "--json"])
    assert second.exit_code == 0, second.output
    again = json.loads(second.stdout)[0]
    assert again["cached"] is True
    assert again["hops"][0]["barrier_eV"] == hop["barrier_eV"]

    store = ResultStore(db)
    assert store.summary()["migration"] == {"done": 1}
    assert store.summary()["relax"] == {"done": 1}

    # the plot needs the store alone
    png = tmp_path / "mep.png"
    plot = _run(app, ["migration", "plot", "Al-fcc", "--db", db, "-o", str(png), "--json"])
    assert plot.exit_code == 0, plot.output
    assert json.loads(plot.stdout)["png"] == str(png)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_options_change_the_content_key(app, candidates, tmp_path):
    db = str(tmp_path / "r.db")
    base = ["migration", str(candidates), "--calculator", "emt", "--species", "Al", "--db", db]
    assert _run(app, [*base, "--json"]).exit_code == 0
    out = _run(app, [*base, "--images", "3", "--json"])
    assert out.exit_code == 0, out.output
    rec = json.loads(out.stdout)[0]
    assert rec["cached"] is False
    assert rec["hops"][0]["saddle_image"] == 2  # middle of 3 images
    assert ResultStore(db).summary()["migration"] == {"done": 2}


def test_unconverged_task_exits_1_and_is_stored_as_failed(app, candidates, tmp_path):
    db = str(tmp_path / "r.db")
    out = _run(
        app,
        [
            "migration",
            "run",
            str(candidates),
            "--calculator",
            "emt",
            "--species",
            "Al",
            "--db",
            db,
            "--max-steps",
            "2",
            "--json",
        ],
    )
    assert out.exit_code == 1, out.output
    rec = json.loads(out.stdout)[0]
    assert rec["status"] == "failed"
    assert "not converged" in rec["error"]
    assert rec["hops"][0]["status"] == "unconverged"
    assert all(h["barrier_eV"] is None for h in rec["hops"])
    assert ResultStore(db).summary()["migration"] == {"failed": 1}
    # the partial path is in the store and can be plotted from there
    png = tmp_path / "partial.png"
    plot = _run(app, ["migration", "plot", "Al-fcc", "--db", db, "-o", str(png)])
    assert plot.exit_code == 0, plot.output
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["migration", "missing.json", "--calculator", "emt"], "no such file"),
        (["migration", "CANDS", "--calculator", "emt", "--species", "Li"], "no candidate contains"),
        (["migration", "CANDS", "--calculator", "emt", "--ids", "nope"], "not found"),
        (["migration", "plot", "Al-fcc"], "no stored migration path"),
    ],
)
def test_bad_input_exits_2(app, candidates, tmp_path, args, message):
    args = [str(candidates) if a == "CANDS" else a for a in args]
    out = _run(app, [*args, "--db", str(tmp_path / "empty.db")])
    assert out.exit_code == 2, out.output
    assert message in " ".join(out.output.split())


def test_help_of_group_and_shorthand(app):
    group = _run(app, ["migration", "--help"])
    assert group.exit_code == 0
    assert "plot" in group.output
    assert "CANDIDATES.json" in group.output
    shorthand = _run(app, ["migration", "cands.json", "--help"])
    assert shorthand.exit_code == 0
    assert "--fmax" in shorthand.output
    assert "--images" in shorthand.output


def test_workflow_accepts_migration_keywords_and_rejects_typos(tmp_path):
    from alloyscreen.errors import InputError
    from alloyscreen.workflow import load_workflow

    good = tmp_path / "good.toml"
    good.write_text(
        '[campaign]\ncandidates = ["c.json"]\n\n[steps.migration]\n'
        'fmax = 0.05\nn_images = 5\nmax_hops = 2\nvacancy_fraction = 0.01\nids = ["Li-bcc"]\n'
    )
    wf = load_workflow(good)
    assert wf.step("migration").options["n_images"] == 5
    bad = tmp_path / "bad.toml"
    bad.write_text('[campaign]\ncandidates = ["c.json"]\n\n[steps.migration]\nnimages = 5\n')
    with pytest.raises(InputError, match="nimages"):
        load_workflow(bad)


def test_bad_input_exits_2_without_creating_a_store(app, candidates, tmp_path):
    db = tmp_path / "never.db"
    res = _run(app, ["migration", str(candidates), "--calculator", "emt", "--db", str(db)])
    assert res.exit_code == 2  # no candidate contains Li
    assert "no candidate contains Li" in res.output
    assert "Al-fcc" in res.output  # the skipped ids are named
    assert not db.exists()
