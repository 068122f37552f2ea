"""Commands ``rank``, ``export``, ``report`` and ``validate``: shortlists from the results store."""

from __future__ import annotations

from pathlib import Path

import typer

from alloyscreen.cli._common import emit_json, err_console, fail, handle_errors, out_console

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
    against: str = typer.Option(
        "experiment",
        "--reference",
        help="What to validate against: 'experiment' (the store's shortlist against measured "
        "contact angles, diffusion and wetting statements) or 'dft' (ML potentials against the "
        "shipped GPAW reference set of W_sep and hop barriers).",
    ),
    experiments: list[Path] | None = typer.Option(
        None,
        "--experiments",
        help="Your own measurements: CSVs with the schema of docs/reference_data.md "
        "(contact angles and/or diffusion), added to the shipped data.",
    ),
    statements: list[Path] | None = typer.Option(
        None,
        "--wetting-statements",
        help="Your own stated wetting classes (wets / non-wetting / state-dependent), "
        "schema of docs/reference_data.md, added to the shipped statements.",
    ),
    calculators: str = typer.Option(
        "sevenn,chgnet",
        "--calculators",
        help="With --reference dft: comma-separated ML potentials to compare.",
    ),
    dft_set: Path | None = typer.Option(
        None, "--dft-set", help="With --reference dft: another reference file of the same schema."
    ),
    recompute: bool = typer.Option(
        False,
        "--recompute",
        help="With --reference dft: evaluate the potentials again instead of the stored values.",
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="With --reference dft: write the parity plot (PNG) here."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Validate: the shortlist against experiment (rank correlations with intervals, ordinal
    wetting agreement, measured phases not screened yet), or the ML potentials against DFT
    (`--reference dft`: MAE, Spearman and Kendall with bootstrap intervals, parity plot)."""
    from alloyscreen import recipes

    if against not in ("experiment", "dft"):
        fail(f"--reference: '{against}' is not one of experiment, dft")
    if against == "dft":
        from alloyscreen.dft_reference import (
            format_comparison,
            format_terminations,
            validate_against_dft,
        )

        names = [c.strip() for c in calculators.split(",") if c.strip()]
        res = validate_against_dft(names, reference=dft_set, recompute=recompute, plot=plot)
        if json_out:
            emit_json(
                {
                    "comparisons": res.comparisons,
                    "terminations": res.terminations,
                    "reference": res.reference_meta,
                }
            )
            return
        out_console.print(format_comparison(res.comparisons), highlight=False)
        if res.terminations:
            out_console.print(
                format_terminations(res.terminations), highlight=False, soft_wrap=True
            )
        if res.reference_meta.get("missing"):
            out_console.print(
                "systems missing from the set: " + ", ".join(res.reference_meta["missing"]),
                highlight=False,
            )
        if res.plot is not None:
            out_console.print(f"parity plot: {res.plot}", highlight=False)
        return
    from alloyscreen.experiments.comparison import format_report
    from alloyscreen.experiments.wetting_statements import format_ordinal

    result = recipes.validate(
        db,
        calculator=calculator,
        experiments=experiments or (),
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
