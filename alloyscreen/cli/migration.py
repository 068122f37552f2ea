"""CLI commands: ``alloyscreen migration CANDIDATES.json`` and ``alloyscreen migration plot ID``.

``migration CANDIDATES.json ...`` is shorthand for ``migration run CANDIDATES.json ...``: the group
below dispatches its first argument to a sub-command when it names one (``plot``, ``run``) and to
``run`` otherwise. Both steps go through the results store: candidates are relaxed with the
``relax`` task (as the campaign runner does), then the ``migration`` task runs on the relaxed
structures; reruns are cached and an interrupted run resumes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from alloyscreen.calculators import DEFAULT_CALCULATOR
from alloyscreen.cli._common import (
    EXIT_OK,
    EXIT_TASKS_FAILED,
    emit_json,
    err_console,
    handle_errors,
    out_console,
    progress_factory,
    split_ids,
)


class _MigrationGroup(TyperGroup):
    """A group whose first argument is either a sub-command or the candidates file of ``run``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


migration_app = typer.Typer(
    cls=_MigrationGroup,
    name="migration",
    no_args_is_help=True,
    help=(
        "Li migration barriers (CI-NEB), network barrier and D(T) estimate.\n\n"
        "  alloyscreen migration CANDIDATES.json [OPTIONS]   (same as: migration run ...)\n\n"
        "  alloyscreen migration plot ID -o mep.png"
    ),
)

DB_OPTION = typer.Option(
    None, "--db", help="Results store: SQLite file or ASE db URL (default: results/alloyscreen.db)."
)


#: The hop fields of the JSON records (no structures).
HOP_RECORD_FIELDS = (
    "hop_id",
    "mechanism",
    "status",
    "reason",
    "converged",
    "barrier_eV",
    "barrier_reverse_eV",
    "reaction_energy_eV",
    "hop_length_A",
    "wyckoff_from",
    "wyckoff_to",
    "multiplicity",
    "saddle_image",
    "n_images",
    "steps",
    "n_force_calls_preconverge",
    "n_force_calls",
    "max_force_eV_A",
)


def hop_record(hop: Any) -> dict[str, Any]:
    """JSON-ready summary of one stored hop (a typed ``HopResult``; no structures)."""
    return {k: getattr(hop, k) for k in HOP_RECORD_FIELDS}


def migration_records(run: Any) -> list[dict[str, Any]]:
    """One JSON-ready record per candidate of a :class:`~alloyscreen.recipes.StepRun`: barriers
    per hop, network barrier, D estimate (failed relaxations last)."""
    records = []
    for r, res in run.typed():
        records.append(
            {
                "id": r.candidate_id,
                "formula": res.formula if res is not None else r.formula,
                "status": r.status,
                "hops": [hop_record(h) for h in (res.hops if res is not None else None) or []],
                "network_barrier_eV": res.network_barrier_eV if res is not None else None,
                "network_dimensionality": res.network_dimensionality if res is not None else None,
                "network_barrier_3d_eV": res.network_barrier_3d_eV if res is not None else None,
                "D_298K_cm2_s": res.D_298K_cm2_s if res is not None else None,
                "D0_cm2_s": res.D0_cm2_s if res is not None else None,
                "diffusion_note": res.diffusion_note if res is not None else None,
                "supercell_n_atoms": res.supercell_n_atoms if res is not None else None,
                "n_force_calls": res.n_force_calls if res is not None else None,
                "cached": r.cached,
                "calculator": r.calculator.get("name"),
                "error": r.error,
                "key": r.key,
            }
        )
    for cid, stored in run.relax_failed.items():
        records.append(
            {
                "id": cid,
                "formula": stored.formula,
                "status": "failed",
                "hops": [],
                "network_barrier_eV": None,
                "network_dimensionality": None,
                "network_barrier_3d_eV": None,
                "D_298K_cm2_s": None,
                "D0_cm2_s": None,
                "diffusion_note": None,
                "supercell_n_atoms": None,
                "n_force_calls": None,
                "cached": stored.cached,
                "calculator": stored.calculator.get("name"),
                "error": f"relaxation failed: {(stored.error or '').splitlines()[0] if stored.error else ''}",
                "key": stored.key,
            }
        )
    return records


def _fmt(x: float | None, spec: str) -> str:
    return "" if x is None else format(x, spec)


def _print_table(records: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title="Li migration (CI-NEB); D is an estimate, see docs/migration.md")
    for col in ("id", "formula", "hops ok", "barriers (eV)", "E* (eV)", "dim", "D298 (cm²/s)"):
        table.add_column(col, no_wrap=True)
    table.add_column("status", min_width=8)
    for rec in records:
        hops = rec["hops"]
        ok = [h for h in hops if h["converged"]]
        barriers = ", ".join(f"{h['barrier_eV']:.3f}/{h['barrier_reverse_eV']:.3f}" for h in ok)
        status = rec["status"] if rec["status"] == "done" else f"[red]{rec['status']}[/red]"
        if rec["status"] != "done" and rec["error"]:
            status += " " + rec["error"].splitlines()[0][:70]
        if rec["cached"]:
            status += " (cached)"
        table.add_row(
            rec["id"],
            rec["formula"],
            f"{len(ok)}/{len(hops)}",
            barriers,
            _fmt(rec["network_barrier_eV"], ".3f"),
            "" if not rec["network_dimensionality"] else f"{rec['network_dimensionality']}D",
            _fmt(rec["D_298K_cm2_s"], ".2e"),
            status,
        )
    out_console.print(table)


@migration_app.command("run")
@handle_errors
def run(
    files: list[Path] = typer.Argument(
        ..., help="Candidate set (JSON) or structure files (CIF, POSCAR, extxyz)."
    ),
    ids: list[str] | None = typer.Option(
        None, "--ids", help="Only these candidate ids (repeat or comma-separate)."
    ),
    calculator: str = typer.Option(
        DEFAULT_CALCULATOR, "--calculator", "-c", help="Calculator name or module:Class."
    ),
    fmax: float = typer.Option(0.05, "--fmax", help="NEB force threshold (eV/Å)."),
    images: int = typer.Option(5, "--images", min=1, help="Intermediate NEB images."),
    max_hops: int = typer.Option(
        4, "--max-hops", min=1, help="Distinct hops per structure, shortest first."
    ),
    max_steps: int = typer.Option(
        300, "--max-steps", min=1, help="NEB optimizer steps per hop (both stages)."
    ),
    species: str = typer.Option("Li", "--species", help="Migrating element."),
    mechanism: str = typer.Option("vacancy", "--mechanism", help="vacancy, interstitial or both."),
    min_length: float = typer.Option(
        8.0, "--min-length", help="Smallest supercell lattice vector (Å)."
    ),
    preconverge: str | None = typer.Option(
        None,
        "--preconverge",
        help="Cheaper calculator (e.g. sevenn) that converges each hop first; the --calculator "
        "(e.g. gpaw) then starts from its relaxed endpoints and converged band.",
    ),
    db: str | None = DB_OPTION,
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Relax the candidates, then compute CI-NEB barriers, network barrier and D(298 K)."""
    from alloyscreen.properties.migration import HopSearch, NEBSettings
    from alloyscreen.recipes import migration

    search = HopSearch(
        species=species, mechanism=mechanism, min_length_A=min_length, max_hops=max_hops
    )
    neb = NEBSettings(fmax=fmax, n_images=images, max_steps=max_steps)
    run = migration(
        files,
        db,
        ids=split_ids(ids),
        calculator=calculator,
        search=search,
        neb=neb,
        preconverge=preconverge,
        workers=workers,
        progress=progress_factory(disable=json_out),
    )
    if run.skipped:
        err_console.print(f"skipped (no {species}): {', '.join(run.skipped)}", highlight=False)
    records = migration_records(run)
    if json_out:
        emit_json(records)
    else:
        _print_table(records)
        err_console.print(
            f"store: {run.store_url}  ({run.n_computed} computed, {run.n_cached} cached); "
            f"plot a path with: alloyscreen migration plot ID",
            highlight=False,
        )
    raise typer.Exit(EXIT_TASKS_FAILED if run.n_failed else EXIT_OK)


@migration_app.command("plot")
@handle_errors
def plot(
    candidate_id: str = typer.Argument(..., help="Candidate id of a stored migration result."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="PNG file (default: results/migration_<ID>.png)."
    ),
    key: str | None = typer.Option(
        None, "--key", help="A specific stored result (content key) when there are several."
    ),
    db: str | None = DB_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Re-plot the minimum energy paths of a stored migration result (from the store alone)."""
    from alloyscreen.recipes import plot_migration

    plotted = plot_migration(db, candidate_id, key=key, output=output)
    row = plotted.row
    if plotted.n_rows > 1 and not json_out:
        err_console.print(
            f"{plotted.n_rows} stored results for {candidate_id}; plotting row {row.row_id} "
            f"({row.calculator.get('name')}, {row.status}); choose another with --key",
            highlight=False,
        )
    if json_out:
        emit_json(
            {"id": candidate_id, "key": row.key, "status": row.status, "png": str(plotted.path)}
        )
    else:
        err_console.print(f"wrote {plotted.path}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``migration`` command group."""
    app.add_typer(migration_app, name="migration")
