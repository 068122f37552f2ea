"""Core commands: ``relax``, ``run``, ``db summary``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from alloyscreen.calculators import DEFAULT_CALCULATOR
from alloyscreen.cli._common import (
    EXIT_OK,
    EXIT_TASKS_FAILED,
    emit_json,
    err_console,
    handle_errors,
    open_store,
    out_console,
    progress_factory,
)
from alloyscreen.tasks import STANDARD_RELAX_OPTIONS

DB_OPTION = typer.Option(
    None, "--db", help="Results store: SQLite file or ASE db URL [default: results/alloyscreen.db]."
)


def relax_records(summary: Any, formation: dict[str, float]) -> list[dict[str, Any]]:
    """One JSON-ready record per relaxed candidate (elemental references excluded)."""
    from alloyscreen.element_references import ELEMENT_PREFIX

    records = []
    for r in summary.results:
        if r.candidate_id.startswith(ELEMENT_PREFIX):
            continue
        res = r.result or {}
        records.append(
            {
                "id": r.candidate_id,
                "formula": res.get("formula", r.formula),
                "status": r.status,
                "energy_per_atom_eV": res.get("energy_per_atom_eV"),
                "formation_energy_eV_atom": formation.get(r.candidate_id),
                "volume_A3": res.get("volume_A3"),
                "volume_per_atom_A3": res.get("volume_per_atom_A3"),
                "lattice_abc_A": res.get("lattice_abc_A"),
                "lattice_angles_deg": res.get("lattice_angles_deg"),
                "converged": res.get("converged"),
                "n_steps": res.get("n_steps"),
                "n_force_calls": res.get("n_force_calls"),
                "cached": r.cached,
                "calculator": r.calculator.get("name"),
                "error": r.error,
                "key": r.key,
            }
        )
    return records


def _print_relax_table(records: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title="Bulk relaxation")
    for col in (
        "id",
        "formula",
        "E (eV/atom)",
        "E_f (eV/atom)",
        "V (Å³/atom)",
        "a b c (Å)",
        "conv.",
        "cached",
    ):
        table.add_column(col, no_wrap=True)
    for rec in records:
        if rec["status"] != "done":
            table.add_row(
                rec["id"],
                rec["formula"],
                "[red]failed[/red]",
                "",
                "",
                (rec["error"] or "").splitlines()[0][:60],
                "",
                "",
            )
            continue
        ef = rec["formation_energy_eV_atom"]
        table.add_row(
            rec["id"],
            rec["formula"],
            f"{rec['energy_per_atom_eV']:.4f}",
            "" if ef is None else f"{ef:.4f}",
            f"{rec['volume_per_atom_A3']:.3f}",
            "/".join(f"{x:.3f}" for x in rec["lattice_abc_A"]),
            "yes" if rec["converged"] else "[yellow]no[/yellow]",
            "yes" if rec["cached"] else "no",
        )
    out_console.print(table)


@handle_errors
def relax(
    files: list[Path] = typer.Argument(
        ..., help="Structure files (CIF, POSCAR, extxyz, JSON) or candidate sets."
    ),
    calculator: str = typer.Option(
        DEFAULT_CALCULATOR, "--calculator", "-c", help="Calculator name or module:Class."
    ),
    db: str | None = DB_OPTION,
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    fmax: float = typer.Option(
        STANDARD_RELAX_OPTIONS["fmax"], help="Force convergence threshold (eV/Å)."
    ),
    max_steps: int = typer.Option(
        STANDARD_RELAX_OPTIONS["max_steps"], help="Optimizer step limit."
    ),
    optimizer: str = typer.Option(STANDARD_RELAX_OPTIONS["optimizer"], help="FIRE, BFGS or LBFGS."),
    formation_energy: bool = typer.Option(
        True,
        "--formation-energy/--no-formation-energy",
        help="Also relax the elemental references and report formation energies (as workflows "
        "do by default).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Relax bulk structures (cell + positions) through the results store (cached, resumable)."""
    from alloyscreen.recipes import relax as relax_recipe

    run = relax_recipe(
        files,
        db,
        calculator=calculator,
        fmax=fmax,
        max_steps=max_steps,
        optimizer=optimizer,
        formation_energy=formation_energy,
        workers=workers,
        progress=progress_factory(disable=json_out or len(files) < 2),
    )
    summary = run.relax
    records = relax_records(summary, run.formation_energies)
    if json_out:
        emit_json(records)
    else:
        _print_relax_table(records)
        err_console.print(
            f"store: {run.store_url}  ({summary.n_computed} computed, {summary.n_cached} cached)"
        )
    raise typer.Exit(EXIT_TASKS_FAILED if summary.n_failed else EXIT_OK)


@handle_errors
def run(
    workflow_file: Path = typer.Argument(..., help="Workflow TOML file (see workflows/)."),
    db: str | None = DB_OPTION,
    workers: int | None = typer.Option(
        None, "--workers", "-w", min=1, help="Override [engine] workers."
    ),
    engine: str | None = typer.Option(
        None, "--engine", help="Override [engine] kind: local or slurm."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the plan (and batch scripts) without running."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON summary on stdout."),
) -> None:
    """Run a workflow file: every enabled step, results into the store as they arrive."""
    from alloyscreen.cli.campaign_output import dry_run_plan, finish_campaign
    from alloyscreen.recipes import engine_section, run_workflow
    from alloyscreen.report import workflow_outputs
    from alloyscreen.workflow import load_workflow

    wf = load_workflow(workflow_file)
    if dry_run:
        section = engine_section(wf, workers=workers, engine_kind=engine)
        plan = dry_run_plan(wf, section, json_out=json_out, db=db)
        if json_out:
            emit_json(plan)
        raise typer.Exit(EXIT_OK)
    result, url = run_workflow(
        wf,
        db,
        workers=workers,
        engine_kind=engine,
        progress=progress_factory(disable=json_out),
        write_outputs=workflow_outputs,
    )
    finish_campaign(wf, result, url, json_out=json_out)


db_app = typer.Typer(help="Inspect the results store.", no_args_is_help=True)


@db_app.command("summary")
@handle_errors
def db_summary(
    db: str | None = DB_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Counts of stored results by task kind and status (the store must exist)."""
    store = open_store(db, read_only=True)
    counts = store.summary()
    if json_out:
        emit_json({"db": store.url, "total": len(store), "tasks": counts})
        return
    from rich.table import Table

    table = Table(title=f"{store.url}: {len(store)} rows")
    table.add_column("task")
    table.add_column("done", justify="right")
    table.add_column("failed", justify="right")
    for kind, c in counts.items():
        table.add_row(kind, str(c.get("done", 0)), str(c.get("failed", 0)))
    out_console.print(table)


def register(app: typer.Typer) -> None:
    """Add the core commands."""
    app.command("relax")(relax)
    app.command("run")(run)
    app.add_typer(db_app, name="db")
