"""``alloyscreen adhesion``: Li/substrate work of adhesion and predicted wetting, via the store."""

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
    out_console,
    progress_factory,
    split_ids,
)


def adhesion_records(run: Any) -> list[dict[str, Any]]:
    """One JSON-ready record per candidate of a :class:`~alloyscreen.recipes.StepRun` (failed
    relaxations included), from the typed :class:`AdhesionResult` of each stored row."""
    typed = {r.candidate_id: (r, res) for r, res in run.typed()}
    relax_errors = {cid: (r.error or "").splitlines()[0] for cid, r in run.relax_failed.items()}
    records = []
    for cand in run.candidates:
        rec: dict[str, Any] = {"id": cand.id, "formula": cand.formula}
        if cand.id not in typed:
            rec.update(
                status="failed",
                error=f"bulk relaxation failed: {relax_errors.get(cand.id, 'no relaxed structure')}",
                w_adh_J_m2=None,
                predicted_contact_angle_deg=None,
                converged=None,
            )
            records.append(rec)
            continue
        r, res = typed[cand.id]

        def get(name: str, res: Any = res) -> Any:
            value = getattr(res, name) if res is not None else None
            return list(value) if isinstance(value, tuple) else value

        rec.update(
            status=r.status,
            w_adh_J_m2=get("w_adh_J_m2") if r.done else None,
            predicted_contact_angle_deg=get("predicted_contact_angle_deg") if r.done else None,
            contact_angle_clipped=get("contact_angle_clipped"),
            contact_angle_self_consistent_deg=get("contact_angle_self_consistent_deg"),
            wetting_regime=get("wetting_regime"),
            li_surface_energy_J_m2=get("li_surface_energy_J_m2"),
            interface_energy_J_m2=get("interface_energy_J_m2"),
            termination=get("termination"),
            selection_basis=get("selection_basis"),
            max_w_adh_J_m2=get("max_w_adh_J_m2"),
            miller=get("miller"),
            li_miller=get("li_miller"),
            li_strain_pct=get("li_strain_pct"),
            area_A2=get("area_A2"),
            n_atoms=get("n_atoms"),
            converged=get("converged") if r.done else None,
            n_force_calls=get("n_force_calls"),
            cached=r.cached,
            wall_time_s=r.wall_time_s,
            calculator=r.calculator.get("name"),
            error=r.error,
            key=r.key,
        )
        records.append(rec)
    return records


def _print_table(records: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title="Li work of adhesion (contact angle: Young–Dupré descriptor)")
    for col in (
        "id",
        "formula",
        "W_ad (J/m²)",
        "θ (°)",
        "termination",
        "Li",
        "strain %",
        "atoms",
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
                (rec.get("error") or "").splitlines()[0][:70],
                "",
                "",
                "",
                "",
                "",
            )
            continue
        theta = f"{rec['contact_angle_self_consistent_deg']:.0f}"
        li = "(" + "".join(str(x) for x in rec["li_miller"]) + ")"
        table.add_row(
            rec["id"],
            rec["formula"],
            f"{rec['w_adh_J_m2']:.3f}",
            theta,
            rec["termination"],
            li,
            f"{rec['li_strain_pct']:.1f}",
            str(rec["n_atoms"]),
            "yes" if rec["converged"] else "[yellow]no[/yellow]",
            "yes" if rec.get("cached") else "no",
        )
    out_console.print(table)
    err_console.print("* clipped: W_ad > 2 gamma_Li(liquid), complete wetting predicted")


@handle_errors
def adhesion(
    candidates_file: Path = typer.Argument(
        ..., help="Candidate set (JSON) or structure file(s) accepted by `alloyscreen relax`."
    ),
    ids: list[str] | None = typer.Option(
        None, "--ids", help="Only these candidate ids (repeat the option or separate by commas)."
    ),
    calculator: str = typer.Option(
        DEFAULT_CALCULATOR, "--calculator", "-c", help="Calculator name or module:Class."
    ),
    max_atoms: int = typer.Option(120, "--max-atoms", min=2, help="Largest interface (atoms)."),
    max_strain_pct: float = typer.Option(
        8.0, "--max-strain-pct", help="Largest principal strain put into Li (%)."
    ),
    max_area: float = typer.Option(100.0, "--max-area", help="Largest interface area (Å²)."),
    all_terminations: bool = typer.Option(
        False,
        "--all-terminations/--lowest-termination",
        help="Every termination of (100), (110), (111), or only the lowest-energy one.",
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        help="Results store: SQLite file or ASE db URL [default: results/alloyscreen.db].",
    ),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Work of adhesion of Li on each candidate and the predicted molten-Li contact angle.

    Candidates are relaxed first (the `relax` task, shared with `alloyscreen relax`), then Li films
    are matched to their low-index terminations; everything goes through the results store, so a
    rerun recomputes nothing that is done. The contact angle is a Young–Dupré descriptor, not a
    measurement.
    """
    from alloyscreen.recipes import adhesion as adhesion_recipe

    run = adhesion_recipe(
        [candidates_file],
        db,
        ids=split_ids(ids),
        calculator=calculator,
        max_atoms=max_atoms,
        max_strain_pct=max_strain_pct,
        max_area_A2=max_area,
        all_terminations=all_terminations,
        workers=workers,
        progress=progress_factory(disable=json_out),
    )
    records = adhesion_records(run)
    if json_out:
        emit_json(records)
    else:
        _print_table(records)
        err_console.print(
            f"store: {run.store_url}  ({run.n_computed} computed, {run.n_cached} cached)"
        )
    n_failed = sum(1 for r in records if r["status"] != "done")
    raise typer.Exit(EXIT_TASKS_FAILED if n_failed else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the ``adhesion`` command."""
    app.command("adhesion")(adhesion)
