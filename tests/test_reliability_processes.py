"""Processes of a local campaign: Ctrl-C, a killed driver, two drivers on one store.

Each test drives ``alloyscreen run`` as a user would (a subprocess in its own session, signals
sent to it as a terminal or ``kill`` would), with the test-only ``SlowEMT`` calculator of
``tests/hpc_helpers.py`` so that tasks last long enough to act mid-campaign.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from ase.build import bulk
from ase.db import connect
from ase.io import write

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), str(HERE), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["HF_HUB_OFFLINE"] = "1"
    return env


def _campaign(tmp_path: Path, n: int, *, workers: int, delay_s: float) -> Path:
    folder = tmp_path / "structures"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        atoms = bulk("Cu", "fcc", a=3.50 + 0.02 * i, cubic=True)
        atoms.rattle(0.05, seed=i)
        write(folder / f"Cu{i:02d}.vasp", atoms, format="vasp")
    wf = tmp_path / "wf.toml"
    wf.write_text(
        textwrap.dedent(
            f"""
            [campaign]
            name = "processes"
            candidates = ["{folder}"]
            db = "{tmp_path / "store.db"}"
            output = "{tmp_path / "out"}"

            [calculator]
            name = "hpc_helpers:SlowEMT"
            options = {{ delay_s = {delay_s} }}

            [engine]
            kind = "local"
            workers = {workers}

            [steps.relax]
            fmax = 0.01
            keep_symmetry = false
            formation_energy = false
            """
        )
    )
    return wf


def _start(wf: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "alloyscreen", "run", str(wf), *extra],
        cwd=wf.parent,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal job
    )


def _done_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return connect(str(db)).count(status="done")
    except Exception:  # the file may be mid-creation
        return 0


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # ppid
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_ctrl_c_returns_fast_says_how_to_resume_and_keeps_finished_work(tmp_path):
    n = 8
    wf = _campaign(tmp_path, n, workers=2, delay_s=0.3)
    db = tmp_path / "store.db"
    proc = _start(wf)
    try:
        _wait(lambda: _done_rows(db) >= 1, 120, "a first stored result")
        workers = _children(proc.pid)
        t0 = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert took < 5.0, f"Ctrl-C took {took:.1f} s"
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted, rerun to resume" in err
    assert "Traceback" not in err
    kept = _done_rows(db)
    assert 1 <= kept < n
    _wait(lambda: not any(_alive(p) for p in workers), 5, "the workers to end")
    # Rerunning resumes: the kept results are reused, only the rest is computed.
    res = subprocess.run(
        [sys.executable, "-m", "alloyscreen", "run", str(wf), "--json"],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    relax = json.loads(res.stdout)["steps"]["relax"]
    assert relax["cached"] >= kept
    assert relax["computed"] == n - relax["cached"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_workers_do_not_outlive_a_killed_driver(tmp_path):
    wf = _campaign(tmp_path, 6, workers=2, delay_s=0.3)
    proc = _start(wf)
    try:
        _wait(lambda: len(_children(proc.pid)) >= 2, 120, "the worker processes")
        # Workers running tasks (not just started): give them a moment to import and compute.
        time.sleep(3.0)
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        t0 = time.monotonic()
        _wait(lambda: not any(_alive(p) for p in workers), 10, "orphaned workers to exit")
        assert time.monotonic() - t0 < 5.0
    finally:
        if proc.poll() is None:
            proc.kill()
        with __import__("contextlib").suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_two_runs_on_one_store_compute_each_task_once(tmp_path):
    n = 4
    wf = _campaign(tmp_path, n, workers=1, delay_s=0.2)
    first = _start(wf, "--json")
    second = _start(wf, "--json")
    out1, err1 = first.communicate(timeout=300)
    out2, err2 = second.communicate(timeout=300)
    assert first.returncode == 0, err1[-2000:]
    assert second.returncode == 0, err2[-2000:]
    s1 = json.loads(out1)["steps"]["relax"]
    s2 = json.loads(out2)["steps"]["relax"]
    assert s1["computed"] + s2["computed"] == n  # nothing computed twice...
    assert s1["tasks"] == s2["tasks"] == n  # ...and both runs see every result
    assert "in use by" in err1 + err2  # the waiting run says why it waits
    keys = Counter(r.task_key for r in connect(str(tmp_path / "store.db")).select())
    assert set(keys.values()) == {1}
    assert len(keys) == n
