"""HPC commands: ``status`` (progress of a campaign and its SLURM jobs) and ``submit`` (SLURM).

``alloyscreen submit WORKFLOW.toml --dry-run`` prints the batch script of the worker jobs (and of
the driver job with ``--driver-job``) without submitting anything. Without ``--dry-run`` the
campaign driver starts detached on this machine (the login node, where it holds the dask scheduler
and writes the store) and submits the worker jobs; ``--driver-job`` runs the driver itself as a
SLURM job instead (for sites that forbid long-running processes on login nodes).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import typer

from alloyscreen.cli._common import (
    EXIT_OK,
    emit_json,
    err_console,
    fail,
    handle_errors,
    out_console,
    progress_factory,
)

DB_OPTION = typer.Option(
    None,
    "--db",
    help="Results store: SQLite file or ASE db URL [default: the workflow's, else "
    "results/alloyscreen.db].",
)


# ----- status --------------------------------------------------------------------------------


def _command_text(argv: list[str]) -> str:
    import shlex

    if argv and Path(argv[0]).name in ("alloyscreen", "__main__.py"):
        argv = ["alloyscreen", *argv[1:]]
    return shlex.join(argv)


def campaign_info(store_url: str) -> dict[str, Any] | None:
    """The running (or stale) campaign recorded next to ``store_url``, with its SLURM job states."""
    from alloyscreen.engines.slurm import (
        campaign_state_path,
        driver_alive,
        read_campaign_state,
        squeue_states,
    )

    path = campaign_state_path(store_url)
    state = read_campaign_state(path)
    if state is None:
        return None
    ids = [str(i) for i in state.get("job_ids", [])]
    jobs = squeue_states(ids)
    alive = driver_alive(state)
    return {
        "state_file": str(path),
        "running": alive,
        "pid": state.get("pid"),
        "host": state.get("host"),
        "command": _command_text(state.get("command", [])),
        "updated": state.get("updated"),
        "job_ids": ids,
        "jobs": None if jobs is None else {i: jobs.get(i, "gone") for i in ids},
        "submitted_job_ids": state.get("submitted_job_ids", []),
        "replaced_jobs": state.get("replaced_jobs", 0),
        "log_directory": state.get("log_directory"),
    }


def _print_status(db: str, counts: dict[str, dict[str, Any]], campaign: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{db}")
    for col in ("task", "done", "failed", "pending"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for kind, c in counts.items():
        pending = c.get("pending")
        text = "-" if pending is None else str(pending)
        if c.get("waiting"):
            text += f" ({c['waiting']} waiting for relax)"
        failed = c.get("failed", 0)
        table.add_row(kind, str(c.get("done", 0)), f"[red]{failed}[/red]" if failed else "0", text)
    out_console.print(table)
    if campaign is None:
        out_console.print("campaign: not running (no campaign state file next to the store)")
        return
    running = campaign["running"]
    if running is None:
        head = f"campaign: driver pid {campaign['pid']} on {campaign['host']} (another host)"
    elif running:
        head = f"campaign: running (driver pid {campaign['pid']} on {campaign['host']})"
    else:
        head = (
            f"campaign: not running (stale state file {campaign['state_file']}: "
            f"driver pid {campaign['pid']} is gone)"
        )
    out_console.print(head, highlight=False)
    out_console.print(f"  command: {campaign['command']}", highlight=False, markup=False)
    jobs = campaign["jobs"]
    if not campaign["job_ids"]:
        out_console.print("  SLURM jobs: none")
    elif jobs is None:
        out_console.print(f"  SLURM jobs: {', '.join(campaign['job_ids'])} (squeue: no answer)")
    else:
        listed = ", ".join(f"{i} {s}" for i, s in jobs.items())
        out_console.print(f"  SLURM jobs: {listed}", highlight=False)
    if campaign["replaced_jobs"]:
        out_console.print(f"  replaced jobs: {campaign['replaced_jobs']}")


@handle_errors
def status(
    db: str | None = DB_OPTION,
    workflow_file: Path | None = typer.Option(
        None,
        "--workflow",
        "-f",
        help="Workflow TOML file: adds pending counts (tasks not computed yet).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Done / failed / pending tasks per kind, and the SLURM jobs of a running campaign."""
    from alloyscreen.campaign import task_counts
    from alloyscreen.store import DEFAULT_DB, ResultStore
    from alloyscreen.workflow import load_workflow

    wf = load_workflow(workflow_file) if workflow_file is not None else None
    url = db or (wf.campaign.db if wf is not None else str(DEFAULT_DB))
    exists = "://" in url or Path(url).is_file()
    if not exists and wf is None:
        fail(f"no results store at '{url}' (give --db, or --workflow for pending counts)")
    store = ResultStore(url, create=False, write=False) if exists else None
    if wf is not None:
        counts: dict[str, dict[str, Any]] = task_counts(wf, store)
    else:
        counts = {
            kind: {"done": c.get("done", 0), "failed": c.get("failed", 0), "pending": None}
            for kind, c in (store.summary() if store is not None else {}).items()
        }
    campaign = campaign_info(url)
    if json_out:
        emit_json(
            {
                "db": url,
                "workflow": str(workflow_file) if workflow_file else None,
                "tasks": counts,
                "campaign": campaign,
            }
        )
        return
    _print_status(url, counts, campaign)


# ----- submit --------------------------------------------------------------------------------


def _slurm_section(section: Any, overrides: dict[str, Any]) -> Any:
    """``section`` (``[engine]``) as a SLURM engine with command-line overrides, validated."""
    from pydantic import ValidationError

    from alloyscreen.errors import InputError
    from alloyscreen.workflow import EngineSection

    data = section.model_dump()
    data["kind"] = "slurm"
    data["slurm"].update({k: v for k, v in overrides.items() if v is not None})
    try:
        return EngineSection.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError(f"invalid SLURM option: {problems}") from None


def _forward_args(workflow_file: Path, db: str | None, overrides: dict[str, Any]) -> list[str]:
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
    import shlex

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


@handle_errors
def submit(
    workflow_file: Path = typer.Argument(..., help="Workflow TOML file."),
    engine: str = typer.Option("slurm", "--engine", help="Execution engine (only 'slurm')."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the batch script(s) that would be submitted; submit none."
    ),
    db: str | None = DB_OPTION,
    queue: str | None = typer.Option(None, "--queue", "-p", help="Partition."),
    account: str | None = typer.Option(None, "--account", "-A", help="Account to charge."),
    walltime: str | None = typer.Option(None, "--walltime", "-t", help="Per job, HH:MM:SS."),
    cores: int | None = typer.Option(None, "--cores", min=1, help="CPU cores per job."),
    processes: int | None = typer.Option(
        None, "--processes", min=1, help="Dask worker processes per job."
    ),
    memory: str | None = typer.Option(None, "--memory", help="Memory per job, e.g. 8GB."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="Worker jobs to run."),
    prologue: list[str] | None = typer.Option(
        None, "--prologue", help="Job-script line run before the worker (repeatable)."
    ),
    driver_job: bool = typer.Option(
        False, "--driver-job", help="Run the driver as a SLURM job instead of on this machine."
    ),
    driver_walltime: str | None = typer.Option(
        None, "--driver-walltime", help="Walltime of the driver job [default: --walltime]."
    ),
    foreground: bool = typer.Option(
        False, "--foreground", help="Run the driver in this process (what detached modes run)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Run a workflow on SLURM (dask-jobqueue worker jobs); --dry-run prints the batch scripts."""
    from alloyscreen.engines.slurm import SlurmEngine, campaign_state_path
    from alloyscreen.store import ResultStore
    from alloyscreen.workflow import load_workflow

    if engine != "slurm":
        fail(f"--engine {engine}: submit runs campaigns on SLURM; use `alloyscreen run` locally")
    wf = load_workflow(workflow_file)
    overrides: dict[str, Any] = {
        "queue": queue,
        "account": account,
        "walltime": walltime,
        "cores": cores,
        "processes": processes,
        "memory": memory,
        "jobs": jobs,
        "prologue": list(prologue) if prologue else None,
    }
    section = _slurm_section(wf.engine, overrides)
    url = db or wf.campaign.db
    state_file = campaign_state_path(url)
    eng = SlurmEngine.from_section(section, state_file=state_file)
    args = _forward_args(workflow_file, db, overrides)
    out_dir = Path(wf.campaign.output)
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

    if dry_run:
        from alloyscreen.campaign import task_counts
        from alloyscreen.errors import InputError

        worker_script = eng.job_script()
        exists = "://" in url or Path(url).is_file()
        counts: dict[str, Any] | None = None
        problem = None
        try:
            counts = task_counts(
                wf, ResultStore(url, create=False, write=False) if exists else None
            )
        except InputError as exc:  # the scripts are still worth reviewing
            problem = str(exc)
        if not json_out:  # scripts verbatim (no console wrapping): they must stay runnable
            if driver_script:
                typer.echo(
                    "# ---- driver job (1 core; runs the campaign, submits worker jobs) ----"
                )
                typer.echo(driver_script)
            typer.echo(f"# ---- worker job script (up to {eng.jobs} such jobs; dask-jobqueue) ----")
            typer.echo(worker_script)
        if counts is not None:
            pending = sum(c["pending"] for c in counts.values())
            err_console.print(
                f"{pending} pending task(s) in {url}"
                + ("" if pending else ": nothing to compute, no job would be submitted"),
                highlight=False,
            )
        else:
            err_console.print(
                f"[yellow]warning:[/yellow] pending tasks cannot be counted, and the campaign "
                f"would stop with: {problem}",
                highlight=False,
            )
        if json_out:
            emit_json(
                {
                    "workflow": str(workflow_file),
                    "db": url,
                    "jobs": eng.jobs,
                    "pending": counts,
                    "problem": problem,
                    "worker_job_script": worker_script,
                    "driver_job_script": driver_script,
                }
            )
        raise typer.Exit(EXIT_OK)

    if foreground:
        _run_foreground(wf, url, eng, json_out=json_out)
        return

    out_dir.mkdir(parents=True, exist_ok=True)
    if driver_script is not None:
        _submit_driver_job(driver_script, out_dir, name, eng, url, workflow_file, json_out)
        return
    _start_detached(args, out_dir, name, url, workflow_file, json_out)


def _run_foreground(wf: Any, url: str, eng: Any, *, json_out: bool) -> None:
    from alloyscreen.cli.campaign_output import run_and_report
    from alloyscreen.store import ResultStore

    progress = progress_factory(disable=json_out or not sys.stderr.isatty())
    run_and_report(wf, ResultStore(url), eng, progress_factory=progress, json_out=json_out)


def _follow_hint(url: str, workflow_file: Path) -> str:
    return f"alloyscreen status --db {url} --workflow {workflow_file}"


def _start_detached(
    args: list[str], out_dir: Path, name: str, url: str, workflow_file: Path, json_out: bool
) -> None:
    import subprocess

    log = out_dir / f"{name}-driver-{time.strftime('%Y%m%d-%H%M%S')}.log"
    with open(log, "ab") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "alloyscreen", *args],
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the terminal (like nohup)
            cwd=os.getcwd(),
        )
    info = {"mode": "detached", "pid": proc.pid, "log": str(log), "db": url}
    if json_out:
        emit_json(info)
    else:
        err_console.print(
            f"campaign driver started on this machine: pid {proc.pid}, log {log}\n"
            f"follow it with: {_follow_hint(url, workflow_file)}",
            highlight=False,
        )


def _submit_driver_job(
    script: str,
    out_dir: Path,
    name: str,
    eng: Any,
    url: str,
    workflow_file: Path,
    json_out: bool,
) -> None:
    import shutil
    import subprocess

    from alloyscreen.errors import InputError

    sbatch = shutil.which("sbatch")
    if sbatch is None:
        raise InputError("sbatch not found on PATH: run `alloyscreen submit` on a SLURM login node")
    eng.log_directory.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}-driver.sbatch"
    path.write_text(script)
    proc = subprocess.run(
        [sbatch, "--parsable", str(path)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        fail(f"sbatch {path} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    job_id = proc.stdout.strip().split(";")[0]
    info = {"mode": "driver-job", "job_id": job_id, "script": str(path), "db": url}
    if json_out:
        emit_json(info)
    else:
        err_console.print(
            f"submitted driver job {job_id} ({path}); logs in {eng.log_directory}\n"
            f"follow it with: {_follow_hint(url, workflow_file)}",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    """Add ``status`` and ``submit``."""
    app.command("status")(status)
    app.command("submit")(submit)
