"""HPC commands: ``status`` (progress of a campaign and its SLURM jobs) and ``submit`` (SLURM).

``alloyscreen submit WORKFLOW.toml --dry-run`` prints the batch script of the worker jobs (and of
the driver job with ``--driver-job``) without submitting anything. Without ``--dry-run`` the
campaign driver starts detached on this machine (the login node, where it holds the dask scheduler
and writes the store) and submits the worker jobs; ``--driver-job`` runs the driver itself as a
SLURM job instead (for sites that forbid long-running processes on login nodes).
"""

from __future__ import annotations

import sys
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
    from alloyscreen.submission import prepare_submission

    if engine != "slurm":
        fail(f"--engine {engine}: submit runs campaigns on SLURM; use `alloyscreen run` locally")
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
    sub = prepare_submission(
        workflow_file,
        db=db,
        overrides=overrides,
        driver_job=driver_job,
        driver_walltime=driver_walltime,
    )
    if dry_run:
        _print_dry_run(sub, json_out)
        raise typer.Exit(EXIT_OK)
    if foreground:
        _run_foreground(sub, json_out=json_out)
        return
    if sub.driver_script is not None:
        info = sub.submit_driver_job()
        message = (
            f"submitted driver job {info['job_id']} ({info['script']}); "
            f"logs in {sub.engine.log_directory}"
        )
    else:
        info = sub.start_detached()
        message = f"campaign driver started on this machine: pid {info['pid']}, log {info['log']}"
    if json_out:
        emit_json(info)
    else:
        err_console.print(f"{message}\nfollow it with: {sub.follow_hint}", highlight=False)


def _print_dry_run(sub: Any, json_out: bool) -> None:
    worker_script = sub.worker_script()
    counts, problem = sub.pending()
    if not json_out:  # scripts verbatim (no console wrapping): they must stay runnable
        if sub.driver_script:
            typer.echo("# ---- driver job (1 core; runs the campaign, submits worker jobs) ----")
            typer.echo(sub.driver_script)
        typer.echo(
            f"# ---- worker job script (up to {sub.engine.jobs} such jobs; dask-jobqueue) ----"
        )
        typer.echo(worker_script)
    if counts is not None:
        pending = sum(c["pending"] for c in counts.values())
        err_console.print(
            f"{pending} pending task(s) in {sub.url}"
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
                "workflow": str(sub.workflow_file),
                "db": sub.url,
                "jobs": sub.engine.jobs,
                "pending": counts,
                "problem": problem,
                "worker_job_script": worker_script,
                "driver_job_script": sub.driver_script,
            }
        )


def _run_foreground(sub: Any, *, json_out: bool) -> None:
    from alloyscreen.cli.campaign_output import run_and_report
    from alloyscreen.store import ResultStore

    progress = progress_factory(disable=json_out or not sys.stderr.isatty())
    run_and_report(
        sub.workflow, ResultStore(sub.url), sub.engine, progress_factory=progress, json_out=json_out
    )


def register(app: typer.Typer) -> None:
    """Add ``status`` and ``submit``."""
    app.command("status")(status)
    app.command("submit")(submit)
