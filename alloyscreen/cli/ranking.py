"""Commands ``rank``, ``export``, ``report`` and ``validate``: shortlists from the results store."""

from __future__ import annotations

from pathlib import Path

import typer

from alloyscreen.cli._common import emit_json, err_console, handle_errors, out_console

DB_OPTION = typer.Option(None, "--db", help="Results store [default: results/alloyscreen.db].")
WEIGHTS_OPTION = typer.Option(
    None,
    "--weights",
    help="e.g. affinity=0.4,mobility=0.4,safety=0.1,stability=0.1 (groups or descriptor names).",
)
CALC_OPTION = typer.Option(
    None, "--calculator", "-c", help="Rank results of this calculator [default: most used]."
)
CATEGORY_OPTION = typer.Option(
    None, "--category", help="Only these categories (alloy, metal, sei, li_metal...)."
)


@handle_errors
def rank(
    db: str | None = DB_OPTION,
    weights: str | None = WEIGHTS_OPTION,
    top: int | None = typer.Option(None, "--top", min=1, help="Show the best N."),
    calculator: str | None = CALC_OPTION,
    category: list[str] | None = CATEGORY_OPTION,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Rank candidates by Li affinity, Li mobility, interphase safety and stability."""
    from alloyscreen.recipes import shortlist
    from alloyscreen.shortlist_table import shortlist_records

    ranked = shortlist(db, weights=weights, calculator=calculator, categories=category).ranked
    records = shortlist_records(ranked[:top] if top else ranked)
    if json_out:
        emit_json(records)
        return
    from alloyscreen.shortlist_table import terminal_table

    out_console.print(
        terminal_table(records, title="Shortlist (weighted, normalised score; missing = worst)")
    )


@handle_errors
def export(
    output: Path = typer.Option(
        ..., "--output", "-o", help="File to write (results/shortlist.csv ...)."
    ),
    fmt: str | None = typer.Option(
        None, "--format", "-f", help="csv, json, xlsx or md [default: from suffix]."
    ),
    db: str | None = DB_OPTION,
    weights: str | None = WEIGHTS_OPTION,
    calculator: str | None = CALC_OPTION,
    category: list[str] | None = CATEGORY_OPTION,
) -> None:
    """Export the ranked shortlist as CSV, JSON, XLSX or Markdown."""
    from alloyscreen.shortlist_table import export_from_store

    path, n = export_from_store(
        db, output, fmt, weights=weights, calculator=calculator, categories=category
    )
    err_console.print(f"wrote {path} ({n} candidates)")


@handle_errors
def report(
    output: Path = typer.Option(Path("results/report"), "--output", "-o", help="Report folder."),
    db: str | None = DB_OPTION,
    weights: str | None = WEIGHTS_OPTION,
    calculator: str | None = CALC_OPTION,
    reference: list[Path] | None = typer.Option(
        None, "--reference", help="Extra experimental CSVs (same schema)."
    ),
    top: int | None = typer.Option(None, "--top", min=1, help="Rows in the report table."),
) -> None:
    """Write a Markdown + HTML report with the shortlist, plots and validation against experiment."""
    from alloyscreen.report import report_from_store

    files = report_from_store(
        db, output, weights=weights, calculator=calculator, experiments=reference or (), top=top
    )
    err_console.print(
        f"report: {files.html}\nmarkdown: {files.markdown}\nshortlist: {files.shortlist_csv}"
    )


@handle_errors
def validate(
    db: str | None = DB_OPTION,
    calculator: str | None = CALC_OPTION,
    reference: list[Path] | None = typer.Option(
        None,
        "--experiments",
        "--reference",
        help="Your own measurements: CSVs with the schema of docs/reference_data.md "
        "(contact angles and/or diffusion), added to the shipped data.",
    ),
    statements: list[Path] | None = typer.Option(
        None,
        "--wetting-statements",
        help="Your own stated wetting classes (wets / non-wetting / state-dependent), "
        "schema of docs/reference_data.md, added to the shipped statements.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Computed W_ad / barriers vs experiment: rank correlations with intervals, ordinal wetting
    agreement, and the measured phases not screened yet."""
    from alloyscreen.experiments.comparison import format_report
    from alloyscreen.experiments.wetting_statements import format_ordinal
    from alloyscreen.recipes import validate as validate_recipe

    result = validate_recipe(
        db,
        calculator=calculator,
        experiments=reference or (),
        wetting_statements=statements or (),
    )
    if json_out:
        emit_json({"correlations": result.correlations, "wetting_ordinal": result.wetting_ordinal})
        return
    for rep in result.correlations:
        out_console.print(format_report(rep), highlight=False)
    out_console.print(format_ordinal(result.wetting_ordinal), highlight=False)


def register(app: typer.Typer) -> None:
    """Add rank/export/report/validate."""
    app.command("rank")(rank)
    app.command("export")(export)
    app.command("report")(report)
    app.command("validate")(validate)
