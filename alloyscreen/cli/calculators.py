"""CLI commands: ``calculators list`` and ``calculators validate``."""

from __future__ import annotations

from typing import Any

import typer

from alloyscreen.cli._common import (
    EXIT_OK,
    EXIT_TASKS_FAILED,
    emit_json,
    err_console,
    fail,
    handle_errors,
    open_store,
    out_console,
    progress_bar,
)

calculators_app = typer.Typer(
    help="Calculators: list them, validate ML potentials against DFT.", no_args_is_help=True
)


@calculators_app.command("list")
@handle_errors
def list_calculators(
    presets: bool = typer.Option(False, "--presets", help="Also show the DFT presets."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Registered calculators, whether they can run here, and the DFT presets."""
    from alloyscreen.calculators import calculator_records

    records = calculator_records()
    preset_records: list[dict[str, Any]] = []
    if presets:
        from alloyscreen.dft import CODE_CUTOFF_EV, PRESETS

        preset_records = [p.as_dict() for p in PRESETS.values()]
    if json_out:
        out: dict[str, Any] = {"calculators": records}
        if presets:
            out["presets"] = preset_records
            out["code_cutoff_eV"] = CODE_CUTOFF_EV
        emit_json(out)
        return
    from rich.table import Table

    table = Table(title="Calculators")
    for col in ("name", "installed", "extra", "description"):
        table.add_column(col)
    for rec in records:
        table.add_row(
            rec["name"],
            "yes" if rec["installed"] else "[yellow]no[/yellow]",
            rec["extra"] or "",
            rec["description"],
        )
    out_console.print(table)
    if presets:
        ptable = Table(title="DFT presets (docs/dft.md)")
        ptable.add_column("setting", no_wrap=True)
        for rec in preset_records:
            ptable.add_column(rec["name"])
        for key in [k for k in preset_records[0] if k != "name"]:
            ptable.add_row(
                key, *("-" if rec[key] is None else str(rec[key]) for rec in preset_records)
            )
        out_console.print(ptable)
        cut = ", ".join(f"{k} {v:.0f} eV" for k, v in CODE_CUTOFF_EV.items())
        out_console.print(f"plane-wave cutoff when ecut_eV is unset: {cut}")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def report_records(report: Any) -> dict[str, Any]:
    """JSON-ready form of a validation report."""
    from alloyscreen.serialization import to_jsonable

    return to_jsonable(report)


def print_report(report: Any) -> None:
    """Deviation table (ML − DFT) and timings on stdout."""
    from rich.table import Table

    from alloyscreen.properties.calculator_checks import QUANTITIES

    table = Table(
        title=f"Validation against {report.reference} (deviation = calculator − reference)"
    )
    table.add_column("quantity")
    table.add_column("unit")
    table.add_column(report.reference, justify="right")
    for name in report.calculators:
        table.add_column(name, justify="right")
        table.add_column(f"Δ {name}", justify="right")
    by = {(d.quantity, d.calculator): d for d in report.deviations}
    for q in QUANTITIES:
        row = [q.label, q.unit, _fmt(report.values[report.reference].get(q.key))]
        for name in report.calculators:
            d = by[(q.key, name)]
            row += [_fmt(d.value), "—" if d.deviation is None else f"{d.deviation:+.3f}"]
        table.add_row(*row)
    out_console.print(table)
    ttable = Table(title="Compute time (stored wall time of each task)")
    for col in ("calculator", "tasks", "computed now", "cached", "time (s)"):
        ttable.add_column(col, justify="right")
    for t in report.timings:
        ttable.add_row(
            t.calculator, str(t.n_tasks), str(t.n_computed), str(t.n_cached), f"{t.wall_time_s:.1f}"
        )
    out_console.print(ttable)
    for f in report.failures:
        first = (f["error"] or "").strip().splitlines()[:1]
        err_console.print(
            f"[red]failed[/red] {f['calculator']} {f['task']}: {first[0] if first else ''}"
        )


@calculators_app.command("validate")
@handle_errors
def validate(
    reference: str = typer.Option("gpaw", "--reference", help="Reference calculator (DFT)."),
    calculators: str = typer.Option(
        "chgnet,sevenn", "--calculators", help="Comma-separated calculators to compare."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Results store [default: results/alloyscreen.db]."
    ),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Compute the validation set with the reference and each calculator; print deviations.

    bcc Li and B32 LiAl lattice constants, the LiAl formation energy, the Li(100) surface energy
    and a Li vacancy hop barrier. Everything goes through the results store (cached, resumable).
    """
    from alloyscreen.engines import LocalEngine
    from alloyscreen.ml_vs_dft import run_validation

    names = [c.strip() for c in calculators.split(",") if c.strip()]
    if not names:
        fail("--calculators: name at least one calculator (e.g. chgnet,sevenn)")
    if reference in names:
        fail(f"--calculators: '{reference}' is the reference; list the others")
    store = open_store(db)
    # 3 bulk + 2 defect tasks per calculator
    total = 5 * (len(names) + 1)
    with progress_bar("validate", total, disable=json_out) as advance:
        report = run_validation(
            store,
            LocalEngine(workers),
            reference=reference,
            calculators=names,
            progress=lambda _r: advance(),
        )
    if json_out:
        emit_json(report_records(report))
    else:
        print_report(report)
        err_console.print(f"store: {store.url}  (this run: {report.wall_time_s:.1f} s)")
    raise typer.Exit(EXIT_TASKS_FAILED if report.failures else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add the ``calculators`` command group."""
    app.add_typer(calculators_app, name="calculators")
