"""``alloyscreen submit``: a workflow on SLURM, as library calls the command wraps.

:func:`prepare_submission` loads the workflow, applies the command line's SLURM overrides and
builds the engine and the batch scripts; the returned :class:`Submission` then either counts the
pending tasks (:meth:`Submission.pending`, for ``--dry-run``), starts the campaign driver detached
on this machine (:meth:`Submission.start_detached`) or submits it as a SLURM job
(:meth:`Submission.submit_driver_job`). Running the driver in the foreground is
:func:`alloyscreen.recipes.run_workflow`'s campaign with :attr:`Submission.engine`.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alloyscreen.errors import InputError

#: The SLURM options ``submit`` can override from the command line.
OVERRIDE_KEYS = ("queue", "account", "walltime", "cores", "processes", "memory", "jobs", "prologue")


def slurm_section(section: Any, overrides: dict[str, Any]) -> Any:
    """``section`` (``[engine]``) as a SLURM engine with command-line overrides, validated."""
    from pydantic import ValidationError

    from alloyscreen.workflow import EngineSection

    data = section.model_dump()
    data["kind"] = "slurm"
    data["slurm"].update({k: v for k, v in overrides.items() if v is not None})
    try:
        return EngineSection.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError(f"invalid SLURM option: {problems}") from None


def forward_args(workflow_file: Path, db: str | None, overrides: dict[str, Any]) -> list[str]:
    """Arguments of ``alloyscreen submit ... --foreground`` reproducing this call."""
    args = ["submit", str(workflow_file.absolute()), "--foreground"]
    if db:
        args += ["--db", db if "://" in db else str(Path(db).absolute())]
    for key, value in overrides.items():
        if key == "prologue":
            for line in value or []:
                args += ["--prologue", line]
        elif value is not None:
            args += [f"--{key}", str(value)]
    return args


def driver_job_script(
    engine: Any,
    args: list[str],
    *,
    walltime: str,
    log_directory: Path,
    name: str,
    cwd: Path,
) -> str:
    """Batch script that runs the campaign driver itself as a SLURM job (1 core)."""
    lines = ["#!/usr/bin/env bash", "", f"#SBATCH -J {name}-driver"]
    if engine.queue:
        lines.append(f"#SBATCH -p {engine.queue}")
    if engine.account:
        lines.append(f"#SBATCH -A {engine.account}")
    lines += [
        "#SBATCH -n 1",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem=2G",
        f"#SBATCH -t {walltime}",
        f"#SBATCH --output={log_directory.absolute()}/%x-%j.out",
        "# The driver holds the dask scheduler, writes the store and submits the worker jobs.",
        *engine.prologue,
        f"cd {shlex.quote(str(cwd))}",
        "export OMP_NUM_THREADS=1",
        " ".join(
            [shlex.quote(engine.python or sys.executable), "-m", "alloyscreen"]
            + [shlex.quote(a) for a in args]
        ),
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Submission:
    """A workflow prepared for SLURM: the loaded workflow, its store URL, the SLURM engine, the
    arguments a detached driver runs with, and the driver job's script (None without
    ``--driver-job``)."""

    workflow_file: Path
    workflow: Any
    url: str
    engine: Any
    args: list[str]
    name: str
    driver_script: str | None

    @property
    def out_dir(self) -> Path:
        return Path(self.workflow.campaign.output)

    @property
    def follow_hint(self) -> str:
        """The command that shows the campaign's progress."""
        return f"alloyscreen status --db {self.url} --workflow {self.workflow_file}"

    def worker_script(self) -> str:
        """The batch script of one worker job (dask-jobqueue)."""
        return self.engine.job_script()

    def pending(self) -> tuple[dict[str, Any] | None, str | None]:
        """Task counts per step (``{step: {"pending": n, ...}}``) against the store as it is,
        or ``(None, problem)`` when the campaign would stop before computing (the scripts are
        still worth reviewing)."""
        from alloyscreen.campaign import task_counts
        from alloyscreen.store import ResultStore

        exists = "://" in self.url or Path(self.url).is_file()
        try:
            store = ResultStore(self.url, create=False, write=False) if exists else None
            return task_counts(self.workflow, store), None
        except InputError as exc:
            return None, str(exc)

    def start_detached(self) -> dict[str, Any]:
        """Start the campaign driver detached on this machine (survives the terminal, like
        nohup); returns ``{"mode": "detached", "pid", "log", "db"}``."""
        import subprocess

        self.out_dir.mkdir(parents=True, exist_ok=True)
        log = self.out_dir / f"{self.name}-driver-{time.strftime('%Y%m%d-%H%M%S')}.log"
        with open(log, "ab") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-m", "alloyscreen", *self.args],
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=os.getcwd(),
            )
        return {"mode": "detached", "pid": proc.pid, "log": str(log), "db": self.url}

    def submit_driver_job(self) -> dict[str, Any]:
        """Submit the driver job with ``sbatch``; returns ``{"mode": "driver-job", "job_id",
        "script", "db"}``.

        Raises
        ------
        InputError
            No driver script prepared, no ``sbatch`` on PATH, or ``sbatch`` refused the job.
        """
        import shutil
        import subprocess

        if self.driver_script is None:
            raise InputError("no driver job prepared: give --driver-job")
        sbatch = shutil.which("sbatch")
        if sbatch is None:
            raise InputError(
                "sbatch not found on PATH: run `alloyscreen submit` on a SLURM login node"
            )
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.engine.log_directory.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{self.name}-driver.sbatch"
        path.write_text(self.driver_script)
        proc = subprocess.run(
            [sbatch, "--parsable", str(path)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise InputError(f"sbatch {path} failed: {proc.stderr.strip() or proc.stdout.strip()}")
        job_id = proc.stdout.strip().split(";")[0]
        return {"mode": "driver-job", "job_id": job_id, "script": str(path), "db": self.url}


def prepare_submission(
    workflow_file: str | Path,
    *,
    db: str | None = None,
    overrides: dict[str, Any] | None = None,
    driver_job: bool = False,
    driver_walltime: str | None = None,
) -> Submission:
    """Load ``workflow_file`` and build its SLURM engine (the ``[engine]`` section with
    ``overrides``, keys :data:`OVERRIDE_KEYS`), the store URL (``db`` or the workflow's) and,
    with ``driver_job``, the driver job's batch script (walltime ``driver_walltime`` or the
    workers').

    Raises
    ------
    InputError
        An invalid workflow or SLURM option.
    """
    from alloyscreen.engines.slurm import SlurmEngine, campaign_state_path
    from alloyscreen.workflow import load_workflow

    path = Path(workflow_file)
    given = dict(overrides or {})
    unknown = set(given) - set(OVERRIDE_KEYS)
    if unknown:
        raise InputError(f"unknown SLURM option(s) {sorted(unknown)}; known: {OVERRIDE_KEYS}")
    full = {k: given.get(k) for k in OVERRIDE_KEYS}
    wf = load_workflow(path)
    section = slurm_section(wf.engine, full)
    url = db or wf.campaign.db
    eng = SlurmEngine.from_section(section, state_file=campaign_state_path(url))
    args = forward_args(path, db, full)
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in wf.campaign.name)
    driver_script = (
        driver_job_script(
            eng,
            args,
            walltime=driver_walltime or section.slurm.walltime,
            log_directory=eng.log_directory,
            name=f"alloyscreen-{name}",
            cwd=Path.cwd(),
        )
        if driver_job
        else None
    )
    return Submission(path, wf, url, eng, args, name, driver_script)
