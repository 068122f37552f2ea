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
    fail,
    handle_errors,
    non_default_options,
    open_store,
    out_console,
    progress_factory,
    relax_candidates,
    split_ids,
)


def adhesion_records(
    candidates: list[Any], relax_errors: dict[str, str], summary: Any
) -> list[dict[str, Any]]:
    """One JSON-ready record per candidate (failed relaxations included)."""
    by_id = {r.candidate_id: r for r in (summary.results if summary is not None else [])}
    records = []
    for cand in candidates:
        rec: dict[str, Any] = {"id": cand.id, "formula": cand.formula}
        r = by_id.get(cand.id)
        if r is None:
            rec.update(
                status="failed",
                error=f"bulk relaxation failed: {relax_errors.get(cand.id, 'no relaxed structure')}",
                w_adh_J_m2=None,
                predicted_contact_angle_deg=None,
                converged=None,
            )
            records.append(rec)
            continue
        res = r.result or {}
        rec.update(
            status=r.status,
            w_adh_J_m2=res.get("w_adh_J_m2") if r.done else None,
            predicted_contact_angle_deg=res.get("predicted_contact_angle_deg") if r.done else None,
            contact_angle_clipped=res.get("contact_angle_clipped"),
            contact_angle_self_consistent_deg=res.get("contact_angle_self_consistent_deg"),
            wetting_regime=res.get("wetting_regime"),
            li_surface_energy_J_m2=res.get("li_surface_energy_J_m2"),
            interface_energy_J_m2=res.get("interface_energy_J_m2"),
            termination=res.get("termination"),
            selection_basis=res.get("selection_basis"),
            max_w_adh_J_m2=res.get("max_w_adh_J_m2"),
            miller=res.get("miller"),
            li_miller=res.get("li_miller"),
            li_strain_pct=res.get("li_strain_pct"),
            area_A2=res.get("area_A2"),
            n_atoms=res.get("n_atoms"),
            converged=res.get("converged") if r.done else None,
            n_force_calls=res.get("n_force_calls"),
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
    from alloyscreen.calculators import check_elements
    from alloyscreen.campaign import load_campaign_candidates, run_step, structure_step_tasks
    from alloyscreen.engines import LocalEngine
    from alloyscreen.properties.adhesion import work_of_adhesion
    from alloyscreen.structures.candidates import CATEGORIES
    from alloyscreen.tasks import CalculatorSpec

    candidates = load_campaign_candidates([str(candidates_file)], split_ids(ids))
    for cand in candidates:
        try:
            elements = cand.structure.composition.chemical_system.split("-")
            check_elements([*elements, "Li"], calculator)  # the film is Li
        except ValueError as exc:
            fail(f"{cand.provenance.get('file', cand.id)}: {exc}")
    if max_strain_pct <= 0 or max_area <= 0:
        fail("--max-strain-pct and --max-area must be positive")
    spec = CalculatorSpec.make(calculator)
    store = open_store(db)
    engine = LocalEngine(workers)
    try:
        # 1. bulk relaxation of the candidates (the campaign runner's relax tasks)
        progress = progress_factory(disable=json_out or len(candidates) < 2)
        rsum = relax_candidates(candidates, spec, store, engine, progress)
        relaxed = {r.candidate_id: r.atoms for r in rsum.results if r.done}
        relax_errors = {
            r.candidate_id: (r.error or "").splitlines()[0] for r in rsum.results if not r.done
        }
        # 2. work of adhesion on the relaxed structures, whatever their category
        options = non_default_options(
            work_of_adhesion,
            {
                "max_atoms": max_atoms,
                "max_strain_pct": max_strain_pct,
                "max_area_A2": max_area,
                "max_terminations": 0 if all_terminations else 1,
            },
        )
        if all_terminations:
            # Named explicitly so that rows computed before the termination was chosen by
            # interface energy (largest W_ad then) are not reused; same key as the workflows.
            options["selection"] = "interface_energy"
        atasks = structure_step_tasks(
            "adhesion",
            [c for c in candidates if c.id in relaxed],
            relaxed,
            spec,
            {**options, "categories": list(CATEGORIES)},
        )
        asum = None
        if atasks:
            progress = progress_factory(disable=json_out)
            asum = run_step("adhesion", atasks, store, engine, progress)
    finally:
        engine.close()
    records = adhesion_records(candidates, relax_errors, asum)
    if json_out:
        emit_json(records)
    else:
        _print_table(records)
        n_comp = asum.n_computed if asum else 0
        n_cached = asum.n_cached if asum else 0
        err_console.print(f"store: {store.url}  ({n_comp} computed, {n_cached} cached)")
    n_failed = sum(1 for r in records if r["status"] != "done")
    raise typer.Exit(EXIT_TASKS_FAILED if n_failed else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the ``adhesion`` command."""
    app.command("adhesion")(adhesion)
