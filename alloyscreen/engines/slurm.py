"""SLURM engine: dask-jobqueue's ``SLURMCluster`` runs dask workers as SLURM batch jobs.

The driver (this process, on the login node) holds the dask scheduler and writes the store; each
SLURM job runs ``processes`` dask worker processes that pull many small tasks each (no SLURM job
per task) and send :class:`~alloyscreen.tasks.TaskOutcome` objects back. No SQLite from nodes.

Fault handling
--------------
- A task that raises is a ``failed`` outcome (caught on the worker by
  :func:`~alloyscreen.engines.worker.execute_task`); rerunning retries it.
- A worker process or SLURM job that dies mid-task (``scancel``, node failure, walltime, out of
  memory) makes the scheduler reschedule the task on another worker, up to ``retries`` times
  (``distributed.scheduler.allowed-failures``); after that the task is stored as failed. A watcher
  thread polls ``squeue`` and submits a replacement job for every job that ended, so the campaign
  keeps ``jobs`` jobs until it is done.
- The driver commits each outcome as it arrives (:func:`alloyscreen.runner.run_tasks`): Ctrl-C or
  a killed driver keeps every finished result, and a rerun computes only what is missing. Workers
  of a killed driver exit once they cannot reach its scheduler for ``death_timeout_s``
  (:data:`DEFAULT_DEATH_TIMEOUT_S`, instead of dask's 60 s; the worker's ``--death-timeout``),
  which ends their jobs.

Nothing is submitted until :meth:`SlurmEngine.map` receives at least one task, so rerunning a
finished campaign submits no SLURM job. :meth:`SlurmEngine.job_script` renders the batch script
without a scheduler, a cluster or ``sbatch``.

While a campaign runs, a small JSON state file (``.alloyscreen-campaign.json`` next to the store)
lists the driver pid and the SLURM job ids; ``alloyscreen status`` reads it. It is removed by
:meth:`SlurmEngine.close`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from alloyscreen.engines.base import failed_outcome
from alloyscreen.errors import InputError, MissingExtraError
from alloyscreen.tasks import Task, TaskKind, TaskOutcome, register_task_kind

logger = logging.getLogger(__name__)

#: Name of the campaign state file written next to the results store while a campaign runs.
STATE_FILENAME = ".alloyscreen-campaign.json"
#: Seconds a worker goes on without reaching the scheduler before it exits (its job then ends):
#: short, so that the workers of a killed driver do not hold nodes (dask-jobqueue's default is
#: 60 s), long enough to ride out a brief network hiccup.
DEFAULT_DEATH_TIMEOUT_S = 15.0
STATE_SCHEMA = "alloyscreen.campaign-state"

#: Placeholder shown in rendered job scripts before a scheduler exists.
SCHEDULER_PLACEHOLDER = "tcp://<scheduler-address>:<port>"

#: ``squeue`` states of a job that still holds (or waits for) resources.
ALIVE_STATES = frozenset(
    {"PENDING", "CONFIGURING", "RUNNING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "RESIZING"}
)

#: Environment variable telling the GPU preload how many GPUs (workers) a job has.
GPU_ENV = "ALLOYSCREEN_GPUS_PER_JOB"

#: Consecutive failed job submissions, or jobs that end without ever starting a worker, after
#: which the engine gives up instead of submitting jobs forever.
MAX_START_FAILURES = 3


# ----- campaign state file ------------------------------------------------------------------


def campaign_state_path(store_url: str | os.PathLike[str]) -> Path:
    """Where the state file of a campaign writing to ``store_url`` lives.

    Next to an SQLite store (``results/alloyscreen.db`` -> ``results/.alloyscreen-campaign.json``);
    ``results/`` in the working directory for a server URL (``postgresql://...``).
    """
    text = str(store_url)
    if "://" in text:
        return Path("results") / STATE_FILENAME
    return Path(text).parent / STATE_FILENAME


def read_campaign_state(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The state file's content, or ``None`` when there is none (or it is unreadable)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != STATE_SCHEMA:
        return None
    return data


def driver_alive(state: dict[str, Any]) -> bool | None:
    """Whether the driver process named in ``state`` still runs (``None``: on another host)."""
    if state.get("host") != socket.gethostname():
        return None
    try:
        os.kill(int(state["pid"]), 0)
    except (KeyError, ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def squeue_states(job_ids: Sequence[str] | None = None) -> dict[str, str] | None:
    """``{job id: state}`` of this user's SLURM jobs (``None`` when ``squeue`` does not answer).

    Finished jobs stay listed (``COMPLETED``, ``CANCELLED``...) for SLURM's ``MinJobAge``; jobs
    absent from the answer are long gone.
    """
    exe = shutil.which("squeue")
    if exe is None:
        return None
    import getpass

    # --user rather than --me: the latter needs SLURM >= 20.11
    cmd = [exe, f"--user={getpass.getuser()}", "--noheader", "--states=all", "--format=%i|%T"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        logger.debug("squeue failed: %s", proc.stderr.strip())
        return None
    states: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        job_id, _, state = line.strip().partition("|")
        if job_id:
            states[job_id] = state
    if job_ids is not None:
        wanted = set(job_ids)
        states = {k: v for k, v in states.items() if k in wanted}
    return states


# ----- code that runs on the workers ---------------------------------------------------------


def run_task(task: Task, kind: TaskKind) -> TaskOutcome:
    """Worker entry point: make ``kind`` known in this process, then run ``task``.

    The driver sends the :class:`~alloyscreen.tasks.TaskKind` with each task, so task kinds
    registered at run time in the driver (plugins, tests, benchmarks) also work on fresh workers.
    """
    from alloyscreen.engines.worker import execute_task
    from alloyscreen.tasks import TASK_KINDS

    if TASK_KINDS.get(task.kind) != kind:
        register_task_kind(task.kind, kind)
    return execute_task(task)


def gpu_for_worker(worker_name: str, gpus_per_job: int, visible: str | None) -> str:
    """The ``CUDA_VISIBLE_DEVICES`` value of one worker of a GPU job.

    Parameters
    ----------
    worker_name : str
        Dask worker name; with several workers per job dask-jobqueue names them ``<job>-<i>``.
    gpus_per_job : int
        GPUs (= worker processes) per job.
    visible : str or None
        The job's ``CUDA_VISIBLE_DEVICES`` as set by SLURM for ``--gres=gpu:N`` (may be unset).

    Returns
    -------
    str
        The ``i``-th of the job's GPUs, so that each worker sees exactly one GPU.
    """
    index = 0
    if gpus_per_job > 1:
        try:
            index = int(worker_name.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            index = 0
    devices = [d for d in (visible or "").split(",") if d.strip()]
    if len(devices) >= gpus_per_job > 0:
        return devices[index % len(devices)].strip()
    return str(index)


def dask_setup(worker: Any) -> None:
    """Dask ``--preload`` hook (GPU jobs): pin this worker process to one GPU.

    Runs when the worker starts, before any task imports torch, so the calculator factory's
    device choice (``cuda`` when torch sees a GPU) uses this worker's GPU only.
    """
    gpus = int(os.environ.get(GPU_ENV, "0") or 0)
    if gpus < 1:
        return
    device = gpu_for_worker(str(worker.name), gpus, os.environ.get("CUDA_VISIBLE_DEVICES"))
    os.environ["CUDA_VISIBLE_DEVICES"] = device
    logger.info("worker %s uses GPU %s", worker.name, device)


# ----- the engine ------------------------------------------------------------------------------


def _failed(task: Task, error: str) -> TaskOutcome:
    return failed_outcome(task, error, engine="slurm")


async def _sync_jobs(cluster: Any, dead: Sequence[str], target: int) -> None:
    """On the cluster's event loop: forget ``dead`` jobs, top up to ``target`` jobs, submit.

    Replacement jobs get new names, so dask's own lost-worker clean-up of the old name can never
    cancel a replacement still waiting in the queue. Raises when ``sbatch`` fails.
    """
    for name in dead:
        cluster.worker_spec.pop(name, None)
        job = cluster.workers.pop(name, None)
        if job is not None:
            with contextlib.suppress(Exception):
                await job.close()  # scancel; harmless when the job is gone
    while len(cluster.worker_spec) < target:
        cluster.worker_spec.update(cluster.new_worker_spec())
    await cluster._correct_state()  # submits the missing jobs; raises if sbatch fails


class SlurmEngine:
    """Run tasks on SLURM through dask-jobqueue (``SLURMCluster`` + ``distributed.Client``).

    Parameters
    ----------
    queue : str, optional
        Partition (``#SBATCH -p``).
    account : str, optional
        Account to charge (``#SBATCH -A``).
    walltime : str
        Walltime of each worker job (``HH:MM:SS``). A job that reaches it is replaced.
    cores : int
        CPU cores per job (``--cpus-per-task``); shared by the job's worker processes as
        torch/BLAS threads (each worker runs one task at a time).
    processes : int
        Dask worker processes per job (each loads its calculator once).
    memory : str
        Memory per job (``4GB``); split between the job's worker processes.
    jobs : int
        SLURM jobs to keep running (fewer when there are fewer tasks than workers).
    gpus_per_job : int
        GPUs per job. With N > 0 the job gets ``--gres=gpu:N`` and N worker processes, each pinned
        to one GPU through ``CUDA_VISIBLE_DEVICES``.
    prologue : sequence of str
        Job-script lines run before the worker starts (``module load ...``, ``source venv``).
    interface : str, optional
        Network interface for scheduler and workers (``ib0``; ``lo`` on a single machine).
    local_directory : str, optional
        Fast node-local folder for dask's scratch files (``$TMPDIR``, ``/scratch``).
    extra_directives : sequence of str
        More ``#SBATCH`` options, e.g. ``--qos=short`` or ``--constraint=gpu``.
    python : str, optional
        Python on the compute nodes (default: this interpreter, e.g. a venv on a shared disk).
    retries : int
        How often a task whose worker died is rescheduled before it is stored as failed.
    job_name : str
        SLURM job name of the worker jobs.
    log_directory : str, optional
        Folder for the jobs' stdout/stderr (default: ``slurm-logs`` next to the state file).
    state_file : str, optional
        Campaign state file (default ``results/.alloyscreen-campaign.json``; ``alloyscreen run``
        puts it next to the store).
    check_interval_s : float
        How often the watcher asks ``squeue`` whether jobs ended (seconds).
    death_timeout_s : float
        A worker that cannot reach the scheduler (the driver) for this long exits, and its job
        ends (seconds; dask's ``--death-timeout``, 60 s by default in dask-jobqueue).
    """

    name = "slurm"

    def __init__(
        self,
        *,
        queue: str | None = None,
        account: str | None = None,
        walltime: str = "01:00:00",
        cores: int = 2,
        processes: int = 1,
        memory: str = "4GB",
        jobs: int = 2,
        gpus_per_job: int = 0,
        prologue: Sequence[str] = (),
        interface: str | None = None,
        local_directory: str | None = None,
        extra_directives: Sequence[str] = (),
        python: str | None = None,
        retries: int = 2,
        job_name: str = "alloyscreen",
        log_directory: str | None = None,
        state_file: str | os.PathLike[str] | None = None,
        check_interval_s: float = 5.0,
        death_timeout_s: float = DEFAULT_DEATH_TIMEOUT_S,
    ) -> None:
        for label, value, low in (
            ("cores", cores, 1),
            ("processes", processes, 1),
            ("jobs", jobs, 1),
            ("gpus_per_job", gpus_per_job, 0),
            ("retries", retries, 0),
        ):
            if value < low:
                raise InputError(f"[engine.slurm] {label} = {value}: must be >= {low}")
        if not (math.isfinite(death_timeout_s) and death_timeout_s > 0):
            raise InputError(
                f"[engine.slurm] death_timeout_s = {death_timeout_s}: must be a number of seconds > 0"
            )
        if gpus_per_job > 0:
            if processes not in (1, gpus_per_job):
                logger.warning(
                    "gpus_per_job = %d: using one worker per GPU (processes = %d ignored)",
                    gpus_per_job,
                    processes,
                )
            processes = gpus_per_job
        if processes > cores:
            raise InputError(
                f"[engine.slurm] processes = {processes} > cores = {cores}: give each worker "
                "process at least one core"
            )
        self.queue = queue
        self.account = account
        self.walltime = walltime
        self.cores = cores
        self.processes = processes
        self.memory = memory
        self.jobs = jobs
        self.gpus_per_job = gpus_per_job
        self.prologue = list(prologue)
        self.interface = interface
        self.local_directory = local_directory
        self.extra_directives = list(extra_directives)
        self.python = python
        self.retries = retries
        self.job_name = job_name
        self._log_directory = log_directory
        self.state_file = Path(state_file or Path("results") / STATE_FILENAME)
        self.check_interval_s = check_interval_s
        self.death_timeout_s = float(death_timeout_s)
        self._check_memory()
        # Run-time state (created lazily by map()).
        self._cluster: Any = None
        self._client: Any = None
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._target_jobs = 0
        self._batch = 0
        self._fatal: str | None = None
        self._active: list[Any] = []
        self._seen_workers: set[str] = set()
        self._start_failures = 0
        self._submitted: list[str] = []
        self.n_replaced = 0

    # ----- construction -----------------------------------------------------------------------
    @classmethod
    def from_section(cls, section: Any, **overrides: Any) -> SlurmEngine:
        """Engine described by a workflow's ``[engine]`` section (``[engine.slurm]`` + retries)."""
        s = section.slurm
        options: dict[str, Any] = {
            "queue": s.queue,
            "account": s.account,
            "walltime": s.walltime,
            "cores": s.cores,
            "processes": s.processes,
            "memory": s.memory,
            "jobs": s.jobs,
            "gpus_per_job": s.gpus_per_job,
            "prologue": list(s.prologue),
            "interface": s.interface,
            "local_directory": s.local_directory,
            "extra_directives": list(s.extra_directives),
            "python": s.python,
            "death_timeout_s": s.death_timeout_s,
            "retries": section.retries,
        }
        options.update(overrides)
        return cls(**options)

    def _check_memory(self) -> None:
        try:
            from dask.utils import parse_bytes
        except ImportError:  # dask missing: the error comes with map()/job_script()
            return
        try:
            parse_bytes(self.memory)
        except (ValueError, TypeError):
            raise InputError(
                f"[engine.slurm] memory = '{self.memory}': give a size such as '4GB' or '500MB'"
            ) from None

    @property
    def log_directory(self) -> Path:
        """Folder of the worker jobs' SLURM output files."""
        if self._log_directory:
            return Path(self._log_directory)
        return self.state_file.parent / "slurm-logs"

    @property
    def threads_per_process(self) -> int:
        """torch/BLAS threads of each worker process."""
        return max(1, self.cores // self.processes)

    def _prologue_lines(self) -> list[str]:
        t = self.threads_per_process
        threads = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
        lines = [f"export {var}={t}" for var in threads]
        if self.gpus_per_job:
            lines.append(f"export {GPU_ENV}={self.gpus_per_job}")
        return lines + self.prologue

    def _directives(self) -> list[str]:
        out = list(self.extra_directives)
        if not any(d.lstrip().startswith(("-o", "--output")) for d in out):
            # stdout and stderr of the job (dask worker logs) in one file per job
            out.append(f"--output={self.log_directory.absolute()}/%x-%j.out")
        if self.gpus_per_job and not any("gpu" in d for d in out):
            out.append(f"--gres=gpu:{self.gpus_per_job}")
        return out

    def job_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``dask_jobqueue.SLURMCluster`` (and its job class).

        Each dask worker runs one task at a time (``--nthreads 1``: ASE calculators are not
        thread-safe) while SLURM books ``cores`` CPUs per job (``job_cpu``) and the job exports
        ``OMP_NUM_THREADS = cores // processes`` for torch.
        """
        worker_args: list[str] = []
        if self.gpus_per_job:
            worker_args += ["--preload", "alloyscreen.engines.slurm"]
        return {
            "queue": self.queue,
            "account": self.account,
            "walltime": self.walltime,
            "cores": self.processes,  # dask threads per job = processes (1 per worker process)
            "processes": self.processes,
            "job_cpu": self.cores,
            "memory": self.memory,
            "job_name": self.job_name,
            "job_script_prologue": self._prologue_lines(),
            "job_extra_directives": self._directives(),
            "interface": self.interface,
            "local_directory": self.local_directory,
            "python": self.python or sys.executable,
            "death_timeout": self.death_timeout_s,
            "worker_extra_args": worker_args,
        }

    def job_script(self, scheduler_address: str | None = None) -> str:
        """The batch script of one worker job (as ``sbatch`` would receive it).

        Renders the script with dask-jobqueue's own job class; starts no scheduler and needs no
        SLURM. The scheduler address is a placeholder unless given.
        """
        job_cls = _slurm_job_class()
        job = job_cls(
            scheduler_address or SCHEDULER_PLACEHOLDER,
            name=f"{self.job_name}-worker",
            **self.job_kwargs(),
        )
        return job.job_script()

    # ----- running ------------------------------------------------------------------------------
    def map(self, tasks: Sequence[Task]) -> Iterator[TaskOutcome]:
        """Run ``tasks`` on SLURM workers; yield outcomes in completion order."""
        from alloyscreen.tasks import task_kind

        tasks = list(tasks)
        if not tasks:
            return
        if self._fatal is not None:
            raise InputError(f"engine 'slurm': {self._fatal}")
        client = self._ensure_cluster(len(tasks))
        from distributed import as_completed

        self._batch += 1
        kinds = {kind: task_kind(kind) for kind in {t.kind for t in tasks}}
        keys = [f"alloyscreen-{t.kind}-{t.key[:16]}-{self._batch}" for t in tasks]
        futures = client.map(
            run_task,
            tasks,
            [kinds[t.kind] for t in tasks],
            key=keys,
            pure=False,
            retries=self.retries,
        )
        by_future = dict(zip(futures, tasks, strict=True))
        self._active = futures
        try:
            for fut in as_completed(futures, loop=client.loop):
                task = by_future.pop(fut)
                if self._fatal is not None:
                    raise InputError(f"engine 'slurm': {self._fatal}")
                yield self._outcome(fut, task)
        finally:
            self._active = []
            if by_future:  # Ctrl-C or an abandoned generator: do not leave work queued
                with contextlib.suppress(Exception):
                    client.cancel(list(by_future), force=True)

    def _outcome(self, fut: Any, task: Task) -> TaskOutcome:
        if fut.status == "finished":
            return fut.result()
        if fut.status == "cancelled":
            return _failed(task, "cancelled before it finished (engine shutting down)")
        exc = fut.exception()
        if type(exc).__name__ == "KilledWorker":
            return _failed(
                task,
                f"the worker running this task died {self.retries + 1} time(s) (job cancelled, "
                "node failure, walltime or out of memory); see the SLURM logs in "
                f"{self.log_directory}",
            )
        return _failed(task, f"{type(exc).__name__}: {exc}")

    def _ensure_cluster(self, n_tasks: int) -> Any:
        target = min(self.jobs, math.ceil(n_tasks / self.processes))
        if self._cluster is None:
            self._start_cluster(target)
        elif target > self._target_jobs:
            with self._lock:
                self._target_jobs = target
                self._cluster.sync(_sync_jobs, self._cluster, [], target)
            self._write_state()
        return self._client

    def _start_cluster(self, target: int) -> None:
        jobqueue = _import_jobqueue()
        import dask
        from distributed import Client

        SLURMCluster = jobqueue.SLURMCluster
        if shutil.which("sbatch") is None:
            raise InputError(
                "engine 'slurm': sbatch not found on PATH; run on a SLURM login node "
                "(or start the local test SLURM: scripts/local-slurm.sh install && "
                "scripts/local-slurm.sh start)"
            )
        self.log_directory.mkdir(parents=True, exist_ok=True)
        config = {
            # Worker deaths a task survives before it is reported as failed (KilledWorker).
            "distributed.scheduler.allowed-failures": self.retries,
        }
        with dask.config.set(config):
            cluster = SLURMCluster(
                **self.job_kwargs(),
                scheduler_options={"dashboard_address": ":0"},
            )
        self._cluster = cluster
        self._client = Client(cluster, set_as_default=False)
        cluster.scheduler.add_plugin(_seen_workers_plugin(self._seen_workers))
        try:
            with self._lock:
                self._target_jobs = target
                cluster.sync(_sync_jobs, cluster, [], target)
        except Exception as exc:
            self.close()
            raise InputError(
                f"engine 'slurm': submitting worker jobs failed: {_command_error(exc)}"
            ) from exc
        self._remember_jobs()
        self._write_state()
        logger.info("submitted %d SLURM job(s): %s", target, ", ".join(self.job_ids))
        self._stop.clear()
        self._watcher = threading.Thread(
            target=self._watch, name="alloyscreen-slurm-watcher", daemon=True
        )
        self._watcher.start()

    # ----- watching jobs ------------------------------------------------------------------------
    @property
    def job_ids(self) -> list[str]:
        """SLURM ids of the current worker jobs."""
        if self._cluster is None:
            return []
        ids = [getattr(job, "job_id", None) for job in list(self._cluster.workers.values())]
        return [str(i) for i in ids if i]

    @property
    def submitted_job_ids(self) -> list[str]:
        """Every SLURM job id this engine submitted (replacements included)."""
        return list(self._submitted)

    def _remember_jobs(self) -> None:
        for job_id in self.job_ids:
            if job_id not in self._submitted:
                self._submitted.append(job_id)

    def _watch(self) -> None:
        while not self._stop.wait(self.check_interval_s):
            try:
                self._check_jobs()
            except Exception as exc:  # the watcher must never die silently mid-campaign
                logger.warning("SLURM job check failed: %s", exc)

    def _job_started(self, name: str) -> bool:
        return any(w == name or w.startswith(f"{name}-") for w in self._seen_workers)

    def _check_jobs(self) -> None:
        cluster = self._cluster
        if cluster is None or self._stop.is_set():
            return
        jobs = {
            name: str(getattr(job, "job_id", None) or "")
            for name, job in list(cluster.workers.items())
        }
        states = squeue_states()
        if states is None:
            return
        # A job without an id is one whose sbatch failed; it counts as dead.
        dead = [name for name, jid in jobs.items() if states.get(jid) not in ALIVE_STATES]
        missing = set(cluster.worker_spec) - set(cluster.workers)
        if not dead and not missing:
            return
        for name in dead:
            state = states.get(jobs[name], "gone")
            if self._job_started(name):
                self._start_failures = 0
                logger.warning(
                    "SLURM job %s (%s) ended: %s; submitting a replacement", jobs[name], name, state
                )
            else:
                self._start_failures += 1
                logger.warning(
                    "SLURM job %s (%s) ended (%s) before its dask worker connected; see %s",
                    jobs[name],
                    name,
                    state,
                    self.log_directory,
                )
        if self._start_failures >= MAX_START_FAILURES:
            self._give_up(
                f"{self._start_failures} SLURM jobs ended before their dask worker started; "
                f"see the job logs in {self.log_directory}"
            )
            return
        try:
            with self._lock:
                cluster.sync(_sync_jobs, cluster, dead, self._target_jobs)
        except Exception as exc:
            self._start_failures += 1
            logger.warning("submitting a replacement SLURM job failed: %s", _command_error(exc))
            if self._start_failures >= MAX_START_FAILURES:
                self._give_up(f"submitting replacement SLURM jobs failed: {_command_error(exc)}")
                return
        self.n_replaced += len(dead)
        self._remember_jobs()
        self._write_state()

    def _give_up(self, message: str) -> None:
        self._fatal = message
        logger.error("slurm engine: %s", message)
        if self._client is not None and self._active:
            with contextlib.suppress(Exception):
                self._client.cancel(list(self._active), force=True)

    # ----- state file ---------------------------------------------------------------------------
    def _write_state(self) -> None:
        data = {
            "schema": STATE_SCHEMA,
            "engine": self.name,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": sys.argv,
            "cwd": os.getcwd(),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "job_name": self.job_name,
            "job_ids": self.job_ids,
            "submitted_job_ids": self.submitted_job_ids,
            "replaced_jobs": self.n_replaced,
            "log_directory": str(self.log_directory),
            "scheduler": getattr(self._cluster, "scheduler_address", None),
        }
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_name(f"{self.state_file.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, indent=1) + "\n")
            tmp.replace(self.state_file)
        except OSError as exc:
            logger.warning("cannot write campaign state file %s: %s", self.state_file, exc)

    def _remove_state(self) -> None:
        state = read_campaign_state(self.state_file)
        if (
            state is not None
            and state.get("pid") == os.getpid()
            and state.get("host") == socket.gethostname()
        ):
            with contextlib.suppress(OSError):
                self.state_file.unlink()

    # ----- shutting down ------------------------------------------------------------------------
    def close(self) -> None:
        """Cancel the worker jobs, stop the scheduler and remove the state file (idempotent)."""
        self._stop.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=30)
        self._watcher = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()  # scancel of every job
            self._cluster = None
            self._remove_state()

    def __enter__(self) -> SlurmEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _seen_workers_plugin(seen: set[str]) -> Any:
    """Scheduler plugin that adds the name of every worker that connects to ``seen``.

    A job whose worker never connected and that ended is a start failure (bad python path,
    missing module on the nodes...), not a worker lost mid-campaign.
    """
    from distributed.diagnostics.plugin import SchedulerPlugin

    class SeenWorkers(SchedulerPlugin):
        name = "alloyscreen-seen-workers"

        def add_worker(self, scheduler: Any, worker: str) -> None:
            ws = scheduler.workers.get(worker)
            if ws is not None:
                seen.add(str(ws.name))

    return SeenWorkers()


def _command_error(exc: BaseException) -> str:
    """The useful part of dask-jobqueue's error for a failed ``sbatch``: its stderr."""
    text = str(exc)
    if "stderr:" in text:
        tail = text.split("stderr:", 1)[1].strip()
        if tail:
            return tail
    return text.strip() or type(exc).__name__


def _import_jobqueue() -> Any:
    """Import ``dask_jobqueue.slurm`` without letting it take over Ctrl-C.

    dask-jobqueue's ``runner`` module (imported by its ``slurm`` module) replaces the SIGINT
    handler with ``sys.exit()`` at import time, which would turn Ctrl-C of a campaign into a
    silent exit status 0. The handler in place before the import is restored.
    """
    import signal

    main = threading.current_thread() is threading.main_thread()
    before = signal.getsignal(signal.SIGINT) if main else None
    try:
        import dask_jobqueue.slurm as jobqueue
    except ImportError as exc:
        raise MissingExtraError("dask-jobqueue", "hpc", "the slurm engine") from exc
    finally:
        if main and before is not None and signal.getsignal(signal.SIGINT) is not before:
            signal.signal(signal.SIGINT, before)
    return jobqueue


def _slurm_job_class() -> Any:
    return _import_jobqueue().SLURMJob
