"""SLURM engine pieces that need no SLURM: batch scripts, options, state file, CLI, local faults.

The tests against a real SLURM are in test_hpc_slurm.py (marked ``slurm``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from ase.build import bulk
from ase.db import connect
from typer.testing import CliRunner

from alloyscreen.cli import build_app
from alloyscreen.engines import LocalEngine, engine_from_section
from alloyscreen.engines.slurm import (
    STATE_FILENAME,
    SlurmEngine,
    campaign_state_path,
    driver_alive,
    gpu_for_worker,
    read_campaign_state,
    run_task,
)
from alloyscreen.errors import InputError
from alloyscreen.runner import run_tasks
from alloyscreen.store import ResultStore
from alloyscreen.tasks import TASK_KINDS, CalculatorSpec, TaskKind, make_task
from alloyscreen.workflow import load_workflow

pytest.importorskip("dask_jobqueue")

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
LOCAL_WORKFLOW = ROOT / "workflows" / "slurm_local.toml"
EXAMPLE_WORKFLOW = ROOT / "workflows" / "slurm.toml"


def _rows_per_key(db: Path) -> Counter:
    return Counter(row.task_key for row in connect(str(db)).select(include_data=False))


# ----- batch scripts and options --------------------------------------------------------------


def test_job_script_has_the_requested_resources():
    eng = SlurmEngine(
        queue="gpu",
        account="proj42",
        walltime="02:30:00",
        cores=8,
        processes=2,
        memory="16GiB",
        prologue=["module load python/3.11", "source venv/bin/activate"],
        interface="ib0",
        extra_directives=["--qos=short"],
        python="/shared/venv/bin/python",
        local_directory="$TMPDIR",
    )
    script = eng.job_script()
    lines = script.splitlines()
    assert lines[0].startswith("#!")
    for directive in (
        "#SBATCH -p gpu",
        "#SBATCH -A proj42",
        "#SBATCH -t 02:30:00",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=16G",
        "#SBATCH --qos=short",
    ):
        assert directive in lines, directive
    # the prologue runs before the worker, in order, after the thread settings
    i_module = lines.index("module load python/3.11")
    i_source = lines.index("source venv/bin/activate")
    i_threads = lines.index("export OMP_NUM_THREADS=4")  # 8 cores / 2 worker processes
    worker = next(line for line in lines if "distributed.cli.dask_worker" in line)
    assert i_threads < i_module < i_source < lines.index(worker)
    assert worker.startswith("/shared/venv/bin/python -m distributed.cli.dask_worker")
    # one task at a time per worker process (ASE calculators are not thread-safe)
    assert "--nthreads 1" in worker
    assert "--nworkers 2" in worker
    assert "--interface ib0" in worker
    assert "--local-directory $TMPDIR" in worker
    assert "--preload" not in worker


def test_gpu_jobs_get_one_worker_per_gpu():
    eng = SlurmEngine(cores=8, processes=1, gpus_per_job=4, memory="32GiB")
    script = eng.job_script()
    assert "#SBATCH --gres=gpu:4" in script
    assert "export ALLOYSCREEN_GPUS_PER_JOB=4" in script
    assert "export OMP_NUM_THREADS=2" in script
    worker = next(line for line in script.splitlines() if "dask_worker" in line)
    assert "--nworkers 4" in worker
    assert "--preload alloyscreen.engines.slurm" in worker
    # a GPU directive given by the user is not doubled
    own = SlurmEngine(cores=4, gpus_per_job=2, extra_directives=["--gpus-per-node=2"])
    assert "--gres" not in own.job_script()


@pytest.mark.parametrize(
    ("name", "gpus", "visible", "expected"),
    [
        ("SLURMCluster-3-0", 2, "4,5", "4"),  # SLURM gave the job GPUs 4 and 5
        ("SLURMCluster-3-1", 2, "4,5", "5"),
        ("SLURMCluster-12-3", 4, None, "3"),  # no CUDA_VISIBLE_DEVICES from SLURM: ordinal
        ("SLURMCluster-7", 1, "2", "2"),  # one GPU per job: the job's GPU
        ("SLURMCluster-7", 1, None, "0"),
    ],
)
def test_gpu_pinning_gives_each_worker_its_own_gpu(name, gpus, visible, expected):
    assert gpu_for_worker(name, gpus, visible) == expected


def test_gpu_preload_sets_cuda_visible_devices(monkeypatch):
    from alloyscreen.engines import slurm

    class FakeWorker:
        name = "SLURMCluster-0-1"

    monkeypatch.setenv("ALLOYSCREEN_GPUS_PER_JOB", "2")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "6,7")
    slurm.dask_setup(FakeWorker())
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "7"


def test_bad_slurm_options_are_input_errors():
    with pytest.raises(InputError, match="jobs"):
        SlurmEngine(jobs=0)
    with pytest.raises(InputError, match="processes = 4 > cores = 2"):
        SlurmEngine(cores=2, processes=4)
    with pytest.raises(InputError, match="memory"):
        SlurmEngine(memory="lots")


def test_engine_from_workflow_section():
    wf = load_workflow(LOCAL_WORKFLOW)
    eng = engine_from_section(wf.engine)
    assert isinstance(eng, SlurmEngine)
    assert (eng.queue, eng.cores, eng.jobs, eng.interface) == ("debug", 1, 2, "lo")
    assert eng.retries == wf.engine.retries
    example = SlurmEngine.from_section(load_workflow(EXAMPLE_WORKFLOW).engine)
    script = example.job_script()
    assert "#SBATCH -A myproject" in script
    assert "module load python/3.11" in script


def test_workers_exit_soon_after_their_driver_dies():
    """Issue 19: workers of a killed driver must not hold nodes for dask's default 60 s."""
    from alloyscreen.engines.slurm import DEFAULT_DEATH_TIMEOUT_S

    assert DEFAULT_DEATH_TIMEOUT_S < 60
    worker_line = SlurmEngine().job_script().strip().splitlines()[-1]
    assert f"--death-timeout {DEFAULT_DEATH_TIMEOUT_S}" in worker_line
    # configurable from the workflow's [engine.slurm]
    wf = load_workflow(LOCAL_WORKFLOW)
    section = wf.engine.model_copy(
        update={"slurm": wf.engine.slurm.model_copy(update={"death_timeout_s": 7.5})}
    )
    assert "--death-timeout 7.5" in SlurmEngine.from_section(section).job_script()
    with pytest.raises(InputError, match="death_timeout_s"):
        SlurmEngine(death_timeout_s=0)


def test_no_pending_task_starts_nothing(tmp_path, monkeypatch):
    # Without SLURM on PATH a started cluster would fail; an empty map must not even try.
    monkeypatch.setenv("PATH", str(tmp_path))
    eng = SlurmEngine(state_file=tmp_path / STATE_FILENAME)
    assert list(eng.map([])) == []
    assert eng.job_ids == []
    assert not (tmp_path / STATE_FILENAME).exists()
    eng.close()


def test_missing_sbatch_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    task = make_task("relax", "Cu", bulk("Cu", "fcc", a=3.6), CalculatorSpec.make("emt"))
    eng = SlurmEngine(state_file=tmp_path / STATE_FILENAME)
    with pytest.raises(InputError, match="sbatch not found"):
        next(eng.map([task]))
    eng.close()


def test_run_task_ships_runtime_task_kinds(monkeypatch):
    # A kind registered only in the driver still runs on a fresh worker process.
    kind = TaskKind("hpc_helpers:sleep_task", 1, "test kind")
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setitem(TASK_KINDS, "hpc-sleep", kind)
    task = make_task("hpc-sleep", "Cu", bulk("Cu"), CalculatorSpec.make("emt"), {"seconds": 0})
    monkeypatch.delitem(TASK_KINDS, "hpc-sleep")  # as on a worker
    outcome = run_task(task, kind)
    assert outcome.status == "done", outcome.error
    assert outcome.result == {"pid": os.getpid(), "n_atoms": 1}


# ----- campaign state file -----------------------------------------------------------------


def test_state_file_location_and_liveness(tmp_path):
    assert campaign_state_path(tmp_path / "x.db") == tmp_path / STATE_FILENAME
    assert campaign_state_path("postgresql://h/db") == Path("results") / STATE_FILENAME
    assert read_campaign_state(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text("{not json")
    assert read_campaign_state(tmp_path / "bad.json") is None
    import socket

    assert driver_alive({"pid": os.getpid(), "host": socket.gethostname()}) is True
    assert driver_alive({"pid": 2**22 + 12345, "host": socket.gethostname()}) is False
    assert driver_alive({"pid": 1, "host": "elsewhere"}) is None


# ----- CLI ---------------------------------------------------------------------------------


@pytest.fixture
def cli():
    runner = CliRunner()
    app = build_app()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_run_dry_run_prints_the_batch_script_without_slurm(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch, no squeue
    result = cli("run", str(LOCAL_WORKFLOW), "--engine", "slurm", "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert "#SBATCH -p debug" in plan["job_script"]
    assert "--interface lo" in plan["job_script"]


def test_submit_dry_run_prints_scripts_and_pending(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PATH", str(tmp_path))
    db = tmp_path / "s.db"
    result = cli(
        "submit",
        str(LOCAL_WORKFLOW),
        "--engine",
        "slurm",
        "--dry-run",
        "--db",
        str(db),
        "--queue",
        "short",
        "--jobs",
        "3",
        "--prologue",
        "module load foo",
        "--driver-job",
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)  # --json: one JSON document, the scripts inside
    assert doc["jobs"] == 3
    assert doc["pending"]["relax"] == {"done": 0, "failed": 0, "pending": 6}
    assert "#SBATCH -p short" in doc["worker_job_script"]
    assert "module load foo" in doc["worker_job_script"]
    driver = doc["driver_job_script"]
    assert "#SBATCH -J alloyscreen-slurm-local-driver" in driver
    assert " submit " in driver
    assert "--foreground" in driver
    assert "--queue short" in driver
    assert not db.exists()  # a dry run creates no store


def test_submit_rejects_other_engines_and_bad_options(cli):
    result = cli("submit", str(LOCAL_WORKFLOW), "--engine", "local", "--dry-run")
    assert result.exit_code == 2
    result = cli("submit", str(LOCAL_WORKFLOW), "--dry-run", "--memory", "lots")
    assert result.exit_code == 2
    assert "memory" in result.output


def test_status_counts_pending_from_the_workflow(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    db = tmp_path / "st.db"
    wf = load_workflow(LOCAL_WORKFLOW)
    from alloyscreen.campaign import load_campaign_candidates, relax_tasks

    cands = load_campaign_candidates(wf.campaign.candidates)
    tasks, _ = relax_tasks(cands, CalculatorSpec.make("emt"), wf.step("relax").options)
    store = ResultStore(db)
    run_tasks(tasks[:2], store, LocalEngine(1))  # two of six done
    result = cli("status", "--db", str(db), "--workflow", str(LOCAL_WORKFLOW), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["tasks"]["relax"] == {"done": 2, "failed": 0, "pending": 4}
    assert doc["campaign"] is None
    # without a workflow: what the store holds, pending unknown
    doc = json.loads(cli("status", "--db", str(db), "--json").stdout)
    assert doc["tasks"]["relax"] == {"done": 2, "failed": 0, "pending": None}
    # a stale state file (driver gone) is reported as not running
    (tmp_path / STATE_FILENAME).write_text(
        json.dumps(
            {
                "schema": "alloyscreen.campaign-state",
                "pid": 2**22 + 12345,
                "host": __import__("socket").gethostname(),
                "command": ["alloyscreen", "run"],
                "job_ids": ["99999"],
            }
        )
    )
    doc = json.loads(cli("status", "--db", str(db), "--json").stdout)
    assert doc["campaign"]["running"] is False
    assert doc["campaign"]["job_ids"] == ["99999"]
    human = cli("status", "--db", str(db))
    assert "stale" in human.stdout


def test_status_without_store_or_workflow_is_an_input_error(cli, tmp_path):
    result = cli("status", "--db", str(tmp_path / "missing.db"))
    assert result.exit_code == 2
    assert not (tmp_path / "missing.db").exists()


# ----- local engine: the same fault semantics --------------------------------------------------


def _dying_tasks(tmp_path: Path, n: int, **options):
    spec = CalculatorSpec.make("hpc_helpers:DyingEMT", marker=str(tmp_path / "died"), **options)
    return [
        make_task("relax", f"Cu{i}", bulk("Cu", "fcc", a=3.55 + 0.02 * i), spec, {"fmax": 0.1})
        for i in range(n)
    ]


@pytest.fixture
def helpers_on_path(monkeypatch):
    """Worker processes import ``hpc_helpers`` (spawned pools copy the parent's sys.path)."""
    monkeypatch.syspath_prepend(str(HERE))
    old = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(HERE), old])))


@pytest.mark.slow
def test_local_worker_death_is_retried_and_stored_once(tmp_path, helpers_on_path):
    tasks = _dying_tasks(tmp_path, 3)
    db = tmp_path / "local.db"
    summary = run_tasks(tasks, ResultStore(db), LocalEngine(workers=2, retries=1))
    assert (tmp_path / "died").exists()  # one worker process really died
    assert summary.n_failed == 0
    assert all(r.done for r in summary.results)
    assert _rows_per_key(db) == Counter({t.key: 1 for t in tasks})


@pytest.mark.slow
def test_local_worker_that_always_dies_is_stored_as_failed(tmp_path, helpers_on_path):
    tasks = _dying_tasks(tmp_path, 2, always=True)
    db = tmp_path / "local.db"
    summary = run_tasks(tasks, ResultStore(db), LocalEngine(workers=2, retries=1))
    assert summary.n_failed == 2
    assert all("died" in r.error for r in summary.results)
    assert _rows_per_key(db) == Counter({t.key: 1 for t in tasks})


def test_prepare_submission_builds_engine_args_and_driver_script(tmp_path, monkeypatch):
    from alloyscreen.submission import prepare_submission

    monkeypatch.chdir(ROOT)
    db = tmp_path / "s.db"
    sub = prepare_submission(
        LOCAL_WORKFLOW,
        db=str(db),
        overrides={"queue": "short", "jobs": 2},
        driver_job=True,
        driver_walltime="01:00:00",
    )
    assert sub.engine.jobs == 2
    assert sub.url == str(db)
    assert sub.args[:3] == ["submit", str(LOCAL_WORKFLOW.absolute()), "--foreground"]
    assert sub.args[sub.args.index("--queue") :][:2] == ["--queue", "short"]
    assert "#SBATCH -t 01:00:00" in sub.driver_script
    counts, problem = sub.pending()
    assert problem is None
    assert counts["relax"]["pending"] == 6
    assert not db.exists()
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch
    with pytest.raises(InputError, match="sbatch not found"):
        sub.submit_driver_job()
    with pytest.raises(InputError, match="unknown SLURM option"):
        prepare_submission(LOCAL_WORKFLOW, overrides={"partition": "x"})
