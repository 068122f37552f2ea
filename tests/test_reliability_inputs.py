"""Bad inputs caught before any compute, with messages that name the problem literally.

Big cells, invalid workflow values, read-only / foreign / missing stores, Rich markup in
messages, the Materials Project without network, cell-cycling files in the wrong unit, and the
report's validation and Pareto plots.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from ase.build import bulk
from ase.io import write
from typer.testing import CliRunner

from alloyscreen.cli import build_app
from alloyscreen.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
APP = build_app()


def invoke(*args: str):
    return CliRunner().invoke(APP, list(args), catch_exceptions=False)


def _huge_li(n_repeat=(13, 14, 14)):
    return bulk("Li", "bcc", a=3.44, cubic=True).repeat(n_repeat)  # 5,096 atoms


# ----- big cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".extxyz", ".cif"])
def test_a_5000_atom_file_is_refused_within_seconds_and_little_memory(tmp_path, suffix):
    path = tmp_path / f"huge{suffix}"
    write(path, _huge_li())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The command runs under an intermediate Python whose only child it is, so that the peak RSS
    # measured (RUSAGE_CHILDREN) is this command's, not that of an earlier test's subprocess.
    wrapper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'alloyscreen', 'relax', sys.argv[1], '-c', "
        "'emt'], capture_output=True, text=True)\n"
        "sys.stderr.write(r.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(r.returncode)\n"
    )
    t0 = time.monotonic()
    res = subprocess.run(
        [sys.executable, "-c", wrapper, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    took = time.monotonic() - t0
    peak_gb = int(res.stdout.strip().splitlines()[-1]) / 1024**2  # ru_maxrss is in KiB on Linux
    assert res.returncode == 2, res.stderr[-2000:]
    assert "5096 atoms" in res.stderr
    assert str(path.name) in res.stderr
    assert took < 30.0, f"took {took:.1f} s"
    assert peak_gb < 1.0, f"peak RSS {peak_gb:.2f} GB"
    assert not (tmp_path / "results").exists()  # refused before a store was even opened


def test_overlap_check_memory_grows_linearly(tmp_path, monkeypatch):
    from alloyscreen.structures.files import read_structure_file

    path = tmp_path / "big.extxyz"
    write(path, _huge_li())
    monkeypatch.setenv("ALLOYSCREEN_MAX_ATOMS", "6000")
    tracemalloc.start()
    try:
        (cand,) = read_structure_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(cand.structure) == 5096
    # An all-pairs minimum-image distance array alone would be 5096^2 x 8 B = 208 MB.
    assert peak < 100e6, f"peak {peak / 1e6:.0f} MB"


def test_overlapping_atoms_are_still_found(tmp_path):
    from alloyscreen.structures.files import read_structure_file

    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.positions[1] = atoms.positions[0] + [0.3, 0.0, 0.0]
    path = tmp_path / "overlap.extxyz"
    write(path, atoms)
    with pytest.raises(InputError, match=r"closer than 0\.5"):
        read_structure_file(path)


# ----- workflow values -----------------------------------------------------------------------------


def _workflow(tmp_path: Path, **sections: str) -> Path:
    structure = tmp_path / "Cu.vasp"
    write(structure, bulk("Cu", "fcc", a=3.6), format="vasp")
    base = {
        "campaign": f'name = "v"\ncandidates = ["{structure}"]\ndb = "{tmp_path / "v.db"}"',
        "calculator": 'name = "emt"',
        "steps.relax": "fmax = 0.05",
    }
    base.update({k.replace("__", "."): v for k, v in sections.items()})
    wf = tmp_path / "wf.toml"
    wf.write_text("\n\n".join(f"[{name}]\n{body}" for name, body in base.items()) + "\n")
    return wf


BAD_VALUES = [
    ({"steps__relax": 'fmax = "small"'}, "fmax", "'small'"),
    ({"steps__relax": "fmax = -0.1"}, "fmax", "-0.1"),
    ({"steps__relax": 'optimizer = "GD"'}, "optimizer", "'GD'"),
    ({"calculator": 'name = "nosuchcalc"'}, "name", "'nosuchcalc'"),
    ({"calculator": 'name = "nosuchpackage.sub:Calc"'}, "name", "'nosuchpackage.sub:Calc'"),
    ({"steps__interphase": 'compositions = ["Li6PS5Xq"]'}, "compositions", "'Li6PS5Xq'"),
    (
        {"steps__interphase": 'host = "Qz2O"\nmetal_source = "Li10GeP2S12"'},
        "host",
        "'Qz2O'",
    ),
    ({"steps__interphase": "aspect_ratio = -3.0"}, "aspect_ratio", "-3.0"),
    ({"steps__rank": "weights = { affinty = 0.5, mobility = 0.5 }"}, "weights", "affinty"),
    ({"engine": "workers = 0"}, "workers", "0"),
]


@pytest.mark.parametrize(("sections", "key", "value"), BAD_VALUES)
def test_invalid_workflow_values_fail_dry_run_naming_file_key_value(tmp_path, sections, key, value):
    wf = _workflow(tmp_path, **sections)
    res = invoke("run", str(wf), "--dry-run")
    assert res.exit_code == 2, res.output
    assert str(wf) in res.output
    assert key in res.output
    assert value in res.output
    assert not (tmp_path / "v.db").exists()


def test_dry_run_shows_store_output_and_cached_tasks(tmp_path):
    wf = _workflow(tmp_path, steps__relax="fmax = 0.05\nformation_energy = false")
    res = invoke("run", str(wf), "--dry-run")
    assert res.exit_code == 0, res.output
    assert str(tmp_path / "v.db") in res.output
    assert "new, created by run" in res.output
    assert "1 to compute" in res.output
    assert not (tmp_path / "v.db").exists()
    assert invoke("run", str(wf)).exit_code == 0
    res = invoke("run", str(wf), "--dry-run", "--json")
    plan = json.loads(res.stdout)
    assert plan["db_exists"] is True
    assert plan["tasks"]["relax"] == {"done": 1, "failed": 0, "pending": 0}
    assert plan["output"] == "results"


# ----- stores --------------------------------------------------------------------------------------


def _cu_file(tmp_path: Path) -> Path:
    path = tmp_path / "Cu.cif"
    write(path, bulk("Cu", "fcc", a=3.7))
    return path


def test_foreign_sqlite_file_is_refused_and_left_untouched(tmp_path):
    db = tmp_path / "contacts.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE people (name TEXT, phone TEXT)")
    con.execute("INSERT INTO people VALUES ('Ada', '123')")
    con.commit()
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in (("db", "summary"), ("relax", str(_cu_file(tmp_path)), "-c", "emt")):
        res = invoke(*args, "--db", str(db))
        assert res.exit_code == 2, res.output
        assert "another program" in res.output
        assert "people" in res.output
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_db_summary_on_a_mistyped_path_creates_nothing(tmp_path):
    db = tmp_path / "resluts" / "alloyscreen.db"
    res = invoke("db", "summary", "--db", str(db))
    assert res.exit_code == 2
    assert "no results store" in res.output
    assert not db.exists()
    assert not db.parent.exists()


@pytest.fixture
def read_only_store(tmp_path):
    """An existing store this process cannot write (chmod as a user, chattr +i as root)."""
    db = tmp_path / "ro.db"
    from alloyscreen.store import ResultStore

    ResultStore(db)
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(db)]).returncode != 0:
            pytest.skip("root cannot make a read-only file here (no chattr +i)")
        yield db
        subprocess.run([chattr, "-i", str(db)], check=False)
    else:
        db.chmod(0o444)
        yield db
        db.chmod(0o644)


def test_read_only_store_fails_before_any_compute(tmp_path, read_only_store):
    res = invoke("relax", str(_cu_file(tmp_path)), "-c", "emt", "--db", str(read_only_store))
    assert res.exit_code == 2, res.output
    assert "read-only" in res.output
    assert "nothing was computed" in res.output
    # Reading it is fine.
    assert invoke("db", "summary", "--db", str(read_only_store)).exit_code == 0


# ----- messages print literally ------------------------------------------------------------------


def test_error_messages_keep_square_brackets(tmp_path):
    wf = tmp_path / "wf.toml"
    wf.write_text("[steps.relax]\nfmax = 0.05\n[steps.nosuchstep]\nx = 1\n")
    res = invoke("run", str(wf), "--dry-run")
    assert res.exit_code == 2
    assert "[steps.nosuchstep]" in res.output
    odd = tmp_path / "a[/bold]b" / "wf.toml"
    res = invoke("run", str(odd))
    assert res.exit_code == 2
    assert "a[/bold]b" in res.output


def test_file_errors_are_printed_once(tmp_path):
    bad = tmp_path / "broken.cif"
    bad.write_text("data_x\n_cell_length_a 3\n")
    res = subprocess.run(
        [sys.executable, "-m", "alloyscreen", "relax", str(bad), "-c", "emt"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert res.stderr.count("broken.cif") == 1, res.stderr


def test_help_texts_print_literally_and_verbose_is_a_count():
    text = " ".join(invoke("run", "--help").output.split())
    assert "[engine] workers" in text
    assert "[default: results/alloyscreen.db]" in text
    top = invoke("--help").output
    assert "<int>" not in top
    assert "-vv" in top


def test_relax_computes_formation_energies_by_default_like_workflows(tmp_path):
    res = invoke("relax", str(_cu_file(tmp_path)), "-c", "emt", "--db", str(tmp_path / "r.db"))
    assert res.exit_code == 0, res.output
    from alloyscreen.store import ResultStore

    ids = {r.candidate_id for r in ResultStore(tmp_path / "r.db").rows()}
    assert ids == {"Cu", "element:Cu"}


# ----- Materials Project without network -----------------------------------------------------------


def test_materials_project_without_network_is_a_clear_error(monkeypatch):
    client = pytest.importorskip("mp_api.client")
    from alloyscreen.structures.materials_project import mp_candidates

    class Unreachable:
        def __init__(self, *args, **kwargs):
            raise ConnectionError("Failed to establish a new connection: [Errno 101]")

    monkeypatch.setattr(client, "MPRester", Unreachable)
    monkeypatch.setenv("MP_API_KEY", "x" * 32)
    with pytest.raises(InputError, match="cannot reach the Materials Project"):
        mp_candidates(["Al"])


# ----- cell cycling units --------------------------------------------------------------------------


def test_cells_analyze_refuses_a_current_in_the_wrong_unit(tmp_path):
    import pandas as pd

    sim = tmp_path / "sim.csv"
    res = invoke("cells", "simulate", "--ce", "0.96", "--cycles", "40", "-o", str(sim))
    assert res.exit_code == 0, res.output
    header = [line for line in sim.read_text().splitlines() if line.startswith("#")]
    table = pd.read_csv(sim, comment="#")
    (col,) = [c for c in table.columns if "current" in c.lower()]
    table[col] = table[col] / 1000.0  # written in A under the same (mA) header
    amps = tmp_path / "amps.csv"
    amps.write_text("\n".join(header) + "\n" + table.to_csv(index=False))
    res = invoke("cells", "analyze", str(amps))
    assert res.exit_code == 2, res.output
    assert "another unit" in res.output
    res = invoke("cells", "analyse", str(sim))  # British spelling: hidden alias
    assert res.exit_code == 0, res.output
    assert "average CE" in res.stdout  # the result goes to stdout


# ----- report plots --------------------------------------------------------------------------------


def test_validation_plot_axes_hold_what_their_labels_say(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from matplotlib.figure import Figure

    from alloyscreen.shortlist_validation import plot_validation

    saved = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: saved.append(self))
    # (system, computed barrier in eV, measured D in cm^2/s), as validate() pairs them
    pairs = (("LiAl", 0.35, 1e-8), ("Li3Sb", 0.6, 1e-11), ("LiMg", 0.2, 1e-7))
    rep = SimpleNamespace(
        descriptor="network_barrier_eV",
        experimental_property="diffusion_coefficient",
        experimental_quantity="D (cm^2/s)",
        pairs=pairs,
        n_matched=3,
    )
    plot_validation(rep, tmp_path / "p.png")
    ax = saved[-1].axes[0]
    assert ax.get_xlabel().startswith("experimental")
    assert "D (cm^2/s)" in ax.get_xlabel()
    assert ax.get_xscale() == "log"
    assert "(eV)" in ax.get_ylabel()
    assert ax.get_yscale() == "linear"
    xs, ys = ax.collections[0].get_offsets().T
    assert sorted(xs) == sorted(p[2] for p in pairs)  # experiment on x
    assert sorted(ys) == sorted(p[1] for p in pairs)  # computed on y


def test_pareto_plot_shows_candidates_without_a_barrier(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from alloyscreen.ranking import RankedCandidate
    from alloyscreen.report import plot_pareto

    saved = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: saved.append(self))

    def cand(cid, w, e):
        values = {"w_adh_J_m2": w, "network_barrier_eV": e}
        return RankedCandidate(
            rank=1, id=cid, formula=cid, category="alloy", score=0.5, pareto=False,
            complete=False, values=values, normalised={}, status={}, errors={},
        )  # fmt: skip

    ranked = [cand("LiAl", 0.8, 0.3), cand("LiZn", 0.7, None), cand("Li2Te", None, 0.4)]
    assert plot_pareto(ranked, tmp_path / "p.png") is not None
    texts = {t.get_text() for t in saved[-1].axes[0].texts}
    assert {"LiAl", "LiZn", "Li2Te"} <= texts


def test_run_names_each_failed_task_and_its_reason(tmp_path):
    li = tmp_path / "Li.vasp"
    write(li, bulk("Li", "bcc", a=3.44), format="vasp")
    wf = tmp_path / "wf.toml"
    wf.write_text(
        f'[campaign]\ncandidates = ["{li}"]\ndb = "{tmp_path / "f.db"}"\n'
        '[calculator]\nname = "emt"\n[steps.relax]\nformation_energy = false\n'
    )
    res = invoke("run", str(wf))
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    assert "failed: relax Li:" in text
    assert "no parameters for element(s) Li" in text


def test_long_tasks_show_that_they_are_still_running(tmp_path, monkeypatch, caplog):
    import alloyscreen.runner as runner
    from alloyscreen.engines.worker import execute_task
    from alloyscreen.store import ResultStore
    from alloyscreen.tasks import CalculatorSpec, make_task

    class SlowEngine:
        name = "slow"

        def map(self, tasks):
            for task in tasks:
                time.sleep(1.5)  # a long task, as the driver sees it
                yield execute_task(task)

        def close(self):
            pass

    monkeypatch.setattr(runner, "HEARTBEAT_S", 0.4)
    task = make_task("relax", "Cu", bulk("Cu"), CalculatorSpec.make("emt"))
    with caplog.at_level("WARNING", logger="alloyscreen.runner"):
        runner.run_tasks([task], ResultStore(tmp_path / "r.db"), SlowEngine())
    assert any("still computing relax: 0 of 1" in m for m in caplog.messages)


def test_dry_run_refuses_candidates_the_calculator_cannot_treat(tmp_path):
    li = tmp_path / "LiAl.vasp"
    atoms = bulk("Al", "fcc", a=4.0) * (1, 1, 2)
    atoms[0].symbol = "Li"
    write(li, atoms, format="vasp")
    wf = _workflow(
        tmp_path,
        campaign=f'name = "v"\ncandidates = ["{li}"]\ndb = "{tmp_path / "v.db"}"',
    )
    res = invoke("run", str(wf), "--dry-run")
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert str(wf) in text
    assert "'emt' has no parameters for Li (LiAl" in text
    assert not (tmp_path / "v.db").exists()
