"""The slurm engine against a real SLURM (``scripts/local-slurm.sh install && ... start``).

Skipped unless ``sinfo`` answers. Every campaign goes through an ``sbatch`` shim that logs the job
ids it submits, so the tests can tell exactly which (and how many) SLURM jobs a run created.
Tasks are made slow where a test must act mid-campaign, with the test-only ``SlowEMT`` calculator
of ``tests/hpc_helpers.py`` (importable on the workers through ``PYTHONPATH``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from ase.build import bulk
from ase.db import connect

from alloyscreen.engines.slurm import (
    ALIVE_STATES,
    STATE_FILENAME,
    SlurmEngine,
    read_campaign_state,
    squeue_states,
)
from alloyscreen.runner import run_tasks
from alloyscreen.store import ResultStore
from alloyscreen.tasks import CalculatorSpec, make_task


def _slurm_answers() -> bool:
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return False
    try:
        return subprocess.run(["sinfo", "-h"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        not _slurm_answers(),
        reason="no SLURM answers (sinfo); start one: scripts/local-slurm.sh install && "
        "scripts/local-slurm.sh start",
    ),
]

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
WORKFLOW = ROOT / "workflows" / "slurm_local.toml"
CANDIDATES = HERE / "data" / "hpc" / "tiny_alloys.json"
N_TASKS = 6  # 3 alloys + elemental Al, Cu, Ni references
PARTITION = os.environ.get("ALLOYSCREEN_TEST_PARTITION", "debug")


# ----- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path):
    """Environment of a driver: ``sbatch`` shim first on PATH, test helpers on PYTHONPATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "sbatch.log"
    log.touch()
    real = shutil.which("sbatch")
    shim = bindir / "sbatch"
    shim.write_text(
        "#!/usr/bin/env bash\n"
        f'out=$("{real}" "$@"); rc=$?\n'
        'echo "$out"\n'
        f'[ $rc -eq 0 ] && echo "$out" | grep -o "[0-9][0-9]*" | tail -1 >> "{log}"\n'
        "exit $rc\n"
    )
    shim.chmod(0o755)
    out = dict(os.environ)
    out["PATH"] = f"{bindir}{os.pathsep}{out.get('PATH', '')}"
    out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), out.get("PYTHONPATH")]))
    out["HF_HUB_OFFLINE"] = "1"
    out["_SBATCH_LOG"] = str(log)
    return out


def submitted(env) -> list[str]:
    """Job ids the ``sbatch`` shim has submitted so far."""
    return Path(env["_SBATCH_LOG"]).read_text().split()


def write_workflow(tmp_path: Path, *, delay_s: float | None = None) -> Path:
    """``workflows/slurm_local.toml`` with its store/output in ``tmp_path`` (slow EMT if asked)."""
    text = WORKFLOW.read_text()
    text = text.replace('"tests/data/hpc/tiny_alloys.json"', json.dumps(str(CANDIDATES)))
    text = text.replace('db = "results/slurm_local.db"', f'db = "{tmp_path / "campaign.db"}"')
    text = text.replace('output = "results"', f'output = "{tmp_path / "out"}"')
    text = text.replace('queue = "debug"', f'queue = "{PARTITION}"')
    if delay_s is not None:
        text = text.replace(
            'name = "emt"',
            f'name = "hpc_helpers:SlowEMT"\noptions = {{ delay_s = {delay_s} }}',
        )
    path = tmp_path / "workflow.toml"
    path.write_text(text)
    return path


def alloyscreen(*args: str, env, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "alloyscreen", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(*args: str, env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "alloyscreen", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rows_per_key(db: Path) -> Counter:
    return Counter(r.task_key for r in connect(str(db)).select(include_data=False))


def n_done(db: Path) -> int:
    """Done rows in ``db`` (0 while the driver is still creating the file)."""
    if not db.exists():
        return 0
    try:
        return sum(r.status == "done" for r in connect(str(db)).select(include_data=False))
    except Exception:  # a half-created schema (ase reads the version row before it exists)
        return 0


def wait_for(condition, timeout: float, what: str, interval: float = 0.3):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def jobs_gone(ids) -> bool:
    states = squeue_states(list(ids))
    return states is not None and all(states.get(i) not in ALIVE_STATES for i in ids)


@pytest.fixture(autouse=True)
def _cancel_leftovers(env):
    """Whatever a failing test leaves queued is cancelled (never leak jobs into the next test)."""
    yield
    ids = submitted(env)
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True, check=False)


# ----- acceptance: a campaign runs as SLURM jobs; a rerun submits nothing -----------------------


def test_campaign_runs_as_slurm_jobs_and_rerun_submits_none(tmp_path, env):
    db = tmp_path / "local.db"
    t0 = time.monotonic()
    run = alloyscreen("run", str(WORKFLOW), "--engine", "slurm", "--db", str(db), "--json", env=env)
    runtime = time.monotonic() - t0
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    assert summary["steps"]["relax"]["computed"] == N_TASKS
    assert summary["steps"]["relax"]["failed"] == 0
    jobs = submitted(env)
    assert 1 <= len(jobs) <= 2  # jobs = 2 in the workflow: batching, not one job per task

    store = ResultStore(db)
    rows = list(store.rows(kind="relax"))
    assert len(rows) == N_TASKS
    assert all(r.done for r in rows)
    ran_in = {r.provenance.get("slurm_job_id") for r in rows}
    assert None not in ran_in  # every task ran inside a SLURM job...
    assert ran_in <= set(jobs)  # ...that this campaign submitted
    assert rows_per_key(db) == Counter({r.key: 1 for r in rows})
    assert not (tmp_path / STATE_FILENAME).exists()  # removed when the driver closed
    wait_for(lambda: jobs_gone(jobs), 60, "the worker jobs to end")
    print(f"\ncampaign of {N_TASKS} EMT relaxations on local SLURM: {runtime:.1f} s, jobs {jobs}")

    rerun = alloyscreen(
        "run", str(WORKFLOW), "--engine", "slurm", "--db", str(db), "--json", env=env
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    again = json.loads(rerun.stdout)["steps"]["relax"]
    assert (again["computed"], again["cached"]) == (0, N_TASKS)
    assert submitted(env) == jobs  # not a single new sbatch

    status = alloyscreen("status", "--db", str(db), "--workflow", str(WORKFLOW), "--json", env=env)
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["tasks"]["relax"] == {"done": N_TASKS, "failed": 0, "pending": 0}
    assert doc["campaign"] is None


# ----- acceptance: scancel of a worker's job mid-campaign ---------------------------------------


def test_scancel_of_a_worker_job_mid_campaign_still_stores_every_task_once(tmp_path, env):
    wf = write_workflow(tmp_path, delay_s=1.0)
    db = tmp_path / "campaign.db"
    proc = start("run", str(wf), "--engine", "slurm", "--json", env=env)
    try:
        state_file = tmp_path / STATE_FILENAME
        state = wait_for(
            lambda: (s := read_campaign_state(state_file)) and len(s["job_ids"]) == 2 and s,
            90,
            "the campaign state file with two jobs",
        )
        wait_for(lambda: n_done(db) >= 1, 120, "a first result")

        status = alloyscreen("status", "--db", str(db), "--workflow", str(wf), "--json", env=env)
        doc = json.loads(status.stdout)
        assert doc["campaign"]["running"] is True
        assert set(doc["campaign"]["job_ids"]) == set(state["job_ids"])
        assert doc["tasks"]["relax"]["pending"] >= 1

        running = wait_for(
            lambda: [
                i for i, s in (squeue_states(state["job_ids"]) or {}).items() if s == "RUNNING"
            ],
            30,
            "a running worker job",
        )
        victim = running[0]
        subprocess.run(["scancel", victim], check=True)
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-3000:]
    rows = list(ResultStore(db).rows())
    assert len(rows) == N_TASKS
    assert all(r.done for r in rows), [r.error for r in rows if not r.done]
    assert set(rows_per_key(db).values()) == {1}  # every task exactly once
    jobs = submitted(env)
    assert victim in jobs
    assert len(jobs) >= 3  # the cancelled job was replaced
    summary = json.loads(out)
    assert summary["steps"]["relax"]["computed"] == N_TASKS
    print(f"\nscancel {victim}: jobs submitted {jobs}; all {N_TASKS} tasks done once")


# ----- worker process deaths and retries (API, in this process) ---------------------------------


def _tasks(tmp_path: Path, n: int, **options):
    spec = CalculatorSpec.make("hpc_helpers:DyingEMT", marker=str(tmp_path / "died"), **options)
    return [
        make_task("relax", f"Cu{i}", bulk("Cu", "fcc", a=3.55 + 0.02 * i), spec, {"fmax": 0.1})
        for i in range(n)
    ]


def test_worker_process_death_is_retried_then_reported(tmp_path, env, monkeypatch):
    for key in ("PATH", "PYTHONPATH"):
        monkeypatch.setenv(key, env[key])  # sbatch exports the driver's environment to jobs
    options = {
        "queue": PARTITION,
        "cores": 1,
        "memory": "1GB",
        "walltime": "00:05:00",
        "interface": "lo",
        "state_file": tmp_path / STATE_FILENAME,
        "check_interval_s": 1.0,
    }
    db = tmp_path / "api.db"
    tasks = _tasks(tmp_path, 3)
    with SlurmEngine(jobs=1, retries=1, **options) as eng:
        summary = run_tasks(tasks, ResultStore(db), eng)
    assert (tmp_path / "died").exists()  # a worker process really died mid-task
    assert summary.n_failed == 0
    assert {r.provenance["slurm_job_id"] for r in summary.results} <= set(submitted(env))

    (tmp_path / "died").unlink()
    doomed = _tasks(tmp_path, 1, always=True)
    with SlurmEngine(jobs=1, retries=0, **options) as eng:
        summary = run_tasks(doomed, ResultStore(db), eng)
    assert summary.n_failed == 1
    assert "died 1 time(s)" in summary.results[0].error
    assert set(rows_per_key(db).values()) == {1}


# ----- interrupted drivers: finished results stay, a rerun resumes ------------------------------


def test_ctrl_c_keeps_finished_results_and_cancels_the_jobs(tmp_path, env):
    wf = write_workflow(tmp_path, delay_s=0.5)
    db = tmp_path / "campaign.db"
    proc = start("run", str(wf), "--engine", "slurm", env=env)
    try:
        wait_for(lambda: n_done(db) >= 1, 120, "a first result")
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    done = n_done(db)
    assert 1 <= done < N_TASKS
    jobs = submitted(env)
    wait_for(lambda: jobs_gone(jobs), 30, "the cancelled worker jobs to leave the queue")
    assert not (tmp_path / STATE_FILENAME).exists()

    rerun = alloyscreen("run", str(wf), "--engine", "slurm", "--json", env=env)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    relax = json.loads(rerun.stdout)["steps"]["relax"]
    assert (relax["cached"], relax["computed"]) == (done, N_TASKS - done)
    assert set(rows_per_key(db).values()) == {1}


def test_killed_driver_leaves_results_and_a_stale_status(tmp_path, env):
    wf = write_workflow(tmp_path, delay_s=0.5)
    db = tmp_path / "campaign.db"
    proc = start("run", str(wf), "--engine", "slurm", env=env)
    try:
        wait_for(lambda: n_done(db) >= 1, 120, "a first result")
        proc.kill()  # SIGKILL: no clean-up at all
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    done = n_done(db)
    assert done >= 1
    status = alloyscreen("status", "--db", str(db), "--workflow", str(wf), "--json", env=env)
    doc = json.loads(status.stdout)
    assert doc["campaign"]["running"] is False  # the state file outlived its driver
    assert doc["tasks"]["relax"]["done"] == done
    assert doc["tasks"]["relax"]["pending"] == N_TASKS - done
    human = alloyscreen("status", "--db", str(db), env=env)
    assert "stale" in human.stdout
    # The orphaned worker jobs end by themselves: their dask workers lose the scheduler and exit
    # after [engine.slurm] death_timeout_s (15 s by default), which ends the SLURM job.
    ids = doc["campaign"]["job_ids"]
    t0 = time.monotonic()
    wait_for(lambda: jobs_gone(ids), 90, "the orphaned worker jobs to end", interval=1.0)
    assert time.monotonic() - t0 < 60


# ----- submit: detached driver and driver-as-a-job ---------------------------------------------


def test_submit_detached_driver_runs_the_campaign(tmp_path, env):
    wf = write_workflow(tmp_path)
    db = tmp_path / "campaign.db"
    out = alloyscreen("submit", str(wf), "--engine", "slurm", "--json", env=env)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["mode"] == "detached"

    def finished() -> bool:
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            return True
        with open(f"/proc/{info['pid']}/stat") as fh:  # a zombie has finished too
            return fh.read().split()[2] == "Z"

    wait_for(finished, 180, "the detached driver to finish", interval=0.5)
    assert n_done(db) == N_TASKS, Path(info["log"]).read_text()[-3000:]
    assert len(submitted(env)) >= 1


def test_submit_driver_job_runs_the_campaign_inside_slurm(tmp_path, env):
    wf = write_workflow(tmp_path)
    db = tmp_path / "campaign.db"
    out = alloyscreen(
        "submit", str(wf), "--engine", "slurm", "--driver-job", "--jobs", "1", "--json", env=env
    )
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    driver = info["job_id"]
    wait_for(lambda: jobs_gone([driver]), 180, "the driver job to end", interval=0.5)
    logs = "".join(p.read_text() for p in (tmp_path / "slurm-logs").glob("*driver*"))
    assert n_done(db) == N_TASKS, logs[-3000:]
    workers = [j for j in submitted(env) if j != driver]
    assert workers  # the driver job submitted worker jobs itself
    ran_in = {r.provenance["slurm_job_id"] for r in ResultStore(db).rows()}
    assert ran_in <= set(workers)
